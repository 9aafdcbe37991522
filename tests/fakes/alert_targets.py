"""Fake ntfy and Discord, checking what the real ones require.

- **ntfy** (binwiederhier/ntfy `server/server.go` `handlePublish`/`parsePublishParams`, `server/errors.go`,
  docs.ntfy.sh/publish): `POST` or `PUT /<topic>` (topic `[-_A-Za-z0-9]{1,64}`), the message is the body,
  `Title`/`X-Title`/`t`, `Tags`/`X-Tags`/`ta` (comma-separated), `Priority` 1–5 or min…urgent (else 400
  40007); a header may be RFC 2047-encoded UTF-8. A protected topic wants `Authorization: Bearer <token>`:
  none 401 (40101), a wrong one 403 (40301). Errors are `{"code", "http", "error", "link"}`; 429 42901 when
  the visitor's limit is hit. Success: 200 with the message as JSON.
- **Discord** (developer docs, Execute Webhook; error bodies as kwatch#194 and python-discord-webhook's rate
  limit handling show them): `POST /api/webhooks/<id>/<token>` with JSON `content` (≤ 2000 characters) and/or
  `embeds` (≤ 10); 204 without `?wait=true`. Unknown webhook: 404 `{"message": "Unknown Webhook", "code":
  10015}`; neither content nor embeds: 400 code 50006 "Cannot send an empty message"; content too long: 400
  code 50035 "Invalid Form Body" with `errors.content._errors[].code = BASE_TYPE_MAX_LENGTH`; rate limited:
  429 `{"message": "You are being rate limited.", "retry_after": <seconds>, "global": false}` and
  `Retry-After`.

`make demo` serves both (tests/fakes/serve.py); `GET /__messages` lists what arrived, for a person trying it.
"""

from __future__ import annotations

import email.header
import re
import time
from typing import Any

import msgspec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

_TOPIC = re.compile(r"^[-_A-Za-z0-9]{1,64}$")
_PRIORITIES = {"1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "min": 1, "low": 2, "default": 3, "high": 4, "urgent": 5,
               "max": 5}  # fmt: skip


def _decoded(value: str | None) -> str | None:
    """A header as ntfy reads it: RFC 2047 words decoded."""
    if value is None or "=?" not in value:
        return value
    return "".join(
        part.decode(charset or "ascii") if isinstance(part, bytes) else part
        for part, charset in email.header.decode_header(value)
    )


def _first(request: Request, *names: str) -> str | None:
    return next((request.headers[n] for n in names if n in request.headers), None)


class FakeNtfy:
    def __init__(self, tokens: dict[str, str] | None = None) -> None:
        self.tokens = tokens or {}  # protected topic → its access token
        self.messages: list[dict[str, Any]] = []
        self.limited = 0  # the next so many publishes get a 429
        self.base_url = "http://ntfy.invalid"
        self.app = Starlette(
            routes=[
                Route("/__messages", self.recorded),
                Route("/{topic}", self.publish, methods=["POST", "PUT"]),
            ]
        )

    def _error(self, code: int, status: int, message: str) -> Response:
        return JSONResponse({"code": code, "http": status, "error": message}, status)

    async def publish(self, request: Request) -> Response:
        topic = request.path_params["topic"]
        if not _TOPIC.match(topic):
            return self._error(40009, 400, "invalid request: topic invalid")
        if topic in self.tokens:
            header = request.headers.get("authorization", "")
            if not header:
                return self._error(40101, 401, "unauthorized")
            if header != f"Bearer {self.tokens[topic]}":
                return self._error(40301, 403, "forbidden")
        if self.limited:
            self.limited -= 1
            return self._error(42901, 429, "limit reached: too many requests, please be nice")
        priority_header = _first(request, "x-priority", "priority", "prio", "p")
        priority = _PRIORITIES.get((priority_header or "3").lower())
        if priority is None:
            return self._error(40007, 400, "invalid priority parameter")
        body = await request.body()
        try:
            message = body.decode() or "triggered"
        except UnicodeDecodeError:
            return self._error(40011, 400, "invalid message: message must be UTF-8 encoded")
        tags = _decoded(_first(request, "x-tags", "tags", "tag", "ta"))
        record = {
            "id": f"m{len(self.messages)}", "time": int(time.time()), "event": "message", "topic": topic,
            "message": message, "title": _decoded(_first(request, "x-title", "title", "ti", "t")),
            "tags": [t.strip() for t in tags.split(",")] if tags else [], "priority": priority,
        }  # fmt: skip
        self.messages.append(record)
        return JSONResponse(record)

    async def recorded(self, request: Request) -> Response:
        return JSONResponse(self.messages)


class FakeDiscord:
    def __init__(self, webhook_id: str = "1234567890", token: str = "discord-webhook-token-0001") -> None:
        self.webhook_id = webhook_id
        self.token = token
        self.messages: list[dict[str, Any]] = []
        self.limited = 0  # the next so many posts get a 429
        self.retry_after = 0.2
        self.base_url = "http://discord.invalid"
        self.app = Starlette(
            routes=[
                Route("/__messages", self.recorded),
                Route("/api/webhooks/{id}/{token}", self.execute, methods=["POST"]),
            ]
        )

    @property
    def webhook_path(self) -> str:
        return f"/api/webhooks/{self.webhook_id}/{self.token}"

    async def execute(self, request: Request) -> Response:
        if (request.path_params["id"], request.path_params["token"]) != (self.webhook_id, self.token):
            return JSONResponse({"message": "Unknown Webhook", "code": 10015}, 404)
        if self.limited:
            self.limited -= 1
            body = {"message": "You are being rate limited.", "retry_after": self.retry_after, "global": False}
            return JSONResponse(body, 429, headers={"Retry-After": str(max(1, round(self.retry_after)))})
        try:
            body = msgspec.json.decode(await request.body())
        except msgspec.DecodeError:
            return JSONResponse({"message": "Cannot send an empty message", "code": 50006}, 400)
        if not isinstance(body, dict) or not (body.get("content") or body.get("embeds")):
            return JSONResponse({"message": "Cannot send an empty message", "code": 50006}, 400)
        content = body.get("content") or ""
        if not isinstance(content, str) or len(content) > 2000:
            error = {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or fewer in length."}]}
            return JSONResponse({"code": 50035, "errors": {"content": error}, "message": "Invalid Form Body"}, 400)
        if len(body.get("embeds") or []) > 10:
            return JSONResponse({"code": 50035, "errors": {"embeds": {}}, "message": "Invalid Form Body"}, 400)
        self.messages.append(body)
        return Response(status_code=204)

    async def recorded(self, request: Request) -> Response:
        return JSONResponse(self.messages)


class FakeJsonReceiver:
    """Anything that takes a JSON POST (Home Assistant, n8n, a script): what arrived, and a switch to fail."""

    def __init__(self) -> None:
        self.received: list[Any] = []
        self.failing = False
        self.base_url = "http://receiver.invalid"
        self.app = Starlette(routes=[Route("/{path:path}", self.receive, methods=["POST"])])

    async def receive(self, request: Request) -> Response:
        if self.failing:
            return Response(b"<html>502 Bad Gateway</html>", 502, media_type="text/html")
        self.received.append(msgspec.json.decode(await request.body()))
        return Response(status_code=200)
