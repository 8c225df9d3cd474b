"""Which run an optimizer step belongs to: the run rule of :mod:`autolog_torch.integration`.

A step of the run's own optimizer goes straight to the run. Any other step is routed: a new
optimizer whose model is still unknown starts the forward search (at most
:data:`MAX_ATTEMPTS` steps), a second optimizer of the run's model joins the run, a second
model that steps while the run is mid-epoch waits as a contender (joining as the secondary
model of a GAN if the first model steps again), and otherwise a new run starts. Only rank 0 of
``torch.distributed`` records.

:class:`RunRouting` is a mixin of :class:`~autolog_torch.integration.TorchIntegration`, whose
state it reads and writes; the integration's wrappers feed it.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
import weakref
from dataclasses import dataclass
from typing import Any

from autolog.plugin import FAILED, FINISHED, KILLED, effective_config, is_enabled, patching
from autolog_torch.recorder import PRIMARY, SECONDARY, TorchRun, last_exception
from autolog_torch.search import ForwardSearch

__all__ = ["MAX_ATTEMPTS", "RunRouting"]

#: Optimizer steps after which an optimizer whose model was not found is ignored.
MAX_ATTEMPTS = 3


@dataclass
class _Contender:
    """Another model that stepped while the current run was mid-epoch: a new run or a GAN?"""

    optimizer: Any
    model: Any
    loss: Any
    losses: int


def _rank() -> int:
    dist = sys.modules.get("torch.distributed")
    if dist is not None and dist.is_available() and dist.is_initialized():
        return int(dist.get_rank())
    return 0


class RunRouting:
    """Run boundaries and step routing (state set up by the integration's ``_reset``)."""

    _lock: threading.RLock
    _run: TorchRun | None
    _broken: bool
    _search: ForwardSearch
    _waiting: weakref.WeakSet[Any]
    _attempts: weakref.WeakKeyDictionary[Any, int]
    _ignored: weakref.WeakSet[Any]
    _model_of: weakref.WeakKeyDictionary[Any, Any]
    _schedulers: weakref.WeakKeyDictionary[Any, str]
    _contender: _Contender | None
    _pending: list[Any]
    _iter_ref: Any

    def _disarm_losses(self) -> None:  # provided by TorchIntegration
        raise NotImplementedError

    def _fail(self, what: str, exc: BaseException) -> None:  # provided by TorchIntegration
        raise NotImplementedError

    # -- run boundaries -------------------------------------------------------------------
    def _end(self, run: TorchRun, status: str) -> None:
        with self._lock:
            if self._run is run:
                self._run = None
                self._contender = None
                self._disarm_losses()
            run.finish(status, self._schedulers.get(run.primary))

    def on_end_run(self) -> None:
        """``autolog.end_run()``, ``disable()`` and interpreter exit end the open run."""
        run = self._run
        if run is None:
            return
        if run.pid != os.getpid():  # a forked child exiting: the run is its parent's
            self._run = None
            return
        exc = last_exception()
        status = FINISHED
        if exc is not None and exc is not run.exc_at_start:
            status = KILLED if isinstance(exc, KeyboardInterrupt) else FAILED
        self._end(run, status)

    def _start(self, model: Any, optimizer: Any, steps: list[tuple[Any, int]]) -> None:
        current = self._run
        if current is not None:
            self._end(current, FINISHED)
        config = effective_config()
        run = TorchRun(model, optimizer, self._search.records.get(model), config,
                       self._search.loss_class)
        if run.parent is not None:
            run.parent.end_callbacks.append(functools.partial(self._end, run))
        self._contender = None
        self._run = run
        run.follow(self._iter_ref)
        for loss, losses in steps:
            run.step(loss, losses)

    # -- optimizer steps --------------------------------------------------------------------
    def _on_step(self, optimizer: Any, args: Any, kwargs: Any) -> None:
        try:
            run = self._run
            loss = self._pending
            if loss:
                self._pending = []
            losses = len(loss)
            if run is not None and optimizer is run.primary and self._contender is None:
                if self._iter_ref is not run.seen_iter:
                    run.follow(self._iter_ref)
                run.step(loss, losses)
            elif not self._broken and optimizer not in self._ignored:
                self._step_slow(optimizer, loss, losses)
        except Exception as exc:  # noqa: BLE001 - never break the user's step
            self._fail("recording an optimizer step", exc)

    def _step_slow(self, optimizer: Any, loss: Any, losses: int) -> None:
        run = self._run
        role = run.role(optimizer) if run is not None else None
        if run is not None and role is not None:
            if self._contender is not None:  # the first model stepped again: they alternate
                run.attach(self._contender.optimizer, SECONDARY)
                self._contender = None
            if role == PRIMARY:
                if self._iter_ref is not run.seen_iter:
                    run.follow(self._iter_ref)
                run.step(loss, losses)
            return
        if not patching.should_record() or not is_enabled():
            return
        with self._lock:
            self._route(optimizer, loss, losses)

    def _model_for(self, optimizer: Any) -> Any:
        ref = self._model_of.get(optimizer)
        model = ref() if ref is not None else None
        if model is None:
            model = self._search.model_for(optimizer)
            if model is not None:
                self._model_of[optimizer] = weakref.ref(model)
        return model

    def _route(self, optimizer: Any, loss: Any, losses: int) -> None:
        """A step of an optimizer that is not the run's: start, join or switch runs."""
        model = self._model_for(optimizer)
        if model is None:
            tries = self._attempts.get(optimizer, 0) + 1
            self._attempts[optimizer] = tries
            if tries >= MAX_ATTEMPTS:
                self._ignore(optimizer)
            else:
                self._look_for(optimizer)
            return
        if _rank() != 0:
            self._ignore(optimizer)
            return
        self._waiting.discard(optimizer)
        if not self._waiting:
            self._search.stop()
        if not model.training:
            return
        run = self._run
        if run is not None and run.trains(model):
            run.attach(optimizer, PRIMARY)
            run.step(loss, losses)
            return
        contender = self._contender
        if contender is not None and contender.optimizer is optimizer:
            self._start(model, optimizer, [(contender.loss, contender.losses), (loss, losses)])
        elif run is not None and run.mid_epoch():
            self._contender = _Contender(optimizer, model, loss, losses)
        else:
            self._start(model, optimizer, [(loss, losses)])

    def _look_for(self, optimizer: Any) -> None:
        self._waiting.add(optimizer)
        self._search.start()

    def _ignore(self, optimizer: Any) -> None:
        self._ignored.add(optimizer)
        self._waiting.discard(optimizer)
        if not self._waiting:
            self._search.stop()
