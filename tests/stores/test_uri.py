"""Stores are chosen by URI; backends and plugins are imported only when a URI needs them."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from autolog.errors import UnknownSchemeError
from autolog.stores import open_store, parse_store_uri
from autolog.stores.fallback import FallbackStore
from autolog.stores.local import LocalStore
from tests.helpers import run_python


@pytest.mark.parametrize(("uri", "expected"), [
    ("/data/runs", ("file", "/data/runs")),
    ("relative/runs", ("file", "relative/runs")),
    ("~/runs", ("file", "~/runs")),
    ("file:///data/my%20runs", ("file", "/data/my runs")),
    ("C:\\runs", ("file", "C:\\runs")),
    ("http://mlflow:5000", ("http", "http://mlflow:5000")),
    ("MLFLOW+HTTPS://mlflow.example/prefix", ("mlflow+https", "MLFLOW+HTTPS://mlflow.example/prefix")),
])
def test_parse_store_uri(uri, expected):
    assert parse_store_uri(uri) == expected


def test_paths_and_file_uris_open_the_local_store(tmp_path):
    by_path = open_store(str(tmp_path / "a"))
    assert isinstance(by_path, LocalStore) and by_path.root == (tmp_path / "a").resolve()
    by_uri = open_store((tmp_path / "a").as_uri())
    assert isinstance(by_uri, LocalStore) and by_uri.root == by_path.root


@pytest.mark.parametrize("scheme", ["http", "https", "mlflow+http", "mlflow+https"])
def test_http_uris_open_the_mlflow_store_behind_an_offline_fallback(scheme):
    from autolog.stores.mlflow import MLflowStore

    uri = f"{scheme}://mlflow.invalid:5000/prefix"
    store = open_store(uri)  # no network until the store is used
    assert isinstance(store, FallbackStore) and isinstance(store.primary, MLflowStore)
    assert store.primary.tracking_uri == f"{scheme.removeprefix('mlflow+')}://mlflow.invalid:5000/prefix"
    assert open_store(uri) is store
    bare = open_store(uri, offline_fallback=False)
    assert isinstance(bare, MLflowStore) and bare is not store.primary


def test_an_unknown_scheme_lists_the_known_ones():
    with pytest.raises(UnknownSchemeError) as caught:
        open_store("s3://bucket/runs")
    message = str(caught.value)
    assert "'s3'" in message and "autolog.stores" in message
    for scheme in ("file", "http", "https", "mlflow+http", "mlflow+https"):
        assert scheme in message


def _plugin_tree(root: Path) -> None:
    """A real installed distribution registering a store in the ``autolog.stores`` group."""
    (root / "memo_store.py").write_text(textwrap.dedent("""
        from autolog.stores.local import LocalStore

        class MemoStore(LocalStore):
            def __init__(self, uri):
                super().__init__("/tmp/memo-store-" + uri.split("://", 1)[1])
                self.uri = uri
    """))
    info = root / "memo_store-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: memo-store\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[autolog.stores]\nmemo = memo_store:MemoStore\n")


def test_a_plugin_store_is_found_by_entry_point_and_imported_lazily(tmp_path):
    _plugin_tree(tmp_path)
    code = textwrap.dedent("""
        import json, sys
        from autolog.errors import UnknownSchemeError
        from autolog.stores import open_store
        before = "memo_store" in sys.modules
        store = open_store("memo://bucket-7")
        try:
            open_store("nope://x")
        except UnknownSchemeError as exc:
            listed = "memo" in str(exc)
        print(json.dumps({"before": before, "cls": type(store).__name__, "uri": store.uri,
                          "listed": listed}))
    """)
    result = run_python(code, env={"PYTHONPATH": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"before": False, "cls": "MemoStore",
                                         "uri": "memo://bucket-7", "listed": True}


def test_a_missing_extra_is_named_in_the_error(tmp_path):
    blocker = tmp_path / "mlflow"
    blocker.mkdir()
    (blocker / "__init__.py").write_text("raise ImportError('No module named mlflow')\n")
    code = "from autolog.stores import open_store\nopen_store('http://mlflow.invalid')"
    result = run_python(code, env={"PYTHONPATH": str(tmp_path)})
    assert result.returncode != 0
    assert "pip install 'autolog-ml[mlflow]'" in result.stderr


def test_mlflow_is_imported_only_when_an_mlflow_uri_is_used(tmp_path):
    code = textwrap.dedent(f"""
        import json, sys
        import autolog
        autolog.enable(store={str(tmp_path / 'runs')!r})
        from autolog.stores import open_store
        open_store({str(tmp_path / 'runs')!r})
        local_only = "mlflow" in sys.modules
        open_store("http://mlflow.invalid:5000")
        print(json.dumps([local_only, "mlflow" in sys.modules]))
    """)
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [False, True]
