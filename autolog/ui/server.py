"""Serving the UI: loopback only unless another address is asked for explicitly."""

from __future__ import annotations

import ipaddress
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from autolog.errors import ConfigError
from autolog.stores.base import Store

if TYPE_CHECKING:
    from werkzeug.serving import BaseWSGIServer

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "is_loopback", "make_ui_server", "serve"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5050


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an address or ``localhost``) names this machine's loopback."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def make_ui_server(store: Store, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, *,
                   allow_remote: bool = False) -> BaseWSGIServer:
    """A threaded WSGI server for the UI over ``store``, bound but not yet serving.

    Parameters:
        host: the address to bind; anything but loopback needs ``allow_remote=True``.
        port: the port; 0 picks a free one (read it from ``server.server_port``).
        allow_remote: bind a non-loopback address (the app has no login: anyone who reaches
            the address can read every run and register models).

    Raises:
        ConfigError: a non-loopback ``host`` without ``allow_remote``.
        OSError: the address cannot be bound (e.g. the port is taken).
    """
    from werkzeug.serving import make_server

    from autolog.ui.app import LOOPBACK_NAMES, create_app

    loopback = is_loopback(host)
    if not loopback and not allow_remote:
        raise ConfigError(
            f"Refusing to serve the UI on {host!r}, which is not a loopback address: the UI has "
            "no login. Pass --host explicitly to serve on another address.")
    app = create_app(store, allowed_hosts=LOOPBACK_NAMES if loopback else None)
    try:
        return make_server(host, port, app, threaded=True)
    except SystemExit:  # werkzeug prints why it cannot bind, then exits
        raise OSError(f"Cannot listen on {host}:{port} (see the reason above): choose another "
                      "--port (0 picks a free one) or --host.") from None


def serve(store: Store, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, *,
          allow_remote: bool = False, out: TextIO | None = None,
          ready: Callable[[str], None] | None = None) -> None:
    """Serve the UI until interrupted (Ctrl+C).

    Parameters:
        store, host, port, allow_remote: as for :func:`make_ui_server`.
        out: where the address line and warnings go (default stderr for warnings, stdout
            for the address).
        ready: called with the URL once the server listens.

    Raises:
        ConfigError: a non-loopback ``host`` without ``allow_remote``.
    """
    server = make_ui_server(store, host, port, allow_remote=allow_remote)
    if not is_loopback(host):
        print(f"WARNING: autolog ui is serving on {host}, not on loopback: anyone who can "
              "reach this address can read every run and register models (there is no login).",
              file=out or sys.stderr, flush=True)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{server.server_port}/"
    print(f"autolog ui: store {store.uri} at {url} (Ctrl+C to stop)", file=out or sys.stdout,
          flush=True)
    if ready is not None:
        ready(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
