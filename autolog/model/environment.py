"""The environment files of an MLflow model folder, computed in-process.

MLflow infers a model's pip requirements by loading the model again in a fresh subprocess and
recording which modules that imports; that costs seconds per logged model. Here the same
answer comes from the model's pickle itself: every class and function a pickle needs is named
by a ``GLOBAL``/``STACK_GLOBAL``/``INST`` opcode, so walking the opcodes (without executing
them) yields the modules, and ``importlib.metadata`` maps those modules to installed
distributions. Nothing is imported, unpickled or spawned, and the per-process work is cached.

The files written match the ones ``mlflow.<flavor>.save_model`` writes:

* ``requirements.txt``: one requirement a line;
* ``python_env.yaml``: ``python``, ``build_dependencies``, ``dependencies: [-r requirements.txt]``;
* ``conda.yaml``: ``channels``, ``dependencies`` (python, pip, ``{pip: [...]}``) and ``name``.
"""

from __future__ import annotations

import _compat_pickle
import functools
import importlib.metadata
import io
import pathlib
import pickletools
import platform
import re
import sys
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "NOT_INSTALLED",
    "clear_caches",
    "distributions_for_modules",
    "modules_in_pickle",
    "pinned_requirements",
    "python_version",
    "write_environment_files",
]

REQUIREMENTS_FILE = "requirements.txt"
CONDA_FILE = "conda.yaml"
PYTHON_ENV_FILE = "python_env.yaml"
CONDA_ENV_NAME = "mlflow-env"
CONDA_CHANNELS = ("conda-forge",)
# What MLflow's python_env.yaml installs before the requirements themselves.
BUILD_PACKAGES = ("pip", "setuptools", "wheel")

# Modules that never need a distribution: the standard library, plus names that can appear in
# a pickle but are not in ``sys.stdlib_module_names``.
NOT_INSTALLED = frozenset(sys.stdlib_module_names) | {"__main__", "__builtin__", "copy_reg"}

# Opcodes (by name) that push a string that STACK_GLOBAL may later consume.
_STRING_OPS = frozenset(
    {
        "SHORT_BINUNICODE",
        "BINUNICODE",
        "BINUNICODE8",
        "UNICODE",
        "STRING",
        "BINSTRING",
        "SHORT_BINSTRING",
    }
)
_GET_OPS = frozenset({"GET", "BINGET", "LONG_BINGET"})
_PUT_OPS = frozenset({"PUT", "BINPUT", "LONG_BINPUT"})
# Opcodes that leave the stack as it was.
_NEUTRAL_OPS = frozenset({"PROTO", "FRAME", "STOP"})
# GLOBAL and INST carry "module name" as their argument.
_INLINE_GLOBAL_OPS = frozenset({"GLOBAL", "INST"})
# Pickles of lower protocols may name Python 2 modules; unpickling maps them to Python 3 ones.
_FIRST_PY3_PROTOCOL = 3

# A requirement's distribution name, when the requirement starts with one ("torch>=2",
# "scikit-learn[extra]==1.0", "pkg @ https://..."); URLs, paths and pip options do not match.
_REQUIREMENT_NAME = re.compile(
    r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?=$|[\[(<>=!~;@\s])"
)

# distribution name as asked -> (name as in its metadata, installed version), or None
_installed: dict[str, tuple[str, str] | None] = {}


def _text(value: object) -> str | None:
    """A pickle string argument as ``str``; protocol 0-2 strings may arrive as bytes."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("latin-1")
    return None


def _py2_fixed(module: str, name: str | None) -> str:
    """The Python 3 module for a Python 2 name, as the unpickler maps it for protocols < 3."""
    if name is not None:
        mapped = _compat_pickle.NAME_MAPPING.get((module, name))
        if mapped is not None:
            return mapped[0]
    return _compat_pickle.IMPORT_MAPPING.get(module, module)


def modules_in_pickle(data: bytes | bytearray | memoryview) -> set[str]:
    """Return the top-level names of the non-standard-library modules a pickle refers to.

    The opcodes are walked with :func:`pickletools.genops`; nothing is executed or imported.
    Globals come from ``GLOBAL``/``INST`` (protocols 0-3, module and name in the argument) and
    ``STACK_GLOBAL`` (protocols 4-5, module and name pushed as strings just before it, either
    literally or fetched back from the memo). To resolve the memo fetches, the string values
    stored by ``MEMOIZE``/``PUT`` are tracked; other memoized objects are recorded as unknown.

    Standard-library modules, ``__main__`` and ``builtins`` are left out: they need no
    installed distribution. ``"sklearn.ensemble._forest"`` is reported as ``"sklearn"``.
    Only the first pickle in ``data`` is read.

    Raises:
        ValueError: ``data`` is not a complete pickle.
    """
    found: set[str] = set()
    memo: dict[int, str | None] = {}
    # The two values most recently pushed on the unpickler's stack, as far as they are
    # strings: STACK_GLOBAL pops exactly these two. None means "not a string / unknown".
    below: str | None = None
    top: str | None = None
    protocol = 0

    def add(module: str, name: str | None) -> None:
        if protocol < _FIRST_PY3_PROTOCOL:
            module = _py2_fixed(module, name)
        found.add(module.partition(".")[0])

    arg: Any  # genops decodes each argument to the type its opcode documents
    for opcode, arg, _pos in pickletools.genops(io.BytesIO(data)):
        op = opcode.name
        if op in _STRING_OPS:
            below, top = top, _text(arg)
        elif op == "STACK_GLOBAL":
            if below is not None and top is not None:
                add(below, top)
            below, top = None, None
        elif op in _INLINE_GLOBAL_OPS:
            module, _sep, name = str(arg).partition(" ")
            add(module, name or None)
            below, top = top, None
        elif op == "MEMOIZE":
            memo[len(memo)] = top
        elif op in _PUT_OPS:
            memo[int(arg)] = top
        elif op in _GET_OPS:
            below, top = top, memo.get(int(arg))
        elif op == "PROTO":
            protocol = int(arg)
        elif op not in _NEUTRAL_OPS:
            # Anything else pushes, pops or rearranges non-string values.
            below, top = top, None
    return {module for module in found if module and module not in NOT_INSTALLED}


@functools.cache
def _module_distributions() -> Mapping[str, list[str]]:
    """``importlib.metadata.packages_distributions()``, computed once per process.

    It reads every installed distribution's metadata (tens to hundreds of milliseconds).
    """
    return importlib.metadata.packages_distributions()


def _installed_distribution(distribution: str) -> tuple[str, str] | None:
    """``(metadata name, version)`` of an installed distribution, or None; cached per process."""
    try:
        return _installed[distribution]
    except KeyError:
        pass
    try:
        dist = importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        found = None
    else:
        found = (dist.metadata["Name"] or distribution, dist.version)
    _installed[distribution] = found
    return found


def _canonical(name: str) -> str:
    """The PEP 503 form of a distribution name, used to compare names."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _public_version(version: str) -> str:
    """``version`` without its local label: ``"2.13.0+cpu"`` becomes ``"2.13.0"``.

    Local labels (PEP 440 ``+...``) mark builds that exist only on a vendor's own index, such as
    PyTorch's CPU or CUDA wheels; PyPI refuses to host them, so ``pip install torch==2.13.0+cpu``
    fails against PyPI while ``torch==2.13.0`` installs.
    """
    return version.partition("+")[0]


def clear_caches() -> None:
    """Forget the cached module map and versions (after installing or removing packages)."""
    _module_distributions.cache_clear()
    _installed.clear()
    _environment_texts.cache_clear()


def distributions_for_modules(modules: Iterable[str]) -> dict[str, str]:
    """Map top-level module names to the installed distributions that provide them.

    Returns ``{distribution name: installed version}``, with names spelled as in the
    distributions' metadata (``"sklearn"`` gives ``{"scikit-learn": "1.9.1"}``). A module that
    several distributions share (a namespace package) gives all of them. Modules with no
    installed distribution (the standard library, local files, ``__main__``) are skipped.
    Versions are reported as installed, local labels included.
    """
    mapping = _module_distributions()
    result: dict[str, str] = {}
    for module in modules:
        for distribution in mapping.get(module.partition(".")[0], ()):
            installed = _installed_distribution(distribution)
            if installed is not None:
                result.setdefault(distribution, installed[1])
    return result


def _requirement_key(requirement: str) -> str:
    """The canonical distribution name a requirement is for, or the requirement itself."""
    match = _REQUIREMENT_NAME.match(requirement)
    return _canonical(match.group(1)) if match else requirement.strip()


def pinned_requirements(
    modules: Iterable[str],
    extra: Iterable[str] = (),
    base: Iterable[str] = (),
) -> list[str]:
    """Return the sorted pip requirements (``name==version``) for a model.

    Args:
        modules: top-level module names the model needs, e.g. from :func:`modules_in_pickle`.
        extra: requirement strings given by the user, kept verbatim. A user requirement for a
            distribution that would otherwise be pinned replaces the pin.
        base: distribution names always required (e.g. ``"scikit-learn"``, ``"cloudpickle"``),
            pinned to their installed versions; those not installed are left out.

    Local version labels are dropped from pins (``torch==2.13.0``, not ``2.13.0+cpu``) so the
    requirements install from PyPI. Each distribution appears once.
    """
    pins: dict[str, str] = {}
    for distribution, version in distributions_for_modules(modules).items():
        pins.setdefault(_canonical(distribution), f"{distribution}=={_public_version(version)}")
    for distribution in base:
        installed = _installed_distribution(distribution)
        if installed is not None:
            name, version = installed
            pins.setdefault(_canonical(name), f"{name}=={_public_version(version)}")

    user: set[str] = set()
    for given in extra:
        requirement = given.strip()
        if requirement:
            pins.pop(_requirement_key(requirement), None)
            user.add(requirement)

    lines = set(pins.values()) | user
    return sorted(lines, key=lambda line: (line.lower(), line))


def python_version() -> str:
    """The running interpreter's version, e.g. ``"3.11.7"``."""
    return platform.python_version()


def _build_dependencies() -> list[str]:
    """pip, setuptools and wheel pinned to their installed versions, bare when not installed."""
    deps = []
    for package in BUILD_PACKAGES:
        installed = _installed_distribution(package)
        deps.append(f"{package}=={installed[1]}" if installed else package)
    return deps


@functools.lru_cache(maxsize=64)
def _environment_texts(requirements: tuple[str, ...]) -> tuple[str, str]:
    """The texts of python_env.yaml and conda.yaml (cached: most models share requirements)."""
    from autolog import yamlio

    python = python_version()
    python_env = {
        "python": python,
        "build_dependencies": _build_dependencies(),
        "dependencies": [f"-r {REQUIREMENTS_FILE}"],
    }
    installed_pip = _installed_distribution("pip")
    # "<=" rather than "==": conda-forge publishes a new pip some time after PyPI does, and
    # conda may then install the previous one instead of failing.
    pip = f"pip<={installed_pip[1]}" if installed_pip else "pip"
    conda_env = {
        "channels": list(CONDA_CHANNELS),
        "dependencies": [f"python={python}", pip, {"pip": list(requirements)}],
        "name": CONDA_ENV_NAME,
    }
    return yamlio.dump(python_env, sort_keys=False), yamlio.dump(conda_env)


def write_environment_files(folder: pathlib.Path | str, requirements: list[str]) -> dict[str, str]:
    """Write ``requirements.txt``, ``python_env.yaml`` and ``conda.yaml`` into ``folder``.

    The files have the shapes MLflow writes, so ``mlflow.pyfunc`` and ``mlflow models serve``
    can rebuild the environment with either virtualenv or conda. ``folder`` is created if
    missing.

    Returns:
        The ``env`` block of the MLmodel ``python_function`` flavor:
        ``{"conda": "conda.yaml", "virtualenv": "python_env.yaml"}``.
    """
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    requirements = list(requirements)
    from autolog.fileio import write_text

    text = "".join(f"{requirement}\n" for requirement in requirements)
    write_text(folder / REQUIREMENTS_FILE, text)
    python_env_text, conda_text = _environment_texts(tuple(requirements))
    write_text(folder / PYTHON_ENV_FILE, python_env_text)
    write_text(folder / CONDA_FILE, conda_text)
    return {"conda": CONDA_FILE, "virtualenv": PYTHON_ENV_FILE}
