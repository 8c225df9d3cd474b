"""Finding the model an optimizer trains, from the first forward calls after it was created.

While some optimizer's model is unknown, two global module hooks (torch's own registration
API) watch forward calls. A call made while no other forward is running is a *root* call; the
first root call of each module that has parameters is recorded: when it happened, its batch
size, and the first rows of its input and output, copied to the host without blocking (the
signature and the input example come from them). An optimizer's model is the recorded module
that holds most of its parameters (:meth:`ForwardSearch.model_for`).

The hooks are removed as soon as no optimizer is waiting for its model, or after
:data:`BUDGET` root calls, so that a training loop runs without them. They are removed from
inside the pre-hook, which torch calls from a copy of its hook table, never from the
post-hook (torch walks the live table when a forward raises).
"""

from __future__ import annotations

import sys
import time
import weakref
from collections.abc import Callable, Mapping
from typing import Any

from autolog.plugin import patching, safety, torch_format

to_host_async = torch_format.to_host_async
to_numpy = torch_format.to_numpy

__all__ = ["BUDGET", "ForwardRecord", "ForwardSearch"]

#: Root forward calls watched per search before the hooks remove themselves.
BUDGET = 256
#: Modules remembered at most (the oldest record is dropped first).
MAX_RECORDS = 16


class ForwardRecord:
    """The first root forward call of one module: time, batch size, first rows in and out."""

    def __init__(self, started: float, batch_size: int | None, inputs: Any, outputs: Any,
                 wait: Callable[[], None]) -> None:
        self.started = started
        self.batch_size = batch_size
        self._inputs = inputs
        self._outputs = outputs
        self._wait = wait

    def arrays(self) -> tuple[Any, Any]:
        """(input rows, output rows) as numpy arrays (None where not captured).

        Waits for the host copies; call it on the writer. The output is an array, a dict of
        arrays, or None for outputs that are neither a tensor nor a dict of tensors.

        Raises:
            TypeError: the input's dtype has no numpy equivalent (bfloat16): a signature could
                not describe what the model takes. (A bfloat16 output, as autocast gives,
                reads as float32.)
        """
        self._wait()
        return (self._inputs.numpy() if self._inputs is not None else None,
                to_numpy(self._outputs) if self._outputs is not None else None)


def _first_dim(value: Any, tensor_type: Any) -> int | None:
    if isinstance(value, tensor_type) and value.dim() > 0:
        return int(value.shape[0])
    return None


class ForwardSearch:
    """Global forward hooks that record root calls while some optimizer's model is unknown."""

    def __init__(self, rows: Callable[[], int]) -> None:
        self._rows = rows
        self._handles: list[Any] = []
        self._root: Any = None
        self._root_started = 0.0
        self._budget = 0
        self._loss_type: type | None = None
        self._compiling: Callable[[], bool] = bool
        self._compile_safe = False
        self.records: weakref.WeakKeyDictionary[Any, ForwardRecord] = weakref.WeakKeyDictionary()
        #: Class name of the last ``nn.*Loss`` module called at the root.
        self.loss_class: str | None = None

    @property
    def active(self) -> bool:
        return bool(self._handles)

    def start(self) -> None:
        """Install the hooks (if they are not) and give them a fresh budget."""
        import torch
        from torch.nn.modules import module as module_mod
        from torch.nn.modules.loss import _Loss

        self._budget = BUDGET
        # Once torch.compile is loaded (importing it would cost seconds), the hooks are wrapped
        # in torch.compiler.disable: compiled modules then call them eagerly, around the graph.
        compile_loaded = "torch._dynamo" in sys.modules
        if self._handles and (self._compile_safe or not compile_loaded):
            return
        self.stop()
        pre, post = self._pre, self._post
        if compile_loaded:
            pre, post = torch.compiler.disable(pre), torch.compiler.disable(post)
        self._compile_safe = compile_loaded
        self._compiling = torch.compiler.is_dynamo_compiling
        self._loss_type = _Loss
        self.loss_class = None
        self._handles = [
            module_mod.register_module_forward_pre_hook(pre),
            module_mod.register_module_forward_hook(post, always_call=True),
        ]

    def stop(self) -> None:
        """Remove the hooks."""
        handles, self._handles = self._handles, []
        for handle in handles:
            handle.remove()
        self._root = None

    def model_for(self, optimizer: Any) -> Any:
        """The recorded module holding most of ``optimizer``'s parameters, or None."""
        ids = {id(p) for group in optimizer.param_groups for p in group["params"]}
        best, best_key = None, (0, 0)
        for module in list(self.records.keys()):
            params = list(module.parameters())
            key = (sum(1 for p in params if id(p) in ids), len(params))
            if key[0] and key > best_key:
                best, best_key = module, key
        return best

    # -- the hooks ----------------------------------------------------------------------------
    def _pre(self, module: Any, args: tuple[Any, ...]) -> None:
        # Hooks registered before torch.compile was loaded get traced by dynamo: it folds this
        # check to True and never traces the rest (which keeps modules in Python state).
        if self._compiling() or self._root is not None or patching.is_suspended():
            return
        if self._budget <= 0:
            self.stop()
            return
        self._root = module
        self._root_started = time.perf_counter()
        if self._loss_type is not None and isinstance(module, self._loss_type):
            self.loss_class = type(module).__name__

    def _post(self, module: Any, args: tuple[Any, ...], output: Any) -> None:
        if self._compiling() or module is not self._root:
            return
        self._root = None
        self._budget -= 1
        if output is None or module in self.records:
            return
        if next(iter(module.parameters()), None) is None:
            return
        with safety.guard(f"recording the first forward call of {type(module).__name__}"):
            self._record(module, args, output)

    def _record(self, module: Any, args: tuple[Any, ...], output: Any) -> None:
        import torch

        rows = self._rows()
        tensors: list[Any] = []
        single = len(args) == 1 and isinstance(args[0], torch.Tensor) and args[0].dim() > 0
        if single:
            tensors.append(args[0][:rows])
        keys: list[str] | None = None
        if isinstance(output, torch.Tensor) and output.dim() > 0:
            tensors.append(output[:rows])
        elif (isinstance(output, Mapping) and output
              and all(isinstance(v, torch.Tensor) and v.dim() > 0 for v in output.values())):
            keys = [str(k) for k in output]
            tensors.extend(v[:rows] for v in output.values())
        hosts, wait = to_host_async(tensors)
        inputs = hosts.pop(0) if single else None
        outputs: Any = None
        if keys is not None:
            outputs = dict(zip(keys, hosts, strict=True))
        elif hosts:
            outputs = hosts[0]
        if not single:
            outputs = None  # a signature needs the input it maps from
        batch = next((b for b in (_first_dim(a, torch.Tensor) for a in args) if b is not None),
                     None)
        while len(self.records) >= MAX_RECORDS:
            del self.records[next(iter(self.records.keys()))]
        self.records[module] = ForwardRecord(self._root_started, batch, inputs, outputs, wait)
