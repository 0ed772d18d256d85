"""One exception tree for the server, the HTTP client and the SDK.

::

    CorralError                     (500)
     +-- ValidationError            (422)  bad input; ``errors`` lists field errors
     +-- NotFoundError              (404)
     +-- ConflictError              (409)  e.g. an invalid status transition
     +-- AuthError                  (401)  missing or wrong credentials
     |    +-- PermissionDeniedError (403)  authenticated, but not allowed
     +-- PayloadTooLargeError       (413)
     +-- RangeNotSatisfiableError   (416)
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
    "RangeNotSatisfiableError",
    "ServerUnavailableError",
    "TaskAborted",
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


class PayloadTooLargeError(CorralError):
    status = 413
    title = "Payload too large"


class RangeNotSatisfiableError(CorralError):
    status = 416
    title = "Range not satisfiable"


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
    503: ServerUnavailableError,
    507: InsufficientStorageError,
}


def error_for_status(
    status: int, detail: str, errors: list[dict[str, Any]] | None = None
) -> CorralError:
    """Build the exception that matches an HTTP error status (used by the client)."""
    cls = _BY_STATUS.get(status, CorralError)
    err = cls(detail, errors=errors)
    err.status = status
    return err
