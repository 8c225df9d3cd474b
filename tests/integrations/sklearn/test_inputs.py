"""Every input type scikit-learn accepts gets a complete run.

For each case a real model is fitted under autolog (testing mode: any internal failure
raises, so the case fails instead of warning). Then: exactly one run, FINISHED, with a model
folder; where the input gives rows, a signature and an input example, and the folder predicts
on its own example in autolog (``load_model(...).predict``) and in MLflow
(``mlflow.pyfunc.load_model(...).predict`` of ``Model.load_input_example``); where it gives none,
the run says why in its ``autolog.input_example`` tag.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
import scipy.sparse as sp
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, MultiLabelBinarizer, OneHotEncoder
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.estimator_checks import _NotAnArray

import autolog
from autolog.stores.local import LocalStore

N = 40
RNG = np.random.default_rng(0)
NUMBERS = RNG.random((N, 3)) * 10
Y = np.arange(N) % 2
WORDS = RNG.choice(["red", "green", "blue"], (N, 2))
DOCS = [f"{a} {b} and {a}" for a, b in WORDS]


def _onehot_lr() -> Any:
    return make_pipeline(OneHotEncoder(handle_unknown="ignore"), LogisticRegression())


def _text_lr() -> Any:
    return make_pipeline(TfidfVectorizer(), LogisticRegression())


def _mixed_frame_model(numeric: list[str], categorical: list[str]) -> Callable[[], Any]:
    def make() -> Any:
        pre = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), categorical),
                                 ("num", "passthrough", numeric)])
        return make_pipeline(pre, LogisticRegression(max_iter=500))
    return make


def _as_days(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(day=(frame["day"] - pd.Timestamp("2024-01-01")).dt.days)


def _dates_as_days_tree() -> Any:
    return make_pipeline(FunctionTransformer(_as_days), DecisionTreeClassifier())


def _frame() -> pd.DataFrame:
    return pd.DataFrame({"size": NUMBERS[:, 0], "count": (NUMBERS[:, 1] * 3).astype("int64"),
                         "colour": WORDS[:, 0]})


def _nullable_frame() -> pd.DataFrame:
    count = pd.array((NUMBERS[:, 1] * 3).astype("int64"), dtype="Int64")
    count[3] = pd.NA
    weight = pd.array(NUMBERS[:, 2], dtype="Float64")
    weight[5] = pd.NA
    flag = pd.array(NUMBERS[:, 0] > 5, dtype="boolean")
    return pd.DataFrame({"count": count, "weight": weight, "flag": flag})


# id -> (X factory, y, model factory, example expected)
CASES: dict[str, tuple[Callable[[], Any], Any, Callable[[], Any], bool]] = {
    **{f"numpy-{dtype}": ((lambda dtype=dtype: NUMBERS.astype(dtype)), Y,
                          DecisionTreeClassifier, True)
       for dtype in ("float16", "float32", "float64", "int8", "int16", "int32", "int64",
                     "uint8", "uint16", "uint32", "uint64", "bool")},
    "numpy-object-numbers": (lambda: NUMBERS.astype(object), Y, DecisionTreeClassifier, True),
    "numpy-object-strings": (lambda: WORDS.astype(object), Y, _onehot_lr, True),
    "numpy-str": (lambda: WORDS, Y, _onehot_lr, True),
    "numpy-bytes": (lambda: WORDS.astype("S"), Y, _onehot_lr, True),
    "numpy-datetime64": (lambda: np.datetime64("2024-01-01", "ns")
                         + (NUMBERS * 86400e9).astype("timedelta64[ns]"), Y,
                         DecisionTreeClassifier, True),
    **{f"scipy-{fmt}_{kind}": ((lambda fmt=fmt, kind=kind:
                                getattr(sp, f"{fmt}_{kind}")(NUMBERS)), Y,
                               LogisticRegression, True)
       for fmt in ("csr", "csc", "coo", "bsr", "lil", "dok", "dia")
       for kind in ("matrix", "array")},
    "list-of-lists": (lambda: NUMBERS.tolist(), Y, LogisticRegression, True),
    "tuple-of-tuples": (lambda: tuple(map(tuple, NUMBERS.tolist())), tuple(Y.tolist()),
                        LogisticRegression, True),
    "list-of-strings": (lambda: list(DOCS), Y, _text_lr, True),
    "y-range": (lambda: NUMBERS, range(N), LinearRegression, True),
    "generator-of-strings": (lambda: (d for d in DOCS), Y, _text_lr, False),
    "not-an-array": (lambda: _NotAnArray(NUMBERS), _NotAnArray(Y), LogisticRegression, True),
    "pandas-numeric": (lambda: pd.DataFrame(NUMBERS, columns=["a", "b", "c"]), Y,
                       LogisticRegression, True),
    "pandas-int-column-labels": (lambda: pd.DataFrame(NUMBERS), Y, LogisticRegression, True),
    "pandas-mixed": (_frame, Y, _mixed_frame_model(["size", "count"], ["colour"]), True),
    "pandas-categorical": (lambda: _frame().astype({"colour": "category"}), Y,
                           _mixed_frame_model(["size", "count"], ["colour"]), True),
    "pandas-string-dtype": (lambda: _frame().astype({"colour": "string"}), Y,
                            _mixed_frame_model(["size", "count"], ["colour"]), True),
    "pandas-pyarrow-string": (lambda: _frame().astype({"colour": "string[pyarrow]"}), Y,
                              _mixed_frame_model(["size", "count"], ["colour"]), True),
    "pandas-nullable": (_nullable_frame, Y, HistGradientBoostingClassifier, True),
    "pandas-datetime-column": (lambda: _frame().assign(
        day=pd.Timestamp("2024-01-01") + pd.to_timedelta(NUMBERS[:, 0], unit="D"))
        .drop(columns="colour"), Y, _dates_as_days_tree, True),
    "pandas-series-of-text": (lambda: pd.Series(DOCS, name="text"), Y, _text_lr, True),
    "polars-numeric": (lambda: pl.DataFrame(NUMBERS, schema=["a", "b", "c"]), Y,
                       LogisticRegression, True),
    "polars-mixed": (lambda: pl.from_pandas(_frame()), Y,
                     _mixed_frame_model(["size", "count"], ["colour"]), True),
    "pyarrow-table": (lambda: pa.table({"a": NUMBERS[:, 0], "b": NUMBERS[:, 1]}), Y,
                      LogisticRegression, True),
}


# Examples MLflow's own reader (Model.load_input_example) cannot read back, whoever wrote them:
MLFLOW_CANNOT_READ = {
    # bytes in a tensor example are written as base64 (MLflow's documented format, which
    # autolog follows), but MLflow's tensor reader does not decode them;
    "numpy-bytes",
    # a null in an optional integer ("long", required: false) column: MLflow casts the column
    # to int64 and fails (MLflow infers the same schema for such a column).
    "pandas-nullable",
}


def test_at_least_every_kind_is_covered():
    assert len(CASES) >= 45


@pytest.mark.parametrize("case", list(CASES))
def test_every_valid_input_records_a_complete_run(case, store):
    import mlflow.pyfunc
    from mlflow.models import Model

    make_X, y, make_model, example_expected = CASES[case]
    model = make_model().fit(make_X(), y)
    autolog.flush()
    runs = LocalStore(store.root).search_runs()
    assert len(runs) == 1
    run = runs[0]
    assert run.status == "FINISHED"
    assert run.model_path is not None
    assert "dataset.digest" in run.params
    loaded = autolog.load_model(run.model_path)
    if not example_expected:
        assert "not saved" in run.tags["autolog.input_example"]
        assert loaded.input_example() is None
        return
    assert "autolog.input_example" not in run.tags
    assert "autolog.signature" not in run.tags
    assert "autolog.training_metrics" not in run.tags
    assert loaded.signature is not None
    example = loaded.input_example()
    assert example is not None
    expected = model.predict(example)
    np.testing.assert_array_equal(np.asarray(loaded.predict(example)), expected)
    if case in MLFLOW_CANNOT_READ:
        return
    # MLflow reads the same folder, example and all, and predicts on it.
    mlflow_example = Model.load(run.model_path).load_input_example(run.model_path)
    predicted = mlflow.pyfunc.load_model(run.model_path).predict(mlflow_example)
    np.testing.assert_array_equal(np.asarray(predicted).ravel(), np.asarray(expected).ravel())


def test_a_list_of_ranges_keeps_its_example(store):
    binarizer = MultiLabelBinarizer().fit([range(3), range(1, 4)])
    autolog.flush()
    run = LocalStore(store.root).search_runs()[0]
    assert run.model_path is not None
    loaded = autolog.load_model(run.model_path)
    assert [list(row) for row in loaded.input_example()] == [[0, 1, 2], [1, 2, 3]]
    assert binarizer.classes_.tolist() == [0, 1, 2, 3]


def test_ragged_rows_have_an_example_and_say_why_there_is_no_signature(store):
    MultiLabelBinarizer().fit([range(3), range(2)])
    autolog.flush()
    run = LocalStore(store.root).search_runs()[0]
    assert run.model_path is not None
    assert run.tags["autolog.signature"].startswith("not inferred")
    assert autolog.load_model(run.model_path).signature is None


def test_a_model_that_cannot_predict_its_training_data_says_why(store):
    from sklearn.neighbors import KNeighborsClassifier

    KNeighborsClassifier(n_neighbors=5).fit(NUMBERS[:1], Y[:1])
    autolog.flush()
    run = LocalStore(store.root).search_runs()[0]
    assert run.status == "FINISHED" and run.model_path is not None
    assert "predict raised" in run.tags["autolog.training_metrics"]
    assert "raised on the input example" in run.tags["autolog.signature"]
    assert "training_accuracy" not in run.metrics
    assert "fit_time_s" in run.metrics


def test_data_changed_in_place_by_fit_gives_no_metrics(store):
    from sklearn.preprocessing import StandardScaler

    data = NUMBERS.copy()
    StandardScaler(copy=False).fit_transform(data)  # scales ``data`` itself
    autolog.flush()
    run = LocalStore(store.root).search_runs()[0]
    assert run.model_path is not None
    assert "changed after fit" in run.tags["autolog.training_metrics"]
