"""Post-import hooks and entry-point discovery, the start-up path of AUTOLOG=1."""

from __future__ import annotations

import json
import sys
import textwrap
from importlib import metadata

from autolog import entrypoints, importhooks
from tests.helpers import fake_distribution, run_python


def _module(root, name: str, body: str = "VALUE = 42\n") -> None:
    (root / f"{name}.py").write_text(body)


def test_a_hook_runs_after_the_module_code_with_the_real_loader(tmp_path, monkeypatch):
    _module(tmp_path, "hooked_mod_a")
    monkeypatch.syspath_prepend(str(tmp_path))
    seen = []

    def hook(module):
        seen.append((module.VALUE, type(module.__loader__).__name__,
                     type(module.__spec__.loader).__name__))

    importhooks.when_imported("hooked_mod_a", hook)
    assert seen == []
    import hooked_mod_a  # noqa: F401

    assert seen == [(42, "SourceFileLoader", "SourceFileLoader")]
    sys.modules.pop("hooked_mod_a")


def test_a_hook_for_an_imported_module_runs_at_once():
    seen = []
    importhooks.when_imported("json", seen.append)
    assert seen == [sys.modules["json"]]


def test_hooks_of_submodules_and_a_failed_import(tmp_path, monkeypatch):
    package = tmp_path / "hooked_pkg_b"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "sub.py").write_text("X = 1\n")
    _module(tmp_path, "hooked_broken_c", "raise RuntimeError('broken')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    seen = []
    importhooks.when_imported("hooked_pkg_b.sub", lambda m: seen.append(m.X))
    importhooks.when_imported("hooked_broken_c", lambda m: seen.append("broken"))
    import hooked_pkg_b  # noqa: F401

    assert seen == []
    import hooked_pkg_b.sub  # noqa: F401

    assert seen == [1]
    try:
        import hooked_broken_c  # noqa: F401
    except RuntimeError:
        pass
    assert seen == [1]
    for name in ("hooked_pkg_b", "hooked_pkg_b.sub"):
        sys.modules.pop(name, None)


def test_entry_points_are_importlib_metadatas(tmp_path, monkeypatch):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    fake_distribution(first, "plug_a",
                      "[autolog.integrations]\nfoo = plug_a:Foo\n\n[other]\nx = y:z\n")
    fake_distribution(second, "plug_a", "[autolog.integrations]\nshadowed = plug_a:Old\n")
    fake_distribution(second, "plug.b",
                      "# comment\n[ autolog.integrations ]\nbar = plug_b.mod:Bar.Inner\n")
    monkeypatch.syspath_prepend(str(second))
    monkeypatch.syspath_prepend(str(first))
    for group in ("autolog.integrations", "other", "console_scripts", "pytest11"):
        # The same entry points; the order within a folder is the folder listing's (which
        # importlib.metadata caches per modification time, to the second).
        ours = sorted((ep.name, ep.value) for ep in entrypoints.entry_points(group))
        assert ours == sorted((ep.name, ep.value) for ep in metadata.entry_points(group=group))
    found = [(e.name, e.value) for e in entrypoints.entry_points("autolog.integrations")]
    assert ("foo", "plug_a:Foo") in found and ("bar", "plug_b.mod:Bar.Inner") not in found
    assert ("shadowed", "plug_a:Old") not in found  # the first plug_a on sys.path wins


def test_a_distribution_installed_later_is_found(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    assert entrypoints.entry_points("autolog.test-late") == []
    fake_distribution(tmp_path, "late_plugin", "[autolog.test-late]\nlate = json:dumps\n")
    (found,) = entrypoints.entry_points("autolog.test-late")
    assert found.load() is json.dumps


def test_autolog_1_imports_no_framework_no_integration_and_no_wrapt():
    # What start-up imported, listed before the child imports anything itself.
    result = run_python("import sys; m = sorted(sys.modules); import json; print(json.dumps(m))",
                        env={"AUTOLOG": "1"})
    assert result.returncode == 0, result.stderr
    at_start = set(json.loads(result.stdout))
    assert "autolog.activation" in at_start
    assert not at_start & {"sklearn", "torch", "mlflow", "wrapt", "autolog_sklearn",
                           "autolog_torch", "importlib.metadata", "typing", "dataclasses",
                           "threading", "re"}
    result = run_python("import autolog; print(autolog.is_enabled())", env={"AUTOLOG": "1"})
    assert result.stdout.strip() == "True"


def test_the_integration_loads_when_its_framework_is_imported(tmp_path):
    code = textwrap.dedent("""
        import json, sys
        before = "autolog_sklearn" in sys.modules
        from sklearn.linear_model import LinearRegression
        LinearRegression().fit([[0.0], [1.0], [2.0]], [0.0, 1.0, 2.0])
        import autolog
        autolog.flush()
        print(json.dumps({"before": before, "after": "autolog_sklearn" in sys.modules,
                          "torch": "autolog_torch" in sys.modules,
                          "runs": len(autolog.search_runs())}))
    """)
    result = run_python(code, env={"AUTOLOG": "1", "AUTOLOG_STORE": str(tmp_path / "s")})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "before": False, "after": True, "torch": False, "runs": 1}


def test_an_entry_point_named_after_another_module_is_refused_with_a_warning(tmp_path):
    (tmp_path / "fakefw.py").write_text("VALUE = 1\n")
    (tmp_path / "fakefw_plugin.py").write_text(textwrap.dedent("""
        from autolog.integration import Integration

        class Plugin(Integration):
            name = "fakefw"
            module = "otherfw"  # not the entry point's name
            distribution = "fakefw-plugin"

            def apply(self, module):
                raise AssertionError("must not be applied")
    """))
    fake_distribution(tmp_path, "fakefw_plugin",
                      "[autolog.integrations]\nfakefw = fakefw_plugin:Plugin\n")
    code = textwrap.dedent("""
        import warnings
        import autolog
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            autolog.enable()
            import fakefw
        print([str(w.message) for w in caught])
    """)
    result = run_python(code, env={"PYTHONPATH": str(tmp_path),
                                   "AUTOLOG_STORE": str(tmp_path / "s")})
    assert result.returncode == 0, result.stderr
    assert "must be named after the module it patches" in result.stdout
