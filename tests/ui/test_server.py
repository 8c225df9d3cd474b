"""``autolog ui`` as a real server process: loopback by default, other addresses on request."""

from __future__ import annotations

import sys
import urllib.request
from pathlib import Path

import pytest

from autolog.errors import ConfigError
from autolog.stores.local import LocalStore
from autolog.ui.server import is_loopback, make_ui_server
from tests.ui.conftest import ui_process


def _listening(port: int) -> list[str]:
    """Local addresses (hex, as in /proc/net/tcp*) of sockets listening on ``port``."""
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            address, _, hex_port = fields[1].rpartition(":")
            if int(hex_port, 16) == port and fields[3] == "0A":  # 0A: LISTEN
                found.append(address)
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/net/tcp")
def test_serves_on_loopback_only(fresh_store: tuple[Path, dict[str, str]],
                                 tmp_path: Path) -> None:
    with ui_process(fresh_store[0], log=tmp_path / "server.log") as (url, _):
        assert url.startswith("http://127.0.0.1:")
        port = int(url.rstrip("/").rpartition(":")[2])
        assert _listening(port) == ["0100007F"]  # 127.0.0.1, and nothing else
        with urllib.request.urlopen(url + "runs", timeout=30) as response:
            assert response.status == 200
            assert "logreg-C0.1" in response.read().decode()
    assert "WARNING" not in (tmp_path / "server.log").read_text()


def test_other_addresses_need_an_explicit_host(fresh_store: tuple[Path, dict[str, str]],
                                               tmp_path: Path) -> None:
    store = LocalStore(fresh_store[0])
    with pytest.raises(ConfigError, match="not a loopback address.*--host"):
        make_ui_server(store, "0.0.0.0", 0)
    log = tmp_path / "server.log"
    with ui_process(fresh_store[0], "--host", "0.0.0.0", log=log) as (url, _):
        assert url.startswith("http://0.0.0.0:")
        port = int(url.rstrip("/").rpartition(":")[2])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as response:
            assert response.status == 200  # any Host header is accepted then
    text = log.read_text()
    assert "WARNING" in text and "not on loopback" in text and "no login" in text


def test_is_loopback() -> None:
    assert all(map(is_loopback, ["127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"]))
    assert not any(map(is_loopback, ["0.0.0.0", "192.168.1.5", "::", "example.com"]))


def test_a_taken_port_is_a_clear_error(fresh_store: tuple[Path, dict[str, str]]) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(OSError, match=f"Cannot listen on 127.0.0.1:{port}.*--port"):
            make_ui_server(LocalStore(fresh_store[0]), "127.0.0.1", port)
