"""PyTorch -> ONNX with ``torch.onnx.export`` (the ``onnx_converter`` of the pytorch flavor).

The exporter is the one PyTorch 2.13 uses by default (``dynamo=True``: ``torch.export`` then
onnxscript), with the first dimension of the input declared dynamic (``Dim.DYNAMIC``), so the
model takes any batch size; a module whose code fixes the batch size cannot be exported and
falls back to its native format. The module is exported in eval mode (dropout off, batch norm
on its running statistics), as it would serve. Input ``input``, output ``output``; the target
opset is the ``onnx_opset`` option.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from typing import Any

from autolog.plugin import ConversionError

__all__ = ["convert"]


def _example_tensor(example: Any, device: Any) -> Any:
    import numpy as np
    import torch

    if isinstance(example, torch.Tensor):
        tensor = example.detach()
    elif hasattr(example, "to_numpy"):  # a DataFrame: read as float32, as the torch flavor does
        tensor = torch.from_numpy(np.ascontiguousarray(example.to_numpy(dtype=np.float32)))
    else:
        try:
            tensor = torch.as_tensor(np.asarray(example))
        except (TypeError, ValueError, RuntimeError) as exc:
            raise ConversionError(
                f"a {type(example).__name__} example cannot be exported; torch.onnx needs a "
                "tensor or an array") from exc
    if tensor.ndim == 0:
        raise ConversionError("a scalar example has no batch dimension to make dynamic")
    if tensor.shape[0] < 2:
        # torch.export specializes sizes 0 and 1; two rows keep the batch dimension symbolic.
        tensor = torch.cat([tensor, tensor])
    return tensor.to(device) if device is not None else tensor


@contextlib.contextmanager
def _quiet_exporter() -> Iterator[None]:
    """The exporter logs a warning per missing optional op library (torchvision); hide them."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def convert(model: Any, example: Any, config: Any) -> bytes:
    """The serialized ONNX model of a torch module, with a dynamic batch dimension.

    Parameters:
        model: the ``torch.nn.Module`` (the writer's own copy; it is switched to eval mode).
        example: the input example (tensor, array or DataFrame), batch first.
        config: the options (``onnx_opset``).

    Returns:
        Serialized ``ModelProto`` bytes.

    Raises:
        ConversionError: the module cannot be exported (unsupported operator, data-dependent
            control flow, a batch size fixed in code, a model over 2 GB).
    """
    import torch

    if not isinstance(model, torch.nn.Module):
        raise ConversionError(f"{type(model).__name__} is not a torch.nn.Module")
    first = next(iter(model.parameters()), None)
    tensor = _example_tensor(example, first.device if first is not None else None)
    model.eval()
    try:
        with _quiet_exporter(), torch.no_grad():
            program = torch.onnx.export(
                model, (tensor,), dynamo=True, opset_version=config.onnx_opset,
                dynamic_shapes=({0: torch.export.Dim.DYNAMIC},), input_names=["input"],
                output_names=["output"], external_data=False, verbose=False)
        if program is None:  # only the legacy exporter writes to a file and returns None
            raise RuntimeError("torch.onnx.export returned no ONNXProgram")
        return program.model_proto.SerializeToString()  # type: ignore[no-any-return]
    except Exception as exc:  # noqa: BLE001 - torch.export and onnxscript raise many types
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise ConversionError(
            f"torch.onnx.export failed for {type(model).__name__}: {type(exc).__name__}: "
            f"{first_line[:300]}") from exc
