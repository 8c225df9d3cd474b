"""PyTorch end to end: plain training loops, a real store, MLflow loading our folders."""

from __future__ import annotations

import json
import math
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import autolog
from autolog.errors import SchemaMismatchError
from autolog.model.folder import read_model_folder
from tests.helpers import run_python


class Classifier(nn.Module):
    def __init__(self, n_in: int = 6, n_classes: int = 3) -> None:
        super().__init__()
        self.hidden = nn.Linear(n_in, 16)
        self.out = nn.Linear(16, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(torch.relu(self.hidden(x)))


def _mlp(n_in: int = 5) -> nn.Module:
    return nn.Sequential(nn.Linear(n_in, 16), nn.ReLU(), nn.Linear(16, 1))


@pytest.fixture
def regression():
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(320, 5, generator=gen)
    y = X @ torch.randn(5, 1, generator=gen) + 0.05 * torch.randn(320, 1, generator=gen)
    return X[:256], y[:256], X[256:], y[256:]


@pytest.fixture
def classification():
    gen = torch.Generator().manual_seed(1)
    X = torch.randn(300, 6, generator=gen)
    y = (X[:, 0] > 0).long() + (X[:, 1] > 0.5).long()
    return X[:240], y[:240], X[240:], y[240:]


def _fit(model, opt, loss_fn, X, y, Xv=None, yv=None, epochs=3, batch_size=32,
         scheduler=None):
    """The ordinary loop: DataLoader, per-epoch validation with eval()/train() switches."""
    torch.manual_seed(0)
    loader = DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=True)
    model.train()
    for _ in range(epochs):
        for xb, yb in loader:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
        if scheduler is not None:
            scheduler.step()
        if Xv is not None:
            model.eval()
            with torch.no_grad():
                loss_fn(model(Xv), yv)
            model.train()


def _runs(store):
    autolog.flush()
    return store.search_runs()


def _values(run, key):
    return [m.value for m in run.metric_history.get(key, [])]


def test_regression_loop_is_one_complete_run(store, regression):
    X, y, Xv, yv = regression
    model = _mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    _fit(model, opt, nn.MSELoss(), X, y, Xv, yv, epochs=3, scheduler=sched)
    autolog.end_run()
    runs = _runs(store)
    assert len(runs) == 1
    run = runs[0]
    assert run.status == "FINISHED"
    for key in ("train_loss", "val_loss", "lr", "steps", "epoch_time_s", "samples_per_s"):
        assert len(run.metric_history[key]) == 3, key
        assert [m.step for m in run.metric_history[key]] == [0, 1, 2]
    train = _values(run, "train_loss")
    assert train[-1] < train[0]
    assert _values(run, "val_loss")[-1] < _values(run, "val_loss")[0]
    assert _values(run, "steps") == [8, 8, 8]
    assert _values(run, "lr") == pytest.approx([0.05, 0.025, 0.0125])
    assert all(v > 0 for v in _values(run, "samples_per_s"))
    p = run.params
    assert p["optimizer"] == "SGD"
    assert p["optimizer_params.lr"] == "0.05" and p["optimizer_params.momentum"] == "0.9"
    assert p["lr_scheduler"] == "StepLR"
    assert p["loss_function"] == "MSELoss"
    assert p["batch_size"] == "32" and p["epochs"] == "3"
    assert p["model_class"] == "Sequential"
    total = sum(t.numel() for t in model.parameters())
    assert p["parameters_total"] == p["parameters_trainable"] == str(total)
    assert p["device"] == "cpu" and p["dtype"] == "float32"
    assert run.tags["autolog.integration"] == "torch"
    assert run.tags["autolog.library.torch"] == torch.__version__
    assert "model_summary" in run.artifacts
    summary = (Path(run.model_path).parent / "model_summary" / "model_summary.txt").read_text()
    assert f"Sequential: {total:,} parameters" in summary and "Linear(in_features=5" in summary

    folder = read_model_folder(run.model_path)
    flavors = folder.flavors
    assert flavors["pytorch"]["model_data"] == "data"
    assert flavors["pytorch"]["pytorch_version"] == torch.__version__
    assert flavors["python_function"]["loader_module"] == "mlflow.pytorch"
    assert set(folder.checksums) == {"data/model.pth", "data/pickle_module_info.txt"}
    sig = folder.signature().to_dict()
    assert json.loads(sig["inputs"]) == [
        {"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 5]}}]
    assert json.loads(sig["outputs"]) == [
        {"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 1]}}]
    example = folder.input_example()
    assert example.shape == (5, 5)
    requirements = (folder.path / "requirements.txt").read_text().split()
    assert f"torch=={torch.__version__.split('+')[0]}" in requirements
    assert any(r.startswith("cloudpickle==") for r in requirements)
    for name in ("conda.yaml", "python_env.yaml"):
        assert (folder.path / name).is_file()


def test_mlflow_loads_the_classifier_and_predictions_match(store, classification):
    import mlflow.pyfunc
    import mlflow.pytorch

    X, y, Xv, yv = classification
    model = Classifier()
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    _fit(model, opt, nn.CrossEntropyLoss(), X, y, Xv, yv, epochs=4)
    autolog.end_run()
    (run,) = _runs(store)
    train = _values(run, "train_loss")
    assert len(train) == 4 and train[-1] < train[0]
    samples = [r * t for r, t in zip(_values(run, "samples_per_s"),
                                     _values(run, "epoch_time_s"), strict=True)]
    assert samples == pytest.approx([240] * 4)  # 7 batches of 32 and one of 16
    assert run.params["loss_function"] == "CrossEntropyLoss"
    assert run.params["model_class"] == "Classifier"
    model.eval()
    with torch.no_grad():
        expected = model(Xv).numpy()
    native = mlflow.pytorch.load_model(run.model_path)
    with torch.no_grad():
        np.testing.assert_allclose(native(Xv).numpy(), expected, rtol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pyfunc = mlflow.pyfunc.load_model(run.model_path)
    np.testing.assert_allclose(pyfunc.predict(Xv.numpy()), expected, rtol=1e-6)
    ours = autolog.load_model(f"runs:/{run.run_id}/model")
    np.testing.assert_allclose(ours.predict(Xv.numpy()), expected, rtol=1e-6)
    with pytest.raises(SchemaMismatchError):
        ours.predict(np.zeros((2, 4), dtype=np.float32))


def test_two_models_in_sequence_are_two_runs(store, regression, classification):
    X, y, Xv, yv = regression
    first = _mlp()
    _fit(first, torch.optim.SGD(first.parameters(), lr=0.05), nn.MSELoss(), X, y, Xv, yv,
         epochs=2)
    Xc, yc, _, _ = classification
    second = Classifier()
    _fit(second, torch.optim.Adam(second.parameters()), nn.CrossEntropyLoss(), Xc, yc,
         epochs=3)
    autolog.end_run()
    runs = sorted(_runs(store), key=lambda r: r.info.start_time)
    assert [r.params["model_class"] for r in runs] == ["Sequential", "Classifier"]
    assert [r.params["epochs"] for r in runs] == ["2", "3"]
    assert [len(r.metric_history["train_loss"]) for r in runs] == [2, 3]
    assert "val_loss" not in runs[1].metrics
    assert all(r.status == "FINISHED" and r.model_path for r in runs)


def test_loop_without_dataloader_gets_epochs_from_eval_switches(store, regression):
    X, y, Xv, yv = regression
    model = _mlp()
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    model.train()
    for _ in range(4):
        for start in range(0, 256, 64):  # slices, not a DataLoader
            opt.zero_grad()
            F.mse_loss(model(X[start:start + 64]), y[start:start + 64]).backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            F.mse_loss(model(Xv), yv)
        model.train()
    autolog.end_run()
    (run,) = _runs(store)
    assert run.params["epochs"] == "4"
    assert _values(run, "steps") == [4, 4, 4, 4]
    assert len(_values(run, "val_loss")) == 4
    assert run.params["loss_function"] == "mse_loss"
    assert run.params["batch_size"] == "64"


def test_mid_epoch_validation_and_early_break_keep_epochs_as_passes(store, regression):
    X, y, Xv, yv = regression
    model = _mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.02)
    train = DataLoader(TensorDataset(X, y), batch_size=16)  # 16 batches a pass
    val = DataLoader(TensorDataset(Xv, yv), batch_size=32)
    for epoch in range(3):
        model.train()
        for step, (xb, yb) in enumerate(train):
            opt.zero_grad()
            F.mse_loss(model(xb), yb).backward()
            opt.step()
            if step % 5 == 4:  # validation in the middle of the pass
                model.eval()
                with torch.no_grad():
                    for vx, vy in val:
                        F.mse_loss(model(vx), vy)
                model.train()
            if epoch == 1 and step == 9:
                break  # a pass cut short still ends its epoch
    autolog.end_run()
    (run,) = _runs(store)
    assert run.params["epochs"] == "3"
    assert _values(run, "steps") == [16, 10, 16]
    assert len(_values(run, "val_loss")) == 3


def test_two_models_without_epoch_boundaries_are_two_runs(store, regression):
    X, y, _, _ = regression
    for _ in range(2):
        model = _mlp()
        opt = torch.optim.SGD(model.parameters(), lr=0.05)
        for _ in range(6):
            opt.zero_grad()
            F.mse_loss(model(X), y).backward()
            opt.step()
    autolog.end_run()
    runs = _runs(store)
    assert len(runs) == 2
    assert sorted(_values(r, "steps")[0] for r in runs) == [6, 6]


def test_alternating_models_share_one_run(store, regression):
    X, y, _, _ = regression
    gen, critic = _mlp(), nn.Linear(1, 1)
    opt_g = torch.optim.SGD(gen.parameters(), lr=0.01)
    opt_c = torch.optim.SGD(critic.parameters(), lr=0.01)
    for _ in range(5):
        opt_g.zero_grad()
        F.mse_loss(gen(X), y).backward()
        opt_g.step()
        opt_c.zero_grad()
        F.mse_loss(critic(gen(X).detach()), y).backward()
        opt_c.step()
    autolog.end_run()
    (run,) = _runs(store)
    assert run.params["model_class"] == "Sequential"
    assert _values(run, "steps") == [5]


def test_mixed_precision_loss_is_recorded_before_scaling(store, regression):
    X, y, _, _ = regression
    model = nn.Linear(5, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    scaler = torch.amp.GradScaler("cpu", init_scale=1024.0)
    losses = []
    for _ in range(4):
        opt.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            loss = F.mse_loss(model(X), y)
        losses.append(loss.item())
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
    autolog.end_run()
    (run,) = _runs(store)
    assert run.metrics["train_loss"] == pytest.approx(sum(losses) / 4, rel=1e-3)
    assert json.loads(read_model_folder(run.model_path).signature().to_dict()["outputs"])[0][
        "tensor-spec"]["dtype"] == "float32"  # bfloat16 output, which numpy lacks


def test_end_run_ends_the_torch_run_and_training_again_starts_another(store, regression):
    X, y, _, _ = regression
    model = _mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    _fit(model, opt, nn.MSELoss(), X, y, epochs=1)
    autolog.end_run()
    (run,) = _runs(store)
    assert run.status == "FINISHED" and run.model_path
    _fit(model, opt, nn.MSELoss(), X, y, epochs=2)
    autolog.end_run()
    runs = _runs(store)
    assert len(runs) == 2
    assert sorted(r.params["epochs"] for r in runs) == ["1", "2"]


def test_training_inside_start_run_logs_into_that_run(store, regression):
    X, y, _, _ = regression
    with autolog.start_run(name="experiment") as outer:
        model = _mlp()
        _fit(model, torch.optim.SGD(model.parameters(), lr=0.05), nn.MSELoss(), X, y, epochs=2)
    (run,) = _runs(store)
    assert run.run_id == outer.run_id and run.info.name == "experiment"
    assert run.params["epochs"] == "2" and run.model_path
    assert len(run.metric_history["train_loss"]) == 2


def test_hooks_are_removed_once_the_model_is_known(store, regression):
    from torch.nn.modules import module as module_mod
    from torch.optim import optimizer as optimizer_mod

    X, y, _, _ = regression
    model = _mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    assert module_mod._global_forward_pre_hooks and module_mod._global_forward_hooks
    opt.zero_grad()
    F.mse_loss(model(X), y).backward()
    opt.step()
    assert not module_mod._global_forward_pre_hooks and not module_mod._global_forward_hooks
    assert not hasattr(F.mse_loss, "__wrapped__")  # the loss functions: only in eval mode
    model.eval()
    assert hasattr(F.mse_loss, "__wrapped__")
    model.train()
    assert not hasattr(F.mse_loss, "__wrapped__")
    model.eval()
    autolog.disable()
    assert not optimizer_mod._global_optimizer_post_hooks
    assert not hasattr(torch.autograd.backward, "__wrapped__")
    assert not hasattr(vars(nn.Module)["train"], "__wrapped__")
    assert not hasattr(F.mse_loss, "__wrapped__")


def test_user_exception_propagates_unchanged(store, regression):
    X, y, _, _ = regression
    model = _mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    error = ValueError("bad batch")
    with pytest.raises(ValueError) as caught:
        for step in range(5):
            opt.zero_grad()
            F.mse_loss(model(X), y).backward()
            opt.step()
            if step == 2:
                raise error
    assert caught.value is error
    autolog.end_run()
    (run,) = _runs(store)
    assert _values(run, "steps") == [3]


def test_internal_failure_is_one_warning_and_training_goes_on(store_path, regression):
    class Locked(nn.Module):  # a lock can be neither deep-copied nor pickled
        def __init__(self) -> None:
            super().__init__()
            self.layer = nn.Linear(5, 1)
            self.lock = threading.Lock()

        def forward(self, x):
            return self.layer(x)

    autolog.enable(store=str(store_path), testing=False)
    X, y, _, _ = regression
    model = Locked()
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _fit(model, opt, nn.MSELoss(), X, y, epochs=2)
        autolog.end_run()
        autolog.flush()
    ours = [w for w in caught if issubclass(w.category, autolog.AutologWarning)]
    assert len(ours) == 1, [str(w.message) for w in ours]
    assert "Locked" in str(ours[0].message)
    (run,) = autolog.search_runs()
    assert run.params["epochs"] == "2" and run.model_path is None


_SCRIPT = """
import torch, autolog
from torch import nn
autolog.enable(store={store!r})

class Net(nn.Module):  # defined in __main__: pickled by value
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 2)
    def forward(self, x):
        return self.fc(x)

X, y = torch.randn(64, 4), torch.randint(0, 2, (64,))
model = Net()
opt = torch.optim.SGD(model.parameters(), lr=0.1)
loss_fn = nn.CrossEntropyLoss()
for epoch in range(3):
    for i in range(0, 64, 16):
        opt.zero_grad()
        loss_fn(model(X[i:i + 16]), y[i:i + 16]).backward()
        opt.step()
    model.eval(); model.train()
    if epoch == 1 and {fail}:
        raise RuntimeError("diverged")
"""


@pytest.mark.parametrize("fail", [False, True], ids=["exit", "unhandled-exception"])
def test_run_ends_at_interpreter_exit(tmp_path, fail):
    store = tmp_path / "store"
    proc = run_python(_SCRIPT.format(store=str(store), fail=fail))
    if fail:
        assert proc.returncode == 1 and "RuntimeError: diverged" in proc.stderr
    else:
        assert proc.returncode == 0, proc.stderr
    from autolog.stores.local import LocalStore

    (run,) = LocalStore(store).search_runs()
    assert run.status == ("FAILED" if fail else "FINISHED")
    assert run.params["epochs"] == ("2" if fail else "3")
    assert run.params["model_class"] == "Net"
    model = autolog.load_model(run.model_path).native.module  # Net came along by value
    assert type(model).__name__ == "Net"
    assert math.isfinite(run.metrics["train_loss"])


def test_autologs_own_forward_calls_are_not_recorded(store, regression):
    from autolog import activation

    X, y, _, _ = regression
    model = _mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.05)  # the search for its model is on
    search = activation._integrations["torch"]._search
    assert search.active
    autolog.log_model(_mlp(), input_example=X[:3].numpy())  # predicts, suspended
    assert len(search.records) == 0
    opt.zero_grad()
    F.mse_loss(model(X), y).backward()
    opt.step()
    assert list(search.records.keys()) == [model]
