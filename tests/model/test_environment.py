"""Tests for autolog.model.environment: requirements from a pickle's opcodes, and the env files."""

from __future__ import annotations

import importlib.metadata
import os
import pickle
import pickletools
import platform
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import cloudpickle
import numpy as np
import pytest
import yaml
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from autolog.model import environment

ENVIRONMENT_PY = Path(environment.__file__)
THIS_MODULE = __name__.partition(".")[0]


class PickledByReference:
    """A class that pickle stores as a reference to this test module."""

    def __init__(self, value: int = 3) -> None:
        self.value = value


@pytest.fixture(scope="module")
def fitted_pipeline() -> Pipeline:
    rng = np.random.RandomState(0)
    X = rng.rand(40, 3)
    y = (X[:, 0] > 0.5).astype(int)
    return Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression())]).fit(X, y)


def opcode_names(data: bytes) -> list[str]:
    return [op.name for op, _arg, _pos in pickletools.genops(data)]


def installed(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


# --- modules_in_pickle -------------------------------------------------------------------


def test_cloudpickled_pipeline_needs_sklearn_and_numpy(fitted_pipeline: Pipeline) -> None:
    modules = environment.modules_in_pickle(cloudpickle.dumps(fitted_pipeline))
    assert {"sklearn", "numpy"} <= modules
    assert not modules & set(sys.stdlib_module_names)
    assert all("." not in module for module in modules)


def test_plain_data_needs_nothing() -> None:
    assert environment.modules_in_pickle(pickle.dumps({1: 2, 3: 4, 5: [6, 7]})) == set()
    # Strings that merely look like module names are data, not globals.
    assert environment.modules_in_pickle(pickle.dumps({"numpy": "sklearn", "x": "y"})) == set()


@pytest.mark.parametrize("protocol", [0, 1, 2, 3])
def test_global_opcode_protocols(fitted_pipeline: Pipeline, protocol: int) -> None:
    data = pickle.dumps(fitted_pipeline, protocol=protocol)
    names = opcode_names(data)
    assert "GLOBAL" in names and "STACK_GLOBAL" not in names
    modules = environment.modules_in_pickle(data)
    assert {"sklearn", "numpy"} <= modules
    # Protocol < 3 names builtins "__builtin__" and copyreg "copy_reg": still standard library.
    assert not modules & {"__builtin__", "copy_reg", "builtins", "copyreg", "_codecs"}


@pytest.mark.parametrize("protocol", [4, 5])
def test_stack_global_protocols(fitted_pipeline: Pipeline, protocol: int) -> None:
    data = pickle.dumps(fitted_pipeline, protocol=protocol)
    names = opcode_names(data)
    assert "STACK_GLOBAL" in names and "GLOBAL" not in names
    assert {"sklearn", "numpy"} <= environment.modules_in_pickle(data)


def test_stack_global_module_fetched_from_memo() -> None:
    # "numpy" is first pickled as a list item and memoized; the global np.ndarray then gets its
    # module string back from the memo with BINGET, so only the memo emulation can find it.
    data = pickle.dumps(["numpy", np.ndarray], protocol=5)
    names = opcode_names(data)
    assert names.count("SHORT_BINUNICODE") == 2  # "numpy" and "ndarray", nothing else
    at = names.index("STACK_GLOBAL")
    assert names[at - 3 : at] == ["BINGET", "SHORT_BINUNICODE", "MEMOIZE"]
    assert environment.modules_in_pickle(data) == {"numpy"}

    # Two classes of one module: the second fetches the module string from the memo.
    data = pickle.dumps([StandardScaler, MinMaxScaler], protocol=5)
    assert "BINGET" in opcode_names(data)
    assert environment.modules_in_pickle(data) == {"sklearn"}


def test_text_put_get_and_inst_opcodes() -> None:
    # Hand-written pickles (never unpickled), using the text memo opcodes PUT/GET and POP
    # between the memoization and the fetch, and the protocol-0 INST opcode.
    stack_global = b"\x80\x04Vpkg_one.sub\np7\n0g7\nVKlass\n\x93."
    assert opcode_names(stack_global)[-2] == "STACK_GLOBAL"
    assert environment.modules_in_pickle(stack_global) == {"pkg_one"}

    inst = b"(ipkg_two.mod\nThing\n(dp0\nb."
    assert "INST" in opcode_names(inst)
    assert environment.modules_in_pickle(inst) == {"pkg_two"}

    # A protocol-2 reference to a Python 2 standard-library name is mapped like unpickling does.
    assert environment.modules_in_pickle(b"\x80\x02cexceptions\nValueError\n.") == set()


def test_class_pickled_by_reference_names_its_module() -> None:
    assert THIS_MODULE not in sys.stdlib_module_names
    data = pickle.dumps(PickledByReference(), protocol=5)
    assert environment.modules_in_pickle(data) == {THIS_MODULE}
    data = pickle.dumps([PickledByReference(), PickledByReference(4)], protocol=2)
    assert environment.modules_in_pickle(data) == {THIS_MODULE}


def test_not_a_pickle_raises() -> None:
    with pytest.raises(ValueError):
        environment.modules_in_pickle(b"\x80\x05\x95")


# --- distributions and requirements -------------------------------------------------------


def test_distributions_for_modules() -> None:
    found = environment.distributions_for_modules(
        ["sklearn", "sklearn.linear_model", "numpy", "os", "__main__", "no_such_module_xyz"]
    )
    assert found == {
        "scikit-learn": importlib.metadata.version("scikit-learn"),
        "numpy": importlib.metadata.version("numpy"),
    }


def test_pinned_requirements_uses_distribution_names() -> None:
    requirements = environment.pinned_requirements(["sklearn", "numpy", THIS_MODULE])
    assert requirements == sorted(
        [
            f"scikit-learn=={importlib.metadata.version('scikit-learn')}",
            f"numpy=={importlib.metadata.version('numpy')}",
        ]
    )


def test_pinned_requirements_strips_local_version_labels() -> None:
    version = installed("torch")
    assert version is not None, "torch is a test dependency"
    public = version.partition("+")[0]
    requirements = environment.pinned_requirements(["torch"])
    assert requirements == [f"torch=={public}"]
    if "+" in version:  # e.g. 2.13.0+cpu
        assert environment.distributions_for_modules(["torch"]) == {"torch": version}


def test_pinned_requirements_base_sorted_and_deduplicated() -> None:
    sklearn_pin = f"scikit-learn=={importlib.metadata.version('scikit-learn')}"
    requirements = environment.pinned_requirements(
        ["sklearn", "sklearn.pipeline", "numpy", "sklearn"],
        base=["scikit-learn", "cloudpickle", "no-such-distribution-xyz"],
    )
    assert requirements == sorted(requirements, key=str.lower)
    assert requirements.count(sklearn_pin) == 1
    assert f"cloudpickle=={importlib.metadata.version('cloudpickle')}" in requirements
    assert not any(line.startswith("no-such-distribution") for line in requirements)
    assert len(requirements) == 3


def test_extra_replaces_pin_and_is_kept_verbatim() -> None:
    cloudpickle_pin = f"cloudpickle=={importlib.metadata.version('cloudpickle')}"
    git_url = "git+https://github.com/example/project.git"
    requirements = environment.pinned_requirements(
        ["sklearn", "numpy"],
        extra=["scikit-learn>=1.0", "NumPy >=2", git_url, "scikit-learn>=1.0"],
        base=["cloudpickle"],
    )
    # Names compare as PEP 503 names ("NumPy" is "numpy"); URLs replace nothing.
    assert requirements == sorted(
        ["scikit-learn>=1.0", "NumPy >=2", git_url, cloudpickle_pin], key=str.lower
    )

    requirements = environment.pinned_requirements(["sklearn"], extra=["Scikit_Learn[x] <2"])
    assert requirements == ["Scikit_Learn[x] <2"]


def test_python_version() -> None:
    assert environment.python_version() == platform.python_version()
    assert re.fullmatch(r"\d+\.\d+\.\d+", environment.python_version())


# --- environment files --------------------------------------------------------------------


def test_write_environment_files_match_mlflow(tmp_path: Path) -> None:
    from mlflow.utils.environment import _mlflow_conda_env, _PythonEnv

    requirements = environment.pinned_requirements(["sklearn", "numpy"], base=["cloudpickle"])
    folder = tmp_path / "model"  # does not exist yet
    env = environment.write_environment_files(folder, requirements)
    assert env == {"conda": "conda.yaml", "virtualenv": "python_env.yaml"}
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["conda.yaml", "python_env.yaml", "requirements.txt"]
    )

    assert (folder / "requirements.txt").read_text() == "\n".join(requirements) + "\n"

    python_env = _PythonEnv.from_yaml(folder / "python_env.yaml")
    assert python_env.python == platform.python_version()
    assert python_env.dependencies == ["-r requirements.txt"]
    assert python_env.to_dict() == _PythonEnv.current().to_dict()
    assert list(yaml.safe_load((folder / "python_env.yaml").read_text())) == [
        "python",
        "build_dependencies",
        "dependencies",
    ]
    # Byte for byte what MLflow writes.
    _PythonEnv.current().to_yaml(tmp_path / "mlflow_python_env.yaml")
    assert (folder / "python_env.yaml").read_text() == (
        tmp_path / "mlflow_python_env.yaml"
    ).read_text()

    conda = yaml.safe_load((folder / "conda.yaml").read_text())
    pip = installed("pip")
    assert conda == {
        "channels": ["conda-forge"],
        "dependencies": [
            f"python={platform.python_version()}",
            f"pip<={pip}" if pip else "pip",
            {"pip": requirements},
        ],
        "name": "mlflow-env",
    }
    mlflow_conda = tmp_path / "mlflow_conda.yaml"
    _mlflow_conda_env(path=mlflow_conda, additional_pip_deps=requirements, install_mlflow=False)
    assert (folder / "conda.yaml").read_text() == mlflow_conda.read_text()
    assert _PythonEnv.from_conda_yaml(folder / "conda.yaml").dependencies == requirements


def test_write_environment_files_empty_requirements(tmp_path: Path) -> None:
    environment.write_environment_files(str(tmp_path), [])
    assert (tmp_path / "requirements.txt").read_text() == ""
    assert yaml.safe_load((tmp_path / "conda.yaml").read_text())["dependencies"][-1] == {"pip": []}


# --- cost ---------------------------------------------------------------------------------


def test_no_subprocess(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, fitted_pipeline: Pipeline
) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("autolog.model.environment must not start processes")

    monkeypatch.setattr(subprocess, "Popen", forbidden)
    for name in ("system", "fork", "posix_spawn", "posix_spawnp"):
        if hasattr(os, name):
            monkeypatch.setattr(os, name, forbidden)
    environment.clear_caches()  # take the first-call path too

    modules = environment.modules_in_pickle(cloudpickle.dumps(fitted_pipeline))
    requirements = environment.pinned_requirements(modules, base=["cloudpickle"])
    assert any(line.startswith("scikit-learn==") for line in requirements)
    environment.write_environment_files(tmp_path, requirements)
    assert (tmp_path / "conda.yaml").exists()


def test_does_not_import_heavy_modules(tmp_path: Path) -> None:
    # A fresh interpreter loads environment.py on its own (not through the autolog package,
    # whose __init__ may import more) and uses the whole API.
    script = textwrap.dedent(
        f"""
        import importlib.util, sys
        spec = importlib.util.spec_from_file_location("standalone", {str(ENVIRONMENT_PY)!r})
        env = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(env)
        data = b"\\x80\\x04Vsklearn.base\\nVX\\n\\x93."
        modules = env.modules_in_pickle(data)
        assert modules == {{"sklearn"}}, modules
        reqs = env.pinned_requirements(modules | {{"numpy", "torch"}}, base=["cloudpickle"])
        env.write_environment_files({str(tmp_path)!r}, reqs)
        heavy = {{"numpy", "sklearn", "torch", "mlflow", "pandas", "scipy", "cloudpickle"}}
        print(sorted(heavy & set(sys.modules)))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
