"""Who is asking: the client's address (from `X-Forwarded-For` only when the peer is a trusted proxy), the
device id pool-allocator counts (a hash: no raw address is stored anywhere), and the public base URL."""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass
from functools import lru_cache

from starlette.requests import Request

from .config import IpNetwork


@dataclass(frozen=True)
class Client:
    ip: str
    user_agent: str

    @property
    def device_id(self) -> str:
        return hashlib.sha256(f"{self.ip}\n{self.user_agent}".encode()).hexdigest()


@lru_cache(maxsize=4096)  # the same few proxies and clients ask again and again; parsing an address is not free
def _trusted(address: str, trusted: tuple[IpNetwork, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def client_ip(peer: str, forwarded_for: str | None, trusted: tuple[IpNetwork, ...]) -> str:
    """The first address, walking `X-Forwarded-For` from the right, that is not one of our proxies.

    Each proxy appends the address it saw; only what trusted proxies appended can be believed, so a
    client cannot pass itself off as another by sending its own header.
    """
    if not _trusted(peer, trusted) or not forwarded_for:
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            return hop
    return hops[0] if hops else peer


def client_of(request: Request, trusted: tuple[IpNetwork, ...]) -> Client:
    peer = request.client.host if request.client else ""
    ip = client_ip(peer, request.headers.get("x-forwarded-for"), trusted)
    return Client(ip=ip, user_agent=request.headers.get("user-agent", ""))


def base_url(request: Request, trusted: tuple[IpNetwork, ...], public_url: str | None) -> str:
    """Where the player can reach us: the configured public URL, else what the proxy or request says."""
    if public_url:
        return public_url
    peer = request.client.host if request.client else ""
    scheme = request.scope.get("scheme", "http")
    host = request.headers.get("host") or request.url.netloc
    if _trusted(peer, trusted):
        forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
        scheme = forwarded if forwarded in ("http", "https") else scheme
        host = request.headers.get("x-forwarded-host", host).split(",")[0].strip() or host
    return f"{scheme}://{host}"
