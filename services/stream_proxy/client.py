"""Who is asking: the client's address (from `X-Forwarded-For` only when the peer is a trusted proxy), the
device id pool-allocator counts (a hash: no raw address is stored anywhere), and the public base URL."""

from __future__ import annotations

import hashlib
import re
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
    """Where the player can reach us, for the links we hand out: `CHILLPROXY_PUBLIC_URL`, else what a trusted
    proxy (Traefik) says the request was addressed to. Never a `Host` that anybody could have sent: a request
    that came round the proxy gets links to the address it reached (the service's own)."""
    if public_url:
        return public_url
    peer = request.client.host if request.client else ""
    if is_trusted(peer, trusted):
        forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
        scheme = forwarded if forwarded in ("http", "https") else request.scope.get("scheme", "http")
        host = (request.headers.get("x-forwarded-host") or request.headers.get("host") or "").split(",")[0].strip()
        if _HOST.match(host):
            return f"{scheme}://{host}"
    server = request.scope.get("server") or ("127.0.0.1", 80)
    address = f"[{server[0]}]" if ":" in str(server[0]) else server[0]
    return f"{request.scope.get('scheme', 'http')}://{address}:{server[1]}"


# a name or address and a port, nothing else: no user info, path or space to smuggle into a link
_HOST = re.compile(r"^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$")
