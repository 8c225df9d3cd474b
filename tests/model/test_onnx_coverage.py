"""ONNX coverage report: which models convert, which pass parity, how far apart they are.

Every case trains through autolog with ``format="both"`` on tiny real data and is checked
against its expectation in :mod:`tests.model.onnx_cases`. The results go to
``test-artifacts/onnx_coverage.json``; ``python -m tests.model.onnx_coverage_table`` renders
the README's table from that file.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import autolog
from autolog.model.folder import read_model_folder
from autolog.model.formats.onnx_runtime import compare
from autolog.stores.local import LocalStore
from tests.model.onnx_cases import Case, sklearn_cases, torch_cases, train_torch

ROOT = Path(__file__).resolve().parents[2]
REPORT = ROOT / "test-artifacts" / "onnx_coverage.json"
ROWS = 120

SKLEARN = sklearn_cases()
TORCH = torch_cases()


@pytest.fixture(scope="module")
def report() -> Iterator[dict[str, dict[str, Any]]]:
    results: dict[str, dict[str, Any]] = {}
    yield results
    if results:
        order = [c.name for c in SKLEARN + TORCH]
        REPORT.parent.mkdir(parents=True, exist_ok=True)
        REPORT.write_text(json.dumps(sorted(results.values(), key=lambda r: order.index(r["name"])),
                                     indent=1))


def _entry(case: Case, folder: Any, messages: list[str]) -> dict[str, Any]:
    onnx = folder.metadata.get("onnx", {})
    parity = onnx.get("parity", {})
    return {
        "name": case.name, "framework": case.framework, "expect": case.expect,
        "status": onnx.get("status"), "verdict": parity.get("verdict"),
        "max_abs_diff": parity.get("max_abs_diff"), "max_rel_diff": parity.get("max_rel_diff"),
        "values_compared": parity.get("values_compared"),
        "input_types": onnx.get("input_types"), "error": onnx.get("error"),
        "conversion_time_s": onnx.get("conversion_time_s"),
        "parity_time_s": onnx.get("parity_time_s"),
        "flavors": sorted(folder.flavors), "warnings": messages, "note": case.note,
    }


def _check(case: Case, folder: Any, messages: list[str], X: Any, native: Any) -> None:
    entry = _entry(case, folder, messages)
    assert entry["status"] == case.expect, entry
    if case.expect == "converted":
        assert entry["verdict"] == "pass" and messages == [], entry
        assert "onnx" in folder.flavors
        loaded = autolog.load_model(folder.path, format="onnx")
        again = compare(native, loaded.predict(X), folder.metadata["onnx"]["parity"]["tolerance"])
        assert again.passed, again.detail
    else:
        assert len(messages) == 1, messages
        assert "onnx" not in folder.flavors and "model.onnx" not in folder.checksums


def _autolog_messages(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if issubclass(w.category, autolog.AutologWarning)]


@pytest.mark.parametrize("case", SKLEARN, ids=[c.name for c in SKLEARN])
def test_sklearn_model(case: Case, store_path: Path, report: dict[str, Any]) -> None:
    autolog.enable(store=str(store_path), format="both", testing=True)
    model, X, y = case.build(ROWS)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X) if y is None else model.fit(X, y)
        autolog.flush()
    runs = LocalStore(store_path).search_runs()
    assert len(runs) == 1
    folder = read_model_folder(runs[0].model_path)
    messages = _autolog_messages(caught)
    report[case.name] = _entry(case, folder, messages)
    native = model.predict(X) if hasattr(model, "predict") else model.transform(X)
    _check(case, folder, messages, X, native)


@pytest.mark.parametrize("case", TORCH, ids=[c.name for c in TORCH])
def test_torch_module(case: Case, store_path: Path, report: dict[str, Any]) -> None:
    import torch

    autolog.enable(store=str(store_path), format="both", testing=True)
    model, X, y = case.build(ROWS)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with autolog.start_run(name=case.name) as run:
            train_torch(model, X, y, epochs=2)
        autolog.flush()
    runs = LocalStore(store_path).search_runs()
    # torch.onnx.export runs the module's forward on the writer: it must record nothing.
    assert [r.run_id for r in runs] == [run.run_id]
    assert runs[0].params["epochs"] == "2"
    folder = read_model_folder(runs[0].model_path)
    messages = _autolog_messages(caught)
    report[case.name] = _entry(case, folder, messages)
    model.eval()
    with torch.no_grad():
        native = model(X).numpy()
    _check(case, folder, messages, X, native)
