"""Bearer-token and API-key guards, compared in constant time."""

from __future__ import annotations

import hmac

from starlette.requests import Request

from .errors import ApiError


def _matches(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def require_bearer(request: Request, token: str) -> None:
    """401 without a bearer token, 403 with a wrong one."""
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given:
        raise ApiError(401, "an admin bearer token is required", headers={"WWW-Authenticate": "Bearer"})
    if not _matches(given.strip(), token):
        raise ApiError(403, "the bearer token is not valid")


def require_header_key(request: Request, header: str, key: str) -> None:
    given = request.headers.get(header)
    if not given:
        raise ApiError(401, f"the {header} header is required")
    if not _matches(given, key):
        raise ApiError(403, f"the {header} header is not valid")
