"""Request bodies: a size limit (413) and one typed decoder (400 malformed, 422 with the field path)."""

from __future__ import annotations

import re
from typing import TypeVar

import msgspec
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .edge import check_json
from .errors import ApiError, error_response

T = TypeVar("T")

_PATH = re.compile(r" - at `\$\.?(?P<path>[^`]*)`$")
_MISSING = re.compile(r"missing required field `([^`]+)`")
_decoders: dict[type, msgspec.json.Decoder] = {}


class BodyLimitMiddleware:
    """Refuse bodies over `max_bytes` with a JSON 413, by Content-Length at once or while streaming."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise ApiError(413, self._message())
            return message

        await self.app(scope, limited_receive, send)

    def _message(self) -> str:
        return f"request body larger than {self.max_bytes} bytes"

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        await error_response(413, "content_too_large", self._message())(scope, receive, send)


def decoder_for(body_type: type[T]) -> msgspec.json.Decoder:
    decoder = _decoders.get(body_type)
    if decoder is None:
        decoder = _decoders[body_type] = msgspec.json.Decoder(body_type)
    return decoder


def decode(data: bytes, body_type: type[T]) -> T:
    """Decode JSON into `body_type`: `ApiError` 400 when it is not JSON, 422 naming the field when wrong."""
    if not data.strip():
        raise ApiError(400, "request body is empty; a JSON object is expected", error="malformed_json")
    check_json(data)
    try:
        return decoder_for(body_type).decode(data)
    except msgspec.ValidationError as e:
        text = str(e)
        match = _PATH.search(text)
        path = match.group("path") if match else ""
        missing = _MISSING.search(text)
        field = ".".join(p for p in (path, missing.group(1) if missing else "") if p)
        raise ApiError(422, _PATH.sub("", text), error="invalid_body", field=field or None) from None
    except msgspec.DecodeError:
        raise ApiError(400, "request body is not valid JSON", error="malformed_json") from None


async def read_json(request: Request, body_type: type[T]) -> T:
    return decode(await request.body(), body_type)
