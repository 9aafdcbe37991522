"""A fake TorBox (API v1 and its CDN), faithful to ../shared/reference/ (stremio_anchors §4, qbt_anchors §4).

- Bearer auth on every call; `requestdl` takes `token=`. Missing or unknown token: 401, error `BAD_TOKEN`
  (`NO_AUTH` when absent). Envelope `{success, error, detail, data}`.
- Rate limits per key: 300 requests/min per endpoint, `createtorrent` 60/hour and 10/min at the edge;
  429 with a plain-text `rate limit exceeded` body and `Retry-After`.
- A global catalogue of torrents (hash → name, files) of which some are cached. `createtorrent` of a cached
  hash is ready at once; an uncached one downloads over `download_seconds`; past the account's active limit
  it fails with `ACTIVE_LIMIT` unless `as_queued` (or the account queues on its own, `queues_when_full`, as
  TorBox does for some plans). A queued torrent is not in `mylist`; it starts (and is listed) once an active
  one has finished, as TorBox's queue does.
- `requestdl` returns a CDN URL (or redirects with `redirect=true`); the CDN serves deterministic bytes
  for the file, with Range.
- `mylist` as the real one answers it (StremThru `store/torbox/torrent.go`, `ListTorrents`/`GetTorrent`;
  the official SDK `TorBox-App/torbox-sdk-py`): at most `limit` (default 1000) torrents from `offset`; a 404
  when the account holds none (StremThru reads that 404 as an empty list; its body is not documented, so the
  envelope with `ITEM_NOT_FOUND` is ours); `?id=` of a torrent deleted since: a success with `data: null`.
- `createtorrent` answers `{queued_id, hash}` instead of `{torrent_id, …}` when TorBox queues the torrent
  (`CreateTorrentOkResponseData` in the SDK has both fields).
- Faults for tests: a key can be made to fail with a status, the whole API can be down, slowed, or
  answer garbage; `retry_after_date` sends `Retry-After` as an HTTP date (RFC 9110 allows either form).

Run it in-process with `tests.support.asgi.serving(fake.app)`, or standalone for `make demo`.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

import msgspec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from libs.torrent_meta import btih_from_magnet, info_hash


@dataclass
class CatalogueFile:
    name: str  # "<root>/<path>" as TorBox shows it
    size: int


@dataclass
class CatalogueTorrent:
    hash: str
    name: str
    files: list[CatalogueFile]
    cached: bool = True

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


@dataclass
class AccountTorrent:
    id: int
    torrent: CatalogueTorrent
    created: float
    ready_at: float
    queued: bool = False


@dataclass
class Account:
    token: str
    email: str
    plan: int = 2
    active_limit: int = 10
    queues_when_full: bool = False
    torrents: dict[int, AccountTorrent] = field(default_factory=dict)

    def active(self, now: float) -> int:
        return sum(1 for t in self.torrents.values() if not t.queued and now < t.ready_at)

    def start_queued(self, now: float, download_seconds: float) -> None:
        """TorBox's queue: the oldest queued torrents start as active ones finish."""
        for item in sorted((t for t in self.torrents.values() if t.queued), key=lambda t: t.id):
            if self.active(now) >= self.active_limit:
                return
            item.queued, item.created, item.ready_at = False, now, now + download_seconds


def _envelope(data: Any = None, *, success: bool = True, error: str | None = None, detail: str = "") -> bytes:
    return msgspec.json.encode({"success": success, "error": error, "detail": detail, "data": data})


def json_response(data: Any = None, status: int = 200, **kwargs: Any) -> Response:
    return Response(_envelope(data, **kwargs), status, media_type="application/json")


def error(status: int, code: str, detail: str, data: Any = None) -> Response:
    return json_response(data, status, success=False, error=code, detail=detail)


async def _json_body(request: Request) -> dict[str, Any] | Response:
    try:
        return msgspec.json.decode(await request.body(), type=dict[str, Any])
    except msgspec.DecodeError:
        return error(400, "INVALID_OPTION", "Body must be JSON.")


def file_bytes(torrent_hash: str, file_name: str, start: int, end: int) -> bytes:
    """Deterministic content of a file: anyone can compute what a download should contain."""
    seed = hashlib.sha256(f"{torrent_hash}/{file_name}".encode()).digest()
    block = seed * 64  # 2 KiB pattern
    offset = start % len(block)
    out = bytearray()
    position = start
    while position <= end:
        take = min(len(block) - offset, end - position + 1)
        out += block[offset : offset + take]
        position += take
        offset = 0
    return bytes(out)


class FakeTorBox:
    def __init__(
        self,
        *,
        general_limit_per_minute: int = 300,
        create_limit_per_hour: int = 60,
        create_limit_per_minute: int = 10,
        download_seconds: float = 2.0,
    ) -> None:
        self.accounts: dict[str, Account] = {}
        self.catalogue: dict[str, CatalogueTorrent] = {}
        self.general_limit = general_limit_per_minute
        self.create_limit_hour = create_limit_per_hour
        self.create_limit_minute = create_limit_per_minute
        self.download_seconds = download_seconds
        self.base_url = "http://torbox.invalid"  # set by whoever serves the app
        self.calls: list[tuple[str, str, str]] = []  # (method, path, token)
        self.created: list[str] = []  # the hash of every createtorrent that got past the gate
        self.rate_limited = 0  # 429s answered: a client within its budget never gets one
        self.failing: dict[str, int] = {}  # token → status every call answers
        self.down = False
        self.garbage = False
        self.latency = 0.0
        self.duplicates_refused = False  # answer an add of a torrent already there with DUPLICATE_ITEM
        self.cdn_rate: float | None = None  # bytes per second the CDN sends (None: as fast as it can)
        self.cdn_error_page = False  # the CDN answers 200 with an HTML error page instead of the file
        self.cdn_ranges: list[str | None] = []  # the Range header of every CDN request
        self.cdn_fetches: list[tuple[str, str, str | None]] = []  # (hash, file name, Range) of each of them
        self.dead: set[str] = set()  # hashes whose download TorBox reports failed
        self.cdn_override: dict[str, str] = {}  # hash → a URL `requestdl` hands out instead (benchmarks)
        self.retry_after_date = False  # a 429's Retry-After as an HTTP date instead of seconds
        self.deleted_ids: set[int] = set()  # torrents deleted from an account: `mylist?id=` answers null
        self._windows: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self._next_id = 1000
        self._links: dict[str, tuple[str, str]] = {}  # CDN link id → (hash, file name)
        self.app = Starlette(
            routes=[
                Route("/v1/api/user/me", self.user_me),
                Route("/v1/api/torrents/checkcached", self.check_cached, methods=["GET", "POST"]),
                Route("/v1/api/torrents/createtorrent", self.create_torrent, methods=["POST"]),
                Route("/v1/api/torrents/mylist", self.my_list),
                Route("/v1/api/torrents/requestdl", self.request_dl),
                Route("/v1/api/torrents/controltorrent", self.control_torrent, methods=["POST"]),
                Route("/v1/api/queued/controlqueued", self.control_queued, methods=["POST"]),
                Route("/cdn/{link}/{name:path}", self.cdn, methods=["GET", "HEAD"]),
            ]
        )

    # set-up helpers for tests

    def add_account(self, token: str, email: str | None = None, **fields: Any) -> Account:
        account = Account(token, email or f"{token[:6]}@example.com", **fields)
        self.accounts[token] = account
        return account

    def add_torrent(self, torrent_hash: str, name: str, files: list[tuple[str, int]], cached: bool = True):
        torrent = CatalogueTorrent(
            torrent_hash.lower(), name, [CatalogueFile(f"{name}/{n}", s) for n, s in files], cached
        )
        self.catalogue[torrent.hash] = torrent
        return torrent

    # the gate every API call passes

    def _gate(self, request: Request, endpoint: str, *, token: str | None = None) -> Account | Response:
        if token is None:
            header = request.headers.get("authorization", "")
            token = header[7:] if header.lower().startswith("bearer ") else None
        self.calls.append((request.method, request.url.path, token or ""))
        if self.down:
            return error(500, "DATABASE_ERROR", "Database error. Please try again later.")
        if self.garbage:  # what a proxy or CDN in front of the API answers while it is in trouble
            return Response(b"<html><body>502 Bad Gateway</body></html>", 200, media_type="text/html")
        if not token:
            return error(401, "NO_AUTH", "No authentication provided.")
        account = self.accounts.get(token)
        if account is None:
            return error(401, "BAD_TOKEN", "Invalid API token.")
        if token in self.failing:
            status = self.failing[token]
            return error(status, "SERVER_ERROR" if status >= 500 else "PERMISSION_DENIED", "Injected failure.")
        if not self._allow(token, endpoint, 60, self.general_limit):
            return self._too_many(60)
        if endpoint == "createtorrent" and not (
            self._allow(token, "create-minute", 60, self.create_limit_minute)
            and self._allow(token, "create-hour", 3600, self.create_limit_hour)
        ):
            return self._too_many(60)
        return account

    def _allow(self, token: str, bucket: str, window: float, limit: int) -> bool:
        now = time.monotonic()
        calls = self._windows[(token, bucket)]
        while calls and calls[0] <= now - window:
            calls.popleft()
        if len(calls) >= limit:
            return False
        calls.append(now)
        return True

    def _too_many(self, retry_after: int) -> Response:
        self.rate_limited += 1
        value = str(retry_after)
        if self.retry_after_date:
            value = email.utils.formatdate(time.time() + retry_after, usegmt=True)
        return PlainTextResponse("rate limit exceeded", 429, headers={"Retry-After": value})

    async def _pause(self) -> None:
        if self.latency:
            await asyncio.sleep(self.latency)

    # endpoints

    async def user_me(self, request: Request) -> Response:
        await self._pause()
        account = self._gate(request, "user/me")
        if isinstance(account, Response):
            return account
        return json_response(
            {
                "id": abs(hash(account.token)) % 100000,
                "auth_id": hashlib.md5(account.token.encode()).hexdigest(),
                "email": account.email,
                "plan": account.plan,
                "premium_expires_at": "2027-12-31T00:00:00Z",
                "cooldown_until": None,
                "is_subscribed": True,
                "total_downloaded": 0,
                "additional_concurrent_slots": 0,
                "settings": {"seed_torrents": 3},
            }
        )

    async def check_cached(self, request: Request) -> Response:
        await self._pause()
        account = self._gate(request, "checkcached")
        if isinstance(account, Response):
            return account
        params = request.query_params
        if request.method == "POST":
            try:
                hashes = msgspec.json.decode(await request.body(), type=dict[str, list[str]])["hashes"]
            except (msgspec.DecodeError, KeyError):
                return error(400, "INVALID_OPTION", 'Body must be {"hashes": [...]}.')
        else:
            hashes = [h for value in params.getlist("hash") for h in value.split(",") if h]
        list_files = params.get("list_files", "false").lower() == "true"
        found = [self.catalogue[h.lower()] for h in hashes if h.lower() in self.catalogue]
        found = [t for t in found if t.cached]

        def item(t: CatalogueTorrent) -> dict[str, Any]:
            entry: dict[str, Any] = {"name": t.name, "size": t.size, "hash": t.hash}
            if list_files:
                entry["files"] = [{"name": f.name, "size": f.size} for f in t.files]
            return entry

        if params.get("format", "object") == "list":
            return json_response([item(t) for t in found], detail="Found cached torrents.")
        return json_response({t.hash: item(t) for t in found} or None, detail="Found cached torrents.")

    async def create_torrent(self, request: Request) -> Response:
        await self._pause()
        account = self._gate(request, "createtorrent")
        if isinstance(account, Response):
            return account
        form = await request.form()
        magnet = form.get("magnet")
        upload = form.get("file")
        torrent_hash = None
        if isinstance(magnet, str) and magnet:
            torrent_hash = btih_from_magnet(magnet)
        elif upload is not None and hasattr(upload, "read"):
            try:
                torrent_hash = info_hash(await upload.read())
            except ValueError:
                torrent_hash = None
        if torrent_hash is None:
            return error(400, "INVALID_OPTION", "You must provide a valid magnet link or torrent file.")
        self.created.append(torrent_hash)
        torrent = self.catalogue.get(torrent_hash) or self.add_torrent(
            torrent_hash, str(form.get("name") or torrent_hash), [("file.bin", 1 << 20)], cached=False
        )
        add_only_if_cached = str(form.get("add_only_if_cached", "false")).lower() == "true"
        if add_only_if_cached and not torrent.cached:
            return error(400, "DOWNLOAD_NOT_CACHED", "This download is not cached.")
        for existing in account.torrents.values():
            if existing.torrent.hash == torrent.hash:
                if self.duplicates_refused:
                    return error(400, "DUPLICATE_ITEM", "This torrent is already in your account.")
                return json_response(
                    {"torrent_id": existing.id, "hash": torrent.hash, "auth_id": account.email},
                    detail="Found Cached Torrent. Using Cached Torrent.",
                )
        active = account.active(time.monotonic())
        as_queued = account.queues_when_full or str(form.get("as_queued", "false")).lower() == "true"
        self._next_id += 1
        now = time.monotonic()
        if not torrent.cached and active >= account.active_limit:
            if not as_queued:
                return error(
                    400,
                    "ACTIVE_LIMIT",
                    f"You have reached your active torrent download limit of {account.active_limit}.",
                    {"active_limit": account.active_limit, "current_active_downloads": active},
                )
            account.torrents[self._next_id] = AccountTorrent(self._next_id, torrent, now, float("inf"), queued=True)
            return json_response({"queued_id": self._next_id, "hash": torrent.hash}, detail="Torrent queued.")
        ready_at = now if torrent.cached else now + self.download_seconds
        account.torrents[self._next_id] = AccountTorrent(self._next_id, torrent, now, ready_at)
        detail = "Found Cached Torrent. Using Cached Torrent." if torrent.cached else "Torrent added."
        return json_response(
            {"torrent_id": self._next_id, "hash": torrent.hash, "auth_id": account.email}, detail=detail
        )

    def _torrent_json(self, item: AccountTorrent) -> dict[str, Any]:
        now = time.monotonic()
        total = item.torrent.size
        if item.torrent.hash in self.dead:
            progress, state, finished = 0.0, "failed (no seeds)", False
        elif item.ready_at <= now:
            progress, state, finished = 1.0, "cached" if item.torrent.cached else "completed", True
        else:
            span = max(item.ready_at - item.created, 1e-9)
            progress = max(0.0, min(0.99, (now - item.created) / span))
            state, finished = ("queued" if item.queued else "downloading"), False
        speed = 0 if finished or item.queued else int(total / max(self.download_seconds, 1e-9))
        return {
            "id": item.id,
            "hash": item.torrent.hash,
            "name": item.torrent.name,
            "size": total,
            "active": not finished,
            "download_state": state,
            "download_speed": speed,
            "upload_speed": 0,
            "seeds": 12,
            "peers": 3,
            "ratio": 0,
            "progress": round(progress, 4),
            "eta": 0 if finished else int(item.ready_at - now) + 1,
            "download_finished": finished,
            "download_present": finished,
            "cached": item.torrent.cached,
            "files": [
                {
                    "id": index,
                    "name": f.name,
                    "short_name": f.name.rsplit("/", 1)[-1],
                    "size": f.size,
                    "mimetype": "video/x-matroska" if f.name.endswith(".mkv") else "application/octet-stream",
                }
                for index, f in enumerate(item.torrent.files)
            ],
        }

    async def my_list(self, request: Request) -> Response:
        await self._pause()
        account = self._gate(request, "mylist")
        if isinstance(account, Response):
            return account
        account.start_queued(time.monotonic(), self.download_seconds)
        params = request.query_params
        wanted = params.get("id")
        if wanted is not None:
            item = account.torrents.get(int(wanted)) if wanted.isdigit() else None
            if item is None and wanted.isdigit() and int(wanted) in self.deleted_ids:
                return json_response(None)
            if item is None or item.queued:
                return error(404, "ITEM_NOT_FOUND", "Torrent not found.")
            return json_response(self._torrent_json(item))
        offset, limit = params.get("offset", "0"), params.get("limit", "1000")
        if not (offset.isdigit() and limit.isdigit()):
            return error(400, "INVALID_OPTION", "Offset and limit must be numbers.")
        listed = [t for t in account.torrents.values() if not t.queued]
        if not listed:
            return error(404, "ITEM_NOT_FOUND", "No torrents found.")
        page = listed[int(offset) : int(offset) + min(int(limit), 1000)]
        return json_response([self._torrent_json(t) for t in page])

    async def request_dl(self, request: Request) -> Response:
        await self._pause()
        params = request.query_params
        account = self._gate(request, "requestdl", token=params.get("token") or "")
        if isinstance(account, Response):
            return account
        torrent_id, file_id = params.get("torrent_id", ""), params.get("file_id", "0")
        item = account.torrents.get(int(torrent_id)) if torrent_id.isdigit() else None
        if item is None:
            return error(404, "ITEM_NOT_FOUND", "Torrent not found.")
        if item.ready_at > time.monotonic():
            return error(400, "DOWNLOAD_NOT_READY", "This download is not ready yet.")
        if not file_id.isdigit() or int(file_id) >= len(item.torrent.files):
            return error(404, "ITEM_NOT_FOUND", "File not found.")
        file = item.torrent.files[int(file_id)]
        if item.torrent.hash in self.cdn_override:
            return json_response(self.cdn_override[item.torrent.hash], detail="Download link generated.")
        link = hashlib.sha256(f"{account.token}/{item.id}/{file_id}/{time.time()}".encode()).hexdigest()[:32]
        self._links[link] = (item.torrent.hash, file.name)
        url = f"{self.base_url}/cdn/{link}/{file.name.rsplit('/', 1)[-1]}"
        if params.get("redirect", "false").lower() == "true":
            return RedirectResponse(url, 302)
        return json_response(url, detail="Download link generated.")

    async def control_torrent(self, request: Request) -> Response:
        account = self._gate(request, "controltorrent")
        if isinstance(account, Response):
            return account
        body = await _json_body(request)
        if isinstance(body, Response):
            return body
        operation = body.get("operation")
        if operation not in ("reannounce", "delete", "resume", "pause", "stop_seeding"):
            return error(400, "INVALID_OPTION", "Unknown operation.")
        if body.get("all"):
            targets = list(account.torrents)
        elif body.get("torrent_id") in account.torrents:
            targets = [body["torrent_id"]]
        else:
            return error(404, "ITEM_NOT_FOUND", "Torrent not found.")
        if operation == "delete":
            for torrent_id in targets:
                del account.torrents[torrent_id]
                self.deleted_ids.add(torrent_id)
        return json_response(None, detail=f"Torrent {operation} successful.")

    async def control_queued(self, request: Request) -> Response:
        account = self._gate(request, "controlqueued")
        if isinstance(account, Response):
            return account
        body = await _json_body(request)
        if isinstance(body, Response):
            return body
        if body.get("operation") not in ("delete", "start"):
            return error(400, "INVALID_OPTION", "Unknown operation.")
        queued = body.get("queued_id")
        item = account.torrents.get(queued) if isinstance(queued, int) else None
        if item is None or not item.queued:
            return error(404, "ITEM_NOT_FOUND", "Queued item not found.")
        del account.torrents[queued]
        return json_response(None, detail=f"Queued item {body['operation']} successful.")

    async def cdn(self, request: Request) -> Response:
        entry = self._links.get(request.path_params["link"])
        if entry is None:
            return PlainTextResponse("Not Found", 404)
        torrent_hash, name = entry
        self.cdn_ranges.append(request.headers.get("range"))
        self.cdn_fetches.append((torrent_hash, name, request.headers.get("range")))
        if self.cdn_error_page:
            return Response(b"<html><body>502 Bad Gateway</body></html>", 200, media_type="text/html")
        torrent = self.catalogue[torrent_hash]
        size = next(f.size for f in torrent.files if f.name == name)
        start, end, status = 0, size - 1, 200
        range_header = request.headers.get("range")
        if range_header and range_header.startswith("bytes="):
            first, _, last = range_header[6:].partition("-")
            start = int(first) if first else max(0, size - int(last))
            end = int(last) if first and last else size - 1
            if start >= size:
                return PlainTextResponse("", 416, headers={"Content-Range": f"bytes */{size}"})
            status = 206
        headers = {"Accept-Ranges": "bytes", "Content-Length": str(end - start + 1)}
        if status == 206:
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        if request.method == "HEAD":
            return Response(b"", status, headers=headers)

        async def body():
            chunk = 64 * 1024
            for offset in range(start, end + 1, chunk):
                if self.cdn_rate:
                    await asyncio.sleep(chunk / self.cdn_rate)
                yield file_bytes(torrent_hash, name, offset, min(end, offset + chunk - 1))

        return StreamingResponse(body(), status, headers=headers, media_type="application/octet-stream")
