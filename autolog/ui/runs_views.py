"""Pages about runs: experiments, the runs list, a run, its files, and the Save action."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from werkzeug.security import safe_join
from werkzeug.wrappers import Response

from autolog import registry
from autolog.context.run import read_context
from autolog.errors import InvalidNameError, ModelFolderError, NotFoundError, StoreError
from autolog.runs import STATUSES, SYSTEM_METRIC_PREFIX, Metric, Run, is_system_metric
from autolog.stores.base import Store
from autolog.ui import heldout
from autolog.ui.folder import FolderView, describe_folder
from autolog.ui.listing import FilterError, RunReader, list_runs

__all__ = ["runs_bp", "send_artifact"]

runs_bp = Blueprint("runs", __name__)

MAX_CHART_POINTS = 5000
MAX_TEXT_BYTES = 2 * 1024 * 1024
TEXT_NAMES = frozenset({"MLmodel", "requirements.txt", "LICENSE"})
TEXT_SUFFIXES = frozenset({".json", ".jsonl", ".yaml", ".yml", ".txt", ".md", ".csv", ".tsv",
                           ".py", ".log", ".cfg", ".toml", ".ini", ".patch", ".diff"})


def store() -> Store:
    return current_app.extensions["autolog_store"]  # type: ignore[no-any-return]


def _reader() -> RunReader:
    return current_app.extensions["autolog_reader"]  # type: ignore[no-any-return]


def send_artifact(path: Path) -> Response:
    """A file of a run or model version: small text files as plain text, others as downloads.

    Never as HTML: an artifact is data written by training code, not a page of this app.
    """
    if not path.is_file():
        abort(404, f"No file {path.name!r} here.")
    size = path.stat().st_size
    if (path.name in TEXT_NAMES or path.suffix.lower() in TEXT_SUFFIXES) and \
            size <= MAX_TEXT_BYTES:
        return send_file(path, mimetype="text/plain; charset=utf-8")
    return send_file(path, mimetype="application/octet-stream", as_attachment=True,
                     download_name=path.name)


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def chart_series(history: dict[str, list[Metric]]) -> list[dict[str, Any]]:
    """Per metric with two or more values: steps and values for a line chart (JSON-ready)."""
    out = []
    for key in sorted(history):
        points = history[key]
        if len(points) < 2:
            continue
        if len(points) > MAX_CHART_POINTS:
            every = math.ceil(len(points) / MAX_CHART_POINTS)
            points = points[::every] + ([points[-1]] if (len(points) - 1) % every else [])
        out.append({"key": key, "steps": [p.step for p in points],
                    "values": [_finite(p.value) for p in points]})
    return out


def model_folders(run: Run) -> list[tuple[str, Path]]:
    """The run's top-level artifacts that are model folders: ``(artifact_path, local path)``."""
    found = []
    names = sorted(run.artifacts, key=lambda a: a != "model")
    for name in names:
        try:
            path = Path(store().download_artifacts(run.run_id, name))
        except (NotFoundError, StoreError, InvalidNameError):
            continue
        if (path / "MLmodel").is_file():
            found.append((name, path))
    return found


def registered_names() -> tuple[list[str] | None, str | None]:
    """Registered model names, or ``(None, why)`` when the store has no registry."""
    try:
        return [m.name for m in registry.list_models(store=store())], None
    except StoreError as exc:
        return None, str(exc)


@runs_bp.route("/")
def experiments() -> str:
    index = store().run_index()
    if index is not None:  # counted by the store's index (the local store at scale)
        found = index.experiments()
        for group in found:
            group["statuses"] = {**dict.fromkeys(STATUSES, 0), **group["statuses"]}
        return render_template("experiments.html", experiments=found, statuses=STATUSES)
    groups: dict[str, dict[str, Any]] = {}
    for info in store().search_run_infos(None):
        group = groups.setdefault(info.experiment, {"name": info.experiment, "runs": 0,
                                                    "latest": info.start_time,
                                                    "statuses": dict.fromkeys(STATUSES, 0)})
        group["runs"] += 1
        group["latest"] = max(group["latest"], info.start_time)
        group["statuses"][info.status] = group["statuses"].get(info.status, 0) + 1
    return render_template("experiments.html", experiments=sorted(groups.values(),
                                                                  key=lambda g: g["name"]),
                           statuses=STATUSES)


@runs_bp.route("/runs")
def runs() -> str:
    args = request.args
    sort = args.get("sort", "start_time")
    descending = args.get("order", "desc") != "asc"
    error = None
    try:
        page = int(args.get("page", "1"))
    except ValueError:
        page = 1
    try:
        result = list_runs(store(), _reader(), experiment=args.get("experiment") or None,
                           status=args.get("status") or None, text=args.get("q") or None,
                           filter_text=args.get("filter") or None, sort=sort,
                           descending=descending, page=page,
                           page_size=current_app.extensions["autolog_page_size"])
    except FilterError as exc:
        error = str(exc)
        result = None

    def url_with(**changes: Any) -> str:
        params: dict[str, Any] = {k: v for k, v in args.items() if v}
        params.update(changes)
        return url_for("runs.runs", **{k: v for k, v in params.items() if v not in (None, "")})

    def sort_url(key: str) -> str:
        order = "asc" if sort == key and descending else "desc"
        return url_with(sort=key, order=order, page=None)

    experiments = result.experiments if result else sorted(store().list_experiments())
    return render_template("runs.html", listing=result, error=error, args=args, sort=sort,
                           descending=descending, statuses=STATUSES, url_with=url_with,
                           sort_url=sort_url, experiments=experiments)


@runs_bp.route("/runs/<run_id>")
def run(run_id: str) -> str:
    found = store().get_run(run_id)
    folders: list[tuple[str, FolderView]] = [
        (name, describe_folder(path)) for name, path in model_folders(found)]
    names, registry_error = registered_names() if folders else (None, None)
    versions = []
    if names is not None:
        versions = registry.search_model_versions(run_id=run_id, store=store())
    own = {k: v for k, v in found.metric_history.items() if not is_system_metric(k)}
    system = {k[len(SYSTEM_METRIC_PREFIX):]: v for k, v in found.metric_history.items()
              if is_system_metric(k)}
    return render_template(
        "run.html", run=found, charts=chart_series(own), folders=folders,
        model_names=names, registry_error=registry_error, versions=versions,
        metrics={k: v for k, v in heldout.other_metrics(found).items()
                 if not is_system_metric(k)},
        context=read_context(found, store()), system_charts=chart_series(system),
        single_metrics=sorted(k for k, v in own.items() if len(v) < 2),
        tags=heldout.shown_tags(found.tags), heldout_groups=heldout.heldout_groups(found),
        evaluation_panels=heldout.evaluation_panels(store(), found))


@runs_bp.route("/runs/<run_id>/files/<path:path>")
def run_file(run_id: str, path: str) -> Response:
    top, _, rest = path.partition("/")
    base = Path(store().download_artifacts(run_id, top))
    target = safe_join(str(base), rest) if rest else str(base)
    if target is None:
        abort(404, f"No file {path!r} in run {run_id}.")
    return send_artifact(Path(target))


@runs_bp.route("/runs/<run_id>/save", methods=["POST"])
def save(run_id: str) -> Response:
    """Save the run's model as a new registered model or the next version of one."""
    form = request.form
    artifact = form.get("artifact") or "model"
    back = redirect(url_for("runs.run", run_id=run_id) + "#save")
    mode = form.get("mode", "new")
    if mode == "existing":
        name = form.get("existing_name", "")
        if not name:
            flash("Choose the model to add a version to.", "error")
            return back
    else:
        name = form.get("new_name", "").strip()
        try:
            registry.get_registered_model(name, store=store())
        except NotFoundError:
            pass
        except InvalidNameError as exc:
            flash(str(exc), "error")
            return back
        else:
            flash(f"A model named {name!r} already exists: choose it under 'New version of' "
                  "to add a version, or pick another name.", "error")
            return back
    try:
        mv = registry.register_model(f"runs:/{run_id}/{artifact}", name,
                                     description=form.get("description", ""), store=store())
    except (InvalidNameError, NotFoundError, ModelFolderError, StoreError) as exc:
        flash(str(exc), "error")
        return back
    flash(f"Saved the model of run {run_id[:8]} as version {mv.version} of {mv.name!r}.",
          "success")
    return redirect(url_for("models.version", name=mv.name, version=mv.version))
