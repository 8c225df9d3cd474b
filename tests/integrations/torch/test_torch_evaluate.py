"""autolog.evaluate on PyTorch modules: tensors or a DataLoader, task from the shapes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn import metrics as M
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

import autolog


def _train(model, X, y, loss_fn, epochs=3):
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    loader = DataLoader(TensorDataset(X, y), batch_size=32)
    model.train()
    for _ in range(epochs):
        for xb, yb in loader:
            opt.zero_grad()
            loss_fn(model(xb), yb).backward()
            opt.step()
    return model


@pytest.fixture
def classes():
    gen = torch.Generator().manual_seed(0)
    X = torch.randn(300, 4, generator=gen)
    y = (X[:, 0] > 0).long() + (X[:, 1] > 0.5).long()
    return X[:200], y[:200], X[200:], y[200:]


def test_logits_and_a_dataloader_log_to_the_training_run(store, classes):
    X_train, y_train, X_test, y_test = classes
    model = _train(nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3)),
                   X_train, y_train, nn.CrossEntropyLoss())
    model.train()
    loader = DataLoader(TensorDataset(X_test, y_test), batch_size=17)
    result = autolog.evaluate(model, loader, name="holdout")
    assert model.training  # its mode is restored
    with torch.no_grad():
        proba = torch.softmax(model.eval()(X_test), dim=1).numpy()
    y = y_test.numpy()
    assert result.task == "classification"
    assert result.metrics["accuracy_score"] == M.accuracy_score(y, proba.argmax(axis=1))
    assert result.metrics["log_loss"] == pytest.approx(M.log_loss(y, proba), rel=1e-5)
    assert result.metrics["example_count"] == 100
    again = autolog.evaluate(model, loader, name="holdout")
    assert again.name == "holdout" and again.digest == result.digest
    # A DataLoader's digest covers the targets it yielded, tensors' the inputs too: the same
    # rows given as tensors are other data to the naming, with the same values.
    tensors = autolog.evaluate(model, X_test, y_test, name="holdout")
    assert tensors.name == "holdout-2" and tensors.metrics == pytest.approx(result.metrics)
    autolog.end_run()
    autolog.flush()
    (run,) = store.search_runs()
    assert result.run_id == run.run_id and run.model_name == "Sequential"
    assert run.metrics["accuracy_score_holdout"] == result.metrics["accuracy_score"]


def test_one_output_binary_and_regression(store):
    gen = torch.Generator().manual_seed(1)
    X = torch.randn(200, 3, generator=gen)
    y_bin = (X[:, 0] + X[:, 1] > 0).float().unsqueeze(1)
    clf = _train(nn.Linear(3, 1), X[:150], y_bin[:150], nn.BCEWithLogitsLoss())
    result = autolog.evaluate(clf, X[150:], y_bin[150:].long(), name="binary")
    with torch.no_grad():
        p = torch.sigmoid(clf(X[150:])).numpy().reshape(-1)
    y = y_bin[150:].numpy().reshape(-1).astype(int)
    assert result.task == "classification"
    assert result.metrics["roc_auc"] == pytest.approx(M.roc_auc_score(y, p))
    autolog.end_run()
    y_reg = (X @ torch.tensor([[1.0], [-2.0], [0.5]])).float()
    reg = _train(nn.Linear(3, 1), X[:150], y_reg[:150], nn.MSELoss(), epochs=20)
    result = autolog.evaluate(reg, X[150:], y_reg[150:], name="val")
    with torch.no_grad():
        pred = reg(X[150:]).numpy()
    assert result.task == "regression"
    assert result.metrics["r2_score"] == pytest.approx(M.r2_score(y_reg[150:].numpy(), pred),
                                                       rel=1e-6)
    forced = autolog.evaluate(reg, X[150:], (y_reg[150:] > 0).long(), name="forced",
                              task="classification")
    assert forced.task == "classification" and "roc_auc" in forced.metrics


def test_a_loaded_pytorch_model_logs_to_its_run(store, classes):
    X_train, y_train, X_test, y_test = classes
    _train(nn.Sequential(nn.Linear(4, 3)), X_train, y_train, nn.CrossEntropyLoss())
    autolog.end_run()
    autolog.flush()
    (run,) = store.search_runs()
    result = autolog.evaluate(f"runs:/{run.run_id}/model", X_test.numpy(),
                              y_test.numpy(), name="holdout")
    assert result.run_id == run.run_id and result.task == "classification"
    assert np.isfinite(result.metrics["log_loss"])
