"""The variable names a caller passed to a call: ``model.predict(X_test)`` -> ``"X_test"``.

Post-training metrics are named after the data they were measured on, the way the user wrote
it. The name comes from the caller's bytecode, not from searching its variables: the call being
executed is the instruction at ``frame.f_lasti``, and the instructions right before it loaded
its arguments. When those are plain loads of a name (``LOAD_NAME``, ``LOAD_FAST``,
``LOAD_GLOBAL``, ``LOAD_DEREF``), their names are the argument names. The analysis of one call
site is done once and cached, so a call costs two dictionary lookups; a search through a
notebook's globals (thousands of entries) would cost tens of microseconds per ``predict``.

An argument that is not a plain name (``X[idx]``, ``df.values``, a call) has no name (None).
When the name is a parameter of the calling function (``def evaluate(m, X): m.predict(X)``),
:func:`passed_name` looks one frame further up for the caller's own name of the same object,
and checks it by identity before using it.
"""

from __future__ import annotations

import sys
import threading
from types import CodeType, FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import dis

__all__ = ["arg_names", "caller_frame", "passed_name"]

# (id of the code object, offset of the call) -> (the code object, positional argument names
# or None when unknown). Keyed by id: hashing a code object hashes its whole contents.
_cache: dict[tuple[int, int], tuple[CodeType, tuple[str | None, ...] | None]] = {}
_cache_lock = threading.Lock()
# Call sites are few, but every notebook cell run compiles new code objects: bounded.
_MAX_CACHE = 4096
_SKIP = frozenset({"PRECALL", "KW_NAMES", "CACHE", "EXTENDED_ARG", "PUSH_NULL"})
_NAME_LOADS = frozenset({"LOAD_NAME", "LOAD_GLOBAL", "LOAD_DEREF", "LOAD_CLASSDEREF"})
_CONST_LOADS = frozenset({"LOAD_CONST", "LOAD_SMALL_INT"})


def _is_name_load(opname: str) -> bool:
    return opname in _NAME_LOADS or opname.startswith("LOAD_FAST")


def _effect(ins: dis.Instruction) -> int:
    import dis

    return dis.stack_effect(ins.opcode, ins.arg if ins.opcode >= dis.HAVE_ARGUMENT else None,
                            jump=False)


def _analyse(code: CodeType, lasti: int) -> tuple[str | None, ...] | None:
    """Positional argument names of the call at ``lasti`` (keyword arguments are dropped).

    Walking back from the call, each argument's expression ends where the stack holds one
    value more than where it started (``dis.stack_effect``); an expression that is a single
    load of a name is that name, anything else (``X[idx]``, a call) has none.
    """
    import dis  # only when a call site is analysed the first time

    instructions = list(dis.get_instructions(code))
    # The instruction being executed: f_lasti may point into its inline cache (3.11+).
    index = next((i for i in range(len(instructions) - 1, -1, -1)
                  if instructions[i].offset <= lasti), None)
    if index is None:
        return None
    call = instructions[index]
    if not call.opname.startswith("CALL") or call.opname == "CALL_FUNCTION_EX":
        return None
    argc = int(call.arg or 0)
    keywords = 0
    j = index - 1
    while j >= 0 and instructions[j].opname in _SKIP:
        if instructions[j].opname == "KW_NAMES":  # 3.11/3.12: names of the last arguments
            kwnames = code.co_consts[instructions[j].arg or 0]
            keywords = len(kwnames) if isinstance(kwnames, tuple) else 0
        j -= 1
    if call.opname == "CALL_KW" and j >= 0 and instructions[j].opname in _CONST_LOADS:
        kwnames = instructions[j].argval  # 3.13+: the names tuple is loaded before CALL_KW
        keywords = len(kwnames) if isinstance(kwnames, tuple) else 0
        j -= 1
    names: list[str | None] = []  # last argument first
    while len(names) < argc and j >= 0:
        end, depth = j, 0
        while j >= 0:
            ins = instructions[j]
            if ins.is_jump_target and j != end:
                return _padded(names, argc, keywords)  # control flow inside: give up here
            depth += _effect(ins)
            if depth >= 1:
                break
            j -= 1
        if j < 0:
            break
        ins = instructions[j]
        if j == end and _is_name_load(ins.opname):
            loaded = ins.argval if isinstance(ins.argval, tuple) else (ins.argval,)
            names.extend(str(n) for n in reversed(loaded))  # a double load is two arguments
        else:
            names.extend([None] * depth)
        j -= 1
    return _padded(names, argc, keywords)


def _padded(names: list[str | None], argc: int, keywords: int) -> tuple[str | None, ...]:
    """Argument names in call order, positional ones only (``names`` is last first)."""
    names = names + [None] * (argc - len(names))
    ordered = list(reversed(names[:argc]))
    return tuple(ordered[: argc - keywords])


def arg_names(frame: FrameType) -> tuple[str | None, ...] | None:
    """Names of the positional arguments of the call ``frame`` is executing (None: unknown)."""
    code = frame.f_code
    key = (id(code), frame.f_lasti)
    cached = _cache.get(key)
    if cached is not None and cached[0] is code:
        return cached[1]
    try:
        found = _analyse(code, frame.f_lasti)
    except Exception:  # noqa: BLE001 - unknown bytecode of a future Python: no name
        found = None
    with _cache_lock:
        if len(_cache) >= _MAX_CACHE:
            _cache.clear()
        _cache[key] = (code, found)
    return found


def caller_frame(depth: int) -> FrameType | None:
    """The frame ``depth`` levels above the caller of this function (None if there is none)."""
    try:
        return sys._getframe(depth + 1)
    except ValueError:
        return None


_MISSING = object()


def _lookup(frame: FrameType, name: str) -> Any:
    if name in frame.f_code.co_varnames or name in frame.f_code.co_cellvars \
            or name in frame.f_code.co_freevars:
        return frame.f_locals.get(name, _MISSING)
    value = frame.f_globals.get(name, _MISSING)
    if value is _MISSING:
        value = frame.f_locals.get(name, _MISSING)
    return value


def passed_name(frame: FrameType | None, position: int, value: Any) -> str | None:
    """The name under which ``value`` was passed as positional argument ``position`` of the
    call ``frame`` is executing; a parameter of ``frame``'s own function is traced one frame
    up (``evaluate(model, X_test)`` calling ``model.predict(X)`` gives ``"X_test"``)."""
    if frame is None:
        return None
    code = frame.f_code
    cached = _cache.get((id(code), frame.f_lasti))  # arg_names() inlined: a hot path
    names = cached[1] if cached is not None and cached[0] is code else arg_names(frame)
    name = names[position] if names is not None and position < len(names) else None
    if name is None:
        return None
    count = code.co_argcount + code.co_kwonlyargcount
    if count and name in code.co_varnames[:count]:
        parent = frame.f_back  # only now: making a frame object for it costs
        if parent is not None:
            for outer in arg_names(parent) or ():
                if outer is not None and outer != name and _lookup(parent, outer) is value:
                    return outer
    return name
