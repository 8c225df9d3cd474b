"""One autologged PyTorch run: params at its start, metrics per epoch, the model at its end.

The training thread only counts: steps, samples, and the scalar losses (a float for a CPU loss;
a device loss as a detached tensor where it lives, added up in one tensor operation per epoch,
or per 256 losses). An epoch's metrics are read once, when the next epoch starts or the run
ends: device values are copied to pinned host memory without blocking and read on the
background writer after a CUDA event, so no step, and no epoch boundary, waits for the device.

Metrics (MLflow step = epoch index, from 0): ``train_loss`` (mean of the losses ``backward()``
was called on), ``val_loss`` (mean of the losses computed with the model in eval mode),
``lr`` (``lr_group<i>`` when there are several param groups), ``steps``, ``epoch_time_s``
(from the end of the previous epoch's training pass, or the first forward call, to the end of
this one) and ``samples_per_s``.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable
from typing import Any

from autolog.plugin import (
    ActiveRun,
    Config,
    active_run,
    heldout,
    safety,
    torch_format,
    writer,
)
from autolog.plugin import params as params_mod
from autolog_torch.model_writing import write_model
from autolog_torch.search import ForwardRecord
from autolog_torch.summary import (
    SUMMARY_ARTIFACT,
    SUMMARY_FILE,
    parameter_counts,
    summarize,
    write_text_artifact,
)

__all__ = ["PRIMARY", "SECONDARY", "Epoch", "TorchRun", "last_exception", "unwrap"]

#: An optimizer of the run's model: its steps and losses are counted.
PRIMARY = "primary"
#: An optimizer of another model trained in the same loop (a GAN's second network).
SECONDARY = "secondary"

_WRAPPERS = ("DistributedDataParallel", "DataParallel", "OptimizedModule")
# Losses an epoch keeps before adding them up into one tensor.
_FOLD = 256


def unwrap(model: Any) -> Any:
    """The user's module inside DDP/DataParallel (``.module``) or torch.compile (``._orig_mod``)."""
    for _ in range(4):
        name = type(model).__name__
        if name == "OptimizedModule" and hasattr(model, "_orig_mod"):
            model = model._orig_mod
        elif name in _WRAPPERS and hasattr(model, "module"):
            model = model.module
        else:
            break
    return model


def _param_value(value: Any) -> Any:
    import torch

    if isinstance(value, torch.Tensor):
        if value.device.type == "cpu" and value.numel() == 1:
            return value.item()
        return f"<tensor on {value.device}>"  # reading it would wait for the device
    return value


def _world_size() -> int | None:
    import sys

    dist = sys.modules.get("torch.distributed")
    if dist is not None and dist.is_available() and dist.is_initialized():
        return int(dist.get_world_size())
    return None


def _loader_batch(iterator: Any) -> int | None:
    """Samples per batch of a DataLoader iterator (None when unknown)."""
    if not getattr(iterator, "_auto_collation", True):
        return None  # batch_size=None: the dataset yields whole batches
    return getattr(getattr(iterator, "_index_sampler", None), "batch_size", None)


def _short_last_batch(iterator: Any, batches: int, batch_size: int) -> int:
    """How many samples the last batch of a pass lacks (0 when unknown or full)."""
    batch_sampler: Any = getattr(iterator, "_index_sampler", None)
    if getattr(batch_sampler, "drop_last", True):
        return 0
    try:
        total = len(batch_sampler.sampler)
    except (AttributeError, TypeError):
        return 0
    missing = batches * batch_size - total
    return missing if 0 < missing < batch_size else 0


def _points_at(ref: Any, iterator: Any) -> bool:
    """True when the weak reference ``ref`` points at ``iterator``."""
    return ref is not None and ref() is iterator


def last_exception() -> BaseException | None:
    """The exception the interpreter last reported as unhandled (``sys.last_exc``), if any."""
    import sys

    return getattr(sys, "last_exc", None) or getattr(sys, "last_value", None)


class Epoch:
    """What one epoch adds up on the training thread."""

    __slots__ = ("ended", "index", "loss", "losses", "lrs", "samples", "started", "steps",
                 "val", "vals")

    def __init__(self, index: int, started: float) -> None:
        self.index = index
        self.started = started
        self.ended = started
        self.steps = 0
        self.samples = 0
        self.loss: list[Any] = []  # floats and detached device losses (see TorchRun.step)
        self.losses = 0
        self.val: Any = 0.0
        self.vals = 0
        self.lrs: list[Any] = []


def _total(losses: list[Any]) -> Any:
    """The sum of an epoch's losses: CPU losses are floats, summed here; device losses are
    detached tensors, summed in one operation where they live (float32: an epoch's sum of
    bf16/fp16 losses would saturate), the result a tensor to be read off the training thread."""
    floats = [loss for loss in losses if isinstance(loss, float)]
    tensors = [loss for loss in losses if not isinstance(loss, float)]
    total = float(sum(floats))
    if not tensors:
        return total
    import torch

    summed = torch.stack([loss.reshape(()) for loss in tensors]).float().sum()
    return summed + total if floats else summed


class TorchRun:
    """The run of one model: created at its first optimizer step, finished once."""

    def __init__(self, model: Any, optimizer: Any, record: ForwardRecord | None, config: Config,
                 loss_class: str | None) -> None:
        self.model = model
        self.inner = unwrap(model)
        self.primary = optimizer
        self.roles: dict[Any, str] = {optimizer: PRIMARY}
        self.record = record
        self.config = config
        self.batch_size = (record.batch_size if record is not None else None) or 0
        # The DataLoader iterator feeding the steps (see follow()).
        self.loader_driven = False
        self.seen_iter: Any = None
        self.iter_ref: Any = None
        self.yielded = 0
        self.pass_len: int | None = None
        self.loader_batch = self.batch_size
        self.loss_class = loss_class
        self.loss_function: str | None = None
        self.epochs = 0
        self.epoch: Epoch | None = Epoch(0, record.started if record else time.perf_counter())
        self.waiting: Epoch | None = None
        self.finished = False
        # An epoch's training pass counts as training for the writer, which then holds its
        # jobs back until the pass ends (writer.MAX_DEFER_S at most): the run's first steps
        # do not wait for the GIL while the writer creates the run.
        self._training = False
        self._train(True)
        self.exc_at_start = last_exception()
        self.pid = os.getpid()
        parent = active_run()
        self.parent = parent
        if parent is not None and not parent.has_model and not parent.ended:
            self.run, self.owns_run = parent, False
            parent.has_model = True
        else:
            self.run = ActiveRun(type(self.inner).__name__, config.experiment,
                                          config.store_uri, parent=parent)
            self.owns_run = True
        heldout.link(self.inner, self.run, post_training=False)  # autolog.evaluate(model)
        self.run.record_system_metrics()  # a training loop, however short
        self._log_start()

    # -- queries --------------------------------------------------------------------------
    def trains(self, model: Any) -> bool:
        return model is self.model or unwrap(model) is self.inner

    def mid_epoch(self) -> bool:
        return self.epoch is not None and self.epoch.steps > 0

    def role(self, optimizer: Any) -> str | None:
        return self.roles.get(optimizer)

    def attach(self, optimizer: Any, role: str) -> None:
        self.roles.setdefault(optimizer, role)

    # -- the training thread's side -------------------------------------------------------
    def follow(self, iter_ref: Any) -> None:
        """Consider the newest DataLoader iterator (a weak reference) as the steps' feed.

        It is followed if it has yielded batches and is not exhausted: an iterator that was
        only created, or a validation pass already run to its end, is not. Following a new
        pass ends the epoch of the previous one if that one stopped early.
        """
        self.seen_iter = iter_ref
        iterator = iter_ref() if iter_ref is not None else None
        yielded = getattr(iterator, "_num_yielded", 0)
        if iterator is None or not yielded or _points_at(self.iter_ref, iterator):
            return
        try:
            pass_len: int | None = len(iterator)
        except TypeError:  # an IterableDataset without __len__
            pass_len = None
        if pass_len is not None and yielded >= pass_len:
            return
        if self.loader_driven:
            self.close_epoch()
        self.iter_ref, self.yielded, self.pass_len = iter_ref, 0, pass_len
        self.loader_batch = _loader_batch(iterator) or self.batch_size
        self.loader_driven = True

    def step(self, loss: list[Any], losses: int) -> None:
        """Count one optimizer step with the ``losses`` scalar losses backward() ran on since
        the last one (``loss``: those tensors, detached)."""
        iterator = self.iter_ref() if self.iter_ref is not None else None
        yielded = iterator._num_yielded if iterator is not None else 0
        if iterator is not None and yielded < self.yielded:  # restarted (persistent workers)
            self.close_epoch()
            self.yielded = 0
        epoch = self.epoch
        if epoch is None:
            epoch = self._begin_epoch()
        epoch.steps += 1
        if iterator is None:
            epoch.samples += self.batch_size
        else:
            epoch.samples += (yielded - self.yielded) * self.loader_batch
            self.yielded = yielded
        if losses:
            epoch.loss.extend(loss)
            epoch.losses += losses
            if len(epoch.loss) >= _FOLD:  # a bounded list: one tensor op per _FOLD losses
                epoch.loss[:] = [_total(epoch.loss)]
        if self.pass_len is not None and yielded >= self.pass_len and iterator is not None:
            epoch.samples -= _short_last_batch(iterator, self.pass_len, self.loader_batch)
            self.close_epoch()  # this step used the pass's last batch

    def add_validation_loss(self, value: Any) -> None:
        """A loss computed with the model in eval mode: it belongs to the last closed epoch."""
        epoch = self.waiting or self.epoch
        if epoch is None:
            return
        epoch.val = value if epoch.vals == 0 else epoch.val + value
        epoch.vals += 1

    def close_epoch(self) -> None:
        """End the current epoch's training pass (a DataLoader pass ended, or train -> eval)."""
        epoch = self.epoch
        if epoch is None or epoch.steps == 0:
            return
        epoch.ended = time.perf_counter()
        epoch.lrs = [group.get("lr") for group in self.primary.param_groups]
        self.epochs += 1
        if self.waiting is not None:
            self._emit(self.waiting)
        self.waiting, self.epoch = epoch, None
        self._train(False)

    def _train(self, on: bool) -> None:
        if on != self._training:
            self._training = on
            if on:
                writer.get_writer().training_started()
            else:
                writer.get_writer().training_ended()

    def _begin_epoch(self) -> Epoch:
        self._train(True)
        started = time.perf_counter()
        if self.waiting is not None:
            started = self.waiting.ended
            self._emit(self.waiting)
            self.waiting = None
        self.epoch = Epoch(self.epochs, started)
        return self.epoch

    def _emit(self, epoch: Epoch) -> None:
        if not self.config.log_metrics:
            return
        import torch

        elapsed = epoch.ended - epoch.started
        fixed: dict[str, float] = {"steps": epoch.steps, "epoch_time_s": elapsed}
        if epoch.samples and elapsed > 0:
            fixed["samples_per_s"] = epoch.samples / elapsed
        sums: list[tuple[str, Any, int]] = []
        if epoch.losses:
            sums.append(("train_loss", _total(epoch.loss), epoch.losses))
        if epoch.vals:
            sums.append(("val_loss", epoch.val, epoch.vals))
        for i, lr in enumerate(epoch.lrs):
            if lr is not None:
                sums.append(("lr" if len(epoch.lrs) == 1 else f"lr_group{i}", lr, 1))
        tensors = [value for _, value, _ in sums if isinstance(value, torch.Tensor)]
        if not tensors:
            self.run.log_metrics({**fixed, **{k: float(v) / n for k, v, n in sums}},
                                 step=epoch.index)
            return
        hosts, wait = torch_format.to_host_async(tensors)
        run, index = self.run, epoch.index

        def log(_store: Any) -> None:
            wait()
            read = iter(hosts)
            values = {k: (float(next(read)) if isinstance(v, torch.Tensor) else float(v)) / n
                      for k, v, n in sums}
            run.log_metrics({**fixed, **values}, step=index)

        run.submit("logging the epoch metrics of run", log)

    # -- start and end --------------------------------------------------------------------
    def _log_start(self) -> None:
        import torch

        inner, optimizer = self.inner, self.primary
        first = next(iter(inner.parameters()), None)
        total, trainable = parameter_counts(inner)
        values: dict[str, Any] = {
            "model_class": type(inner).__name__,
            "parameters_total": total,
            "parameters_trainable": trainable,
            "device": str(first.device) if first is not None else "cpu",
            "dtype": str(first.dtype).removeprefix("torch.") if first is not None else "",
            "optimizer": type(optimizer).__name__,
            "optimizer_params": {k: _param_value(v) for k, v in optimizer.defaults.items()},
        }
        if len(optimizer.param_groups) > 1:
            values["optimizer_param_groups"] = len(optimizer.param_groups)
        if self.batch_size:
            values["batch_size"] = self.batch_size
        world = _world_size()
        if world is not None:
            values["distributed_world_size"] = world
        self.run.log_params(params_mod.flatten(values, self.config.max_param_length))
        self.run.set_tags({
            "autolog.integration": "torch",
            "autolog.model_class": type(inner).__name__,
            "autolog.model_module": type(inner).__module__,
            "autolog.library.torch": torch.__version__,
        })
        text = summarize(inner)
        run_id = self.run.run_id
        self.run.submit("writing the model summary of run", lambda store: write_text_artifact(
            store, run_id, SUMMARY_ARTIFACT, {SUMMARY_FILE: text}))

    def finish(self, status: str, scheduler: str | None) -> None:
        """End the run (once): the last epoch's metrics, the end params, the model."""
        if self.finished:
            return
        self.finished = True
        self._train(False)
        with safety.guard(f"ending the PyTorch run of {type(self.inner).__name__}"):
            self.close_epoch()
            if self.waiting is not None:
                self._emit(self.waiting)
                self.waiting = None
            end: dict[str, Any] = {"epochs": self.epochs}
            if scheduler:
                end["lr_scheduler"] = scheduler
            if self.loss_class or self.loss_function:
                end["loss_function"] = self.loss_class or self.loss_function
            self.run.log_params(end)
            if self.config.log_models:
                self._log_model()
        if self.owns_run:
            self.run.end(status)

    def _log_model(self) -> None:
        inner = self.inner
        snapshot: bytes | None = None
        copy: Any = None
        wait: Callable[[], None] | None = None
        try:
            copy, wait = torch_format.host_copy(inner)
        except Exception:  # noqa: BLE001 - deepcopy refused (non-leaf tensor): save it as it is
            snapshot = torch_format.dumps(inner)
        job = functools.partial(write_model, self.run, self.config, self.record,
                                type(inner).__name__, snapshot, copy, wait)
        self.run.submit("writing the model folder of run", job)
