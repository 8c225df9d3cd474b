"""The ONNX format: convert on the writer, verify with onnxruntime, write MLflow's ``onnx`` flavor.

:func:`add_onnx` runs on the background writer (autolog's patches suspended) for
``format="onnx"`` or ``"both"``:

1. the flavor's converter turns the deserialized native model into ONNX;
2. onnxruntime runs it on the input example and on the sample of training input the integration
   captured (``ModelCapture.parity_data``), and the outputs are compared with the native model's
   (:func:`autolog.model.formats.onnx_runtime.compare`);
3. the verdict, the largest absolute and relative differences and the time each step took go to
   the MLmodel ``metadata.onnx``;
4. on success the folder gets the ``onnx`` flavor: with ``format="onnx"`` it is the only flavor
   and ``python_function`` loads it with ``mlflow.onnx``; with ``"both"`` it sits beside the
   native flavor, which stays the ``python_function`` loader. When conversion fails or misses
   the tolerance, one :class:`~autolog.AutologWarning` says so and the folder keeps the native
   flavor only.

The converter contract: a :class:`~autolog.model_logging.Flavor` names its converter in
``extras["onnx_converter"]`` as ``"module:function"``, imported lazily here. The function is
``convert(model, example, config)`` and returns a serialized ``ModelProto``, or an iterator of
them in order of preference (e.g. float32, then float64): the first that passes the parity check
is kept. It raises :class:`~autolog.errors.ConversionError` when the model cannot be converted.
The module may also define ``native_outputs(model, data) -> {onnx output name: array}`` for
outputs beyond ``predict`` worth comparing (class probabilities).
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Iterator
from typing import Any

from autolog import safety
from autolog.errors import ConversionError
from autolog.model.flavor_loader import FlavorLoader
from autolog.model.formats.onnx_runtime import (
    DEFAULT_PROVIDERS,
    OnnxModel,
    Parity,
    compare,
    make_session,
)

__all__ = ["LOADER", "MODEL_FILE", "add_onnx", "flavor_conf", "load"]

MODEL_FILE = "model.onnx"
_ERROR_CHARS = 500


def flavor_conf() -> dict[str, Any]:
    """The ``onnx`` flavor block, with the keys ``mlflow.onnx.save_model`` writes."""
    import onnx

    return {"code": None, "data": MODEL_FILE, "onnx_session_options": None,
            "onnx_version": onnx.__version__, "providers": list(DEFAULT_PROVIDERS)}


def _converter(flavor: Any) -> tuple[Callable[..., Any], Callable[..., Any] | None]:
    target = flavor.extras.get("onnx_converter")
    if not target:
        raise ConversionError(f"the {flavor.name} flavor has no ONNX converter")
    module_name, _, function = str(target).partition(":")
    try:
        module = importlib.import_module(module_name)
        convert = getattr(module, function)
    except (ImportError, AttributeError) as exc:
        raise ConversionError(
            f"ONNX converter {target!r} cannot be imported ({exc}); install autolog-ml[onnx]"
        ) from exc
    return convert, getattr(module, "native_outputs", None)


def _candidates(produced: Any, table: bool) -> Iterator[bytes]:
    """The converter's models; for table input, with outputs mlflow.onnx can put in a table."""
    from autolog.model.formats.onnx_graph import split_wide_outputs

    items = [produced] if isinstance(produced, (bytes, bytearray, memoryview)) else produced
    for item in items:
        yield split_wide_outputs(bytes(item)) if table else bytes(item)


def _is_frame(data: Any) -> bool:
    from autolog.imported import is_instance

    return is_instance(data, "pandas", "DataFrame")


def _check(onnx_bytes: bytes, capture: Any, model: Any, config: Any,
           native_outputs: Callable[..., Any] | None) -> Parity:
    """Run the ONNX model on the example and the parity sample; compare with the native one."""
    try:
        runner = OnnxModel(make_session(onnx_bytes, ["CPUExecutionProvider"], threads=1))
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own exception types
        return Parity(False, detail=f"onnxruntime cannot load the converted model: {exc}")
    result = Parity()
    for label, data in (("input example", capture.example),
                        ("training sample", capture.parity_data)):
        if data is None:
            continue
        try:
            outputs = runner.run(data)
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own exception types
            return Parity(False, detail=f"onnxruntime failed on the {label}: {exc}")
        native = capture.flavor.predict(model, data)
        result.merge(compare(native, outputs[runner.output_names[0]], config.onnx_tolerance,
                             f"{runner.output_names[0]} on the {label}"))
        extra = native_outputs(model, data) if native_outputs is not None else {}
        for name, value in extra.items():
            if name in outputs and name != runner.output_names[0]:
                result.merge(compare(value, outputs[name], config.onnx_tolerance,
                                     f"{name} on the {label}"))
    return result


def _closer(new: Parity, old: Parity) -> bool:
    """Whether a failed candidate makes a better report than the previous failed one."""
    def distance(p: Parity) -> float:
        return p.max_abs_diff if p.max_abs_diff is not None else float("inf")

    return distance(new) < distance(old)


def _convert_checked(capture: Any, model: Any, config: Any,
                     report: dict[str, Any]) -> bytes | None:
    """The first candidate that passes parity (None if none does); fills ``report``."""
    if capture.example is None:
        raise ConversionError("there is no input example to convert and verify the model with "
                              "(keep log_input_example or log_signature on)")
    convert, native_outputs = _converter(capture.flavor)
    conversion_s = parity_s = 0.0
    best: tuple[bytes, Parity] | None = None
    started = time.perf_counter()
    table = _is_frame(capture.example)
    candidates = _candidates(convert(model, capture.example, config), table)
    tried = 0
    while True:
        try:
            candidate = next(candidates)
        except StopIteration:
            break
        finally:
            conversion_s += time.perf_counter() - started
        tried += 1
        checked = time.perf_counter()
        parity = _check(candidate, capture, model, config, native_outputs)
        parity_s += time.perf_counter() - checked
        if best is None or parity.passed or _closer(parity, best[1]):
            best = (candidate, parity)
        if parity.passed:
            break
        started = time.perf_counter()
    report.update(conversion_time_s=round(conversion_s, 6), parity_time_s=round(parity_s, 6),
                  candidates_tried=tried)
    if best is None:
        raise ConversionError("the converter produced no model")
    onnx_bytes, parity = best
    report["parity"] = {**parity.as_dict(), "tolerance": config.onnx_tolerance}
    report["input_types"] = _input_types(onnx_bytes)
    if not parity.passed:
        report["error"] = parity.detail[:_ERROR_CHARS]
        return None
    return onnx_bytes


def _input_types(onnx_bytes: bytes) -> dict[str, str]:
    import onnx

    proto = onnx.load_model_from_string(onnx_bytes)
    return {i.name: onnx.helper.tensor_dtype_to_np_dtype(i.type.tensor_type.elem_type).name
            for i in proto.graph.input}


def _write(spec: Any, onnx_bytes: bytes, config: Any) -> None:
    from autolog.model.environment import pinned_requirements

    onnx_requirements = pinned_requirements((), extra=config.extra_pip_requirements,
                                            base=("onnx", "onnxruntime"))
    spec.files[MODEL_FILE] = onnx_bytes
    if config.format == "onnx":
        spec.flavors = {"onnx": flavor_conf()}
        spec.pyfunc = {"loader_module": "mlflow.onnx", "data": MODEL_FILE}
        spec.files = {MODEL_FILE: onnx_bytes}
        spec.requirements = onnx_requirements
    else:
        spec.flavors["onnx"] = flavor_conf()
        spec.requirements = sorted(set(spec.requirements) | set(onnx_requirements),
                                   key=lambda line: (line.lower(), line))


def add_onnx(spec: Any, capture: Any, model: Any, config: Any) -> None:
    """Convert ``model`` to ONNX, check it, and add it to ``spec`` (writer thread only).

    Parameters:
        spec: the :class:`~autolog.model.folder.ModelSpec` about to be written.
        capture: the :class:`~autolog.model_logging.ModelCapture` (example, parity data).
        model: the native model, deserialized from the snapshot.
        config: the options; ``format``, ``onnx_opset`` and ``onnx_tolerance`` are used.

    A model that cannot be converted or misses the tolerance costs one warning and keeps the
    native format; ``metadata.onnx`` in the MLmodel records what happened either way.
    """
    report: dict[str, Any] = {"requested_format": config.format,
                              "requested_opset": config.onnx_opset}
    spec.metadata["onnx"] = report
    what = capture.model_class or type(model).__name__
    try:
        onnx_bytes = _convert_checked(capture, model, config, report)
    except ConversionError as exc:
        report.update(status="fallback", error=str(exc)[:_ERROR_CHARS])
        safety.warn(f"autolog: {what} could not be converted to ONNX ({exc}); the model was "
                    f"saved in its native {capture.flavor.name} format only.")
        return
    except Exception as exc:  # noqa: BLE001 - a bug of ours: one warning, the pickle is kept
        report.update(status="fallback", error=f"{type(exc).__name__}: {exc}"[:_ERROR_CHARS])
        safety.internal_error(f"converting {what} to ONNX (saved in its native format only)",
                              exc)
        return
    if onnx_bytes is None:
        report["status"] = "fallback"
        safety.warn(f"autolog: the ONNX conversion of {what} does not match the native model "
                    f"({report['error']}); the model was saved in its native "
                    f"{capture.flavor.name} format only.")
        return
    report["status"] = "converted"
    report["opsets"] = _opsets(onnx_bytes)
    report["opset"] = report["opsets"].get("ai.onnx")
    _write(spec, onnx_bytes, config)


def _opsets(onnx_bytes: bytes) -> dict[str, int]:
    """The opsets the converter actually used, by domain (``ai.onnx`` for the default one): a
    converter may cap the requested opset (onnxmltools 1.16 writes at most 15), and a model of
    only ``ai.onnx.ml`` operators has no default-domain opset at all."""
    import onnx

    model = onnx.load_model_from_string(onnx_bytes)
    return {op.domain or "ai.onnx": int(op.version) for op in model.opset_import}


def load(folder: Any, conf: dict[str, Any]) -> OnnxModel:
    """Load a folder's ``onnx`` flavor into an onnxruntime session (no pickle, no framework).

    Parameters:
        folder: the :class:`~autolog.model.folder.ModelFolder` (checksums already verified).
        conf: its ``onnx`` flavor block (``data``, ``providers``).

    Returns:
        An :class:`~autolog.model.formats.onnx_runtime.OnnxModel` whose ``predict`` returns the
        first output, shaped like the native model's according to the output signature.
    """
    path = folder.path / conf.get("data", MODEL_FILE)
    signature = folder.signature()
    session = make_session(path, conf.get("providers") or None)
    return OnnxModel(session, signature.outputs if signature is not None else None)


def _onnx_files(conf: dict[str, Any]) -> list[str]:
    return [conf.get("data", MODEL_FILE)]


LOADER = FlavorLoader("onnx", load, pickled=False, model_files=_onnx_files, native=False)
