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


def _type_checking_names(path) -> dict[str, str]:
    """Name -> module of the ``if TYPE_CHECKING:`` imports of a lazy facade."""
    import ast
    import importlib.util

    tree = ast.parse(path.read_text())
    block = next(node for node in tree.body if isinstance(node, ast.If)
                 and getattr(node.test, "id", None) == "TYPE_CHECKING")
    names = {}
    for node in ast.walk(block):
        if isinstance(node, ast.ImportFrom) and node.module != "typing":
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                parent = importlib.import_module(node.module)
                is_module = (hasattr(parent, "__path__")
                             and importlib.util.find_spec(submodule) is not None)
                names[alias.asname or alias.name] = submodule if is_module else node.module
    return names


def test_all_the_lazy_table_the_type_checking_block_and_the_readme_agree():
    from pathlib import Path

    from tests.helpers import ROOT

    lazy = autolog._LAZY
    assert sorted(autolog.__all__) == sorted([*lazy, "__version__"])
    assert _type_checking_names(Path(autolog.__file__)) == lazy
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Python API", 1)[1].split("\n## ", 1)[0]
    import re

    listing = section[section.index("\n- "):section.index("\n\n", section.index("\n- "))]
    documented = set(re.findall(r"`(\w+)`", listing))
    assert documented == set(autolog.__all__)


def test_the_plugin_contract_its_lazy_table_and_its_docstring_agree():
    from pathlib import Path

    from autolog import plugin

    table = {name: target.partition(":")[0] for name, target in plugin._LAZY.items()}
    assert list(plugin.__all__) == sorted(table)
    checked = _type_checking_names(Path(plugin.__file__))
    assert {n: m for n, m in checked.items() if n in table} == table
    assert set(checked) == set(table)
    for name in plugin.__all__:
        assert name in plugin.__doc__, f"{name} is not described in autolog.plugin's docstring"
