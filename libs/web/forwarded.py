"""Who the client is behind Traefik: `X-Forwarded-*` are believed only from trusted proxies."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from starlette.requests import Request

from libs.config import DEFAULT_TRUSTED, IpNetwork, parse_networks

__all__ = ["DEFAULT_TRUSTED", "IpNetwork", "client_ip", "is_trusted", "parse_networks", "request_ip"]


@lru_cache(maxsize=4096)  # the same few proxies and clients ask again and again; parsing an address is not free
def is_trusted(address: str, trusted: tuple[IpNetwork, ...]) -> bool:
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
    if not is_trusted(peer, trusted) or not forwarded_for:
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not is_trusted(hop, trusted):
            return hop
    return hops[0] if hops else peer


def request_ip(request: Request, trusted: tuple[IpNetwork, ...]) -> str:
    peer = request.client.host if request.client else ""
    return client_ip(peer, request.headers.get("x-forwarded-for"), trusted)
