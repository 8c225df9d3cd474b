"""autolog.testing is a test helper: ``import autolog`` (and a training under autolog) never
imports it, nor pytest."""

from __future__ import annotations

import json

from tests.helpers import run_python


def test_autolog_does_not_import_its_test_kit(tmp_path):
    code = f"""
import json, sys
import autolog
from sklearn.linear_model import LogisticRegression
autolog.enable(store={str(tmp_path / "store")!r})
LogisticRegression().fit([[0.0], [1.0]], [0, 1])
autolog.disable()
print(json.dumps(sorted(m for m in sys.modules
                        if m == "pytest" or m.startswith("autolog.testing"))))
"""
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_the_kit_modules_import_on_their_own():
    result = run_python("import autolog.testing.stores, autolog.testing.integrations")
    assert result.returncode == 0, result.stderr
