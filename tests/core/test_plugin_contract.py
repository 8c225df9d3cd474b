"""The public plugin contract: autolog.plugin, the Integration lifecycle, recorded_call, the
flavor-loader table (entry-point group ``autolog.flavors``) and validation at discovery."""

from __future__ import annotations

import json
import textwrap
import warnings

import numpy as np
import pytest

import autolog
from autolog import plugin
from autolog.errors import ModelFolderError, PluginError
from autolog.integration import Integration
from autolog.model import flavors
from autolog.patching import PatchSet
from tests.helpers import fake_distribution, run_python


def test_every_name_of_the_contract_resolves():
    assert list(plugin.__all__) == sorted(plugin.__all__)
    for name in plugin.__all__:
        assert getattr(plugin, name) is not None, name
    assert plugin.Integration is Integration and plugin.FlavorLoader is flavors.FlavorLoader
    with pytest.raises(AttributeError, match="plugin contract"):
        plugin.not_a_name  # noqa: B018


def test_import_of_the_contract_imports_no_framework():
    proc = run_python("import sys, autolog.plugin\n"
                      "print([m for m in ('sklearn', 'torch', 'onnx', 'mlflow') "
                      "if m in sys.modules])")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


# -- recorded_call ---------------------------------------------------------------------------

class _Recording:
    def __init__(self, log: list[str], fail_in: str = "") -> None:
        self.log, self.fail_in = log, fail_in

    def fail(self) -> None:
        self.log.append("fail")
        if self.fail_in == "fail":
            raise RuntimeError("autolog bug in fail")

    def finish(self, result: object) -> None:
        self.log.append(f"finish:{result}")
        if self.fail_in == "finish":
            raise RuntimeError("autolog bug in finish")


def _train(value: int) -> int:
    return value * 2


def test_recorded_call_passes_through_when_autolog_is_off():
    log: list[str] = []
    assert plugin.recorded_call(_train, (3,), {}, lambda: _Recording(log), "train") == 6
    assert log == []


def test_recorded_call_records_once_and_nested_calls_pass_through(tmp_path):
    autolog.enable(store=str(tmp_path / "s"))
    log: list[str] = []

    def outer(value: int) -> int:  # library code calling the framework again inside
        return plugin.recorded_call(_train, (value,), {}, lambda: _Recording(log), "inner")

    assert plugin.recorded_call(outer, (5,), {}, lambda: _Recording(log), "outer") == 10
    assert log == ["finish:10"]


def test_a_user_exception_propagates_unchanged_after_fail(tmp_path):
    autolog.enable(store=str(tmp_path / "s"), testing=False)
    log: list[str] = []
    error = ValueError("the user's own bug")

    def broken() -> None:
        raise error

    with pytest.raises(ValueError) as caught:
        plugin.recorded_call(broken, (), {}, lambda: _Recording(log, fail_in="fail"), "fit")
    assert caught.value is error and log == ["fail"]  # autolog's bug in fail() only warned


@pytest.mark.parametrize("where", ["start", "finish"])
def test_autologs_own_failure_is_one_warning_and_the_result_is_unchanged(tmp_path, where):
    autolog.enable(store=str(tmp_path / "s"), testing=False)
    log: list[str] = []

    def start() -> _Recording:
        if where == "start":
            raise RuntimeError("autolog bug in start")
        return _Recording(log, fail_in=where)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert plugin.recorded_call(_train, (4,), {}, start, "the fit of X") == 8
    messages = [str(w.message) for w in caught if issubclass(w.category, plugin.AutologWarning)]
    assert len(messages) == 1 and f"autolog bug in {where}" in messages[0]


# -- lifecycle -------------------------------------------------------------------------------

class _Handle:
    def __init__(self) -> None:
        self.removed = 0

    def remove(self) -> None:
        self.removed += 1


class _Toy(Integration):
    name = module = distribution = "toyfw"

    def __init__(self) -> None:
        super().__init__()
        self.handle = _Handle()
        self.ended = 0

    def apply(self, module: object) -> None:
        self.patches.hold(self.handle)

    def on_end_run(self) -> None:
        self.ended += 1


def test_the_base_class_owns_the_lifecycle_and_the_end_of_run_hook():
    toy = _Toy()
    with pytest.raises(AttributeError):
        toy.applied = True  # type: ignore[misc]
    toy.activate(object())
    toy.activate(object())  # once
    assert toy.applied and len(toy.patches) == 1
    autolog.end_run()
    assert toy.ended == 1
    toy.deactivate()
    assert not toy.applied and toy.handle.removed == 1 and len(toy.patches) == 0
    autolog.end_run()
    assert toy.ended == 1  # no longer called


def test_a_failing_apply_is_undone():
    class Broken(_Toy):
        def apply(self, module: object) -> None:
            super().apply(module)
            raise RuntimeError("half applied")

    broken = Broken()
    with pytest.raises(RuntimeError):
        broken.activate(object())
    assert not broken.applied and broken.handle.removed == 1


def test_patchset_reverts_patches_and_handles_last_first():
    class Owner:
        def f(self) -> int:
            return 1

    order: list[str] = []
    patches = PatchSet()
    original = Owner.f
    patches.wrap(Owner, "f", lambda wrapped, instance, args, kwargs: 2)

    class Handle:
        def remove(self) -> None:
            order.append("handle" if Owner.f is not original else "handle-after-revert")

    patches.hold(Handle())
    assert Owner().f() == 2
    patches.revert_all()
    assert Owner.f is original and order == ["handle"]


# -- validation at discovery -----------------------------------------------------------------

@pytest.mark.parametrize(("body", "expected"), [
    ("Plugin = object", "is not a subclass of autolog.plugin.Integration"),
    ("class Plugin(Integration):\n    name = 'fakefw'\n    module = 'fakefw'\n"
     "    def apply(self, module):\n        pass", "must set the class variable(s) distribution"),
    ("class Plugin(Integration):\n    name = module = distribution = 'fakefw'\n"
     "    supported = 'version two'\n    def apply(self, module):\n        pass",
     "is not a PEP 440 version specifier"),
    ("class Plugin(Integration):\n    name = module = distribution = 'fakefw'",
     "patches nothing: declare targets or implement apply(module)"),
])
def test_a_plugin_with_a_mistake_is_refused_naming_its_entry_point(tmp_path, body, expected):
    (tmp_path / "fakefw.py").write_text("VALUE = 1\n")
    (tmp_path / "fakefw_plugin.py").write_text("from autolog.plugin import Integration\n" + body)
    fake_distribution(tmp_path, "fakefw_plugin",
                      "[autolog.integrations]\nfakefw = fakefw_plugin:Plugin\n")
    code = textwrap.dedent("""
        import json, warnings
        import autolog
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            autolog.enable()
            import fakefw
        print(json.dumps([fakefw.VALUE, [str(w.message) for w in caught]]))
    """)
    result = run_python(code, env={"PYTHONPATH": str(tmp_path),
                                   "AUTOLOG_STORE": str(tmp_path / "s")})
    assert result.returncode == 0, result.stderr
    value, messages = json.loads(result.stdout.strip().splitlines()[-1])
    assert value == 1 and len(messages) == 1  # the user's import works; one warning
    assert "fakefw = fakefw_plugin:Plugin" in messages[0] and expected in messages[0]


# -- the flavor-loader table -----------------------------------------------------------------

def _folder_of_a_plugin_flavor(path):
    from autolog.model.folder import ModelSpec, fill_model_folder

    path.mkdir()
    fill_model_folder(path, ModelSpec(
        flavors={"toyflavor": {"data": "weights.json"}},
        pyfunc={"loader_module": "toy_loader"},
        files={"weights.json": json.dumps([2.0, 1.0]).encode()},
        requirements=[],
    ), run_id=None)
    return path


_TOY_LOADER = textwrap.dedent("""
    import json
    import numpy as np
    from autolog.plugin import FlavorLoader

    class Linear:
        def __init__(self, weights):
            self.weights = np.asarray(weights)

    def load(folder, conf):
        return Linear(json.loads((folder.path / conf["data"]).read_text()))

    LOADER = FlavorLoader("toyflavor", load, predict=lambda m, x: np.asarray(x) @ m.weights,
                          pickled=False, model_files=lambda conf: [conf["data"]])
    WRONG_NAME = FlavorLoader("otherflavor", load)
    NOT_A_LOADER = object()
""")


def test_load_model_serves_a_flavor_a_plugin_adds(tmp_path):
    folder = _folder_of_a_plugin_flavor(tmp_path / "model")
    (tmp_path / "toy_loader.py").write_text(_TOY_LOADER)
    fake_distribution(tmp_path, "toy_loader", "[autolog.flavors]\ntoyflavor = toy_loader:LOADER\n")
    code = textwrap.dedent(f"""
        import json, autolog
        from autolog.model import flavors
        model = autolog.load_model({str(folder)!r}, allow_pickle=False)
        print(json.dumps([model.flavor, model.format, model.predict([[1.0, 3.0]]).tolist(),
                          "toyflavor" in flavors.known()]))
    """)
    result = run_python(code, env={"PYTHONPATH": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [
        "toyflavor", "native", [5.0], True]
    # The CLI serves it too.
    out = tmp_path / "out.json"
    (tmp_path / "in.csv").write_text("a,b\n1,3\n0,1\n")
    cli = run_python(
        "from autolog.cli import main; import sys; sys.argv = ['autolog', 'predict', "
        f"{str(folder)!r}, '-i', {str(tmp_path / 'in.csv')!r}, '-o', {str(out)!r}, "
        "'--flavor', 'toyflavor', '--no-progress']; main()",
        env={"PYTHONPATH": str(tmp_path)})
    assert cli.returncode == 0, cli.stderr
    assert "5.0" in out.read_text() and "1.0" in out.read_text()


@pytest.mark.parametrize(("target", "expected"), [
    ("toy_loader:WRONG_NAME", "names the loader of flavor 'otherflavor'"),
    ("toy_loader:NOT_A_LOADER", "must name an autolog.plugin.FlavorLoader"),
    ("toy_loader:MISSING", "AttributeError"),
])
def test_a_broken_flavor_plugin_fails_naming_its_entry_point(tmp_path, target, expected):
    folder = _folder_of_a_plugin_flavor(tmp_path / "model")
    (tmp_path / "toy_loader.py").write_text(_TOY_LOADER)
    fake_distribution(tmp_path, "toy_loader", f"[autolog.flavors]\ntoyflavor = {target}\n")
    code = textwrap.dedent(f"""
        import autolog
        try:
            autolog.load_model({str(folder)!r}, flavor="toyflavor")
        except autolog.AutologError as exc:
            print(type(exc).__name__, exc)
    """)
    result = run_python(code, env={"PYTHONPATH": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("PluginError")
    assert f"toyflavor = {target}" in result.stdout and expected in result.stdout


def test_a_flavor_nothing_loads_is_a_clear_error(tmp_path):
    folder = _folder_of_a_plugin_flavor(tmp_path / "model")
    with pytest.raises(ModelFolderError, match="no installed package loads the 'toyflavor'"):
        autolog.load_model(folder)
    assert flavors.loader("toyflavor") is None
    with pytest.raises(PluginError):
        raise PluginError("x")  # a subclass of AutologError users can catch
    assert issubclass(PluginError, autolog.AutologError)


def test_format_means_native_or_onnx_everywhere(store, tmp_path):
    from sklearn.linear_model import LinearRegression

    X = np.arange(20.0).reshape(10, 2)
    LinearRegression().fit(X, X.sum(axis=1))
    autolog.flush()
    uri = f"runs:/{autolog.search_runs()[0].info.run_id}/model"
    for name in ("native", "pickle"):
        model = autolog.load_model(uri, format=name)
        assert (model.flavor, model.format) == ("sklearn", "native")
    assert autolog.load_model(uri, flavor="sklearn").format == "native"
    with pytest.raises(ValueError, match="choose one of native, onnx"):
        autolog.load_model(uri, format="xml")
    with pytest.raises(ModelFolderError, match="no 'onnx' format"):
        autolog.load_model(uri, format="onnx")
    with pytest.raises(ModelFolderError, match="has no 'pytorch' flavor"):
        autolog.load_model(uri, flavor="pytorch")


# -- declared targets ------------------------------------------------------------------------

def test_declared_targets_are_patched_when_their_module_is_imported_and_undone(
        tmp_path, monkeypatch):
    import sys
    import types

    from autolog.patching import is_autolog_wrapper

    now = types.ModuleType("toyfw_now")

    class Model:
        def fit(self) -> str:
            return "fitted"

    def train() -> str:
        return "trained"

    now.Model, now.train = Model, train
    monkeypatch.setitem(sys.modules, "toyfw_now", now)
    (tmp_path / "toyfw_later.py").write_text("def train():\n    return 'later'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    calls: list[str] = []

    class Declared(Integration):
        name = module = distribution = "toyfw_now"
        targets = (plugin.Target("toyfw_now", "train", "_wrap"),
                   plugin.Target("toyfw_now", "Model.fit", "_wrap"),
                   plugin.Target("toyfw_later", "train", "_wrap"))

        def _wrap(self, wrapped, instance, args, kwargs):
            calls.append(wrapped.__name__)
            return wrapped(*args, **kwargs)

    integration = Declared()
    integration.activate(now)
    assert now.train() == "trained" and Model().fit() == "fitted"
    import toyfw_later  # imported after activation: patched on import

    assert toyfw_later.train() == "later"
    assert calls == ["train", "fit", "train"]
    assert is_autolog_wrapper(vars(Model)["fit"]) and len(integration.patches) == 3
    integration.deactivate()
    assert now.train is train and vars(Model)["fit"] is Model.__dict__["fit"]
    assert not is_autolog_wrapper(vars(Model)["fit"]) and not is_autolog_wrapper(
        toyfw_later.train)
    integration.activate(now)  # again: patched once more, not twice
    assert len(integration.patches) == 3
    integration.deactivate()


def test_targets_are_validated():
    from autolog.entrypoints import EntryPoint
    from autolog.integration import validate

    entry_point = EntryPoint("toyfw", "toy:Plugin", "autolog.integrations")

    class Nothing(Integration):
        name = module = distribution = "toyfw"

    class WrongWrapper(Integration):
        name = module = distribution = "toyfw"
        targets = (plugin.Target("toyfw", "train", "_missing"),)

    class Fine(WrongWrapper):
        def _missing(self, wrapped, instance, args, kwargs):
            return wrapped(*args, **kwargs)

    with pytest.raises(PluginError, match="patches nothing: declare targets or implement"):
        validate(Nothing, entry_point)
    with pytest.raises(PluginError, match="names the wrapper '_missing', which is not a method"):
        validate(WrongWrapper, entry_point)
    assert validate(Fine, entry_point) is Fine
