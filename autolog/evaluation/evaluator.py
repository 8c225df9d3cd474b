""":func:`evaluate`: a model measured on held-out data, the metrics logged to the model's run.

Which run: an object autolog trained in this process (a fitted estimator, a torch module) logs
to its own run; a URI or a :class:`~autolog.loading.LoadedModel` to the run its model folder
came from, when that run is in the store. Otherwise (a folder from elsewhere, a model autolog
never saw) a new run named ``evaluate <name>`` is created, tagged with what it evaluated.

What is logged, all through the background writer:

* the metrics of :mod:`autolog.evaluation.metrics`, as ``<metric>_<name>``;
* the tag ``autolog.heldout.<name>``: JSON with the data's digest (of the inputs and targets;
  for a DataLoader, of the targets it yielded) and shape, the task and the model, so that two
  evaluations on the same data are recognisably comparable; a second evaluation under the
  same name on *different* data is logged as ``<name>-2`` (then ``-3``); on the same data it
  updates the values under the same name;
* the plot data of :mod:`autolog.evaluation.curves` as JSON files under ``evaluation/<name>/``
  (written once per name), with ``metrics.json`` holding the metrics and per-class table;
* for a store that keeps them (MLflow), the data as a run input with context ``evaluation``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from typing import Any

from autolog import heldout, patching, safety, writer
from autolog.errors import InvalidNameError, NotFoundError
from autolog.evaluation.result import EvaluationResult

TYPE_CHECKING = False
if TYPE_CHECKING:
    from autolog.stores.base import Store

__all__ = ["evaluate"]

_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$")


def check_name(name: Any) -> str:
    """Return ``name`` if it can name a dataset in metric keys, else raise InvalidNameError."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidNameError(f"Invalid evaluation name {name!r}: use 1-100 letters, digits, "
                               "'_', '-' or '.', starting with a letter, digit or '_', "
                               "e.g. 'holdout'.")
    return name


def _open_store(store: Store | str | None) -> Store:
    from autolog.stores import current_store, open_store

    writer.flush()
    if store is None:
        return current_store()
    return open_store(store) if isinstance(store, str) else store


class _Target:
    """The model to run and the run to log to."""

    def __init__(self, model: Any, description: str, run_id: str | None,
                 active: Any = None, signature: Any = None) -> None:
        self.model = model
        self.description = description
        self.run_id = run_id
        self.active = active  # the ActiveRun when the model was trained in this process
        self.signature = signature


def _from_uri(uri: str, store: Store, load: dict[str, Any]) -> _Target:
    from autolog import registry
    from autolog.loading import load_model

    if uri.startswith("runs:/"):
        run_id, _, artifact = uri[len("runs:/"):].strip("/").partition("/")
        if not run_id or not artifact:
            raise InvalidNameError(f"Malformed run URI {uri!r}: expected "
                                   "runs:/<run_id>/<artifact_path>, e.g. runs:/3f2a.../model.")
        loaded = load_model(store.download_artifacts(run_id, artifact), **load)
        return _Target(loaded.native, uri, run_id, signature=loaded.signature)
    if uri.startswith("models:/"):
        name, kind, value = registry.parse_model_uri(uri)
        mv = registry.get_model_version(name, f"@{value}" if kind == "alias" else
                                        "latest" if kind == "latest" else int(value),  # type: ignore[arg-type]
                                        store=store)
        loaded = load_model(store.download_model_version(mv.name, mv.version), **load)
        return _Target(loaded.native, f"{uri} (v{mv.version})", mv.run_id,
                       signature=loaded.signature)
    loaded = load_model(uri, **load)
    return _Target(loaded.native, str(loaded.path), loaded.run_id, signature=loaded.signature)


def _target(model: Any, store: Store, load: dict[str, Any]) -> _Target:
    from autolog.loading import LoadedModel

    if isinstance(model, (str, os.PathLike)):
        return _from_uri(os.fspath(model), store, load)
    if isinstance(model, LoadedModel):
        return _Target(model.native, str(model.path), model.run_id, signature=model.signature)
    found = heldout.link_of(model)
    if found is not None:
        run = found.state.run
        return _Target(model, type(model).__name__, run.run_id, active=run)
    return _Target(model, type(model).__name__, None)


def _digest(X: Any, y: Any) -> tuple[str, list[int]]:
    from autolog import datasets

    parts = []
    shape: list[int] = []
    for data in (X, y):
        if data is None or not (hasattr(data, "shape") or isinstance(data, (list, tuple))):
            continue  # a DataLoader: the targets it yielded stand for it
        if hasattr(data, "to_frame") and not hasattr(data, "columns"):
            data = data.to_frame()  # a pandas Series
        found = datasets.fingerprint(data)
        parts.append(found["digest"])
        shape = shape or list(found["shape"])
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:16], shape


def _free_name(name: str, digest: str, tags: dict[str, str]) -> str:
    """``name``, or ``name-2``, ``-3``... when the run has other data under ``name``."""
    known = heldout.heldout_datasets(tags)
    candidate, n = name, 1
    while candidate in known and known[candidate].get("digest") not in (None, digest):
        n += 1
        candidate = f"{name}-{n}"
    return candidate


def _write_files(store: Store, run_id: str, dataset: str, files: dict[str, Any]) -> None:
    """Writer job: ``evaluation/<dataset>/*.json``, unless an earlier evaluation wrote them."""
    path = f"evaluation/{dataset}"
    try:
        store.download_artifacts(run_id, path)
        return  # same name, same data: the files are there already
    except NotFoundError:
        pass
    store.log_files(run_id, path, {f"{name}.json": json.dumps(content, default=str)
                                   for name, content in files.items()})


def _compute(outputs: Any) -> tuple[dict[str, float], list[dict[str, Any]], dict[str, Any]]:
    from autolog.evaluation import curves, metrics

    if outputs.task == "classification":
        c = metrics.Classification.build(outputs.y_true, outputs.y_pred, outputs.proba,
                                         outputs.classes)
        values, table = metrics.classification_metrics(c)
        return values, table, curves.classifier_plots(c)
    return (metrics.regression_metrics(outputs.y_true, outputs.y_pred), [],
            curves.regressor_plots(outputs.y_true, outputs.y_pred))


def evaluate(model: Any, X: Any, y: Any = None, *, name: str = "eval", task: str | None = None,
             store: Store | str | None = None, format: str | None = None,
             flavor: str | None = None, allow_pickle: bool = True) -> EvaluationResult:
    """Evaluate ``model`` on held-out data and log the metrics to its run.

    Parameters:
        model: a fitted scikit-learn estimator, a ``torch.nn.Module``, a
            :class:`~autolog.loading.LoadedModel`, a model folder, or a URI (``runs:/...``,
            ``models:/name/2``, ``models:/name@alias``).
        X: the inputs (array, DataFrame, tensor), or for a torch module a DataLoader of
            ``(inputs, targets)`` batches.
        y: the targets (not needed with a DataLoader).
        name: the dataset's name; metrics are logged as ``<metric>_<name>``.
        task: ``"classification"`` or ``"regression"``; default from the model, else from the
            outputs and targets.
        store: the store (or its URI) holding the model's run; default the current store.
        format, flavor, allow_pickle: for a URI or folder, as in :func:`autolog.load_model`.

    Returns:
        An :class:`~autolog.evaluation.result.EvaluationResult` (``.metrics``, ``.run_id``,
        ``.plots``; rendered as a table in notebooks).

    Raises:
        InvalidNameError: an invalid ``name`` or URI.
        NotFoundError: the URI names nothing in the store.
        ValueError: no targets, a task that is not one of the two, targets and predictions
            that do not match.
        TypeError: a model nothing knows how to run.
        SchemaMismatchError: input that does not match a loaded model's signature.
    """
    from autolog import config as config_mod
    from autolog import tracking
    from autolog.evaluation.outputs import check_task, model_outputs

    check_name(name)
    check_task(task)
    target_store = _open_store(store)
    target = _target(model, target_store, {"format": format, "flavor": flavor,
                                               "allow_pickle": allow_pickle})
    with patching.suspended():  # the model's predictions here are not post-training metrics
        data = X
        if target.signature is not None and hasattr(X, "shape"):
            from autolog.signature import enforce

            data = enforce(target.signature.inputs, X)
        outputs = model_outputs(target.model, data, y, task)
        values, table, plots = _compute(outputs)
    digest, shape = _digest(X, outputs.y_true if y is None else y)

    run = target.active
    run_id = target.run_id
    tags: dict[str, str] = {}
    if run is None and run_id is not None:
        try:
            tags = target_store.get_run(run_id).tags
        except (NotFoundError, InvalidNameError):
            run_id = None  # a folder from another store: a run of its own
    elif run is not None:
        writer.flush()
        tags = run.get().tags
    new_run = run is None and run_id is None
    if new_run:
        config = config_mod.effective()
        run = tracking.ActiveRun(f"evaluate {name}", config.experiment, target_store.uri,
                                 tags={"autolog.evaluation.model": target.description,
                                       "autolog.evaluation.source_run_id": target.run_id or ""})
        run_id = run.run_id
    assert run_id is not None
    dataset = _free_name(name, digest, tags)
    heldout.declare_dataset(run_id, dataset)
    record = {"source": "evaluate", "digest": digest, "shape": shape, "task": outputs.task,
              "model": target.description}
    keyed = {f"{k}_{dataset}": v for k, v in values.items()}
    new_tags = {heldout.DATASET_TAG + dataset: json.dumps(record)}
    files = {**plots, "metrics": {"metrics": values, "per_class": table, **record}}
    dataset_input = _dataset_input(dataset, digest, record, shape)

    def write_rest(store_: Store, run_id: str = run_id) -> None:
        _write_files(store_, run_id, dataset, files)
        with safety.guard(f"recording the dataset {dataset!r} as an input of the run"):
            store_.log_inputs(run_id, [dataset_input])

    if run is not None:
        run.log_metrics(keyed)
        run.set_tags(new_tags)
        run.submit("writing the evaluation files of run", write_rest)
        if new_run:
            run.end()
    else:
        def log_all(store_: Store, run_id: str = run_id) -> None:
            store_.log_batch(run_id, metrics=_metrics(keyed), tags=new_tags)
            write_rest(store_)

        writer.submit(f"logging the evaluation {dataset!r} of run {run_id[:8]}", log_all,
                      target_store)
    heldout.record_logged([heldout.HeldoutMetric(run_id, k, v, dataset)
                           for k, v in keyed.items() if "_class_" not in k])
    return EvaluationResult(name=dataset, task=outputs.task, metrics=values, run_id=run_id,
                            new_run=new_run, digest=digest, plots=plots, per_class=table,
                            model=target.description)


def _metrics(values: dict[str, float]) -> list[Any]:
    from autolog.runs import Metric

    return [Metric(k, float(v)) for k, v in values.items()]


def _dataset_input(dataset: str, digest: str, record: dict[str, Any], shape: list[int]) -> Any:
    from autolog.stores.base import DatasetInput

    return DatasetInput(name=dataset, digest=digest,
                        source=json.dumps({"tags": {"autolog.evaluation": dataset}}),
                        schema=json.dumps({"shape": shape}),
                        profile=json.dumps({"num_rows": shape[0] if shape else None}),
                        context="evaluation")
