"""The service's exceptions: one tree, one wire shape.

::

    CardcheckError              500 internal (never raised on purpose)
     +-- BadRequest             400 bad_request, invalid_json, invalid
     +-- Unauthorized           401 unauthorized
     +-- Forbidden              403 forbidden
     +-- NotFound               404 not_found
     +-- MethodNotAllowed       405 method_not_allowed
     +-- Conflict               409 conflict (duplicate card, session ended, no open question)
     +-- PayloadTooLarge        413 too_large
     +-- TooManyRequests        429 too_many_requests (sign-in attempts after failures: retry
                                    after ``retry_after`` seconds, sent as ``Retry-After``)
     +-- Unavailable            503 unavailable (the database busy or away: retry after
                                    ``retry_after`` seconds, sent as ``Retry-After``)

Every failure reaches a client as ``{"error": {"code": ..., "message": ...}}``.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "BadRequest",
    "CardcheckError",
    "Conflict",
    "Forbidden",
    "MethodNotAllowed",
    "NotFound",
    "PayloadTooLarge",
    "TooManyRequests",
    "Unauthorized",
    "Unavailable",
    "error_body",
]


class CardcheckError(Exception):
    """Base of every error the service reports to a client."""

    status = 500
    code = "internal"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.message)

    @property
    def headers(self) -> dict[str, str]:
        """Headers the response must carry (``Allow`` on a 405)."""
        return {}


class BadRequest(CardcheckError):
    status = 400
    code = "invalid"


class Unauthorized(CardcheckError):
    status = 401
    code = "unauthorized"


class Forbidden(CardcheckError):
    status = 403
    code = "forbidden"


class NotFound(CardcheckError):
    status = 404
    code = "not_found"


class MethodNotAllowed(CardcheckError):
    """``allow``: the methods the resource does take, sent in the ``Allow`` header."""

    status = 405
    code = "method_not_allowed"

    def __init__(self, message: str, *, allow: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.allow = allow

    @property
    def headers(self) -> dict[str, str]:
        return {"Allow": ", ".join(self.allow)}


class Conflict(CardcheckError):
    status = 409
    code = "conflict"


class PayloadTooLarge(CardcheckError):
    status = 413
    code = "too_large"


class TooManyRequests(CardcheckError):
    """Too many failed attempts: the next one is heard after ``retry_after`` seconds."""

    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class Unavailable(CardcheckError):
    """The database did not answer within the bounded wait (busy, locked or away). Nothing was
    changed: the same request may be sent again after ``retry_after`` seconds."""

    status = 503
    code = "unavailable"

    def __init__(self, message: str, *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def error_body(code: str, message: str) -> dict[str, Any]:
    """The one error shape on the wire."""
    return {"error": {"code": code, "message": message}}
