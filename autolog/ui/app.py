"""The Flask application of ``autolog ui``: :func:`create_app`.

Pages are rendered on the server (Jinja2 templates); the only JavaScript draws the charts
(uPlot, shipped in ``static/``). Every read goes through the :class:`~autolog.stores.base.Store`
contract and every change through :mod:`autolog.registry`, so any store works.

Protections for an app that can change the registry while running on a developer's machine:

* the ``Host`` header must name the loopback address when the server is bound to it, so a web
  page cannot reach the app through a DNS name it controls (DNS rebinding);
* every form that changes something carries a per-process token (cross-site request forgery);
* a Content-Security-Policy allows scripts and styles from the app only; artifact files are
  sent as plain text or as downloads, never as pages.
"""

from __future__ import annotations

import datetime
import hmac
import math
import secrets
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, abort, render_template, request
from werkzeug.exceptions import HTTPException

from autolog.errors import InvalidNameError, ModelFolderError, NotFoundError, StoreError
from autolog.stores.base import Store
from autolog.ui.listing import RunReader

__all__ = ["LOOPBACK_NAMES", "create_app"]

LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})
_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def _host_name(host: str) -> str:
    """``request.host`` without its port (``[::1]:5050`` -> ``::1``)."""
    if host.startswith("["):
        return host[1:].partition("]")[0]
    return host.rpartition(":")[0] if host.count(":") == 1 else host


def _time(ms: int | None) -> str:
    if not ms:
        return ""
    return datetime.datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M:%S")


def _number(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    try:
        return f"{float(value):.6g}"
    except (TypeError, ValueError):
        return str(value)


def _size(n: int | None) -> str:
    if n is None:
        return ""
    size = float(n)
    for unit in ("B", "KB", "MB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def _duration(run: Any) -> str:
    seconds = run.duration_s
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.1f} min" if seconds < 3600 else f"{seconds / 3600:.1f} h"


def create_app(store: Store, *, allowed_hosts: Iterable[str] | None = LOOPBACK_NAMES,
               page_size: int | None = None) -> Flask:
    """The web app over ``store``.

    Parameters:
        store: any :class:`~autolog.stores.base.Store`.
        allowed_hosts: host names accepted in the ``Host`` header (default: loopback names);
            None accepts any (a server bound to another address, see ``--host``).
        page_size: runs per page of the runs list (default :data:`listing.PAGE_SIZE`).
    """
    from autolog.ui import listing
    from autolog.ui.models_views import models_bp
    from autolog.ui.runs_views import runs_bp

    app = Flask("autolog.ui")
    app.secret_key = secrets.token_bytes(32)
    app.config.update(SESSION_COOKIE_SAMESITE="Strict", SESSION_COOKIE_HTTPONLY=True,
                      MAX_CONTENT_LENGTH=64 * 1024)
    app.extensions["autolog_store"] = store
    app.extensions["autolog_reader"] = RunReader(store)
    app.extensions["autolog_page_size"] = page_size or listing.PAGE_SIZE
    csrf_token = secrets.token_urlsafe(32)
    hosts = None if allowed_hosts is None else {h.lower() for h in allowed_hosts}

    @app.before_request
    def _protect() -> None:
        if hosts is not None and _host_name(request.host).lower() not in hosts:
            abort(400, f"Host {request.host!r} is not served here; open the app at "
                       "http://127.0.0.1:<port>/.")
        if request.method in ("GET", "HEAD"):
            return
        origin = request.headers.get("Origin")
        if origin and origin != "null" and urlsplit(origin).netloc != request.host:
            abort(403, f"A request from {origin!r} may not change anything here.")
        sent = request.form.get("csrf_token", "")
        if not hmac.compare_digest(sent.encode(), csrf_token.encode()):
            abort(403, "The form's token is missing or stale: reload the page and try again.")

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", _CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        return response

    @app.context_processor
    def _globals() -> dict[str, Any]:
        return {"csrf_token": csrf_token, "store_uri": store.uri}

    app.add_template_filter(_time, "time")
    app.add_template_filter(_number, "num")
    app.add_template_filter(_size, "size")
    app.add_template_filter(_duration, "duration")

    def _error(status: int, title: str, message: str) -> tuple[str, int]:
        return render_template("error.html", status=status, title=title,
                               message=message), status

    @app.errorhandler(NotFoundError)
    def _not_found(exc: NotFoundError) -> tuple[str, int]:
        return _error(404, "Not found", str(exc))

    @app.errorhandler(InvalidNameError)
    def _invalid(exc: InvalidNameError) -> tuple[str, int]:
        return _error(400, "Invalid name", str(exc))

    @app.errorhandler(ModelFolderError)
    def _bad_folder(exc: ModelFolderError) -> tuple[str, int]:
        return _error(422, "Not a model folder", str(exc))

    @app.errorhandler(StoreError)
    def _store_error(exc: StoreError) -> tuple[str, int]:
        return _error(503, "The store could not be read or written", str(exc))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> tuple[str, int]:
        return _error(exc.code or 500, exc.name, exc.description or "")

    @app.route("/favicon.ico")
    def _favicon() -> Response:  # browsers ask for it on pages without <link rel=icon>
        return app.send_static_file("favicon.svg")

    app.register_blueprint(runs_bp)
    app.register_blueprint(models_bp)
    return app
