"""What every download-client adapter shares: its configuration, the items it reports, its errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import msgspec

from libs.schemas import DownloadState


class ClientError(Exception):
    """The client cannot be used right now; `str()` says why (never with a secret)."""


@dataclass(frozen=True)
class ClientConfig:
    id: str
    type: str
    name: str
    host: str
    port: int
    use_ssl: bool
    api_key: str | None = None
    username: str | None = None
    password: str | None = None
    category: str | None = None

    @property
    def base_url(self) -> str:
        return f"{'https' if self.use_ssl else 'http'}://{self.host}:{self.port}"


@dataclass(frozen=True)
class ClientItem:
    id: str  # the client's own id: info hash, nzo_id, NZBID
    title: str
    state: DownloadState
    progress: float = 0.0
    speed_bytes: int = 0
    eta_seconds: int | None = None
    final_path: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class Grabbed:
    """What a release's download link gave: a magnet, a .torrent, or an .nzb (and the release's title)."""

    title: str
    magnet: str | None = None
    torrent: bytes | None = None
    nzb: bytes | None = None


class DownloadClient:
    def __init__(self, config: ClientConfig, http: httpx.AsyncClient, timeout: float = 10.0) -> None:
        self.config = config
        self.http = http
        self.timeout = timeout

    async def test(self) -> str:
        """The client's version, or `ClientError`."""
        raise NotImplementedError

    async def items(self) -> list[ClientItem]:
        raise NotImplementedError

    async def add(self, grabbed: Grabbed) -> str:
        """Hand the client what a release's link gave; the client's own id of the new download."""
        raise NotImplementedError

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self.http.request(method, self.config.base_url + path, timeout=self.timeout, **kwargs)
        except httpx.TimeoutException:
            raise ClientError(f"{self.config.name} did not answer within {self.timeout:.0f} s") from None
        except httpx.HTTPError as error:
            raise ClientError(f"{self.config.name} could not be reached ({type(error).__name__})") from None

    async def aclose(self) -> None:
        """Release what this adapter holds of its own (a session, a connection pool)."""

    def decoded(self, response: httpx.Response, product: str, type: Any = Any) -> Any:
        """The answer's JSON (as `type`); `ClientError` for a refusal or for anything that is not `product`'s."""
        if response.status_code != 200:
            raise self.refused(response)
        try:
            return msgspec.json.decode(response.content, type=type)
        except msgspec.DecodeError:
            raise ClientError(f"{self.config.name} answered with something that is not {product}'s") from None

    def refused(self, response: httpx.Response) -> ClientError:
        if response.status_code in (401, 403):
            return ClientError(f"{self.config.name} refused the credentials ({response.status_code})")
        return ClientError(f"{self.config.name} answered {response.status_code}")


def eta_or_none(value: Any, unknown: tuple[int, ...] = (8640000,)) -> int | None:
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        return None
    return None if seconds < 0 or seconds in unknown else seconds
