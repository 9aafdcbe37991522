"""Bearer-token and API-key guards, compared in constant time."""

from __future__ import annotations

import base64
import binascii
import hmac
from urllib.parse import urlsplit

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


def require_shared_secret(request: Request, secret: str) -> None:
    """A caller that can only be given a URL and a login — a webhook (Sonarr's, Radarr's): the secret as the
    `token` query parameter, the password of HTTP Basic (any user name), or an `X-Api-Key` header. 401
    without it and with a wrong one alike: the sender's settings are what to fix."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    given = request.query_params.get("token") or request.headers.get("x-api-key")
    if given is None and scheme.lower() == "basic":
        given = _basic_password(value)
    if not _matches(given, secret):
        raise ApiError(
            401,
            "the webhook token is missing or wrong: paste the URL shown on the integrations page",
            headers={"WWW-Authenticate": 'Basic realm="Chillproxy webhooks", charset="UTF-8"'},
        )


def _basic_password(value: str) -> str:
    try:
        return base64.b64decode(value.strip(), validate=True).decode().partition(":")[2]
    except (binascii.Error, UnicodeDecodeError):
        return ""


def require_admin_page(request: Request, token: str) -> None:
    """For pages a browser opens: the admin token as a bearer token, or as the password of HTTP Basic
    (the browser asks for it; any user name). 401 asks for Basic so the browser shows its login box."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and _matches(value.strip(), token):
        return
    if scheme.lower() == "basic":
        if _matches(_basic_password(value), token):
            return
        raise ApiError(403, "the admin token is not valid")
    raise ApiError(
        401,
        "the admin token is required (any user name, the token as password)",
        headers={"WWW-Authenticate": 'Basic realm="Chillproxy admin", charset="UTF-8"'},
    )


def require_admin(request: Request, token: str) -> None:
    """An admin API a page of ours also calls: the bearer token (401 without, 403 wrong), or the Basic
    credentials the browser already holds for the page — which it would send with another site's form or
    script too, so a change made with them must come from a page of our own origin."""
    header = request.headers.get("authorization", "").lower()
    if not header or header.startswith("basic "):  # a browser answers a Basic challenge with what it holds
        require_admin_page(request, token)
        if request.method not in _SAFE_METHODS and not same_origin(request):
            raise ApiError(403, "a change with the browser's login must come from this site's own page")
    else:
        require_bearer(request, token)


_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def same_origin(request: Request) -> bool:
    """What the browser says of where the request comes from: `Sec-Fetch-Site` (every current browser), else
    the `Origin` against our `Host` (a request with neither is no browser's cross-site request)."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")  # none: typed by the user (curl sends neither header)
    origin = request.headers.get("origin")
    if origin is None:
        return True
    return urlsplit(origin).netloc.lower() == request.headers.get("host", "").lower()
