"""HTTP for the services: the app factory, JSON errors, body decoding and limits, auth guards."""

from .app import Setup, create_app, json_response, runtime_of
from .auth import require_admin, require_admin_page, require_bearer, require_header_key, require_shared_secret
from .body import BodyLimitMiddleware, decode, read_json
from .edge import ascii_int
from .errors import ApiError, error_response

__all__ = [
    "ApiError",
    "BodyLimitMiddleware",
    "Setup",
    "ascii_int",
    "create_app",
    "decode",
    "error_response",
    "json_response",
    "read_json",
    "require_admin",
    "require_admin_page",
    "require_bearer",
    "require_header_key",
    "require_shared_secret",
    "runtime_of",
]
