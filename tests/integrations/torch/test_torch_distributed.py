"""torch.distributed: two real processes (gloo, CPU) train one DDP model; rank 0 alone records.

The processes meet over TCP on localhost: a ``file://`` rendezvous can abort a process at exit
when the other one has already removed the shared file.
"""

from __future__ import annotations

import os
import subprocess
import sys

from autolog.stores.local import LocalStore

_SCRIPT = """
import sys
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, TensorDataset
from torch.utils.data.distributed import DistributedSampler


def worker(rank, store, port):
    import autolog

    autolog.enable(store=store, testing=True)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=2)
    torch.manual_seed(0)
    X = torch.randn(128, 4)
    y = X.sum(dim=1, keepdim=True)
    data = TensorDataset(X, y)
    sampler = DistributedSampler(data, num_replicas=2, rank=rank, shuffle=True, seed=0)
    loader = DataLoader(data, batch_size=16, sampler=sampler)
    model = DistributedDataParallel(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1)))
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    loss_fn = nn.MSELoss()
    for epoch in range(2):
        sampler.set_epoch(epoch)
        model.train()
        for xb, yb in loader:
            opt.zero_grad()
            loss_fn(model(xb), yb).backward()
            opt.step()
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    import socket

    with socket.socket() as probe:  # a free port for the rendezvous
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mp.spawn(worker, args=(sys.argv[1], port), nprocs=2, join=True)
"""


def test_two_process_ddp_training_is_exactly_one_run(tmp_path):
    import mlflow.pytorch

    script = tmp_path / "train_ddp.py"
    script.write_text(_SCRIPT)
    store = tmp_path / "store"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOLOG")}
    proc = subprocess.run([sys.executable, str(script), str(store)],
                          env=env, capture_output=True, text=True, timeout=240, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    runs = LocalStore(store).search_runs()
    assert len(runs) == 1
    (run,) = runs
    assert run.status == "FINISHED"
    assert run.params["distributed_world_size"] == "2"
    assert run.params["model_class"] == "Sequential"  # the module inside DDP
    assert run.params["epochs"] == "2"
    assert [m.value for m in run.metric_history["steps"]] == [4, 4]  # 64 rows per rank / 16
    model = mlflow.pytorch.load_model(run.model_path)
    assert isinstance(model, __import__("torch").nn.Sequential)
