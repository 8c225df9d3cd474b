"""The integration kit fails for the bugs it is there to catch.

A toy framework and its integration, installed as a real distribution (an entry point in the
group ``autolog.integrations``), with one bug switched on at a time; a third party's test
module subclasses :class:`~autolog.testing.integrations.IntegrationSuite` for it and runs in
its own pytest process.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

FRAMEWORK = '''
def version():
    return "1.0"


class Model:
    def __init__(self, scale=1.0):
        self.scale = scale

    def fit(self, X, y, hook=None):
        self.coef_ = self.scale * sum(y) / len(y)
        if hook is not None:
            hook()  # the user's callback
        return self

    def predict(self, X):
        return [self.coef_ for _ in X]


class Ensemble(Model):
    def fit(self, X, y, hook=None):
        self.inner_ = Model(self.scale).fit(X, y, hook)  # a fit inside a fit
        self.coef_ = self.inner_.coef_
        return self
'''

INTEGRATION = '''
import os
from autolog import activation, patching, tracking
from autolog.integration import Integration

BUG = os.environ.get("TOY_BUG", "none")


def _fit(wrapped, instance, args, kwargs):
    if BUG != "leak" and not activation.is_enabled():
        return wrapped(*args, **kwargs)
    if BUG != "nest" and not patching.should_record():
        return wrapped(*args, **kwargs)
    config = activation.effective_config()
    run = tracking.ActiveRun(type(instance).__name__, config.experiment, config.store_uri)
    with patching.recording():
        try:
            result = wrapped(*args, **kwargs)
        except Exception as exc:
            run.end(tracking.FAILED)
            if BUG == "swallow":
                raise RuntimeError("fit failed") from exc
            raise
    run.end(tracking.FINISHED)
    return result


class ToyIntegration(Integration):
    name = module = distribution = "toyfw"

    def apply(self, module):
        self.patches.wrap(module, "version", lambda w, i, a, k: w(*a, **k))
        if BUG == "leak":  # patched behind the PatchSet's back: never reverted
            import wrapt
            module.Model.fit = wrapt.FunctionWrapper(vars(module.Model)["fit"], _fit)
            module.Ensemble.fit = wrapt.FunctionWrapper(vars(module.Ensemble)["fit"], _fit)
        else:
            self.patches.wrap(module.Model, "fit", _fit)
            self.patches.wrap(module.Ensemble, "fit", _fit)
'''

SUITE = '''
import pytest
import toyfw
from autolog.testing.integrations import IntegrationSuite

X, Y = [[1.0], [2.0], [3.0]], [1.0, 2.0, 6.0]


class TestToy(IntegrationSuite):
    @pytest.fixture
    def framework(self):
        return "toyfw"

    @pytest.fixture
    def predict_input(self):
        return X

    @pytest.fixture
    def train(self):
        return lambda: toyfw.Model(2.0).fit(X, Y)

    @pytest.fixture
    def train_nested(self):
        return lambda: toyfw.Ensemble(2.0).fit(X, Y)

    @pytest.fixture
    def train_raising(self):
        return lambda fail: toyfw.Model().fit(X, Y, hook=fail)
'''

# (e) is left out: the toy framework has no flavor, so no model folder to load.
TESTS = {
    "restores": "test_disable_restores_every_patched_attribute",
    "propagates": "test_a_user_exception_propagates_unchanged_and_fails_the_run",
    "nested": "test_nested_training_is_one_run",
    "passes": "test_disabled_autolog_passes_training_through",
}


@pytest.fixture(scope="module")
def toy_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("toy")
    (root / "toyfw.py").write_text(textwrap.dedent(FRAMEWORK))
    (root / "autolog_toy.py").write_text(textwrap.dedent(INTEGRATION))
    (root / "test_toy.py").write_text(textwrap.dedent(SUITE))
    info = root / "autolog_toy-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: autolog-toy\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[autolog.integrations]\ntoyfw = autolog_toy:ToyIntegration\n")
    return root


def _outcomes(root: Path, bug: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOLOG")}
    env.update(PYTHONPATH=str(root), TOY_BUG=bug)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider",
         "-k", " or ".join(TESTS.values()), "test_toy.py"],
        cwd=root, env=env, capture_output=True, text=True, timeout=300, check=False)
    found = {test: outcome for outcome, test in re.findall(
        r"^(PASSED|FAILED|ERROR|SKIPPED) test_toy.py::TestToy::(\w+)", done.stdout, re.M)}
    outcomes = {short: found.get(test, "?") for short, test in TESTS.items()}
    assert "?" not in outcomes.values(), done.stdout[-3000:] + done.stderr[-2000:]
    return outcomes


@pytest.mark.parametrize(("bug", "failing"), [
    ("none", set()),
    ("leak", {"restores", "passes"}),
    ("swallow", {"propagates"}),
    ("nest", {"nested"}),
])
def test_the_kit_fails_exactly_for_the_bug(toy_tree: Path, bug: str, failing: set[str]
                                           ) -> None:
    outcomes = _outcomes(toy_tree, bug)
    assert {short for short, outcome in outcomes.items() if outcome != "PASSED"} == failing, \
        outcomes
