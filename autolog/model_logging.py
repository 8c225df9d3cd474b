"""From a captured model to a model folder in the store.

On the training thread an integration captures a :class:`ModelCapture`: the model serialized
to bytes (a snapshot that later mutation of the estimator cannot change) and a few input rows.
Everything else happens in :func:`write_captured_model`, on the background writer: loading the
snapshot back, computing what needs predictions, inferring the signature, pinning the
requirements, converting to other formats, writing the folder and handing it to the store.

A part of the record that cannot be made for a reason that is no failure of autolog's — the
user's model raises on its own training data, a value MLflow's format has no type for, an
input read once by ``fit`` — is left out and the run says why in a tag (``autolog.signature``,
``autolog.input_example``, ``autolog.training_metrics``); only autolog's own failures warn.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autolog import patching, safety
from autolog.config import Config
from autolog.model.folder_writer import ModelSpec, fill_model_folder

__all__ = ["Flavor", "ModelCapture", "NotRecorded", "flavor_for", "log_model",
           "write_captured_model"]


class NotRecorded(Exception):
    """A part of a record that cannot be made, for a reason that is no failure of autolog's.

    Raised by an integration's code on the writer (e.g. the training metrics when the model's
    ``predict`` raises on its own training data); :func:`write_captured_model` turns it into the
    run tag ``tag`` with ``reason`` as its value instead of a warning.
    """

    def __init__(self, tag: str, reason: str) -> None:
        super().__init__(reason)
        self.tag = tag
        self.reason = reason


def _raised(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}" if text else type(exc).__name__


@dataclass
class Flavor:
    """How one framework's models are written; supplied by an integration.

    Attributes:
        name: the MLflow flavor name ("sklearn", "pytorch").
        serialize: model -> bytes (runs on the training thread: the snapshot).
        deserialize: bytes -> a model object (runs on the writer).
        files: (snapshot bytes, model) -> (native flavor dict, python_function keys, files).
        predict: (model, data) -> output, used for the output signature.
        base_requirements: distributions always pinned (e.g. "scikit-learn", "cloudpickle").
        extras: ``{"onnx_converter": "module:function"}`` adds ONNX (see
            :mod:`autolog.model.formats.onnx_format`).
        snapshot_file, load_file: see below.
        pickled_snapshot: the snapshot is a pickle whose globals name the requirements.
    """

    name: str
    serialize: Callable[[Any], bytes]
    deserialize: Callable[[bytes], Any]
    files: Callable[[bytes | Path, Any], tuple[dict[str, Any], dict[str, Any], dict[str, Any]]]
    predict: Callable[[Any, Any], Any]
    base_requirements: tuple[str, ...] = ()
    extras: dict[str, Any] = field(default_factory=dict)
    # When set, the writer first saves the snapshot under this name, releases the bytes and
    # loads the model back from the file with ``load_file``, so that the snapshot and its
    # deserialized copy are never in memory together; ``files`` then gets that Path instead
    # of the bytes, and the file is moved (not copied) into the folder.
    snapshot_file: str | None = None
    load_file: Callable[[Path], Any] | None = None
    # The snapshot is a plain (cloud)pickle: the modules its globals come from are pinned as
    # requirements (read while it is loaded back on the writer).
    pickled_snapshot: bool = False


@dataclass
class ModelCapture:
    """What the training thread hands to the writer for one model."""

    flavor: Flavor
    # The serialized model; once the writer has saved it (Flavor.snapshot_file), that file.
    snapshot: bytes | Path
    example: Any = None
    signature: Any = None
    model_class: str = ""
    # Called on the writer with the deserialized model, before the folder is written
    # (metrics that need predictions); its failure is one warning, the folder is still written.
    # It may return the model's output on ``example`` (e.g. the first rows of its predictions
    # on the training input, when ``example`` holds the first training rows), which the
    # signature then uses instead of predicting again.
    on_model: Callable[[Any], Any] | None = None
    # Top-level modules the pickle references, when computed before the bytes were released.
    requirement_modules: set[str] | None = None
    # A bounded copy (at most 1,000 rows) of the training input, captured only when a format
    # other than pickle is on: the ONNX parity check compares outputs on it.
    parity_data: Any = None
    # Why parts of the record are missing: run tag -> reason (see NotRecorded). The training
    # thread may fill some in; the writer adds its own and writes them as tags.
    notes: dict[str, str] = field(default_factory=dict)
    # ``sha256:<hex>`` of the snapshot, computed from its bytes when they were saved.
    snapshot_sha256: str | None = None


def _infer_signature(capture: ModelCapture, model: Any, config: Config, output: Any) -> Any:
    """The signature: given, or inferred from the example and the model's output for it
    (``output`` when already known, else the model predicts on the example).

    Input that no schema can describe gives no signature, and a model whose ``predict`` raises
    on the example (or returns something no schema describes) an input-only one; either way
    ``capture.notes`` says why.
    """
    from autolog.errors import SchemaMismatchError
    from autolog.signature import Signature, infer_schema

    if capture.signature is not None:
        sig = capture.signature
        return sig if isinstance(sig, Signature) else Signature.from_dict(sig)
    if not config.log_signature or capture.example is None:
        return None
    try:
        inputs = infer_schema(capture.example)
    except SchemaMismatchError as exc:
        capture.notes["autolog.signature"] = f"not inferred: {exc}"
        return None
    try:
        if output is None:
            output = capture.flavor.predict(model, capture.example)
    except Exception as exc:  # noqa: BLE001 - the user's model raised: its own behaviour
        capture.notes["autolog.signature"] = (
            f"inputs only: the model raised on the input example ({_raised(exc)})")
        return Signature(inputs)
    if output is None:
        return Signature(inputs)
    try:
        return Signature(inputs, infer_schema(output))
    except SchemaMismatchError as exc:
        capture.notes["autolog.signature"] = f"inputs only: the model's output: {exc}"
        return Signature(inputs)


def _checked_example(capture: ModelCapture, config: Config
                     ) -> tuple[Any, tuple[dict[str, str], str] | None]:
    """The input example and its JSON (info, text) if it can be written to a model folder,
    else ``(None, None)`` (and a note)."""
    from autolog.errors import SchemaMismatchError
    from autolog.signature import example_to_json

    if not config.log_input_example or capture.example is None:
        return None, None
    try:
        written = example_to_json(capture.example, config.input_example_rows)
    except SchemaMismatchError as exc:
        capture.notes["autolog.input_example"] = f"not saved: {exc}"
        return None, None
    except Exception as exc:  # noqa: BLE001 - autolog's own failure: warn, keep the folder
        safety.internal_error("writing the input example (the folder is kept without it)", exc)
        return None, None
    return capture.example, written


def build_spec(capture: ModelCapture, model: Any, config: Config,
               example_output: Any = None) -> ModelSpec:
    """The :class:`ModelSpec` of a captured model (signature, requirements, files).

    ``example_output`` is the model's output on ``capture.example`` when already known.
    """
    from autolog.model.environment import modules_in_pickle, pinned_requirements

    native, pyfunc, files = capture.flavor.files(capture.snapshot, model)
    signature = None
    with safety.guard("inferring the signature"):
        signature = _infer_signature(capture, model, config, example_output)
    modules = capture.requirement_modules
    if modules is None and isinstance(capture.snapshot, bytes) and capture.flavor.pickled_snapshot:
        modules = modules_in_pickle(capture.snapshot)
    requirements = pinned_requirements(
        modules or set(),
        extra=config.extra_pip_requirements, base=capture.flavor.base_requirements,
    )
    example, example_json = _checked_example(capture, config)
    return ModelSpec(
        flavors={capture.flavor.name: native},
        pyfunc=pyfunc,
        files=files,
        requirements=requirements,
        signature=signature,
        input_example=example,
        input_example_json=example_json,
        example_rows=config.input_example_rows,
        metadata=dict(config.metadata),
        move_files={name for name, content in files.items()
                    if isinstance(content, Path) and content == capture.snapshot},
        checksums={name: capture.snapshot_sha256 for name, content in files.items()
                   if capture.snapshot_sha256 and isinstance(content, Path)
                   and content == capture.snapshot},
    )


# Snapshots up to this size are deserialized from their bytes; bigger ones are loaded back
# from their file, so that the bytes and the model are never in memory together.
_LOAD_FROM_BYTES = 1 << 20


def _load_snapshot(capture: ModelCapture, folder: Path) -> Any:
    """The model, deserialized from the snapshot (see :attr:`Flavor.snapshot_file`); the
    snapshot file is saved into ``folder``, the model folder being built."""
    flavor = capture.flavor
    snapshot = capture.snapshot
    if isinstance(snapshot, Path):  # saved already
        if flavor.load_file is not None:
            return flavor.load_file(snapshot)
        return flavor.deserialize(snapshot.read_bytes())
    if flavor.snapshot_file is None:
        return flavor.deserialize(snapshot)
    from autolog.fileio import write_bytes
    from autolog.model.folder import sha256_bytes

    data = snapshot

    path = folder / flavor.snapshot_file
    write_bytes(path, data)
    capture.snapshot_sha256 = sha256_bytes(data)
    # From now on the snapshot is the file.
    capture.snapshot = path
    if flavor.pickled_snapshot:  # its globals name the modules to pin
        from autolog.model.environment import modules_in_pickle

        if len(data) <= _LOAD_FROM_BYTES:
            from autolog.model.formats import pickle_format as pickle_format

            model, capture.requirement_modules = pickle_format.loads_recording(data)
            if capture.requirement_modules is None:
                capture.requirement_modules = modules_in_pickle(data)
            return model
        capture.requirement_modules = modules_in_pickle(data)
    del data
    if flavor.load_file is not None:
        return flavor.load_file(path)
    return flavor.deserialize(path.read_bytes())


def write_captured_model(run: Any, capture: ModelCapture, config: Config,
                         artifact_path: str = "model") -> None:
    """Writer job: turn ``capture`` into a model folder among ``run``'s artifacts.

    With a store that has a staging folder (the local store), the folder is built there and
    renamed into the run; otherwise it is built in a temporary folder and uploaded.
    """
    import uuid

    store = run.store()
    staging = store.staging_dir()
    if staging is not None:
        folder = Path(staging) / f"model-{uuid.uuid4().hex}"
        folder.mkdir()
        leftover: Path | None = folder
    else:
        leftover = Path(tempfile.mkdtemp(prefix="autolog-"))
        folder = leftover / artifact_path.replace("/", "_")
        folder.mkdir()
    try:
        model = _load_snapshot(capture, folder)
        example_output = None
        if capture.on_model is not None:
            try:
                example_output = capture.on_model(model)
            except NotRecorded as exc:
                capture.notes[exc.tag] = exc.reason
            except BaseException as exc:  # noqa: BLE001 - user code (predict); even a
                # SystemExit from it must not cost the model folder
                safety.internal_error("computing training metrics", exc)
        spec = build_spec(capture, model, config, example_output)
        from autolog.model import formats

        formats.apply_formats(spec, capture, model, config)
        del model
        if isinstance(capture.snapshot, Path) and capture.snapshot not in spec.files.values():
            capture.snapshot.unlink()  # a format replaced the native file (format="onnx")
        fill_model_folder(folder, spec, run_id=run.run_id, artifact_path=artifact_path)
        if staging is not None:
            store.log_artifacts(run.run_id, folder, artifact_path, move=True)
            leftover = None
        else:
            store.log_artifacts(run.run_id, folder, artifact_path)
    finally:
        if leftover is not None:
            shutil.rmtree(leftover, ignore_errors=True)
        if capture.notes:
            run.set_tags(capture.notes)
    if config.registered_model_name:
        from autolog import registry

        registry.register_model(f"runs:/{run.run_id}/{artifact_path}",
                                config.registered_model_name, store=store)


def flavor_for(model: Any) -> Flavor:
    """The flavor that writes ``model``, asked of the installed integrations.

    The integration of the package that defines the model's class is asked first, then those
    of the packages of its base classes, nearest first (an ``XGBClassifier`` is an XGBoost
    model before it is a scikit-learn estimator), then every other integration whose
    framework is imported. An integration declines with None.

    Raises:
        TypeError: no integration knows the model's type.
    """
    from autolog.integration import loaded_classes

    integrations = {getattr(cls, "module", ""): cls for cls in loaded_classes()}
    order: list[type] = []
    for klass in type(model).__mro__:
        owner = integrations.get(klass.__module__.partition(".")[0])
        if owner is not None and owner not in order:
            order.append(owner)
    order += [cls for cls in integrations.values() if cls not in order]
    for cls in order:
        flavor = cls.flavor_for(model) if hasattr(cls, "flavor_for") else None
        if flavor is not None:
            return flavor  # type: ignore[no-any-return]
    raise TypeError(f"autolog cannot log a {type(model).__qualname__}: no installed integration "
                    "knows it (scikit-learn estimators and torch modules are supported).")


def log_model(model: Any, artifact_path: str = "model", *, input_example: Any = None,
              signature: Any = None, run: Any = None, **options: Any) -> str:
    """Write a model folder for a model autologging did not see.

    Parameters:
        model: a fitted scikit-learn estimator or a torch module.
        artifact_path: where in the run the folder goes.
        input_example: a few rows of input (also used to infer the signature).
        signature: an explicit signature (:class:`autolog.Signature` or MLflow dict).
        run: the run to log into (default: the active run, or a new run).
        **options: option overrides (``extra_pip_requirements``, ``metadata``, ``format``...).

    Returns:
        The model's URI, ``runs:/<run_id>/<artifact_path>``, written when this returns.

    Raises:
        TypeError: the model's type is not supported.
        AutologError: the folder could not be written.
    """
    from autolog import config as config_mod
    from autolog import tracking, writer

    config = config_mod.effective().replace(**options)
    flavor = flavor_for(model)
    if input_example is not None and config.log_input_example:
        from autolog.signature import example_to_json

        example_to_json(input_example, config.input_example_rows)  # the caller hears why not
    capture = ModelCapture(flavor=flavor, snapshot=flavor.serialize(model),
                           example=input_example, signature=signature,
                           model_class=type(model).__qualname__)
    own_run = run is None and tracking.active_run() is None
    target = run or tracking.active_run() or tracking.start_run(
        name=type(model).__name__, experiment=config.experiment)
    # The caller asked for this folder: write it here and let errors raise, after the
    # writer has created the run.
    writer.flush()
    try:
        with patching.suspended():
            write_captured_model(target, capture, config, artifact_path)
    finally:
        if own_run:
            target.end()
            writer.flush()
    return f"runs:/{target.run_id}/{artifact_path}"
