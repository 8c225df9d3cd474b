"""Tests for autolog.signature: inference, MLflow JSON compatibility, enforcement, examples."""

from __future__ import annotations

import datetime as dt
import json
import math
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autolog.errors import ModelFolderError, SchemaMismatchError
from autolog.signature import (
    COLUMN_TYPES,
    ColSpec,
    Schema,
    Signature,
    TensorSpec,
    enforce,
    example_from_json,
    example_to_json,
    infer_schema,
    infer_signature,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _strict_json(text: str) -> object:
    """json.loads that refuses the non-standard NaN/Infinity tokens."""

    def refuse(token: str) -> object:
        raise ValueError(f"non-standard JSON token {token}")

    return json.loads(text, parse_constant=refuse)


def _mixed_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "a": np.array([1, 2], dtype="int64"),
        "b": np.array([1, 2], dtype="int32"),
        "c": np.array([1.0, 2.0], dtype="float64"),
        "d": np.array([1.0, 2.0], dtype="float32"),
        "e": [True, False],
        "f": ["x", "y"],
        "g": [b"x", b"y"],
        "h": pd.to_datetime(["2020-01-01", "2021-06-01"]),
    })


def _mlflow_signature_dict(model_input: object, model_output: object = None) -> dict:
    from mlflow.models import infer_signature as mlflow_infer_signature

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return mlflow_infer_signature(model_input, model_output).to_dict()


# --- inference -----------------------------------------------------------------------------------


def test_numpy_array_gives_tensor_spec_with_variable_first_dim() -> None:
    schema = infer_schema(np.zeros((5, 10)))
    assert schema.is_tensor
    assert schema.inputs == [TensorSpec("float64", (-1, 10))]
    assert schema.to_json() == (
        '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 10]}}]'
    )


@pytest.mark.parametrize(
    ("array", "dtype"),
    [
        (np.array(["a", "bcd"]), "str"),
        (np.array([b"a"]), "bytes"),
        (np.array([True]), "bool"),
        (np.array(["a", 1], dtype=object), "object"),
        (np.zeros(3, dtype="float16"), "float16"),
        (np.array(["2020-01-01"], dtype="datetime64[ns]"), "datetime64[ns]"),
    ],
)
def test_numpy_dtype_names(array: np.ndarray, dtype: str) -> None:
    assert infer_schema(array).inputs == [TensorSpec(dtype, (-1,))]


def test_zero_dim_array_has_empty_shape() -> None:
    assert infer_schema(np.array(3.0)).inputs == [TensorSpec("float64", ())]


def test_dataframe_gives_column_specs() -> None:
    schema = infer_schema(_mixed_frame())
    assert not schema.is_tensor
    assert schema.names == list("abcdefgh")
    assert [s.type for s in schema] == [
        "long", "integer", "double", "float", "boolean", "string", "binary", "datetime"
    ]
    assert all(s.required for s in schema)


def test_dataframe_columns_with_missing_values_are_optional() -> None:
    df = pd.DataFrame({"a": [1.0, np.nan], "b": ["x", None], "c": [1, 2]})
    assert infer_schema(df).inputs == [
        ColSpec("double", "a", required=False),
        ColSpec("string", "b", required=False),
        ColSpec("long", "c"),
    ]


def test_dataframe_string_like_dtypes() -> None:
    df = pd.DataFrame({
        "s": pd.Series(["a", "b"], dtype="string"),
        "o": pd.Series(["a", "b"], dtype=object),
        "cat": pd.Categorical(["a", "b"]),
        "n": pd.array([1, None], dtype="Int64"),
    })
    assert infer_schema(df).inputs == [
        ColSpec("string", "s"),
        ColSpec("string", "o"),
        ColSpec("string", "cat"),
        ColSpec("long", "n", required=False),
    ]


def test_dataframe_with_non_string_column_names_falls_back_to_tensor() -> None:
    df = pd.DataFrame(np.zeros((4, 3), dtype="float32"))
    assert infer_schema(df).inputs == [TensorSpec("float32", (-1, 3))]


def test_dataframe_with_unsupported_column_names_it() -> None:
    df = pd.DataFrame({"ok": [1], "bad": [{1, 2}]})
    with pytest.raises(SchemaMismatchError, match="'bad'"):
        infer_schema(df)


def test_series_unnamed_and_named() -> None:
    assert infer_schema(pd.Series([1, 2])).inputs == [ColSpec("long")]
    assert infer_schema(pd.Series([1.0], name="s")).inputs == [ColSpec("double", "s")]
    # an unnamed column cannot be optional, even with missing values
    assert infer_schema(pd.Series([1.0, np.nan])).inputs == [ColSpec("double")]


@pytest.mark.parametrize(
    ("dtype", "name"),
    [(torch.float32, "float32"), (torch.int64, "int64"), (torch.bool, "bool"),
     (torch.float16, "float16"), (torch.uint8, "uint8")],
)
def test_torch_tensor(dtype: torch.dtype, name: str) -> None:
    assert infer_schema(torch.zeros(4, 3, 2, dtype=dtype)).inputs == [
        TensorSpec(name, (-1, 3, 2))
    ]


def test_torch_bfloat16_is_refused_with_advice() -> None:
    with pytest.raises(SchemaMismatchError, match=r"bfloat16.*float\(\)"):
        infer_schema(torch.zeros(2, dtype=torch.bfloat16))


def test_lists_and_tuples_go_through_numpy() -> None:
    assert infer_schema([[1, 2], [3, 4]]).inputs == [TensorSpec("int64", (-1, 2))]
    assert infer_schema((1.5, 2.5)).inputs == [TensorSpec("float64", (-1,))]
    with pytest.raises(SchemaMismatchError, match="empty list"):
        infer_schema([])


def test_list_of_dicts_gives_columns() -> None:
    rows = [{"a": 1, "b": "x"}, {"a": 2, "b": None}]
    assert infer_schema(rows).inputs == [
        ColSpec("long", "a"), ColSpec("string", "b", required=False)
    ]


def test_dict_of_arrays_gives_named_tensors() -> None:
    schema = infer_schema({"x": np.zeros((2, 3)), "y": [1, 2], "t": torch.zeros(2, 5)})
    assert schema.inputs == [
        TensorSpec("float64", (-1, 3), "x"),
        TensorSpec("int64", (-1,), "y"),
        TensorSpec("float32", (-1, 5), "t"),
    ]
    assert json.loads(schema.to_json())[0] == {
        "name": "x", "type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 3]}
    }


def test_dict_of_scalars_gives_named_columns() -> None:
    assert infer_schema({"a": 1, "b": "x"}).inputs == [ColSpec("long", "a"), ColSpec("string", "b")]


@pytest.mark.parametrize(
    ("value", "type_"),
    [
        (3, "long"), (2.5, "double"), ("s", "string"), (b"x", "binary"), (True, "boolean"),
        (dt.datetime(2020, 1, 1), "datetime"), (np.int32(1), "integer"),
        (np.float32(1), "float"), (np.bool_(True), "boolean"),
    ],
)
def test_scalars(value: object, type_: str) -> None:
    assert infer_schema(value).inputs == [ColSpec(type_)]


@pytest.mark.parametrize("value", [object(), None, {1, 2}, {}, {1: np.zeros(2)}])
def test_unsupported_input_raises_naming_the_type(value: object) -> None:
    with pytest.raises(SchemaMismatchError) as info:
        infer_schema(value)
    if not isinstance(value, dict):
        assert type(value).__name__ in str(info.value)


def test_infer_signature_with_and_without_output() -> None:
    sig = infer_signature(np.zeros((3, 2)), np.zeros(3))
    assert sig.inputs == Schema([TensorSpec("float64", (-1, 2))])
    assert sig.outputs == Schema([TensorSpec("float64", (-1,))])
    assert infer_signature(np.zeros((3, 2))).outputs is None


# --- MLflow compatibility ---------------------------------------------------------------------


MLFLOW_CASES = {
    "2d float": (np.zeros((3, 10)), None),
    "1d int with output": (np.arange(3), np.zeros((3, 2), dtype="float32")),
    "3d float32": (np.zeros((2, 4, 5), dtype="float32"), None),
    "str": (np.array(["a", "bb"]), None),
    "bytes": (np.array([b"a"]), None),
    "bool": (np.array([True, False]), None),
    "object": (np.array(["a", 1], dtype=object), None),
    "dict of arrays": ({"x": np.zeros((2, 3)), "y": np.arange(2)}, None),
    "mixed frame": (_mixed_frame(), np.zeros(2)),
    "frame with missing values": (
        pd.DataFrame({"a": [1.0, np.nan], "b": ["x", None], "c": [1, 2]}),
        pd.DataFrame({"p": [0.5, 0.2]}),
    ),
    "nullable ints": (pd.DataFrame({"n": pd.array([1, None], dtype="Int64")}), None),
    "series": (pd.Series([1, 2]), None),
    "named series": (pd.Series([1.0, 2.0], name="s"), None),
}


@pytest.mark.parametrize("case", list(MLFLOW_CASES))
def test_signature_json_equals_mlflow(case: str) -> None:
    model_input, model_output = MLFLOW_CASES[case]
    ours = infer_signature(model_input, model_output).to_dict()
    assert ours == _mlflow_signature_dict(model_input, model_output)


@pytest.mark.parametrize("case", list(MLFLOW_CASES))
def test_mlflow_reads_our_signature_and_we_read_mlflows(case: str) -> None:
    from mlflow.models import ModelSignature

    model_input, model_output = MLFLOW_CASES[case]
    ours = infer_signature(model_input, model_output)
    assert ModelSignature.from_dict(ours.to_dict()).to_dict() == ours.to_dict()
    assert Signature.from_dict(_mlflow_signature_dict(model_input, model_output)) == ours


@pytest.mark.parametrize("case", list(MLFLOW_CASES))
def test_data_passes_its_own_inferred_schema(case: str) -> None:
    for data in MLFLOW_CASES[case]:
        if data is not None:
            enforce(infer_schema(data), data)


def test_integer_names_written_by_mlflow_are_read_as_strings() -> None:
    text = '[{"type": "double", "name": 0, "required": true}]'
    assert Schema.from_json(text).inputs == [ColSpec("double", "0")]


# --- specs, schemas and JSON round trips ------------------------------------------------------


def test_tensor_spec_normalizes_dtype() -> None:
    assert TensorSpec("<U5", (-1,)).dtype == "str"
    assert TensorSpec(np.dtype("float32"), [-1, 2]) == TensorSpec("float32", (-1, 2))
    assert TensorSpec("float", (3,)).dtype == "float64"
    with pytest.raises(ValueError, match="shape"):
        TensorSpec("float64", (-2,))
    with pytest.raises(ValueError):
        TensorSpec("not-a-dtype", (1,))


def test_colspec_and_schema_validation() -> None:
    with pytest.raises(ValueError, match="unknown column type"):
        ColSpec("array")
    with pytest.raises(ValueError, match="ColSpecs or only TensorSpecs"):
        Schema([ColSpec("long", "a"), TensorSpec("float64", (-1,), "b")])
    with pytest.raises(ValueError, match="all or none"):
        Schema([ColSpec("long", "a"), ColSpec("long")])
    with pytest.raises(ValueError, match="unique"):
        Schema([ColSpec("long", "a"), ColSpec("double", "a")])
    with pytest.raises(ValueError, match="must all be named"):
        Schema([TensorSpec("float64", (-1,)), TensorSpec("float64", (-1,))])
    with pytest.raises(ValueError, match="optional"):
        Schema([ColSpec("long", required=False)])
    with pytest.raises(ValueError, match="at least one"):
        Schema([])


def test_colspec_json_key_order_matches_mlflow() -> None:
    schema = Schema([ColSpec("long", "a"), ColSpec("string", "b", required=False)])
    assert schema.to_json() == (
        '[{"type": "long", "name": "a", "required": true}, '
        '{"type": "string", "name": "b", "required": false}]'
    )
    assert Schema([ColSpec("double")]).to_json() == '[{"type": "double", "required": true}]'


def test_signature_round_trip_and_tolerated_keys() -> None:
    sig = infer_signature(_mixed_frame(), np.zeros(2))
    d = sig.to_dict()
    assert set(d) == {"inputs", "outputs", "params"} and d["params"] is None
    assert Signature.from_dict(d) == sig
    only_inputs = Signature.from_dict({"inputs": d["inputs"]})
    assert only_inputs == Signature(sig.inputs) and only_inputs.outputs is None
    with_params = {**d, "params": '[{"name": "k", "type": "long", "default": 1, "shape": null}]'}
    assert Signature.from_dict(with_params) == sig
    assert sig != Signature(sig.inputs)


@pytest.mark.parametrize(
    "bad",
    [
        {"inputs": "not json"},
        {"inputs": "{}"},
        {"inputs": "[]"},
        {"inputs": '[{"name": "a"}]'},
        {"inputs": '[{"type": "array", "items": {"type": "long"}, "required": true}]'},
        {"inputs": '[{"type": "tensor", "tensor-spec": {"dtype": "float64"}}]'},
        {"inputs": '[{"type": "tensor", "tensor-spec": {"dtype": "nope", "shape": [1]}}]'},
        {"inputs": '[{"type": "long", "required": "yes"}]'},
        {"inputs": '[{"type": "long", "name": "a"}, {"type": "long", "name": "a"}]'},
        {"outputs": '[{"type": "long"}]'},
        {"inputs": '[{"type": "long"}]', "outputs": "[1]"},
        "not a mapping",
    ],
)
def test_malformed_signature_raises_model_folder_error(bad: object) -> None:
    with pytest.raises(ModelFolderError):
        Signature.from_dict(bad)  # type: ignore[arg-type]


def test_describe_rows() -> None:
    sig = Signature(
        Schema([ColSpec("long", "a"), ColSpec("string", "b", required=False)]),
        Schema([TensorSpec("float32", (-1, 2))]),
    )
    assert sig.describe() == [
        {"section": "inputs", "name": "a", "type": "long", "shape": None, "required": True},
        {"section": "inputs", "name": "b", "type": "string", "shape": None, "required": False},
        {"section": "outputs", "name": None, "type": "float32", "shape": (-1, 2), "required": True},
    ]


_names = st.text(min_size=1, max_size=12)
_dtypes = st.sampled_from(
    ["bool", "int8", "int32", "int64", "uint8", "float16", "float32", "float64", "complex64",
     "object", "str", "bytes", "datetime64[ns]"]
)
_shapes = st.lists(st.integers(min_value=-1, max_value=1000), max_size=4).map(tuple)


@st.composite
def schemas(draw: st.DrawFn) -> Schema:
    count = draw(st.integers(min_value=1, max_value=5))
    named = draw(st.booleans())
    names = draw(st.lists(_names, min_size=count, max_size=count, unique=True)) if named else None
    if draw(st.booleans()):  # tensors
        if not named:
            return Schema([TensorSpec(draw(_dtypes), draw(_shapes))])
        return Schema([TensorSpec(draw(_dtypes), draw(_shapes), n) for n in names or []])
    return Schema([
        ColSpec(
            draw(st.sampled_from(COLUMN_TYPES)),
            names[i] if names else None,
            draw(st.booleans()) if names else True,
        )
        for i in range(count)
    ])


# the first draws build hypothesis' unicode tables, which can trip the slow-input check
_relaxed = settings(suppress_health_check=[HealthCheck.too_slow])


@_relaxed
@given(schemas())
def test_schema_json_round_trip(schema: Schema) -> None:
    text = schema.to_json()
    _strict_json(text)
    assert Schema.from_json(text) == schema


@_relaxed
@given(schemas(), st.one_of(st.none(), schemas()))
def test_signature_dict_round_trip(inputs: Schema, outputs: Schema | None) -> None:
    sig = Signature(inputs, outputs)
    assert Signature.from_dict(sig.to_dict()) == sig


# deadline=None: the first example pays for importing mlflow
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schemas())
def test_mlflow_rewrites_our_schema_json_identically(schema: Schema) -> None:
    from mlflow.types import Schema as MlflowSchema

    text = schema.to_json()
    assert MlflowSchema.from_json(text).to_json() == text


# --- enforce ----------------------------------------------------------------------------------


COLUMNS = Schema([ColSpec("long", "a"), ColSpec("double", "b"), ColSpec("string", "c", False)])
MATRIX = Schema([TensorSpec("float64", (-1, 3))])


def test_missing_column_message_names_missing_and_expected() -> None:
    with pytest.raises(SchemaMismatchError) as info:
        enforce(COLUMNS, pd.DataFrame({"a": [1], "x": [2]}))
    message = str(info.value)
    assert "missing required column(s) ['b']" in message
    assert "['a', 'b', 'c']" in message


def test_optional_column_may_be_missing() -> None:
    out = enforce(COLUMNS, pd.DataFrame({"b": [1.5], "a": [1]}))
    assert list(out.columns) == ["a", "b"]


def test_extra_columns_dropped_and_reordered() -> None:
    df = pd.DataFrame({"z": [0], "c": ["s"], "b": [2.5], "a": [1]})
    out = enforce(COLUMNS, df)
    assert list(out.columns) == ["a", "b", "c"]
    assert out["a"].tolist() == [1] and out["b"].tolist() == [2.5]


def test_safe_column_casts_accepted() -> None:
    df = pd.DataFrame({"a": np.array([1, 2], dtype="int32"), "b": np.array([1, 2], dtype="int64")})
    out = enforce(COLUMNS, df)
    assert out["a"].dtype == np.int64 and out["b"].dtype == np.float64
    floats = enforce(Schema([ColSpec("double", "x")]), pd.DataFrame({"x": np.ones(2, "float32")}))
    assert floats["x"].dtype == np.float64


@pytest.mark.parametrize(
    ("schema", "frame", "found"),
    [
        (Schema([ColSpec("long", "a")]), pd.DataFrame({"a": [1.5]}), "float64"),
        (Schema([ColSpec("float", "a")]), pd.DataFrame({"a": [1.5]}), "float64"),
        (Schema([ColSpec("integer", "a")]), pd.DataFrame({"a": [1]}), "int64"),
        (Schema([ColSpec("double", "a")]), pd.DataFrame({"a": ["x"]}), "str"),
        (Schema([ColSpec("long", "a")]), pd.DataFrame({"a": [True]}), "bool"),
        (Schema([ColSpec("string", "a")]), pd.DataFrame({"a": [1]}), "int64"),
    ],
)
def test_unsafe_column_casts_refused(schema: Schema, frame: pd.DataFrame, found: str) -> None:
    with pytest.raises(SchemaMismatchError, match=f"column 'a' has dtype {found}"):
        enforce(schema, frame)


def test_integer_column_with_missing_values_gets_a_hint() -> None:
    with pytest.raises(SchemaMismatchError, match="missing values"):
        enforce(Schema([ColSpec("long", "a")]), pd.DataFrame({"a": [1.0, np.nan]}))
    nullable = pd.DataFrame({"a": pd.array([1, None], dtype="Int64")})
    with pytest.raises(SchemaMismatchError, match="missing values"):
        enforce(Schema([ColSpec("long", "a")]), nullable)
    as_double = enforce(Schema([ColSpec("double", "a", False)]), nullable)
    assert as_double["a"].dtype == np.float64 and math.isnan(as_double["a"][1])
    # an optional integer column keeps its missing values as pandas' nullable integers
    again = enforce(infer_schema(nullable), nullable)
    assert str(again["a"].dtype) == "Int64" and again["a"].isna().tolist() == [False, True]


def test_list_of_dicts_dict_of_columns_and_rows() -> None:
    rows = enforce(COLUMNS, [{"a": 1, "b": 2.0, "c": "x"}, {"a": 2, "b": 3}])
    assert rows["a"].tolist() == [1, 2] and rows["b"].dtype == np.float64
    assert rows["c"].tolist()[0] == "x"
    columns = enforce(COLUMNS, {"a": [1, 2], "b": [0.5, 1.5]})
    assert columns.shape == (2, 2)
    one_row = enforce(COLUMNS, {"a": 1, "b": 0.5})
    assert one_row.to_dict("list") == {"a": [1], "b": [0.5]}


def test_two_dimensional_input_assigned_in_order() -> None:
    out = enforce(COLUMNS, [[1, 2.5, "x"], [2, 3.5, "y"]])
    assert out.to_dict("list") == {"a": [1, 2], "b": [2.5, 3.5], "c": ["x", "y"]}
    numeric = Schema([ColSpec("double", "x"), ColSpec("double", "y")])
    assert list(enforce(numeric, np.ones((4, 2))).columns) == ["x", "y"]
    assert enforce(numeric, [1.0, 2.0]).shape == (1, 2)  # a single row
    with pytest.raises(SchemaMismatchError, match=r"expects 3 column\(s\) \['a', 'b', 'c'\]"):
        enforce(COLUMNS, np.ones((2, 5)))


def test_unnamed_columns_are_positional() -> None:
    schema = Schema([ColSpec("double"), ColSpec("long")])
    out = enforce(schema, pd.DataFrame({"p": [1.5], "q": [2], "r": ["extra"]}))
    assert list(out.columns) == ["p", "q"]
    with pytest.raises(SchemaMismatchError, match="expects 2"):
        enforce(schema, pd.DataFrame({"p": [1.5]}))


def test_column_schema_refuses_unreadable_input() -> None:
    with pytest.raises(SchemaMismatchError, match="object"):
        enforce(COLUMNS, object())


def test_tensor_wrong_shape_message() -> None:
    with pytest.raises(SchemaMismatchError) as info:
        enforce(MATRIX, np.zeros((2, 4)))
    assert "(2, 4)" in str(info.value) and "(-1, 3)" in str(info.value)
    with pytest.raises(SchemaMismatchError, match="batch dimension"):
        enforce(MATRIX, np.zeros(3))


@pytest.mark.parametrize(
    ("spec_dtype", "value", "found"),
    [
        ("int64", np.array([1.5]), "float64"),
        ("float32", np.array([1.5]), "float64"),
        ("float64", np.array(["1.5"]), "str"),
        ("float64", np.array([1 + 2j]), "complex128"),
        ("int64", [1.5], "float64"),
    ],
)
def test_tensor_unsafe_dtype_message(spec_dtype: str, value: object, found: str) -> None:
    with pytest.raises(SchemaMismatchError) as info:
        enforce(Schema([TensorSpec(spec_dtype, (-1,))]), value)
    message = str(info.value)
    assert f"dtype {found}" in message and f"expects {spec_dtype}" in message
    assert f".astype('{spec_dtype}')" in message


def test_tensor_safe_casts_accepted() -> None:
    assert enforce(MATRIX, np.ones((2, 3), dtype="int32")).dtype == np.float64
    # numpy calls int64 -> float64 safe; MLflow would demand an exact match here
    assert enforce(MATRIX, np.ones((2, 3), dtype="int64")).dtype == np.float64
    same = np.ones((2, 3))
    assert enforce(MATRIX, same) is same
    assert enforce(MATRIX, [[1, 2, 3]]).dtype == np.float64
    assert enforce(MATRIX, pd.DataFrame(np.ones((2, 3)))).shape == (2, 3)
    # Python floats carry no precision, so a list may fill a float32 tensor
    assert enforce(Schema([TensorSpec("float32", (-1,))]), [1.5]).dtype == np.float32
    with pytest.raises(SchemaMismatchError, match="int8"):
        enforce(Schema([TensorSpec("int8", (-1,))]), [1000])


def test_tensor_strings_and_objects() -> None:
    strings = Schema([TensorSpec("str", (-1,))])
    assert enforce(strings, np.array(["a", "bcd"])).dtype.kind == "U"
    assert enforce(strings, np.array(["a"], dtype=object)).dtype.kind == "U"
    with pytest.raises(SchemaMismatchError):
        enforce(strings, np.array([1, 2]))
    ragged = np.empty(2, dtype=object)
    ragged[:] = [[1], [1, 2]]
    assert enforce(Schema([TensorSpec("object", (-1,))]), ragged) is ragged


def test_torch_tensor_enforced_without_conversion() -> None:
    t = torch.ones(2, 3)
    assert enforce(Schema([TensorSpec("float32", (-1, 3))]), t) is t
    cast = enforce(MATRIX, torch.ones(2, 3, dtype=torch.int32))
    assert isinstance(cast, torch.Tensor) and cast.dtype == torch.float64
    with pytest.raises(SchemaMismatchError, match="dtype float64"):
        enforce(Schema([TensorSpec("float32", (-1, 3))]), torch.ones(2, 3, dtype=torch.float64))
    with pytest.raises(SchemaMismatchError, match=r"\(2, 4\)"):
        enforce(MATRIX, torch.ones(2, 4))


def test_named_tensors() -> None:
    schema = Schema([TensorSpec("float64", (-1, 2), "x"), TensorSpec("int64", (-1,), "y")])
    out = enforce(schema, {"y": [1, 2], "x": np.ones((2, 2)), "extra": 1})
    assert list(out) == ["x", "y"] and out["y"].dtype == np.int64
    with pytest.raises(SchemaMismatchError, match=r"missing input\(s\) \['y'\]"):
        enforce(schema, {"x": np.ones((2, 2))})
    with pytest.raises(SchemaMismatchError, match="dict"):
        enforce(schema, np.ones((2, 2)))
    single = Schema([TensorSpec("float64", (-1,), "x")])
    assert list(enforce(single, np.ones(3))) == ["x"]


def test_errors_are_value_errors() -> None:
    assert issubclass(SchemaMismatchError, ValueError)
    with pytest.raises(ValueError):
        enforce(MATRIX, np.zeros((2, 4)))


# --- input examples ---------------------------------------------------------------------------


def _mlflow_example(example: object) -> tuple[dict, str]:
    from mlflow.models.utils import _Example

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mlflow_example = _Example(example)
    return mlflow_example.info, mlflow_example.json_input_example


@pytest.mark.parametrize(
    "example",
    [
        pd.DataFrame({"a": [1, 2], "b": [0.5, 1.5], "s": ["x", "y"], "t": [True, False]}),
        pd.DataFrame(np.arange(6).reshape(3, 2)),
        np.arange(12, dtype="float32").reshape(4, 3),
        np.array(["a", "b"]),
        {"x": np.zeros((2, 2)), "y": np.arange(2)},
    ],
    ids=["frame", "frame without names", "array", "strings", "dict of arrays"],
)
def test_example_matches_mlflow(example: object) -> None:
    info, text = example_to_json(example, max_rows=100)
    mlflow_info, mlflow_text = _mlflow_example(example)
    mlflow_info.pop("serving_input_path", None)
    assert info == mlflow_info
    assert json.loads(text) == json.loads(mlflow_text)


def test_dataframe_example_format_and_read_back() -> None:
    df = _mixed_frame()
    info, text = example_to_json(df, max_rows=1)
    assert info == {
        "artifact_path": "input_example.json", "type": "dataframe", "pandas_orient": "split"
    }
    assert _strict_json(text) == {
        "columns": list("abcdefgh"),
        "data": [[1, 1, 1.0, 1.0, True, "x", "eA==", "2020-01-01T00:00:00"]],
    }
    back = example_from_json(info, text, infer_schema(df))
    pd.testing.assert_frame_equal(back, df.head(1), check_dtype=False)
    assert back["b"].dtype == np.int32 and back["g"].tolist() == [b"x"]
    assert enforce(infer_schema(df), back).shape == (1, 8)


def test_mlflow_reads_our_dataframe_example() -> None:
    from mlflow.utils.proto_json_utils import dataframe_from_parsed_json

    df = pd.DataFrame({"a": [1.0, np.nan], "b": ["x", None]})
    _, text = example_to_json(df, max_rows=10)
    back = dataframe_from_parsed_json(_strict_json(text), pandas_orient="split")
    assert back["a"].tolist()[0] == 1.0 and math.isnan(back["a"].tolist()[1])
    assert back["b"].tolist()[0] == "x"


def test_nan_and_inf_give_strict_json_and_read_back() -> None:
    arr = np.array([[1.0, np.nan], [np.inf, -np.inf]])
    info, text = example_to_json(arr, max_rows=5)
    assert info == {"artifact_path": "input_example.json", "type": "ndarray"}
    assert _strict_json(text) == [[1.0, None], [math.inf, -math.inf]]
    np.testing.assert_array_equal(example_from_json(info, text), arr)
    df_info, df_text = example_to_json(pd.DataFrame({"x": [np.nan, np.inf]}), max_rows=5)
    _strict_json(df_text)
    back = example_from_json(df_info, df_text)
    assert math.isnan(back["x"][0]) and back["x"][1] == math.inf


def test_examples_truncate_and_serialize_numpy_scalars_and_datetimes() -> None:
    info, text = example_to_json(torch.arange(10).reshape(5, 2), max_rows=2)
    assert info["type"] == "ndarray" and json.loads(text) == [[0, 1], [2, 3]]
    times = np.array(["2020-01-01T10:00", "NaT"], dtype="datetime64[ns]")
    _, text = example_to_json(times, max_rows=5)
    assert json.loads(text) == ["2020-01-01T10:00:00.000000000", None]
    assert example_from_json({"type": "ndarray"}, text, infer_schema(times)).dtype == times.dtype
    rows = [{"n": np.int64(3), "f": np.float32(0.5), "d": dt.date(2020, 1, 2)}] * 3
    info, text = example_to_json(rows, max_rows=2)
    assert info["type"] == "dataframe"
    assert json.loads(text) == {"columns": ["n", "f", "d"], "data": [[3, 0.5, "2020-01-02"]] * 2}
    info, text = example_to_json({"k": np.float64(2.5), "s": "x"}, max_rows=1)
    assert info["type"] == "json_object" and example_from_json(info, text) == {"k": 2.5, "s": "x"}
    with pytest.raises(ValueError, match="max_rows"):
        example_to_json(np.zeros(2), max_rows=0)
    with pytest.raises(SchemaMismatchError, match="object"):
        example_to_json(object(), max_rows=1)


def test_example_from_json_errors() -> None:
    with pytest.raises(ModelFolderError, match="not valid JSON"):
        example_from_json({"type": "ndarray"}, "{nope")
    with pytest.raises(ModelFolderError, match="sparse"):
        example_from_json({"type": "sparse_matrix_csr"}, "{}")
    with pytest.raises(ModelFolderError, match="'data'"):
        example_from_json({"type": "dataframe"}, "[1, 2]")


@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
        elements=st.floats(allow_nan=True, allow_infinity=True),
    )
)
def test_float_array_example_round_trip(arr: np.ndarray) -> None:
    info, text = example_to_json(arr, max_rows=10)
    _strict_json(text)
    back = example_from_json(info, text, infer_schema(arr))
    np.testing.assert_array_equal(back, arr)


# --- import hygiene ---------------------------------------------------------------------------


def test_numpy_inference_imports_neither_pandas_nor_torch() -> None:
    code = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(PROJECT_ROOT)!r})
        import autolog.signature as signature
        import numpy as np
        signature.infer_schema(np.zeros((2, 3)))
        signature.infer_signature(np.zeros((2, 3)), np.zeros(2)).to_dict()
        signature.enforce(signature.Schema([signature.TensorSpec("float64", (-1, 3))]), [[1, 2, 3]])
        print(sorted(m for m in ("pandas", "torch") if m in sys.modules))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
