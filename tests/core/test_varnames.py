"""Argument names from the caller's bytecode (the dataset names of post-training metrics)."""

from __future__ import annotations

import sys

import numpy as np

from autolog import varnames


def probe(*args, **kwargs):
    return varnames.arg_names(sys._getframe(1))


# pytest rewrites `assert f(x) == ...` into other bytecode: calls are made outside asserts.


class Model:
    def predict(self, X):
        return X


model = Model()
X_test = y_test = pred = np.zeros(3)
proba = np.zeros((3, 2))
rows = [0, 1]


def test_plain_names_and_expressions():
    got = probe(y_test, pred)
    assert got == ("y_test", "pred")
    got = probe(model, X_test, y_test)
    assert got == ("model", "X_test", "y_test")
    # Calls, subscripts and attributes are not names; the other arguments keep theirs.
    got = probe(y_test, model.predict(X_test))
    assert got == ("y_test", None)
    got = probe(y_test, proba[:, 1])
    assert got == ("y_test", None)
    got = probe(X_test[rows], y_test)
    assert got == (None, "y_test")
    got = probe(pred.T, 3)
    assert got == (None, None)


def test_keyword_arguments_are_left_out():
    got = probe(y_test, pred, average="macro")
    assert got == ("y_test", "pred")
    got = probe(X=X_test)
    assert got == ()


def test_local_and_closure_names():
    def inner(a, b):
        c = a

        def deeper():
            return probe(c, b)

        return probe(a, b), deeper()

    got = inner(1, 2)
    assert got == (("a", "b"), ("c", "b"))


def test_star_arguments_give_no_names():
    got = probe(*[1, 2])
    assert got is None


def test_passed_name_traces_a_parameter_to_the_caller():
    def evaluate(m, X):
        return check(m, X)

    def check(m, X):
        frame = sys._getframe(1)  # evaluate's frame, executing check(m, X)
        return varnames.passed_name(frame, 1, X)

    # evaluate's parameter X came from the caller's X_test: that name is used.
    got = evaluate(model, X_test)
    assert got == "X_test"


def test_cache_is_bounded(monkeypatch):
    monkeypatch.setattr(varnames, "_MAX_CACHE", 3)
    varnames._cache.clear()
    for _ in range(2):
        for code in [compile(f"probe(a{i})", "<cell>", "eval") for i in range(5)]:
            assert eval(code, {"probe": probe, **{f"a{i}": i for i in range(5)}})
    assert len(varnames._cache) <= 3
