"""The torch format: a whole ``torch.nn.Module`` saved by ``torch.save`` (MLflow's pytorch flavor).

A model folder holds ``data/model.pth`` (``torch.save`` of the module, pickled with
cloudpickle so that classes defined in ``__main__`` or a notebook travel with it) and
``data/pickle_module_info.txt`` naming the pickle module, exactly as
``mlflow.pytorch.save_model(..., serialization_format="pickle")`` writes them. So
``mlflow.pytorch.load_model`` and ``mlflow.pyfunc.load_model`` load our folders, and
:func:`load` loads MLflow's (its ``data/model.pt2`` exported programs too).

Snapshots are taken on the CPU: :func:`to_host_async` copies tensors off a CUDA device
without blocking (into pinned memory, with an event to wait on later, from another thread if
need be), so that snapshotting a GPU model never synchronizes the training thread, and the
file loads on machines without that GPU.
"""

from __future__ import annotations

import functools
import io
import pickle
import types
import zipfile
from collections.abc import Callable, Mapping
from typing import Any

from autolog.errors import ModelFolderError
from autolog.model.flavor_loader import FlavorLoader
from autolog.model.folder import ModelFolder, verify_checksums

__all__ = [
    "LOADER",
    "MODEL_DATA",
    "MODEL_FILE",
    "PICKLE_INFO_FILE",
    "PICKLE_MODULE_NAME",
    "TorchModel",
    "dumps",
    "host_copy",
    "load",
    "loads",
    "predict",
    "requirement_modules",
    "to_host_async",
    "to_numpy",
]

MODEL_DATA = "data"
MODEL_FILE = f"{MODEL_DATA}/model.pth"
PICKLE_INFO_FILE = f"{MODEL_DATA}/pickle_module_info.txt"
# What mlflow.pytorch.save_model writes into pickle_module_info.txt; MLflow's loader imports it.
# It is cloudpickle's pickler with the standard unpickler, so the bytes load with plain pickle.
PICKLE_MODULE_NAME = "mlflow.pytorch.pickle_module"


@functools.cache
def _pickle_module() -> types.ModuleType:
    """``torch.save``'s ``pickle_module``: cloudpickle's pickler, the standard unpickler."""
    import cloudpickle

    module = types.ModuleType("autolog_torch_pickle")
    module.Pickler = cloudpickle.CloudPickler  # type: ignore[attr-defined]
    module.Unpickler = pickle.Unpickler  # type: ignore[attr-defined]
    module.dump = cloudpickle.dump  # type: ignore[attr-defined]
    module.load = pickle.load  # type: ignore[attr-defined]
    return module


def to_host_async(tensors: list[Any]) -> tuple[list[Any], Callable[[], None]]:
    """Copies of ``tensors`` in CPU memory, and a function that waits until they are complete.

    CUDA tensors are copied with ``non_blocking=True`` (torch then allocates pinned memory), and
    one CUDA event per device is recorded after the copies: nothing here waits for the device,
    so ``torch.cuda.set_sync_debug_mode("error")`` is not triggered. The returned ``wait``
    synchronizes on those events (``cudaEventSynchronize``, which the debug mode does not
    flag); call it before reading the copies, on any thread. CPU tensors are cloned.
    """
    import torch

    hosts = []
    devices: dict[Any, None] = {}
    for tensor in tensors:
        data = tensor.detach()
        if data.device.type == "cuda":
            hosts.append(data.to("cpu", non_blocking=True))
            devices[data.device] = None
        elif data.device.type == "cpu":
            hosts.append(data.clone())
        else:  # other accelerators: no portable event API, copy synchronously
            hosts.append(data.to("cpu"))
    events = []
    for device in devices:
        with torch.cuda.device(device):
            event = torch.cuda.Event()  # type: ignore[no-untyped-call]
            event.record()
            events.append(event)

    def wait() -> None:
        for event in events:
            event.synchronize()

    return hosts, wait


def host_copy(module: Any) -> tuple[Any, Callable[[], None]]:
    """A deep copy of ``module`` whose parameters and buffers live in CPU memory.

    Parameters and buffers are copied with :func:`to_host_async` and handed to
    :func:`copy.deepcopy` through its memo, so tied weights stay tied and the rest of the module
    (submodules, attributes, hooks) is copied as usual. Call the returned ``wait`` before
    reading or saving the copy.

    Raises:
        RuntimeError: the module holds a tensor that cannot be deep-copied (a non-leaf tensor
            stored as an attribute); callers fall back to :func:`dumps`.
    """
    import copy

    import torch

    originals = []
    seen: set[int] = set()
    for tensor in [*module.parameters(), *module.buffers()]:
        if id(tensor) in seen:
            continue
        seen.add(id(tensor))
        # A Parameter subclass may take other constructor arguments: deep-copy it as it is.
        if isinstance(tensor, torch.nn.Parameter) and type(tensor) is not torch.nn.Parameter:
            continue
        originals.append(tensor)
    hosts, wait = to_host_async(originals)
    memo: dict[int, Any] = {}
    for original, host in zip(originals, hosts, strict=True):
        if isinstance(original, torch.nn.Parameter):
            host = torch.nn.Parameter(host, requires_grad=original.requires_grad)
        memo[id(original)] = host
    return copy.deepcopy(module, memo), wait


def _on_cpu(module: Any) -> bool:
    return all(t.device.type == "cpu" for t in [*module.parameters(), *module.buffers()])


def dumps(module: Any) -> bytes:
    """``torch.save`` bytes of ``module``, its tensors on the CPU (the ``data/model.pth`` file).

    A module on an accelerator is copied to the CPU first (:func:`host_copy`), waiting for the
    copy; the module itself is not changed.
    """
    import torch

    if not _on_cpu(module):
        module, wait = host_copy(module)
        wait()
    buffer = io.BytesIO()
    torch.save(module, buffer, pickle_module=_pickle_module())
    return buffer.getvalue()


def _load_torch_file(source: Any) -> Any:
    import torch

    # weights_only=False: the file holds a whole module, i.e. pickled classes. Callers check
    # the file's sha256 against the MLmodel before this point.
    module = torch.load(source, map_location="cpu", weights_only=False)
    if hasattr(module, "eval"):
        module.eval()
    return module


def loads(data: bytes) -> Any:
    """The module saved by :func:`dumps`, on the CPU and in eval mode. Runs code from ``data``."""
    return _load_torch_file(io.BytesIO(data))


def requirement_modules(data: bytes) -> set[str]:
    """Top-level modules that the pickle inside ``torch.save`` bytes refers to (no unpickling)."""
    from autolog.model.environment import modules_in_pickle

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.count("/") == 1 and name.endswith("/data.pkl"):
                return modules_in_pickle(archive.read(name))
    return set()


def _as_tensor(data: Any, device: Any) -> Any:
    import numpy as np
    import torch

    if isinstance(data, torch.Tensor):
        tensor = data
    elif hasattr(data, "to_numpy") and hasattr(data, "columns"):  # DataFrame, as MLflow does
        tensor = torch.from_numpy(np.ascontiguousarray(data.to_numpy(dtype=np.float32)))
    elif isinstance(data, (np.ndarray, list, tuple)):
        array = np.asarray(data)
        if not array.flags.writeable or not array.flags.c_contiguous:
            array = np.array(array, copy=True, order="C")
        tensor = torch.from_numpy(array)
    else:
        raise TypeError(f"A torch model predicts on a numpy array, torch tensor or pandas "
                        f"DataFrame, not a {type(data).__qualname__}.")
    return tensor.to(device) if device is not None else tensor


def to_numpy(output: Any) -> Any:
    """Tensors in ``output`` (a tensor, or a tuple, list or dict of them) as numpy arrays.

    bfloat16, which numpy lacks, becomes float32 (a model's output under autocast).
    """
    import torch

    if isinstance(output, torch.Tensor):
        tensor = output.detach().cpu()
        if tensor.dtype == torch.bfloat16:  # numpy has no bfloat16 (autocast outputs)
            tensor = tensor.float()
        return tensor.numpy()
    if isinstance(output, Mapping):
        return {k: to_numpy(v) for k, v in output.items()}
    if isinstance(output, (list, tuple)):
        return type(output)(to_numpy(v) for v in output)
    return output


def predict(module: Any, data: Any) -> Any:
    """Run ``module`` on ``data`` under ``torch.no_grad()``; tensors come back as numpy arrays.

    ``data`` is a numpy array, torch tensor or pandas DataFrame (read as float32, as MLflow
    does); it is moved to the module's device. The module's train/eval mode is left as it is.
    """
    import torch

    first = next(iter(module.parameters()), None)
    tensor = _as_tensor(data, first.device if first is not None else None)
    with torch.no_grad():
        return to_numpy(module(tensor))


class TorchModel:
    """A loaded torch module; :meth:`predict` runs it on numpy, pandas or tensor input."""

    def __init__(self, module: Any) -> None:
        self.module = module

    def predict(self, data: Any) -> Any:
        """See :func:`predict`."""
        return predict(self.module, data)

    def __repr__(self) -> str:
        return f"<TorchModel {type(self.module).__qualname__}>"


def load(folder: ModelFolder, conf: dict[str, Any]) -> TorchModel:
    """Load the ``pytorch`` flavor of ``folder`` (``conf`` is its MLmodel block).

    Raises:
        ChecksumError: the model file differs from its checksum; nothing was unpickled.
        ModelFolderError: the folder holds neither ``model.pth`` nor ``model.pt2``.
    """
    data_dir = str(conf.get("model_data") or MODEL_DATA).strip("/")
    pickled, exported = f"{data_dir}/model.pth", f"{data_dir}/model.pt2"
    if (folder.path / pickled).is_file():
        verify_checksums(folder, [pickled])
        return TorchModel(_load_torch_file(folder.path / pickled))
    if (folder.path / exported).is_file():
        import torch

        verify_checksums(folder, [exported])
        return TorchModel(torch.export.load(folder.path / exported).module())
    raise ModelFolderError(f"{folder.path} has a pytorch flavor but neither {pickled} nor "
                           f"{exported}; the folder is incomplete.")


# Checksums are verified inside load(): which file it reads depends on what the folder holds.
LOADER = FlavorLoader("pytorch", load, pickled=True)
