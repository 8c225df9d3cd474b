"""The writer job that turns a PyTorch run's model snapshot into its model folder."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from autolog.plugin import Config, ModelCapture, safety, torch_format, write_captured_model
from autolog_torch.search import ForwardRecord

__all__ = ["write_model"]


def write_model(run: Any, config: Config, record: ForwardRecord | None, model_class: str,
                 snapshot: bytes | None, copy: Any, wait: Callable[[], None] | None,
                 _store: Any) -> None:
    """Writer job: the snapshot's bytes, the signature and example, then the model folder."""
    from autolog.plugin import Signature, infer_schema, infer_signature
    from autolog_torch.flavor import FLAVOR

    if snapshot is None:
        if wait is not None:
            wait()
        snapshot = torch_format.dumps(copy)
        copy = None
    inputs = outputs = None
    if record is not None:
        # Rows numpy cannot hold (bfloat16) cost the signature and example, not the model.
        with safety.guard("inferring the signature (reading the recorded rows)"):
            inputs, outputs = record.arrays()
    rows = config.input_example_rows
    example = inputs[:rows] if inputs is not None else None
    if config.input_example is not None:
        example = config.input_example
    signature = config.signature
    if signature is None and config.log_signature and inputs is not None:
        with safety.guard("inferring the signature"):
            if isinstance(outputs, dict):
                out: Any = {k: v[:rows] for k, v in outputs.items()}
            else:
                out = outputs[:rows] if outputs is not None else None
            signature = (infer_signature(inputs[:rows], out) if out is not None
                         else Signature(infer_schema(inputs[:rows]), None))
    capture = ModelCapture(
        flavor=FLAVOR, snapshot=snapshot, example=example, signature=signature,
        model_class=model_class,
        requirement_modules=torch_format.requirement_modules(snapshot),
        parity_data=inputs if config.format != "pickle" else None,
    )
    write_captured_model(run, capture, config)
