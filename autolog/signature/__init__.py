"""Model signatures: what a model takes and returns, in MLflow's format.

A :class:`Signature` holds an input :class:`Schema` and an optional output one. A schema is a list
of either :class:`ColSpec` (typed, optionally named columns of a table) or :class:`TensorSpec`
(arrays with a numpy dtype and a shape, ``-1`` marking a dimension of any size). Both serialize to
the JSON strings MLflow writes under the ``signature:`` key of an MLmodel file, so folders written
here load in MLflow and folders written by MLflow load here.

numpy and pandas are imported inside the functions that need them; pandas objects and torch
tensors are recognised through ``sys.modules`` (:mod:`autolog.signature.sniff`), so inspecting a
numpy array never imports pandas or torch.

Modules, bottom up: :mod:`~autolog.signature.schema` (the types and their JSON),
:mod:`~autolog.signature.sniff`, :mod:`~autolog.signature.infer`,
:mod:`~autolog.signature.enforce`, :mod:`~autolog.signature.examples`.
"""

from autolog.signature.enforce import enforce
from autolog.signature.examples import example_from_json, example_to_json
from autolog.signature.infer import infer_schema, infer_signature
from autolog.signature.schema import COLUMN_TYPES, ColSpec, Schema, Signature, TensorSpec

__all__ = [
    "COLUMN_TYPES",
    "ColSpec",
    "Schema",
    "Signature",
    "TensorSpec",
    "enforce",
    "example_from_json",
    "example_to_json",
    "infer_schema",
    "infer_signature",
]
