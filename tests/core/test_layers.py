"""The import graph of ``autolog/`` and ``integrations/``: layered, without cycles.

Every import counts: module level, inside functions, under ``TYPE_CHECKING``, relative, and
the names a lazy table imports later (a string ``"autolog.stores.local:LocalStore"`` or
``"autolog.writer"``). ``from autolog import tracking`` imports the module ``autolog.tracking``;
``from autolog import __version__`` imports the package ``autolog`` itself (the top layer).

The layers, bottom up (:data:`LAYERS`); a module imports only from its own layer or below, and
its own layer only without a cycle:

1. facts: values and rules with no behaviour of autolog behind them (errors, options, runs,
   registry records, URIs, file helpers);
2. mechanisms: the machinery the rest runs on (safety, patching, the writer, import hooks,
   signatures, run context probes);
3. model: a model folder and its formats;
4. storage: the stores;
5. recording: runs being recorded in this process (tracking, a run's context, the
   integration contract);
6. services: what the public API does (enable/disable, registry, loading, evaluation, sync);
7. entry points: the package, the CLI, the UI, the notebook magic, interpreter start-up;
8. integrations: the packages under ``integrations/``, which import from ``autolog`` only
   :data:`INTEGRATION_CONTRACT` (once ``autolog.plugin`` exists).
"""

from __future__ import annotations

import ast
import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# (layer, module patterns); the longest matching pattern decides a module's layer.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("facts", ("autolog._version", "autolog.errors", "autolog.config", "autolog.runs",
               "autolog.registry.records", "autolog.registry.metric_kinds", "autolog.uris",
               "autolog.yamlio", "autolog.fileio", "autolog.params", "autolog.imported")),
    ("mechanisms", ("autolog.safety", "autolog.patching", "autolog.writer", "autolog.liveness",
                    "autolog.workers", "autolog.importhooks", "autolog.entrypoints",
                    "autolog.signature", "autolog.signature.*", "autolog.datasets",
                    "autolog.varnames", "autolog.heldout", "autolog.context",
                    "autolog.context.source", "autolog.context.packages",
                    "autolog.context.hardware", "autolog.context.probes")),
    ("model", ("autolog.model", "autolog.model.*", "autolog.model.formats.*")),
    ("storage", ("autolog.stores", "autolog.stores.*")),
    ("recording", ("autolog.tracking", "autolog.context.sampler", "autolog.context.run",
                   "autolog.integration", "autolog.calls")),
    ("services", ("autolog.activation", "autolog.registry", "autolog.registry.*",
                  "autolog.loading", "autolog.model_logging", "autolog.sync",
                  "autolog.evaluation", "autolog.evaluation.*")),
    ("entry points", ("autolog", "autolog.plugin", "autolog.cli", "autolog.cli.*", "autolog.ui",
                      "autolog.ui.*", "autolog.magic", "autolog.startup", "autolog.testing",
                      "autolog.testing.*")),
    ("integrations", ("autolog_*",)),
]

# What an integration may import from autolog: the plugin contract and the exceptions.
INTEGRATION_CONTRACT = {"autolog.plugin", "autolog.errors"}

@dataclass(frozen=True)
class Import:
    """``source`` imports ``target`` at ``path:line``."""

    source: str
    target: str
    path: Path
    line: int

    def where(self, root: Path) -> str:
        return f"{self.path.relative_to(root)}:{self.line}"


def find_modules(root: Path) -> dict[str, tuple[Path, bool]]:
    """Module name -> (file, is a package) for ``autolog/`` and each ``integrations/<pkg>/``."""
    modules = {}
    files = [(path, path.relative_to(root).parts) for path in (root / "autolog").rglob("*.py")]
    files += [(path, path.relative_to(root / "integrations").parts)
              for path in (root / "integrations").rglob("*.py")]
    for path, parts in files:
        names = [*parts[:-1], path.stem]
        is_package = names[-1] == "__init__"
        if is_package:
            names.pop()
        modules[".".join(names)] = (path, is_package)
    return modules


def _known(name: str, modules: dict[str, tuple[Path, bool]]) -> str | None:
    """The module of ``modules`` that ``import name`` imports (its longest known prefix)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool,
             modules: dict[str, tuple[Path, bool]]) -> list[str]:
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = module.split(".") if is_package else module.split(".")[:-1]
            package = package[:len(package) - node.level + 1]
            base = ".".join([*package, *([node.module] if node.module else [])])
        # ``from a import b``: the module a.b when it is one, else the module a.
        names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                 for alias in node.names]
    return [found for found in (_known(name, modules) for name in names) if found]


_OBJECT_NAME = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")
# Calls whose first argument names a module to import (or to read, already imported).
_IMPORTING_CALLS = {"import_module", "__import__", "find_spec", "get"}


def _lazy_targets(tree: ast.AST, modules: dict[str, tuple[Path, bool]]
                  ) -> list[tuple[str, int]]:
    """Imports made later by name: ``"module:attr"`` strings (entry-point style), module names
    as the values of a table (``_LAZY = {"enable": "autolog.activation"}``) and the first
    argument of ``importlib.import_module(...)`` or ``sys.modules.get(...)``."""
    found = []
    for node in ast.walk(tree):
        strings: list[ast.expr] = []
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if _OBJECT_NAME.match(node.value):
                strings.append(node)
        elif isinstance(node, ast.Dict):
            strings += node.values
        elif isinstance(node, ast.Call) and node.args:
            function = node.func
            name = function.attr if isinstance(function, ast.Attribute) else getattr(
                function, "id", "")
            if name in _IMPORTING_CALLS:
                strings.append(node.args[0])
        for string in strings:
            if isinstance(string, ast.Constant) and isinstance(string.value, str):
                target = string.value.partition(":")[0]
                if target in modules:
                    found.append((target, string.lineno))
    return found


def find_imports(root: Path) -> tuple[dict[str, tuple[Path, bool]], list[Import]]:
    """Every module under ``root`` and every import between them."""
    modules = find_modules(root)
    found = []
    for module, (path, is_package) in sorted(modules.items()):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        pairs = [(target, node.lineno) for node in ast.walk(tree)
                 if isinstance(node, (ast.Import, ast.ImportFrom))
                 for target in _targets(node, module, is_package, modules)]
        pairs += _lazy_targets(tree, modules)
        found += [Import(module, target, path, line) for target, line in sorted(set(pairs))
                  if target != module]
    return modules, found


def layer_of(module: str) -> int | None:
    """The index in :data:`LAYERS` of ``module``'s layer (longest matching pattern)."""
    best: tuple[int, int] | None = None
    for index, (_, patterns) in enumerate(LAYERS):
        for pattern in patterns:
            if fnmatch.fnmatchcase(module, pattern) and (best is None or len(pattern) > best[0]):
                best = (len(pattern), index)
    return None if best is None else best[1]


def find_cycles(imports: list[Import]) -> list[list[Import]]:
    """One cycle (as its chain of imports) for each strongly connected group of modules."""
    edges: dict[str, dict[str, Import]] = {}
    for imp in imports:
        edges.setdefault(imp.source, {}).setdefault(imp.target, imp)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(start: str) -> None:  # Tarjan's algorithm, iterative
        work = [(start, iter(sorted(edges.get(start, {}))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, {})))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(group)

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return [_cycle_in(sorted(group), edges) for group in groups]


def _cycle_in(group: list[str], edges: dict[str, dict[str, Import]]) -> list[Import]:
    """The shortest cycle through ``group[0]`` inside the group (breadth first)."""
    start, members = group[0], set(group)
    came_from: dict[str, Import] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target, imp in sorted(edges.get(node, {}).items()):
                if target == start:
                    chain = [imp]
                    while chain[0].source != start:
                        chain.insert(0, came_from[chain[0].source])
                    return chain
                if target in members and target not in came_from:
                    came_from[target] = imp
                    following.append(target)
        frontier = following
    raise AssertionError(f"no cycle through {start}")  # a strongly connected group has one


def upward_imports(imports: list[Import]) -> list[tuple[Import, str, str]]:
    """Imports from a module to one of a higher layer, with the two layers' names."""
    found = []
    for imp in imports:
        source, target = layer_of(imp.source), layer_of(imp.target)
        if source is not None and target is not None and target > source:
            found.append((imp, LAYERS[source][0], LAYERS[target][0]))
    return found


def _describe_cycle(chain: list[Import], root: Path) -> str:
    return "\n".join([" -> ".join([chain[0].source, *(imp.target for imp in chain)])]
                     + [f"    {imp.where(root)}: {imp.source} imports {imp.target}"
                        for imp in chain])


def _describe_upward(found: list[tuple[Import, str, str]], root: Path) -> list[str]:
    return [f"{imp.where(root)}: {imp.source} ({low}) imports {imp.target} ({high}), a higher "
            "layer" for imp, low, high in found]


@pytest.fixture(scope="module")
def graph() -> tuple[dict[str, tuple[Path, bool]], list[Import]]:
    return find_imports(ROOT)


def test_every_module_has_a_layer(graph: tuple[dict[str, tuple[Path, bool]], list[Import]]
                                  ) -> None:
    modules, _ = graph
    missing = sorted(name for name in modules if layer_of(name) is None)
    assert not missing, f"modules without a layer (add them to LAYERS in {__file__}): {missing}"


def test_no_import_cycles(graph: tuple[dict[str, tuple[Path, bool]], list[Import]]) -> None:
    cycles = find_cycles(graph[1])
    assert not cycles, "import cycles:\n" + "\n".join(
        _describe_cycle(chain, ROOT) for chain in cycles)


def test_imports_go_down_the_layers(graph: tuple[dict[str, tuple[Path, bool]], list[Import]]
                                    ) -> None:
    found = upward_imports(graph[1])
    assert not found, "imports from a lower layer to a higher one:\n" + "\n".join(
        _describe_upward(found, ROOT))


def test_packages_add_nothing_above_their_modules(
        graph: tuple[dict[str, tuple[Path, bool]], list[Import]]) -> None:
    """Importing ``a.b`` runs ``a/__init__.py`` first: a package's own module-level imports
    must sit no higher than the lowest of its modules, or every importer of that module would
    import them too (hence the lazy facades of ``autolog`` and ``autolog.registry``)."""
    modules, _ = graph
    problems = []
    for package, (path, is_package) in sorted(modules.items()):
        if not is_package:
            continue
        members = [layer_of(name) for name in modules if name.startswith(package + ".")]
        floor = min((layer for layer in members if layer is not None), default=None)
        for imp in _runtime_module_level_imports(package, path, modules):
            layer = layer_of(imp.target)
            if floor is not None and layer is not None and layer > floor:
                problems.append(f"{imp.where(ROOT)}: the package {package} imports "
                                f"{imp.target} ({LAYERS[layer][0]}) at module level, above "
                                f"its lowest module ({LAYERS[floor][0]})")
    assert not problems, "\n".join(problems)


def _runtime_module_level_imports(package: str, path: Path,
                                  modules: dict[str, tuple[Path, bool]]) -> list[Import]:
    """The imports a package runs when it is imported (not in functions, not type-only)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found += [Import(package, target, path, node.lineno)
                      for target in _targets(node, package, True, modules)]
    return found


def test_integrations_use_only_the_plugin_contract(
        graph: tuple[dict[str, tuple[Path, bool]], list[Import]]) -> None:
    modules, imports = graph
    outside = sorted({f"{imp.where(ROOT)}: {imp.source} imports {imp.target}"
                      for imp in imports
                      if layer_of(imp.source) == len(LAYERS) - 1
                      and imp.target.partition(".")[0] == "autolog"
                      and imp.target not in INTEGRATION_CONTRACT})
    if "autolog.plugin" not in modules:
        pytest.xfail(f"autolog.plugin does not exist yet; {len(outside)} imports of the "
                     "integrations name other autolog modules")
    assert not outside, ("integrations import from autolog only "
                         f"{sorted(INTEGRATION_CONTRACT)}:\n" + "\n".join(outside))


# -- the checks catch what they are meant to catch ---------------------------------------------
def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (root / "integrations").mkdir(exist_ok=True)
    return root


def test_a_cycle_through_a_function_level_import_is_found(tmp_path: Path) -> None:
    root = _write(tmp_path, {
        "autolog/__init__.py": "",
        "autolog/safety.py": "def f():\n    from autolog import tracking\n",
        "autolog/tracking.py": "from . import writer\n",
        "autolog/writer.py": "import autolog.safety\n",
    })
    cycles = find_cycles(find_imports(root)[1])
    assert [_describe_cycle(chain, root) for chain in cycles] == [
        "autolog.safety -> autolog.tracking -> autolog.writer -> autolog.safety\n"
        "    autolog/safety.py:2: autolog.safety imports autolog.tracking\n"
        "    autolog/tracking.py:1: autolog.tracking imports autolog.writer\n"
        "    autolog/writer.py:1: autolog.writer imports autolog.safety"]


def test_an_upward_import_is_found_type_only_and_lazy_ones_too(tmp_path: Path) -> None:
    root = _write(tmp_path, {
        "autolog/__init__.py": "",
        "autolog/config.py": "if False:\n    from autolog.activation import enable\n",
        "autolog/runs.py": "LAZY = {'x': 'autolog.stores.local:LocalStore'}\n",
        "autolog/errors.py": "from autolog import __version__\n",
        "autolog/activation.py": "from autolog.config import resolve\n",
        "autolog/stores/__init__.py": "",
        "autolog/stores/local.py": "",
    })
    found = _describe_upward(upward_imports(find_imports(root)[1]), root)
    assert found == [
        "autolog/config.py:2: autolog.config (facts) imports autolog.activation (services), "
        "a higher layer",
        "autolog/errors.py:1: autolog.errors (facts) imports autolog (entry points), "
        "a higher layer",
        "autolog/runs.py:1: autolog.runs (facts) imports autolog.stores.local (storage), "
        "a higher layer"]
