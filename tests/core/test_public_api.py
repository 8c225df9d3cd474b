"""The public surface: __all__ is sorted and complete; importing autolog stays light."""

from __future__ import annotations

import json

import autolog
from tests.helpers import run_python

HEAVY = ["sklearn", "torch", "onnx", "onnxruntime", "mlflow", "pandas", "IPython"]


def test_all_is_sorted_and_exported():
    assert list(autolog.__all__) == sorted(autolog.__all__)
    for name in autolog.__all__:
        assert hasattr(autolog, name), name


def test_import_and_enable_import_no_framework(tmp_path):
    code = (
        "import json, sys\n"
        "import autolog\n"
        "after_import = [m for m in {!r} if m in sys.modules]\n"
        "autolog.enable(store={!r})\n"
        "after_enable = [m for m in {!r} if m in sys.modules]\n"
        "print(json.dumps([after_import, after_enable]))\n"
    ).format(HEAVY, str(tmp_path / "s"), HEAVY)
    proc = run_python(code)
    assert proc.returncode == 0, proc.stderr
    after_import, after_enable = json.loads(proc.stdout.strip().splitlines()[-1])
    assert after_import == []
    assert after_enable == []


def test_enable_before_or_after_import_patches_the_same(tmp_path):
    code = (
        "import autolog, sys\n"
        "{first}\n{second}\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "from autolog import patching\n"
        "print(patching.is_autolog_wrapper(vars(LogisticRegression)['fit']))\n"
    )
    enable = f"autolog.enable(store={str(tmp_path / 's')!r})"
    before = run_python(code.format(first=enable, second="import sklearn"))
    after = run_python(code.format(first="import sklearn", second=enable))
    assert before.stdout.strip() == after.stdout.strip() == "True", (before.stderr, after.stderr)


def test_import_autolog_loads_nothing_but_its_version():
    proc = run_python("import sys, autolog\n"
                      "print(sorted(m for m in sys.modules if m.startswith('autolog')))")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "['autolog', 'autolog._version']"
