"""A real MLflow tracking server for the store tests, and a proxy that can break the network.

:func:`start_mlflow_server` runs ``mlflow server`` (SQLite backend, artifacts served from a
local folder) on a free loopback port and waits for ``/health``. :class:`FaultyProxy`
forwards to it and injects what a real network does: HTTP 503 answers, connections cut
without an answer, and an outage from some request on.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

MLFLOW = str(Path(sys.executable).with_name("mlflow"))


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class MLflowServer:
    uri: str
    process: subprocess.Popen[bytes]
    root: Path

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return (self.root / "server.log").read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process.poll() is None:
            # The server runs in its own process group (uvicorn spawns a worker).
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=20)


def start_mlflow_server(root: Path, timeout: float = 120.0) -> MLflowServer:
    """Start ``mlflow server`` under ``root`` and wait until it answers ``/health``."""
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AUTOLOG", "MLFLOW_TRACKING"))}
    # No background job runner (GenAI scorers): two fewer processes and 0.5 GB less memory.
    env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] = "false"
    log = open(root / "server.log", "wb")  # noqa: SIM115 - kept open by the child
    process = subprocess.Popen(
        [MLFLOW, "server",
         "--backend-store-uri", f"sqlite:///{root / 'mlflow.db'}",
         "--artifacts-destination", str(root / "artifacts"),
         "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    log.close()
    server = MLflowServer(f"http://127.0.0.1:{port}", process, root)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mlflow server exited with {process.returncode}:\n"
                               f"{server.log_tail()}")
        try:
            with urllib.request.urlopen(f"{server.uri}/health", timeout=2) as resp:
                if resp.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    server.stop()
    raise RuntimeError(f"mlflow server did not answer within {timeout}s:\n{server.log_tail()}")


@dataclass
class _Rule:
    method: str
    contains: str
    action: str
    skip: int
    times: int


_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
               "proxy-authorization", "proxy-authenticate", "content-length", "host"}


class FaultyProxy:
    """An HTTP proxy to ``upstream`` that can fail on purpose.

    Actions: ``"ok"`` forwards; ``"503"`` answers Service Unavailable; ``"cut"`` closes the
    connection without an answer; ``"lose"`` forwards (the server acts) and then cuts instead
    of answering, as when a response is lost. ``faults`` is consumed one entry per request;
    :meth:`fail_matching` targets requests by method and path; :meth:`go_down_at` starts an
    outage (every later request cut) at a chosen request. ``log`` records what was asked.
    """

    def __init__(self, upstream: str) -> None:
        parsed = urlparse(upstream)
        self.upstream = (parsed.hostname or "127.0.0.1", parsed.port or 80)
        self.faults: list[str] = []
        self.log: list[tuple[str, str, str]] = []  # (method, path, action)
        self.down = False
        self._rules: list[_Rule] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _cut(self) -> None:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)

            def handle_one(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                action = proxy._next(self.command, self.path)
                if action == "cut":
                    self._cut()
                    return
                if action == "503":
                    data = json.dumps({"error_code": "TEMPORARILY_UNAVAILABLE",
                                       "message": "injected by the test proxy"}).encode()
                    self.send_response(503)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                conn = http.client.HTTPConnection(*proxy.upstream, timeout=60)
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in _HOP_BY_HOP}
                headers["Host"] = f"{proxy.upstream[0]}:{proxy.upstream[1]}"
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                conn.close()
                if action == "lose":
                    self._cut()
                    return
                self.send_response(resp.status)
                for key, value in resp.getheaders():
                    if key.lower() not in _HOP_BY_HOP:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = handle_one

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.uri = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def fail_matching(self, method: str, contains: str, action: str, skip: int = 0,
                      times: int = 1) -> None:
        """Let ``skip`` requests ``method ...contains...`` through, then ``action`` the next
        ``times`` of them."""
        with self._lock:
            self._rules.append(_Rule(method, contains, action, skip, times))

    def go_down_at(self, method: str, contains: str, skip: int = 0) -> None:
        """Start an outage at the matching request after ``skip`` matching ones."""
        self.fail_matching(method, contains, "down", skip)

    def _next(self, method: str, path: str) -> str:
        with self._lock:
            action = "cut" if self.down else None
            for rule in self._rules if action is None else ():
                if rule.method != method or rule.contains not in path:
                    continue
                if rule.skip > 0:
                    rule.skip -= 1
                elif rule.times > 0:
                    rule.times -= 1
                    action = rule.action
                    break
            if action == "down":
                self.down, action = True, "cut"
            if action is None:
                action = self.faults.pop(0) if self.faults else "ok"
            self.log.append((method, path, action))
            return action

    @property
    def injected(self) -> int:
        """Requests that were not simply forwarded."""
        return sum(1 for _, _, action in self.log if action != "ok")

    def go_down(self) -> None:
        """Cut every request from now on."""
        with self._lock:
            self.down = True

    def come_back(self) -> None:
        with self._lock:
            self.down = False
            self.faults.clear()
            self._rules.clear()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
