"""What the PyTorch integration hooks, and the rule that makes a plain training loop a run.

The run rule:

* A run starts at the first ``optimizer.step()`` of a model in training mode. The model is the
  module, called at the root of a forward pass, that holds most of the optimizer's parameters
  (found from the first forward calls after the optimizer was created).
* It ends when the program ends, when ``autolog.end_run()`` is called (or the
  ``autolog.start_run()`` block it logs into ends), or when another model starts training.
  A second optimizer of the same model joins its run; so does a second model whose steps
  alternate with the first one's within an epoch (a GAN): only a model that steps twice in a
  row, or after the first model's epoch ended, starts a run of its own. The model is logged
  once, at the end of its run; the run is FAILED when the program ends on an unhandled
  exception.
* An epoch is one full pass over the DataLoader whose batches feed the steps (it ends with the
  step that used the pass's last batch, or when a new pass starts). A loop without a
  DataLoader gets one epoch per stretch of steps ended by ``model.eval()`` (``train()`` to
  ``eval()``); steps left over when the run ends make a last epoch.
* Under ``torch.distributed`` only rank 0 records.

Targets, all undone by :meth:`TorchIntegration.remove`:

* ``torch.optim.optimizer.register_optimizer_step_post_hook`` — every optimizer step;
* ``Optimizer.__init__`` — a new optimizer starts the search for its model;
* ``register_module_forward_pre_hook``/``register_module_forward_hook`` — only while some
  optimizer's model is unknown (:mod:`autolog_torch.search`); then removed;
* ``torch.autograd.backward`` (which ``Tensor.backward`` calls) — scalar losses: a CPU loss read
  at once, a device loss kept detached where it lives and summed once per epoch (no
  host-device sync, no kernel launch per step);
* the loss functions of ``torch.nn.functional`` (``nn.*Loss`` modules call them), only while
  the run's model is in eval mode — their scalar results are the validation loss;
* ``Module.train`` — epoch boundaries of loops without a DataLoader, and the switch that
  applies (``eval()``) and undoes (``train()``) the loss functions' patches;
* ``DataLoader.__iter__`` — the iterator of each pass (once per pass); at each step its batch
  count gives the samples and the end of the pass, so batches themselves are not intercepted;
* ``LRScheduler.step``, ``ReduceLROnPlateau.step`` — the scheduler of each optimizer;
* ``GradScaler.scale`` — with mixed precision, the loss is recorded before it is scaled.

Per step that is two calls into autolog (``backward`` and the step hook), each a few attribute
reads and additions; an internal failure there is one warning, after which this process's
PyTorch recording stops.
"""

from __future__ import annotations

import threading
import weakref
from types import ModuleType
from typing import Any

from autolog.plugin import (
    FINISHED,
    Integration,
    Target,
    effective_config,
    patching,
    prepare_system_metrics,
    safety,
    writer,
)
from autolog_torch.routing import RunRouting
from autolog_torch.search import ForwardSearch

__all__ = ["LOSS_FUNCTIONS", "TorchIntegration"]

LOSS_FUNCTIONS = (
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cosine_embedding_loss",
    "cross_entropy", "ctc_loss", "gaussian_nll_loss", "hinge_embedding_loss", "huber_loss",
    "kl_div", "l1_loss", "margin_ranking_loss", "mse_loss", "multi_margin_loss",
    "multilabel_margin_loss", "multilabel_soft_margin_loss", "nll_loss", "poisson_nll_loss",
    "smooth_l1_loss", "soft_margin_loss", "triplet_margin_loss",
    "triplet_margin_with_distance_loss",
)
#: Steps of an optimizer whose model could not be found before it is left alone.
#: Rows of the first batch kept for the ONNX parity check (format "onnx" or "both").
PARITY_ROWS = 1000


class TorchIntegration(RunRouting, Integration):
    """Autologs plain PyTorch training loops."""

    name = "torch"
    module = "torch"
    distribution = "torch"
    supported = ">=2.1"
    targets = (
        Target("torch.optim.optimizer", "Optimizer.__init__", "_optimizer_init"),
        # The module function rather than the Tensor method: no bound wrapper per call.
        Target("torch.autograd", "backward", "_backward"),
        Target("torch.nn", "Module.train", "_train"),
        Target("torch.utils.data.dataloader", "DataLoader.__iter__", "_loader_iter"),
        Target("torch.amp.grad_scaler", "GradScaler.scale", "_scale"),
    )

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.RLock()
        # The loss functions' patches, applied by model.eval() and undone by model.train():
        # training steps never pay for them.
        self._loss_patches = patching.PatchSet()
        self._reset()

    def _reset(self) -> None:
        self._run = None
        self._broken = False
        self._search = ForwardSearch(self._rows)
        self._waiting = weakref.WeakSet()
        self._attempts = weakref.WeakKeyDictionary()
        self._ignored = weakref.WeakSet()
        self._model_of = weakref.WeakKeyDictionary()
        self._schedulers = weakref.WeakKeyDictionary()
        self._contender = None
        # The scalar losses backward() ran on since the last optimizer step, detached.
        self._pending = []
        self._scaled: tuple[Any, Any] | None = None  # (GradScaler output, the loss it scaled)
        self._iter_ref: Any = None  # weak reference to the newest DataLoader iterator
        self._in_loss = self._in_scheduler = False
        self._tensor: Any = object
        self._compiling: Any = bool

    @classmethod
    def evaluation_outputs(cls, model: Any, X: Any, y: Any, task: str | None) -> Any:
        """Predictions for :func:`autolog.evaluate`, or None for a model of another kind."""
        from autolog_torch.evaluation import outputs

        return outputs(model, X, y, task)

    @classmethod
    def flavor_for(cls, model: Any) -> Any:
        import torch

        if isinstance(model, torch.nn.Module):
            from autolog_torch.flavor import FLAVOR

            return FLAVOR
        return None

    # -- apply and remove -----------------------------------------------------------------
    def apply(self, module: ModuleType) -> None:
        import torch
        from torch.optim import optimizer as optimizer_mod

        self._tensor = torch.Tensor
        # Under torch.compile the wrappers step aside: dynamo folds this check to True while
        # tracing and so traces only the wrapped call.
        self._compiling = torch.compiler.is_dynamo_compiling
        self.patches.hold(optimizer_mod.register_optimizer_step_post_hook(self._on_step))
        # Only the schedulers that define step themselves: decided per class, not declared.
        self.when_imported("torch.optim.lr_scheduler", self._patch_schedulers)
        # The writer thread starts now, while torch is being imported, rather than at the
        # first optimizer step: a thread starting next to the step takes the GIL from it. The
        # same for the system metrics' probe, which every PyTorch run samples at its start.
        writer.get_writer().start()
        if effective_config().log_system_metrics != "off":
            with safety.guard("preparing the system metrics"):
                prepare_system_metrics()

    def _arm_losses(self) -> None:
        """Wrap the loss functions: only while the run's model is in eval mode (validation)."""
        if len(self._loss_patches):
            return
        from torch.nn import functional

        for name in LOSS_FUNCTIONS:
            if name in vars(functional):
                self._loss_patches.wrap(functional, name, self._loss)

    def _disarm_losses(self) -> None:
        self._loss_patches.revert_all()

    def _patch_schedulers(self, lr_scheduler: ModuleType) -> None:
        for cls_name in ("LRScheduler", "ReduceLROnPlateau"):
            cls = getattr(lr_scheduler, cls_name, None)
            if cls is not None and "step" in vars(cls):
                self.patches.wrap(cls, "step", self._scheduler_step)

    def remove(self) -> None:
        """End the open run, remove the hooks and undo the patches."""
        run = self._run
        if run is not None:
            self._end(run, FINISHED)
        self._search.stop()
        self._disarm_losses()
        super().remove()
        self._reset()

    def _rows(self) -> int:
        config = effective_config()
        return max(config.input_example_rows, PARITY_ROWS if config.format != "pickle" else 0)

    def _fail(self, what: str, exc: BaseException) -> None:
        """An internal failure: stop recording PyTorch in this process, warn once."""
        self._broken = True
        run, self._run = self._run, None
        self._search.stop()
        self._disarm_losses()
        if run is not None:
            with safety.guard("ending the PyTorch run after an error"):
                run.finish(FINISHED, None)
        safety.internal_error(what, exc)

    def _optimizer_init(self, wrapped: Any, instance: Any, args: tuple[Any, ...],
                        kwargs: dict[str, Any]) -> Any:
        result = wrapped(*args, **kwargs)
        if instance is not None and not self._broken and patching.should_record():
            try:
                with self._lock:
                    self._look_for(instance)
            except Exception as exc:  # noqa: BLE001
                self._fail("watching a new optimizer", exc)
        return result

    # -- losses -----------------------------------------------------------------------------
    @staticmethod
    def _scalar(tensor: Any) -> Any:
        """A scalar loss as it is kept: a float for CPU tensors, else detached on its device."""
        # float32 on the device: an epoch's sum of bf16/fp16 losses would saturate.
        return tensor.item() if tensor.is_cpu else tensor.detach().float()

    def _backward(self, wrapped: Any, instance: Any, args: tuple[Any, ...],
                  kwargs: dict[str, Any]) -> Any:
        if self._compiling():
            return wrapped(*args, **kwargs)
        result = wrapped(*args, **kwargs)
        loss = args[0] if args else kwargs.get("tensors")
        if self._broken or not isinstance(loss, self._tensor):  # several roots: not one loss
            return result
        try:
            scaled = self._scaled
            if scaled is not None and loss is scaled[0]:
                loss, self._scaled = scaled[1], None  # AMP: record the loss, not loss*scale
            if loss.numel() == 1:
                # A CPU loss is read at once (item() is the cheapest way to keep it); a device
                # loss is kept detached where it lives, without a read (a host-device sync) or
                # an addition (a kernel launch) per step: the epoch sums them in one go.
                self._pending.append(loss.item() if loss.is_cpu else loss.detach())
        except Exception as exc:  # noqa: BLE001
            self._fail("recording a training loss", exc)
        return result

    def _scale(self, wrapped: Any, instance: Any, args: tuple[Any, ...],
               kwargs: dict[str, Any]) -> Any:
        result = wrapped(*args, **kwargs)
        loss = args[0] if args else kwargs.get("outputs")
        if isinstance(result, self._tensor) and isinstance(loss, self._tensor):
            self._scaled = (result, loss)
        return result

    def _loss(self, wrapped: Any, instance: Any, args: tuple[Any, ...],
              kwargs: dict[str, Any]) -> Any:
        if self._run is None or self._in_loss or self._compiling():
            return wrapped(*args, **kwargs)
        self._in_loss = True  # a tensor subclass dispatches back into the same function
        try:
            result = wrapped(*args, **kwargs)
        finally:
            self._in_loss = False
        run = self._run
        if run is None:
            return result
        try:
            if (not run.model.training and isinstance(result, self._tensor)
                    and result.numel() == 1 and result.is_floating_point()
                    and not patching.is_suspended()):
                run.add_validation_loss(self._scalar(result))
                if run.loss_function is None:
                    run.loss_function = wrapped.__name__
        except Exception as exc:  # noqa: BLE001
            self._fail("recording a validation loss", exc)
        return result

    # -- epochs ---------------------------------------------------------------------------
    def _train(self, wrapped: Any, instance: Any, args: tuple[Any, ...],
               kwargs: dict[str, Any]) -> Any:
        run = self._run
        if run is None or (instance is not run.model and instance is not run.inner):
            return wrapped(*args, **kwargs)
        was_training = instance.training
        result = wrapped(*args, **kwargs)
        try:
            if was_training and not instance.training:
                if not run.loader_driven:
                    run.close_epoch()
                self._arm_losses()
            elif instance.training and not was_training:
                self._disarm_losses()
        except Exception as exc:  # noqa: BLE001
            self._fail("switching between train and eval", exc)
        return result

    def _loader_iter(self, wrapped: Any, instance: Any, args: tuple[Any, ...],
                     kwargs: dict[str, Any]) -> Any:
        iterator = wrapped(*args, **kwargs)
        try:
            self._iter_ref = weakref.ref(iterator)
        except TypeError:
            self._iter_ref = None  # an iterator that cannot be weakly referenced: not followed
        return iterator

    def _scheduler_step(self, wrapped: Any, instance: Any, args: tuple[Any, ...],
                        kwargs: dict[str, Any]) -> Any:
        if self._in_scheduler or instance is None:
            return wrapped(*args, **kwargs)
        self._in_scheduler = True  # SequentialLR and ChainedScheduler step their children
        try:
            return wrapped(*args, **kwargs)
        finally:
            self._in_scheduler = False
            optimizer = getattr(instance, "optimizer", None)
            if optimizer is not None:
                try:
                    self._schedulers[optimizer] = type(instance).__name__
                except TypeError:
                    pass  # an optimizer that cannot be weakly referenced
