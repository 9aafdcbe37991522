"""HTTP errors as JSON: one envelope (`ErrorBody`) for every 4xx and 5xx, never a traceback."""

from __future__ import annotations

import msgspec
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from libs.errors import DomainError, status_of
from libs.schemas import ErrorBody
from libs.telemetry import get_logger

log = get_logger("libs.web")

_encoder = msgspec.json.Encoder()

_DEFAULT_ERRORS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "content_too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "too_many_requests",
}


class ApiError(HTTPException):
    """A refusal the client should read: a status, a short error name and a sentence."""

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        error: str | None = None,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(status_code, message, headers=headers)
        self.error = error or _DEFAULT_ERRORS.get(status_code, "error")
        self.field = field


def error_response(status_code: int, error: str, message: str, *, field: str | None = None, headers=None):
    body = _encoder.encode(ErrorBody(error=error, message=message, field=field))
    return Response(body, status_code=status_code, media_type="application/json", headers=headers)


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if isinstance(exc, ApiError):
        return error_response(exc.status_code, exc.error, exc.detail, field=exc.field, headers=exc.headers)
    error = _DEFAULT_ERRORS.get(exc.status_code, "error")
    message = exc.detail
    if exc.status_code == 404:
        message = "no such resource"
    return error_response(exc.status_code, error, message, headers=exc.headers)


async def domain_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    # a refusal holds for this request only: never kept by a player's or a proxy's cache
    headers = {"Cache-Control": "no-store"}
    return error_response(status_of(exc), exc.error, exc.message, field=exc.field, headers=headers)


async def internal_error_handler(request: Request, exc: Exception) -> Response:
    log.error("unhandled error", error_type=type(exc).__name__, exc_info=exc)
    return error_response(500, "internal", "something failed on our side; the logs say what")
