"""What a failure of the MLflow client means: worth retrying, missing, or refused.

:func:`is_transient` decides what :class:`~autolog.stores.retry.RetryPolicy` retries;
:func:`translate` turns what persists into autolog's errors, which name the server.
"""

from __future__ import annotations

from mlflow.exceptions import MlflowException, RestException

from autolog.errors import AutologError, NotFoundError, StoreError, StoreUnavailableError

__all__ = ["error_code", "is_transient", "translate"]

_TRANSIENT_CODES = frozenset({"TEMPORARILY_UNAVAILABLE", "REQUEST_LIMIT_EXCEEDED",
                              "RESOURCE_EXHAUSTED", "DEADLINE_EXCEEDED"})


def _transient_status(status: int | None) -> bool:
    return status is not None and (status in (408, 429) or 500 <= status < 600)


def is_transient(exc: BaseException) -> bool:
    """True for failures worth retrying: no connection, a timeout, HTTP 429 or 5xx."""
    import requests

    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (requests.ConnectionError, requests.Timeout,
                                requests.exceptions.ChunkedEncodingError,
                                requests.exceptions.RetryError, ConnectionError, TimeoutError)):
            return True
        if isinstance(current, requests.HTTPError) and current.response is not None:
            return _transient_status(current.response.status_code)
        if isinstance(current, MlflowException):
            code = current.error_code
            if code in _TRANSIENT_CODES or (isinstance(current, RestException)
                                            and code == "INTERNAL_ERROR"):
                return True
        # MLflow's HTTP layer raises its own exception inside `except`, without `from`.
        current = current.__cause__ or current.__context__
    return False


def error_code(exc: BaseException) -> str:
    cause = exc.__cause__ if isinstance(exc, AutologError) else exc
    return str(getattr(cause, "error_code", ""))


def translate(exc: BaseException, what: str, tracking_uri: str) -> AutologError:
    """The autolog error for a failure of ``what`` (a few words) against ``tracking_uri``."""
    if is_transient(exc):
        return StoreUnavailableError(
            f"The MLflow tracking server {tracking_uri} cannot be reached ({what}): {exc}")
    if error_code(exc) == "RESOURCE_DOES_NOT_EXIST":
        return NotFoundError(f"{what}: not found in the MLflow tracking server "
                             f"{tracking_uri} ({exc}).")
    return StoreError(f"The MLflow tracking server {tracking_uri} refused {what}: {exc}")
