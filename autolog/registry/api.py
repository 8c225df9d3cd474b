"""The model registry: named models with integer versions, aliases, comparison.

::

    v = autolog.register_model("runs:/3f2a.../model", "iris")    # ModelVersion, v.version == 1
    autolog.set_alias("iris", "champion", v.version)
    model = autolog.load_model("models:/iris@champion")           # or models:/iris/1, /latest
    autolog.compare("iris").best_by("training_accuracy_score")

The first registration of a name is version 1, each later one the next integer; numbers are
never reused, even after deletes. A version keeps a copy of what it needs to be compared
without its run: the signature, the source run's metrics and params, the formats (flavors)
present, the model size and the ONNX parity verdict, if any.

The store holds the records (see the registry part of :class:`autolog.stores.base.Store`);
every function here takes ``store=`` (a :class:`Store` or URI) and defaults to the current one.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autolog.errors import NotFoundError
from autolog.registry.records import (
    ModelVersion,
    RegisteredModel,
    check_alias,
    check_model_name,
    check_tags,
    check_version,
)
from autolog.uris import folder_path, parse_model_uri, parse_run_uri

if TYPE_CHECKING:
    from autolog.registry.comparison import Comparison
    from autolog.runs import Run
    from autolog.stores.base import Store

__all__ = [
    "compare",
    "delete_alias",
    "delete_model",
    "delete_model_version",
    "describe_model_folder",
    "get_model_version",
    "get_registered_model",
    "list_models",
    "list_versions",
    "register_model",
    "resolve_model_uri",
    "search_model_versions",
    "set_alias",
    "update_model",
    "update_model_version",
]


def _store(store: Store | str | None) -> Store:
    if store is None:
        from autolog import writer
        from autolog.stores import current_store

        writer.flush()
        return current_store()
    if isinstance(store, str):
        from autolog.stores import open_store

        return open_store(store)
    return store


def _version_for_uri(uri: str, store: Store) -> ModelVersion:
    name, kind, value = parse_model_uri(uri)
    if kind == "alias":
        return store.get_model_version_by_alias(name, str(value))
    if kind == "latest":
        return store.get_latest_model_version(name)
    return store.get_model_version(name, int(value))  # type: ignore[arg-type]


def resolve_model_uri(uri: str, store: Store | str | None = None) -> Path:
    """The local model folder of a ``models:/`` URI (what :func:`autolog.load_model` loads).

    Raises:
        InvalidNameError: a malformed URI (the message lists the accepted forms).
        NotFoundError: no such model, version or alias.
    """
    target = _store(store)
    mv = _version_for_uri(uri, target)
    return Path(target.download_model_version(mv.name, mv.version))


# -- what a version records ----------------------------------------------------------------------
def _onnx_parity(mlmodel: Mapping[str, Any]) -> dict[str, Any] | None:
    """The ONNX parity record that :mod:`autolog.model.formats.onnx_format` writes to
    ``metadata.onnx.parity``, with ``passed`` added; None when no parity check ran (pickle
    only, or a conversion that fell back before the check)."""
    onnx_meta = (mlmodel.get("metadata") or {}).get("onnx")
    record = onnx_meta.get("parity") if isinstance(onnx_meta, Mapping) else None
    if not isinstance(record, Mapping) or not record:
        return None
    return {**{str(k): v for k, v in record.items()}, "passed": record.get("verdict") == "pass"}


def _folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def describe_model_folder(folder: str | os.PathLike[str], run: Run | None = None
                          ) -> dict[str, Any]:
    """The :class:`ModelVersion` fields that come from a model folder and its source run.

    Stores that do not keep these fields can call this when they read a version back.

    Returns:
        ``signature``, ``formats``, ``onnx_parity``, ``size_bytes`` and, with ``run``,
        ``metrics`` (the model's, not the ``system/...`` ones), ``params``, ``model_class``,
        ``run_name``, ``experiment``, ``code``.
    """
    from autolog.model.folder import read_model_folder

    path = Path(folder)
    model = read_model_folder(path)
    size = model.mlmodel.get("model_size_bytes")
    out: dict[str, Any] = {
        "signature": model.mlmodel.get("signature") or None,
        "formats": sorted(f for f in model.flavors if f != "python_function"),
        "onnx_parity": _onnx_parity(model.mlmodel),
        "size_bytes": int(size) if isinstance(size, (int, float)) else _folder_size(path),
    }
    if run is not None:
        from autolog.context.source import code_record
        from autolog.runs import is_system_metric

        out.update(metrics={k: v for k, v in run.metrics.items() if not is_system_metric(k)},
                   params=dict(run.params), model_class=run.model_name,
                   run_name=run.info.name, experiment=run.info.experiment,
                   code=code_record(run.tags))
    return out


def _source_folder(model_uri: str, store: Store) -> tuple[Path, str | None]:
    """The local folder and run id behind a URI that may be registered."""
    from autolog.model.folder import read_model_folder

    text = os.fspath(model_uri)
    if text.startswith("runs:/"):
        run_id, artifact = parse_run_uri(text)
        return Path(store.download_artifacts(run_id, artifact)), run_id
    if text.startswith("models:/"):
        mv = _version_for_uri(text, store)
        return Path(store.download_model_version(mv.name, mv.version)), mv.run_id
    path = folder_path(text)
    return path, read_model_folder(path).run_id


def register_model(model_uri: str | os.PathLike[str], name: str, *,
                   description: str = "", tags: Mapping[str, Any] | None = None,
                   store: Store | str | None = None) -> ModelVersion:
    """Save a model as the next version of ``name``.

    Parameters:
        model_uri: ``runs:/<run_id>/<artifact_path>``, ``models:/...`` or a model folder.
        name: the registered model's name (created on first use).
        description: the version's description.
        tags: the version's tags.
        store: the store (or its URI) to register in; default the current store.

    Returns:
        The new :class:`ModelVersion`: version 1 for a new name, else the next number.

    Raises:
        InvalidNameError: an unsafe name or malformed URI.
        NotFoundError: the run, its artifact or the folder does not exist.
        ModelFolderError: the folder is not a model folder, or is damaged (a file differs
            from its checksum or is missing, a malformed signature, a link leading out).
        StoreError: the store could not write the version.
    """
    from autolog.model.folder import read_model_folder, validate

    check_model_name(name)
    target = _store(store)
    folder, run_id = _source_folder(os.fspath(model_uri), target)
    validate(read_model_folder(folder))  # a damaged or tampered folder never gets a version
    run = None
    if run_id:
        try:
            run = target.get_run(run_id)
        except (NotFoundError, ValueError):  # a folder from another store or from MLflow
            run = None
    draft = ModelVersion(name=name, source=os.fspath(model_uri), run_id=run_id,
                         description=description or "",
                         tags=check_tags(tags),
                         **describe_model_folder(folder, run))
    return target.create_model_version(draft, folder)


# -- reading -----------------------------------------------------------------------------------
def get_model_version(name: str, version: int | str, *, store: Store | str | None = None
                      ) -> ModelVersion:
    """One version: ``version`` is a number, ``"latest"`` or ``"@alias"``.

    Raises:
        NotFoundError: no such model, version or alias.
    """
    check_model_name(name)
    target = _store(store)
    if isinstance(version, str) and version.lower() == "latest":
        return target.get_latest_model_version(name)
    if isinstance(version, str) and version.startswith("@"):
        return target.get_model_version_by_alias(name, check_alias(version[1:]))
    return target.get_model_version(name, check_version(version))


def get_registered_model(name: str, *, store: Store | str | None = None) -> RegisteredModel:
    """The registered model ``name``. Raises NotFoundError when there is none."""
    return _store(store).get_registered_model(check_model_name(name))


def list_models(*, store: Store | str | None = None) -> list[RegisteredModel]:
    """Every registered model, sorted by name."""
    return _store(store).search_registered_models()


def list_versions(name: str, *, store: Store | str | None = None) -> list[ModelVersion]:
    """The versions of ``name``, oldest first. Raises NotFoundError for an unknown name."""
    target = _store(store)
    target.get_registered_model(check_model_name(name))
    return target.search_model_versions(name)


def search_model_versions(name: str | None = None, *, run_id: str | None = None,
                          alias: str | None = None, store: Store | str | None = None
                          ) -> list[ModelVersion]:
    """Versions of one model (or all), optionally only those of a run or holding an alias."""
    found = _store(store).search_model_versions(check_model_name(name) if name else None)
    if run_id is not None:
        found = [v for v in found if v.run_id == run_id]
    if alias is not None:
        found = [v for v in found if alias in v.aliases]
    return found


# -- changing ----------------------------------------------------------------------------------
def set_alias(name: str, alias: str, version: int | str, *,
              store: Store | str | None = None) -> ModelVersion:
    """Point ``alias`` (e.g. ``"champion"``) at ``version``; returns that version."""
    target = _store(store)
    number = check_version(version)
    target.set_model_alias(check_model_name(name), check_alias(alias), number)
    return target.get_model_version(name, number)


def delete_alias(name: str, alias: str, *, store: Store | str | None = None) -> None:
    """Remove an alias. Raises NotFoundError when the model has no such alias."""
    _store(store).delete_model_alias(check_model_name(name), check_alias(alias))


def delete_model_version(name: str, version: int | str, *,
                         store: Store | str | None = None) -> None:
    """Delete one version (and the aliases pointing at it); its number is never reused."""
    _store(store).delete_model_version(check_model_name(name), check_version(version))


def delete_model(name: str, *, store: Store | str | None = None) -> None:
    """Delete a registered model with all its versions and aliases."""
    _store(store).delete_registered_model(check_model_name(name))


def update_model(name: str, *, description: str | None = None,
                 tags: Mapping[str, Any] | None = None, delete_tags: Iterable[str] = (),
                 store: Store | str | None = None) -> RegisteredModel:
    """Change a registered model's description and tags.

    Parameters:
        description: the new description (None keeps the current one).
        tags: tags to set (values become strings).
        delete_tags: tag names to remove (absent ones are ignored).

    Raises:
        NotFoundError: no model of that name.
    """
    return _store(store).update_registered_model(
        check_model_name(name), description=None if description is None else str(description),
        tags=check_tags(tags), delete_tags=list(delete_tags))


def update_model_version(name: str, version: int | str, *, description: str | None = None,
                         tags: Mapping[str, Any] | None = None, delete_tags: Iterable[str] = (),
                         store: Store | str | None = None) -> ModelVersion:
    """Change one version's description and tags (same parameters as :func:`update_model`).

    Raises:
        NotFoundError: no such model or version.
    """
    return _store(store).update_model_version(
        check_model_name(name), check_version(version),
        description=None if description is None else str(description),
        tags=check_tags(tags), delete_tags=list(delete_tags))


# -- comparing ---------------------------------------------------------------------------------
def compare(name: str, versions: Iterable[int | str] | None = None, *,
            store: Store | str | None = None) -> Comparison:
    """Versions of ``name`` side by side (see :class:`autolog.registry.comparison.Comparison`).

    Parameters:
        name: the registered model.
        versions: numbers, ``"latest"`` or ``"@alias"``; default every version.

    Returns:
        A :class:`~autolog.registry.comparison.Comparison` of the versions and their source runs as
        they are now: ``str()`` is an aligned table (held-out metrics first), notebooks show
        HTML, ``to_dict()`` is JSON-ready, ``best_by(metric)`` picks a version and
        ``ranking()`` is the held-out metric it ranks by when none is named.

    Raises:
        NotFoundError: an unknown model, version or alias.
    """
    from autolog.registry.comparison import Comparison

    target = _store(store)
    if versions is None:
        chosen = list_versions(name, store=target)
    else:
        chosen = [get_model_version(name, v, store=target) for v in versions]
        unique = {v.version: v for v in chosen}
        chosen = [unique[k] for k in sorted(unique)]
    runs = {}
    for mv in chosen:
        if mv.run_id:
            try:  # the run now: metrics logged after registration (held-out ones) count
                runs[mv.version] = target.get_run(mv.run_id)
            except (NotFoundError, ValueError):  # a folder from another store
                continue
    return Comparison(name, chosen, runs)
