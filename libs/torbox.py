"""A client for TorBox's API v1 (`/v1/api/…`): the envelope `{success, error, detail, data}` unwrapped,
failures raised as `TorBoxError` with a kind the caller can act on. The key goes in the Authorization
header, never in a URL that could be logged (the one exception, `requestdl`, is TorBox's own design)."""

from __future__ import annotations

import asyncio
import email.utils
import time
from datetime import UTC, datetime
from typing import Any, Literal, Protocol, TypeVar

import httpx
import msgspec

from libs.schemas.torbox import AccountTorrent, CachedTorrent

# `createtorrent` per key: 60 an hour and 10 a minute at the edge (reference: stremio_anchors §4.5)
TORBOX_ADD_LIMITS = ((60, 3600.0), (10, 60.0))
TORBOX_ADDS_BUCKET = "torbox-adds"  # NATS KV: each key's recent adds, shared by every process using it
# every endpoint: 300 requests a minute per key by default (TORBOX_REQUESTS_PER_MINUTE) — counted over 61 s
# here, as a call reaches TorBox a little after it is counted and must still have left TorBox's minute
# when it leaves ours
REQUEST_WINDOW_SECONDS = 61.0
TORBOX_REQUESTS_BUCKET = "torbox-requests"  # NATS KV: each key's recent requests per endpoint
BUDGET_WAIT = 2.0  # seconds a call waits for its key's request budget before it is refused as TorBox would

LIST_PAGE = 1000  # what `mylist` answers at most at once (its default `limit`)
MAX_LISTED = 100_000  # an account listing stops here, whatever TorBox keeps answering
T = TypeVar("T")

ErrorKind = Literal["unauthorized", "forbidden", "rate_limited", "server_error", "network", "client_error"]


def path_in_torrent(name: str) -> str:
    """TorBox names a file `<torrent name>/<path>`: the path is what identifies it inside the torrent."""
    root, _, rest = name.partition("/")
    return rest or root


# TorBox opens a download link for an hour: a link is reused for 45 minutes, never near its end
LINK_SECONDS = 2700.0


class TorBoxError(Exception):
    def __init__(self, status: int | None, code: str, detail: str, retry_after: float | None = None) -> None:
        super().__init__(f"TorBox {status or 'unreachable'} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        self.retry_after = retry_after

    @property
    def kind(self) -> ErrorKind:
        if self.status is None:
            return "network"
        if self.code == "BAD_RESPONSE":  # not TorBox's answer (a proxy's error page): its trouble, not the call's
            return "server_error"
        if self.status == 401 or self.code in ("BAD_TOKEN", "NO_AUTH", "AUTH_ERROR"):
            return "unauthorized"
        if self.status == 403:
            return "forbidden"
        if self.status == 429:
            return "rate_limited"
        if self.status >= 500 or self.code.endswith("ERROR"):
            return "server_error"
        return "client_error"


class _Envelope(msgspec.Struct):
    success: bool = False
    error: str | None = None
    detail: str = ""
    data: Any = None


_envelope = msgspec.json.Decoder(_Envelope)


class Added(msgspec.Struct, frozen=True):
    """What an add gave: TorBox's id of the torrent, or of its queue entry when TorBox queued it."""

    torrent_id: int | None = None
    queued_id: int | None = None


def _id(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class Budget(Protocol):
    """A key's request budget (`libs.ratelimit.SharedWindowLimiter`): None when a call may go now, else the
    seconds until one may."""

    async def acquire(self, key: str, scope: str = "") -> float | None: ...


class TorBoxClient:
    def __init__(
        self, http: httpx.AsyncClient, base_url: str, timeout: float = 10.0, budget: Budget | None = None
    ) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.budget = budget

    async def call(self, method: str, path: str, key: str, **kwargs: Any) -> tuple[Any, float]:
        """(data, elapsed ms) of `/v1/api/{path}`; `TorBoxError` for anything but success."""
        if self.budget is not None:
            await self._within_budget(key, path)
        started = time.perf_counter()
        try:
            response = await self.http.request(
                method,
                f"{self.base_url}/v1/api/{path}",
                headers={"Authorization": f"Bearer {key}"},
                timeout=self.timeout,
                **kwargs,
            )
        except httpx.TimeoutException:
            raise TorBoxError(None, "TIMEOUT", "TorBox did not answer in time") from None
        except httpx.TransportError as error:
            raise TorBoxError(None, "NETWORK", type(error).__name__) from None
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code == 429:
            retry_after = retry_after_seconds(response.headers.get("retry-after"))
            raise TorBoxError(429, "RATE_LIMITED", "rate limit exceeded", retry_after)
        try:
            body = _envelope.decode(response.content)
        except msgspec.DecodeError:
            raise TorBoxError(response.status_code, "BAD_RESPONSE", "TorBox answered with something not JSON") from None
        if response.status_code >= 400 or not body.success:
            raise TorBoxError(response.status_code, body.error or "UNKNOWN_ERROR", body.detail)
        return body.data, elapsed

    async def _within_budget(self, key: str, path: str) -> None:
        """Wait a moment for the key's budget of requests to `path`; past `BUDGET_WAIT`, refused here as TorBox
        would refuse it (a 429 with the wait), without spending a request on being told so."""
        waited = 0.0
        while (wait := await self.budget.acquire(key, path)) is not None:  # type: ignore[union-attr]
            if waited + wait > BUDGET_WAIT:
                raise TorBoxError(429, "RATE_LIMITED", "the key's requests to TorBox are spent for now", wait)
            await asyncio.sleep(wait)
            waited += wait

    async def me(self, key: str) -> tuple[dict[str, Any], float]:
        return await self.call("GET", "user/me", key)

    async def check_cached(self, key: str, hashes: list[str]) -> dict[str, CachedTorrent]:
        """Which of `hashes` TorBox has cached, with their files: one POST for all of them (TorBox limits by
        key, not by size; several GETs would spend the key's rate limit)."""
        if not hashes:
            return {}
        data, _ = await self.call(
            "POST",
            "torrents/checkcached",
            key,
            params={"format": "list", "list_files": "true"},
            json={"hashes": hashes},
        )
        items = _converted(data or [], list[CachedTorrent])
        return {item.hash.lower(): item for item in items}

    async def create_torrent(
        self, key: str, magnet: str | None = None, *, torrent_file: bytes | None = None, name: str | None = None
    ) -> dict[str, Any]:
        """Add a magnet (or a .torrent) to the key's account: `{torrent_id, hash}`, or `{queued_id}` when TorBox
        queues it; a torrent already in the account comes back with its id (or `DUPLICATE_ITEM`)."""
        form = {"allow_zip": "false"}
        if magnet:
            form["magnet"] = magnet
        if name:
            form["name"] = name
        files = {"file": ("upload.torrent", torrent_file, "application/x-bittorrent")} if torrent_file else None
        data, _ = await self.call("POST", "torrents/createtorrent", key, data=form, files=files)
        return data if isinstance(data, dict) else {}

    async def add_torrent(
        self, key: str, info_hash: str, magnet: str | None = None, *, torrent_file: bytes | None = None
    ) -> Added:
        """`create_torrent`, with a torrent the account holds already (TorBox answers `DUPLICATE_ITEM`) found by
        its hash in the account's list — the one listing, only then."""
        try:
            created = await self.create_torrent(key, magnet, torrent_file=torrent_file)
        except TorBoxError as error:
            if error.code != "DUPLICATE_ITEM":
                raise
            wanted = info_hash.lower()
            found = next((t for t in await self.torrents(key) if t.hash.lower() == wanted), None)
            return Added(torrent_id=found.id if found else None)
        return Added(torrent_id=_id(created.get("torrent_id")), queued_id=_id(created.get("queued_id")))

    async def delete_torrent(self, key: str, torrent_id: int) -> None:
        await self.call("POST", "torrents/controltorrent", key, json={"torrent_id": torrent_id, "operation": "delete"})

    async def delete_queued(self, key: str, queued_id: int) -> None:
        await self.call("POST", "queued/controlqueued", key, json={"queued_id": queued_id, "operation": "delete"})

    async def torrent(self, key: str, torrent_id: int) -> AccountTorrent:
        """One torrent of the account, fresh (`bypass_cache`: the listing is otherwise minutes old). One deleted
        since is a success with no data: `ITEM_NOT_FOUND`, like one that never was."""
        data, _ = await self.call("GET", "torrents/mylist", key, params={"id": torrent_id, "bypass_cache": "true"})
        if data is None:
            raise TorBoxError(404, "ITEM_NOT_FOUND", "the torrent is no longer in the account")
        return _converted(data, AccountTorrent)

    async def torrents(self, key: str) -> list[AccountTorrent]:
        """Every torrent of the account, a page of `LIST_PAGE` at a time (TorBox answers at most that many at
        once), and none when TorBox answers 404: what it says of an account that holds no torrent."""
        found: list[AccountTorrent] = []
        while True:
            params = {"bypass_cache": "true", "offset": len(found), "limit": LIST_PAGE}
            try:
                data, _ = await self.call("GET", "torrents/mylist", key, params=params)
            except TorBoxError as error:
                if error.status == 404:
                    return found
                raise
            page = _converted(data or [], list[AccountTorrent])
            found += page
            if len(page) < LIST_PAGE or len(found) >= MAX_LISTED:
                return found

    async def request_download(self, key: str, torrent_id: int, file_id: int, user_ip: str | None = None) -> str:
        """The CDN link of one file. TorBox wants the key as `token=` here: this URL is ours, never a client's."""
        params: dict[str, Any] = {"token": key, "torrent_id": torrent_id, "file_id": file_id, "zip_link": "false"}
        if user_ip:
            params["user_ip"] = user_ip
        data, _ = await self.call("GET", "torrents/requestdl", key, params=params)
        if not isinstance(data, str) or not data.startswith(("http://", "https://")):
            raise TorBoxError(200, "BAD_RESPONSE", "TorBox gave no download link")
        return data


def _converted(data: Any, shape: type[T]) -> T:
    try:
        return msgspec.convert(data, shape)
    except msgspec.ValidationError as error:
        raise TorBoxError(200, "BAD_RESPONSE", f"TorBox answered in an unexpected shape: {error}") from None


def retry_after_seconds(value: str | None) -> float | None:
    """`Retry-After` as seconds or as an HTTP date (RFC 9110 allows both); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())
