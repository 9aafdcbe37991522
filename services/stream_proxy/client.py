"""Who is asking: the client's address (from `X-Forwarded-For` only when the peer is a trusted proxy), the
device id pool-allocator counts (a hash: no raw address is stored anywhere), and the public base URL."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from starlette.requests import Request

from libs.web.forwarded import IpNetwork, is_trusted, request_ip


@dataclass(frozen=True)
class Client:
    ip: str
    user_agent: str

    @property
    def device_id(self) -> str:
        return hashlib.sha256(f"{self.ip}\n{self.user_agent}".encode()).hexdigest()


def client_of(request: Request, trusted: tuple[IpNetwork, ...]) -> Client:
    return Client(ip=request_ip(request, trusted), user_agent=request.headers.get("user-agent", ""))


def base_url(request: Request, trusted: tuple[IpNetwork, ...], public_url: str | None) -> str:
    """Where the player can reach us: the configured public URL, else what the proxy or request says."""
    if public_url:
        return public_url
    peer = request.client.host if request.client else ""
    scheme = request.scope.get("scheme", "http")
    host = request.headers.get("host") or request.url.netloc
    if is_trusted(peer, trusted):
        forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
        scheme = forwarded if forwarded in ("http", "https") else scheme
        host = request.headers.get("x-forwarded-host", host).split(",")[0].strip() or host
    return f"{scheme}://{host}"
