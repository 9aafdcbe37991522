"""One alert to one target, as each expects it:

- **ntfy** (`server/server.go` `handlePublish`, docs.ntfy.sh/publish): the message as the POST body, `Title`,
  `Tags` (emoji short codes), `Priority` (1–5) as headers, `Authorization: Bearer <token>` for a protected
  topic; a header that is not ASCII goes RFC 2047-encoded (ntfy decodes it). Errors are JSON
  `{code, http, error}`; 429 when the visitor's limit is reached.
- **Discord** (Execute Webhook): JSON `content` (at most 2000 characters) and/or `embeds`; 204 when posted; 429
  with `retry_after` (seconds) in the body; 400 `Invalid Form Body` (code 50035) when a field is too long.
- **webhook**: the alert as JSON, for anything else (Home Assistant, n8n, a script).

A failure comes back as `SendFailed` with a sentence (never the URL: it holds the secret) and, on a 429,
how long to wait.
"""

from __future__ import annotations

import base64
import email.utils
import time
from dataclasses import dataclass

import httpx
import msgspec

from libs.schemas import Alert
from libs.schemas.notifier import AlertTarget

DISCORD_LIMIT = 2000
NTFY_TAGS = {"failing": "rotating_light", "recovered": "white_check_mark"}
DISCORD_COLOURS = {"failing": 0xD92D20, "recovered": 0x1A7F37}


class SendFailed(Exception):
    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class _Request:
    headers: dict[str, str]
    content: bytes


def _header(value: str) -> str:
    return value if value.isascii() else f"=?UTF-8?B?{base64.b64encode(value.encode()).decode()}?="


def _clipped(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def ntfy_request(target: AlertTarget, alert: Alert) -> _Request:
    headers = {
        "Title": _header(alert.title),
        "Tags": NTFY_TAGS.get(alert.state, "information_source"),
        "Priority": "4" if alert.state == "failing" else "3",
        "Content-Type": "text/plain; charset=utf-8",
    }
    if target.token:
        headers["Authorization"] = f"Bearer {target.token}"
    return _Request(headers, alert.message.encode())


def discord_request(alert: Alert) -> _Request:
    body = {
        "content": _clipped(f"**{alert.title}**", DISCORD_LIMIT),
        "embeds": [
            {
                "description": _clipped(alert.message, 4096),
                "color": DISCORD_COLOURS.get(alert.state, 0x888888),
                "footer": {"text": f"{alert.source} · {alert.subject}"},
            }
        ],
    }
    return _Request({"Content-Type": "application/json"}, msgspec.json.encode(body))


def webhook_request(alert: Alert) -> _Request:
    return _Request({"Content-Type": "application/json"}, msgspec.json.encode(alert))


def _retry_after(response: httpx.Response) -> float | None:
    try:
        found = msgspec.json.decode(response.content)
        if isinstance(found, dict) and isinstance(found.get("retry_after"), int | float):
            return float(found["retry_after"])  # Discord's, in seconds
    except msgspec.DecodeError:
        pass
    header = response.headers.get("retry-after")
    if header is None:
        return None
    if header.replace(".", "", 1).isdigit():
        return float(header)
    try:
        return max(0.0, email.utils.parsedate_to_datetime(header).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _reason(response: httpx.Response) -> str:
    """What the target said: ntfy's `error`, Discord's `message`, else the status alone."""
    try:
        found = msgspec.json.decode(response.content)
    except msgspec.DecodeError:
        found = None
    said = found.get("error") or found.get("message") if isinstance(found, dict) else None
    return f"{response.status_code} {str(said)[:200]}" if said else str(response.status_code)


async def send(http: httpx.AsyncClient, target: AlertTarget, alert: Alert, timeout: float = 10.0) -> None:
    if target.type == "ntfy":
        request = ntfy_request(target, alert)
    elif target.type == "discord":
        request = discord_request(alert)
    else:
        request = webhook_request(alert)
    try:
        response = await http.post(target.url, headers=request.headers, content=request.content, timeout=timeout)
    except httpx.TimeoutException:
        raise SendFailed(f"{target.name} did not answer within {timeout:.0f} s") from None
    except httpx.HTTPError as error:
        raise SendFailed(f"{target.name} could not be reached ({type(error).__name__})") from None
    if response.status_code == 429:
        raise SendFailed(f"{target.name} is rate limiting: {_reason(response)}", _retry_after(response))
    if response.status_code >= 300:
        raise SendFailed(f"{target.name} answered {_reason(response)}")
