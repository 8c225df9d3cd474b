"""Security: tampered pickles never run, allow_pickle=False holds everywhere, secrets and the
environment stay out of the store, nothing listens on the network.

The tampered pickle's payload creates a marker file when unpickled; each test first proves the
payload works (so that "no marker" means "never unpickled").
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import autolog
from autolog import yamlio
from autolog.errors import ChecksumError, UnsafeFormatError
from autolog.model.folder import sha256_file
from tests.helpers import run_python
from tests.reliability.conftest import autolog_warnings
from tests.reliability.workloads import iris


class _Payload:
    """Unpickling this opens (creates) ``path``: the stand-in for arbitrary code."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (self.path, "w"))


def _evil(marker: Path) -> bytes:
    data = pickle.dumps(_Payload(marker))
    pickle.loads(data).close()  # the control: this payload does run when unpickled
    assert marker.exists()
    marker.unlink()
    return data


def _tamper(folder: Path, name: str, data: bytes, fix_checksum: bool) -> None:
    """Replace a model file; with ``fix_checksum`` also rewrite its MLmodel checksum, as an
    attacker who can write the whole folder would."""
    (folder / name).write_bytes(data)
    if fix_checksum:
        path = folder / "MLmodel"
        mlmodel = yamlio.load(path.read_text())
        mlmodel["metadata"]["checksums"][name] = sha256_file(folder / name)
        path.write_text(yamlio.dump(mlmodel))


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "autolog.cli", *args], capture_output=True,
                          text=True, timeout=120, check=False)


@pytest.fixture
def sklearn_model(store) -> tuple[str, Path]:
    """A logged and registered (``m`` v1) scikit-learn model: (run id, model folder)."""
    from sklearn.linear_model import LogisticRegression

    X, y = iris()
    LogisticRegression(max_iter=300).fit(X, y)
    autolog.flush()
    run = autolog.search_runs()[0]
    autolog.register_model(f"runs:/{run.run_id}/model", "m")
    return run.run_id, Path(run.model_path)


def test_checksums_are_verified_before_unpickling(sklearn_model, store, tally, tmp_path):
    run_id, folder = sklearn_model
    marker = tmp_path / "pwned"
    payload = _evil(marker)
    version = store.download_model_version("m", 1)
    _tamper(folder, "model.pkl", payload, fix_checksum=False)
    _tamper(version, "model.pkl", payload, fix_checksum=False)
    data = tmp_path / "x.npy"
    np.save(data, iris()[0])
    case = tally.case("security", "tampered pickle is never unpickled",
                      "real: model.pkl replaced by a pickle whose payload creates a file; "
                      "load_model by folder, runs:/, models:/, register_model, autolog predict")
    for load in (lambda: autolog.load_model(folder),
                 lambda: autolog.load_model(f"runs:/{run_id}/model"),
                 lambda: autolog.load_model("models:/m/1")):
        with case.trial():
            with pytest.raises(ChecksumError, match="does not match the checksum"):
                load()
            assert not marker.exists()
    with case.trial():
        with pytest.raises(ChecksumError):
            autolog.register_model(folder, "m")
        assert [v.version for v in autolog.list_versions("m")] == [1]
        assert not marker.exists()
    for uri in (str(folder), "models:/m/1"):
        with case.trial():
            done = _cli("predict", uri, "--input", str(data), "--store", str(store.root))
            assert done.returncode == 1 and "does not match the checksum" in done.stderr
            assert not marker.exists()


def test_allow_pickle_false_everywhere(sklearn_model, store, tally, tmp_path):
    """Even a pickle whose checksum was rewritten to match never loads with
    allow_pickle=False: load_model (folder, runs:/, models:/), autolog predict --no-pickle.
    Reading, registering and comparing never unpickle at all."""
    run_id, folder = sklearn_model
    marker = tmp_path / "pwned"
    payload = _evil(marker)
    _tamper(folder, "model.pkl", payload, fix_checksum=True)
    version = store.download_model_version("m", 1)
    _tamper(version, "model.pkl", payload, fix_checksum=True)
    data = tmp_path / "x.npy"
    np.save(data, iris()[0])
    case = tally.case("security", "allow_pickle=False everywhere a model is loaded",
                      "a pickle with a matching (rewritten) checksum: load_model, runs:/, "
                      "models:/, autolog predict --no-pickle; register, compare, show, list")
    for uri in (folder, f"runs:/{run_id}/model", "models:/m/1"):
        with case.trial():
            with pytest.raises(UnsafeFormatError, match="allow_pickle=False"):
                autolog.load_model(uri, allow_pickle=False)
            assert not marker.exists()
    with case.trial():
        done = _cli("predict", "models:/m/1", "--no-pickle", "--input", str(data),
                    "--store", str(store.root))
        assert done.returncode == 1 and "allow_pickle=False" in done.stderr, done.stderr
        assert not marker.exists()
    with case.trial():
        autolog.register_model(folder, "m")  # hashes and reads MLmodel only
        str(autolog.compare("m"))
        autolog.get_model_version("m", 2)
        for args in (["models", "show", "m"], ["models", "list"], ["models", "compare", "m"],
                     ["runs", "show", run_id], ["runs", "list"]):
            done = _cli(*args, "--store", str(store.root))
            assert done.returncode == 0, (args, done.stderr)
        assert not marker.exists()
    with case.trial():  # the control: the default (allow_pickle=True) trusts the checksum
        try:
            autolog.load_model(folder)
        except Exception:  # noqa: BLE001 - the payload is not a model; it ran all the same
            pass
        assert marker.exists()


def test_allow_pickle_false_loads_onnx(user_mode, tally, tmp_path):
    """format='both': with allow_pickle=False the ONNX flavor loads and predicts; the pickle
    (malicious, checksum rewritten) is never touched."""
    import onnxruntime  # noqa: F401 - required by this test
    import skl2onnx  # noqa: F401 - required by this test
    from sklearn.linear_model import LogisticRegression

    X, y = iris()
    root = user_mode(format="both")
    est = LogisticRegression(max_iter=300).fit(X, y)
    autolog.flush()
    folder = Path(autolog.search_runs()[0].model_path)
    marker = tmp_path / "pwned"
    _tamper(folder, "model.pkl", _evil(marker), fix_checksum=True)
    case = tally.case("security", "allow_pickle=False loads the ONNX flavor",
                      "format='both', malicious model.pkl with a matching checksum")
    with case.trial():
        model = autolog.load_model(folder, allow_pickle=False)
        assert model.format == "onnx"
        assert np.array_equal(np.asarray(model.predict(X.astype(np.float32))).ravel(),
                              est.predict(X))
        assert not marker.exists()
    del root


def test_torch_pickle_checked_and_refused(user_mode, tally, tmp_path):
    import torch

    from tests.reliability.workloads import torch_net, torch_train

    user_mode()
    torch.manual_seed(0)
    torch_train(torch_net(), epochs=1)
    autolog.end_run()
    autolog.flush()
    folder = Path(autolog.search_runs()[0].model_path)
    marker = tmp_path / "pwned"
    payload = _evil(marker)
    name = "data/model.pth"
    case = tally.case("security", "tampered PyTorch model file",
                      "data/model.pth replaced by a malicious pickle: checksum refused; with a "
                      "rewritten checksum, refused by allow_pickle=False")
    with case.trial():
        _tamper(folder, name, payload, fix_checksum=False)
        with pytest.raises(ChecksumError):
            autolog.load_model(folder)
        _tamper(folder, name, payload, fix_checksum=True)
        with pytest.raises(UnsafeFormatError):
            autolog.load_model(folder, allow_pickle=False)
        assert not marker.exists()


def _secret_estimator() -> Any:
    from sklearn.linear_model import LogisticRegression

    class WithSecrets(LogisticRegression):
        def __init__(self, api_key: str = "", password: str = "", auth_token: str = "",
                     client_secret: str = "", db_credentials: Any = None,
                     private_key: str = "", options: Any = None, db_url: str = "",
                     max_iter: int = 300) -> None:
            super().__init__(max_iter=max_iter)
            self.api_key, self.password, self.auth_token = api_key, password, auth_token
            self.client_secret, self.db_credentials = client_secret, db_credentials
            self.private_key, self.options, self.db_url = private_key, options, db_url

    return WithSecrets


# The serialized model is the user's own object: it holds whatever the object holds.
_MODEL_FILES = ("model.pkl", "model.pth", "model.onnx")


def _store_bytes(root: Path, models_too: bool = False) -> bytes:
    """Every byte the store holds (the serialized model files only with ``models_too``)."""
    return b"".join(p.read_bytes() for p in Path(root).rglob("*")
                    if p.is_file() and (models_too or p.name not in _MODEL_FILES))


def test_secret_params_are_redacted(user_mode, tally):
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    secrets = {f"S3CR3T-{i}-value" for i in range(9)}
    s = sorted(secrets)
    estimator = _secret_estimator()(
        api_key=s[0], password=s[1], auth_token=s[2], client_secret=s[3],
        db_credentials={"user": "me", "pass": s[4]}, private_key=s[5],
        options={"nested": {"Password": s[6], "API-KEY": s[7]}},
        db_url=f"postgresql://admin:{s[8]}@db.example:5432/prod")
    X, y = iris()
    root = user_mode()
    case = tally.case("security", "secret-looking parameters redacted",
                      "real fits: api_key, password, auth_token, client_secret, credentials, "
                      "private_key, nested dicts, a Pipeline step, a password inside a URL")
    with case.trial():
        estimator.fit(X, y)
        Pipeline([("scale", StandardScaler()), ("clf", estimator)]).fit(X, y)
        autolog.flush()
        runs = autolog.search_runs()
        assert len(runs) == 2
        blob = _store_bytes(root)
        leaked = [x for x in secrets if x.encode() in blob]
        assert not leaked, f"secrets in the store: {leaked}"
        pipe = next(r for r in runs if r.model_name == "Pipeline").params
        assert pipe["clf__api_key"] == "***REDACTED***"
        assert pipe["clf__db_url"] == "postgresql://admin:***REDACTED***@db.example:5432/prod"
        assert pipe["clf__max_iter"] == "300"  # the rest is kept


_ENV_CHILD = """
import sys
import autolog
autolog.enable(store=sys.argv[1], testing=True)
import torch
from sklearn.datasets import load_iris
from sklearn.model_selection import GridSearchCV
from sklearn.linear_model import LogisticRegression
sys.path.insert(0, sys.argv[2])
from tests.reliability.workloads import torch_net, torch_train
X, y = load_iris(return_X_y=True)
GridSearchCV(LogisticRegression(max_iter=300), {"C": [0.5, 1.0]}, cv=2).fit(X, y)
torch_train(torch_net(), epochs=1)
autolog.end_run()
autolog.flush()
print("ok")
"""


def test_environment_is_never_logged(tally, tmp_path):
    import torch  # noqa: F401 - required by this test
    root = tmp_path / "store"
    values = {"AWS_SECRET_ACCESS_KEY": "fake-aws-secret-0123456789",
              "MY_SERVICE_TOKEN": "fake-token-abcdef",
              "HF_TOKEN": "hf_fakefakefakefake",
              "PLAIN_SETTING": "unremarkable-but-unique-value-42"}
    case = tally.case("security", "environment variables never logged",
                      "real: a training process (scikit-learn search + PyTorch loop) with fake "
                      "secrets in os.environ; every byte of the store searched")
    with case.trial():
        env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOLOG")}
        done = subprocess.run(
            [sys.executable, "-c", _ENV_CHILD, str(root), str(Path(__file__).parents[2])],
            env={**env, **values, "OMP_NUM_THREADS": "1"}, capture_output=True, text=True,
            timeout=300, check=False)
        assert done.returncode == 0 and "ok" in done.stdout, done.stderr[-3000:]
        blob = _store_bytes(root, models_too=True)
        assert len(os.listdir(root / "runs")) >= 4  # search, its children, the torch run
        leaked = [k for k, v in values.items() if v.encode() in blob]
        assert not leaked, f"environment values in the store: {leaked}"


_NET_CHILD = """
import os, socket, sys
import autolog
autolog.enable(store=sys.argv[1], testing=True)
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.datasets import load_iris
X, y = load_iris(return_X_y=True)
LogisticRegression(max_iter=300).fit(X, y)
net = torch.nn.Linear(4, 3)
opt = torch.optim.SGD(net.parameters(), lr=0.1)
for _ in range(3):
    opt.zero_grad()
    torch.nn.functional.cross_entropy(net(torch.tensor(X, dtype=torch.float32)),
                                      torch.tensor(y)).backward()
    opt.step()
autolog.end_run()
autolog.flush()

def listening():
    inodes = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for table in ("tcp", "tcp6", "udp", "udp6"):
        try:
            lines = open(f"/proc/net/{table}").read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            state, inode = fields[3], fields[9]
            # TCP LISTEN is 0A; a bound UDP socket (state 07) receives from anyone.
            if inode in inodes and (state == "0A" or table.startswith("udp")):
                found.append((table, fields[1]))
    return found

print("after fit:", listening())
probe = socket.socket()
probe.bind(("127.0.0.1", 0))
probe.listen()
print("control:", listening())
"""


def test_nothing_listens_on_a_port(tally, tmp_path):
    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc")
    import torch  # noqa: F401 - required by this test
    case = tally.case("security", "nothing listens on a network port",
                      "real: enable + scikit-learn fit + PyTorch loop + flush in a fresh "
                      "process; its own sockets matched against /proc/net/{tcp,udp}{,6}")
    with case.trial():
        done = run_python(_NET_CHILD.replace("sys.argv[1]", repr(str(tmp_path / "store"))),
                          timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
        lines = dict(line.split(": ", 1) for line in done.stdout.splitlines() if ": " in line)
        assert lines["after fit"] == "[]", done.stdout
        assert lines["control"] != "[]", "the detector must see a listening socket"


def test_ordinary_params_are_not_redacted(user_mode, tally):
    """The secret rule must not eat scikit-learn's own parameters that merely contain the
    words: CountVectorizer's token_pattern, StackingClassifier's passthrough."""
    from sklearn.ensemble import StackingClassifier
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.tree import DecisionTreeClassifier

    X, y = iris()
    user_mode()
    case = tally.case("security", "secret-looking parameters redacted",
                      "real fits: api_key, password, auth_token, client_secret, credentials, "
                      "private_key, nested dicts, a Pipeline step, a password inside a URL")
    with case.trial():
        with autolog_warnings() as caught:
            CountVectorizer().fit(["a first text", "another text"])
            StackingClassifier([("tree", DecisionTreeClassifier(max_depth=2))],
                               LogisticRegression(max_iter=300), passthrough=True,
                               cv=2).fit(X, y)
        assert not caught, caught  # a sparse output (CountVectorizer) has a signature too
        runs = {r.model_name: r.params for r in autolog.search_runs()}
        assert runs["CountVectorizer"]["token_pattern"] == CountVectorizer().token_pattern
        assert runs["StackingClassifier"]["passthrough"] == "True"
        assert "REDACTED" not in json.dumps(runs)
