"""One exception tree for the server, the HTTP client and the SDK.

::

    CorralError                     (500)
     +-- ValidationError            (422)  bad input; ``errors`` lists field errors
     +-- NotFoundError              (404)
     +-- ConflictError              (409)  e.g. an invalid status transition
     +-- AuthError                  (401)  missing or wrong credentials
     |    +-- PermissionDeniedError (403)  authenticated, but not allowed
     |         +-- QuotaExceededError      an upload over a storage quota
     +-- PayloadTooLargeError       (413)
     +-- RangeNotSatisfiableError   (416)
     +-- TooManyRequestsError       (429)  throttled; ``Retry-After`` says when to come back
     +-- InsufficientStorageError   (507)  the hub's disk (or database) is full
     +-- ServerUnavailableError     (503)  the hub cannot be reached (client side)
     |    +-- NetworkError                  a storage URL cannot be reached (refused, DNS, timeout)
     +-- TaskAborted                       raised in a task's process when it is aborted

The server maps each class to an ``application/problem+json`` response in one
handler; the client maps the HTTP status back to the same class.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AuthError",
    "ConflictError",
    "CorralError",
    "InsufficientStorageError",
    "NetworkError",
    "NotFoundError",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "QuotaExceededError",
    "RangeNotSatisfiableError",
    "ServerUnavailableError",
    "TaskAborted",
    "TooManyRequestsError",
    "ValidationError",
    "error_for_status",
]


class CorralError(Exception):
    """Base of every Corral error. ``status`` is the HTTP status it maps to."""

    status: int = 500
    title: str = "Internal error"
    #: extra HTTP headers of the error response (e.g. ``Content-Range`` of a 416)
    headers: dict[str, str] | None = None

    def __init__(self, detail: str = "", *, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors or []


class ValidationError(CorralError):
    status = 422
    title = "Invalid input"


class NotFoundError(CorralError):
    status = 404
    title = "Not found"


class ConflictError(CorralError):
    status = 409
    title = "Conflict"


class AuthError(CorralError):
    status = 401
    title = "Not authenticated"


class PermissionDeniedError(AuthError):
    status = 403
    title = "Forbidden"


class QuotaExceededError(PermissionDeniedError):
    """The caller (or one of their teams) would go over a quota; the detail says which."""

    title = "Quota exceeded"


class PayloadTooLargeError(CorralError):
    status = 413
    title = "Payload too large"


class RangeNotSatisfiableError(CorralError):
    status = 416
    title = "Range not satisfiable"


class TooManyRequestsError(CorralError):
    """Throttled (e.g. too many failed logins); the response says when to retry."""

    status = 429
    title = "Too many requests"

    def __init__(
        self,
        detail: str = "",
        *,
        errors: list[dict[str, Any]] | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(detail, errors=errors)
        if retry_after is not None:
            self.headers = {"Retry-After": str(max(1, retry_after))}


class InsufficientStorageError(CorralError):
    """The hub ran out of disk space (files or database); nothing was stored.

    The client retries it like an unavailable hub: space may be freed meanwhile."""

    status = 507
    title = "Insufficient storage"


class ServerUnavailableError(CorralError):
    status = 503
    title = "Hub unavailable"


class NetworkError(ServerUnavailableError):
    """A storage URL could not be reached: connection refused, a name that does not
    resolve, a timeout. The message names the URL; retried like any unavailability."""

    title = "Network error"


class TaskAborted(CorralError):
    status = 409
    title = "Task aborted"


_BY_STATUS: dict[int, type[CorralError]] = {
    400: ValidationError,
    401: AuthError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
    416: RangeNotSatisfiableError,
    422: ValidationError,
    429: TooManyRequestsError,
    503: ServerUnavailableError,
    507: InsufficientStorageError,
}


def error_for_status(
    status: int, detail: str, errors: list[dict[str, Any]] | None = None, *, title: str = ""
) -> CorralError:
    """Build the exception that matches an HTTP error status (used by the client).

    ``title`` (the problem's) tells subclasses sharing a status apart: a 403 titled
    "Quota exceeded" is a ``QuotaExceededError``.
    """
    cls = _BY_STATUS.get(status, CorralError)
    if status == QuotaExceededError.status and title == QuotaExceededError.title:
        cls = QuotaExceededError
    err = cls(detail, errors=errors)
    err.status = status
    return err
