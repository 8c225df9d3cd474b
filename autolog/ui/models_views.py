"""Pages about registered models: models, a model's versions, a version, aliases, compare.

The comparison is :func:`autolog.registry.compare`, the same as ``autolog models compare``;
this module only lays it out and adds charts of the metrics across versions.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.security import safe_join
from werkzeug.wrappers import Response

from autolog import registry
from autolog.errors import InvalidNameError, NotFoundError
from autolog.registry.comparison import metric_goal
from autolog.ui import heldout
from autolog.ui.folder import describe_folder, signature_rows
from autolog.ui.runs_views import send_artifact, store

__all__ = ["models_bp"]

models_bp = Blueprint("models", __name__, url_prefix="/models")


def _local_next(default: str) -> str:
    """The form's ``next`` page when it is a path of this app, else ``default``."""
    target = request.form.get("next", "")
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


@models_bp.route("")
def models() -> str:
    return render_template("models.html", models=registry.list_models(store=store()))


@models_bp.route("/<name>")
def model(name: str) -> str:
    found = registry.get_registered_model(name, store=store())
    versions = registry.list_versions(name, store=store())
    headline = sorted({k for v in versions for k in v.metrics},
                      key=lambda k: (k != "training_score", k))[:4]
    return render_template("model.html", model=found, versions=versions, headline=headline)


@models_bp.route("/<name>/versions/<int:version>")
def version(name: str, version: int) -> str:
    mv = registry.get_model_version(name, version, store=store())
    folder = describe_folder(Path(store().download_model_version(name, version)))
    return render_template("version.html", mv=mv, folder=folder,
                           signature=signature_rows(mv.signature))


@models_bp.route("/<name>/versions/<int:version>/files/<path:path>")
def version_file(name: str, version: int, path: str) -> Response:
    base = Path(store().download_model_version(name, version))
    target = safe_join(str(base), path)
    if target is None:
        abort(404, f"No file {path!r} in version {version} of {name!r}.")
    return send_artifact(Path(target))


@models_bp.route("/<name>/aliases", methods=["POST"])
def set_alias(name: str) -> Response:
    """Point an alias at a version (moving it if it pointed elsewhere)."""
    alias, version = request.form.get("alias", "").strip(), request.form.get("version", "")
    back = redirect(_local_next(url_for("models.model", name=name)))
    try:
        mv = registry.set_alias(name, alias, version, store=store())
    except (InvalidNameError, NotFoundError) as exc:
        flash(str(exc), "error")
        return back
    flash(f"models:/{name}@{alias} now points at version {mv.version}.", "success")
    return back


@models_bp.route("/<name>/aliases/<alias>/delete", methods=["POST"])
def delete_alias(name: str, alias: str) -> Response:
    back = redirect(_local_next(url_for("models.model", name=name)))
    try:
        registry.delete_alias(name, alias, store=store())
    except (InvalidNameError, NotFoundError) as exc:
        flash(str(exc), "error")
        return back
    flash(f"Removed alias {alias!r} of {name!r}.", "success")
    return back


def _finite(value: Any) -> float | None:
    return value if isinstance(value, (int, float)) and math.isfinite(value) else None


@models_bp.route("/<name>/compare")
def compare(name: str) -> str:
    chosen = request.args.getlist("v")
    all_versions = registry.list_versions(name, store=store())
    comparison = registry.compare(name, chosen or None, store=store())
    numbers = [v.version for v in comparison.versions]
    charts = [{"key": m, "goal": metric_goal(m), "versions": numbers,
               "values": [_finite(comparison.values(m).get(v.version))
                          for v in comparison.versions]}
              for m in comparison.metric_names
              if not comparison.is_count(m) and "_class_" not in m]
    return render_template("compare.html", name=name, comparison=comparison,
                           rows=comparison.rows(), charts=charts, all_versions=all_versions,
                           chosen={v.version for v in comparison.versions},
                           ranking=comparison.ranking_line(),
                           roc_overlays=heldout.roc_overlays(store(), comparison))
