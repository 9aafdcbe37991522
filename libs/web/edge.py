"""What every request must be before any handler sees it: text without NUL characters (PostgreSQL refuses
them in `text`: a 500 otherwise), numbers of ASCII digits (`int()` and `\\d` take `²` and `٣`), JSON no
deeper than any body of ours is (a 100,000-deep array overflows the decoder's stack)."""

from __future__ import annotations

import itertools
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import ApiError, error_response

MAX_JSON_DEPTH = 32
_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")  # `\u0000` not itself escaped (`\\u0000` is text)
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_ENCODED_NUL = re.compile(rb"%00")
_NUL_MESSAGE = "text must not contain NUL characters"


def ascii_int(raw: str | None, low: int | None = None, high: int | None = None) -> int | None:
    """`raw` as a whole number of ASCII digits within [low, high]; None otherwise."""
    if raw is None or not raw.isascii() or not raw.isdigit():
        return None
    value = int(raw)
    if (low is not None and value < low) or (high is not None and value > high):
        return None
    return value


def json_depth(data: bytes) -> int:
    """How deeply arrays and objects nest in `data` (strings skipped), at C speed for large bodies."""
    opened = data.count(b"[") + data.count(b"{")
    if opened <= MAX_JSON_DEPTH:  # cannot be deeper than what it opens: no need to look closer
        return opened
    brackets = _JSON_STRING.sub(b"", data).translate(None, _NOT_BRACKETS)
    steps = brackets.replace(b"[", b"\x01").replace(b"{", b"\x01").replace(b"]", b"\xff").replace(b"}", b"\xff")
    return max(itertools.accumulate(1 if step == 1 else -1 for step in steps), default=0)


def check_json(data: bytes) -> None:
    """`ApiError` 400 for a body nested deeper than ours ever are, 422 for a NUL in one of its strings."""
    if json_depth(data) > MAX_JSON_DEPTH:
        raise ApiError(400, f"JSON nested deeper than {MAX_JSON_DEPTH} levels", error="malformed_json")
    if b"\\u0000" in data and _NUL_ESCAPE.search(data):
        raise ApiError(422, _NUL_MESSAGE, error="invalid_body")


class EdgeRulesMiddleware:
    """400 for a NUL in the path, the query or a url-encoded form, before routing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"")
        if "\x00" in scope["path"] or b"\x00" in query or _ENCODED_NUL.search(query):
            await error_response(400, "bad_request", _NUL_MESSAGE)(scope, receive, send)
            return
        content_type = next((v for k, v in scope["headers"] if k == b"content-type"), b"")
        if not content_type.lower().startswith(b"application/x-www-form-urlencoded"):
            await self.app(scope, receive, send)
            return
        tail = b""

        async def checked_receive() -> Message:
            nonlocal tail
            message = await receive()
            if message["type"] == "http.request":
                body = tail + message.get("body", b"")
                if b"\x00" in body or _ENCODED_NUL.search(body):
                    raise ApiError(400, _NUL_MESSAGE)
                tail = body[-2:]  # `%0` at the end of one chunk and `0` at the start of the next
            return message

        await self.app(scope, checked_receive, send)
