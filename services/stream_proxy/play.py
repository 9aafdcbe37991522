"""Playing a chosen stream: the torrent in the key's TorBox account (reused, else added), the file asked for,
one `requestdl` per (key, torrent, file) whose CDN link is remembered, and a redirect to it.

Everything that can go wrong ends as a domain error (libs.errors) with a sentence for the player; the key
is only ever in our own call to TorBox, never in a URL given to the client.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from libs.bus import Bus, BusError, BusUnavailable, KeyValueCache, publish
from libs.cache import BoundedCache
from libs.errors import Conflict, DomainError, Forbidden, Limited, NotFound, UpstreamFailed
from libs.flight import SingleFlight
from libs.outbox import Emit
from libs.prowlarr import ProwlarrError
from libs.ratelimit import SharedWindowLimiter, fingerprint_key
from libs.schemas import POOL_STREAM_END, POOL_STREAM_START, POOL_USAGE, StreamEnd, StreamStart, UsageEvent
from libs.schemas.torbox import AccountTorrent
from libs.telemetry import get_logger
from libs.torbox import LINK_SECONDS, TORBOX_ADD_LIMITS, TORBOX_ADDS_BUCKET, TorBoxClient, TorBoxError, path_in_torrent

from .client import Client
from .files import TorrentFile, pick_file
from .finder import NotConfigured, ReleaseFinder
from .keys import KeyRefused, KeySource, UserKey
from .media_id import MediaId
from .parsing import TitleParser

log = get_logger(__name__)
MAX_REMEMBERED = 50_000  # torrents, links and sessions kept in memory, each (the oldest go first)
TORRENTS_BUCKET = "stream-torrents"  # (key fingerprint, hash) → the torrent's id in the key's account
LINKS_BUCKET = "stream-links"  # (key fingerprint, hash, file, media) → its CDN link
TORRENT_SECONDS = 24 * 3600.0  # an id gone from the account since is found out (ITEM_NOT_FOUND) and replaced
_LIMIT_CODES = {"ACTIVE_LIMIT", "MONTHLY_LIMIT", "COOLDOWN_LIMIT", "DOWNLOAD_TOO_LARGE", "TOO_MUCH_DATA"}


@dataclass(frozen=True)
class PlayRequest:
    info_hash: str
    media: MediaId
    file_name: str | None  # what the stream list chose; None: choose now


def refusal_for(error: TorBoxError) -> DomainError:
    """What a TorBox refusal means for a play, in the domain's words."""
    if error.code in _LIMIT_CODES:
        return Limited(f"TorBox refused to add it: {error.detail or error.code}")
    if error.kind == "rate_limited":
        return Limited("TorBox is rate-limiting this key right now; try again in a minute")
    if error.kind in ("unauthorized", "forbidden"):
        return Forbidden("TorBox refused the key; check the add-on's configuration")
    if error.kind == "client_error":
        return NotFound(f"TorBox could not use this torrent: {error.detail or error.code}")
    return UpstreamFailed("TorBox is not answering properly right now; try again in a minute")


class Player:
    def __init__(
        self,
        bus: Bus,
        keys: KeySource,
        torbox: TorBoxClient,
        parser: TitleParser,
        finder: ReleaseFinder,
        link_ttl: float = LINK_SECONDS,
        emit: Emit | None = None,
        namespace: str = "",
    ) -> None:
        self.bus = bus
        self.emit: Emit = emit or (lambda subject, event: publish(bus, subject, event))
        self.finder = finder
        self.keys = keys
        self.torbox = torbox
        self.parser = parser
        self.link_ttl = link_ttl
        # (key fingerprint, hash) → TorBox torrent id
        self._torrents: BoundedCache[tuple[str, str], int] = BoundedCache(MAX_REMEMBERED)
        # (key fingerprint, hash, file, media) → CDN link, while TorBox keeps it open
        self._links: BoundedCache[tuple[str, str, str | None, MediaId], str] = BoundedCache(MAX_REMEMBERED, link_ttl)
        # the same two maps shared by every replica (NATS KV): a torrent one added or a link one resolved
        # is reused by the others, instead of a second `requestdl` and a second add spent on the key
        self._shared_torrents = KeyValueCache(bus, TORRENTS_BUCKET + namespace, TORRENT_SECONDS, int)
        self._shared_links = KeyValueCache(bus, LINKS_BUCKET + namespace, link_ttl, str)
        self._flight: SingleFlight[str] = SingleFlight()
        # device id → (its open stream session, the hash it plays); the pool closes forgotten ones itself
        self._sessions: BoundedCache[str, tuple[str, str]] = BoundedCache(MAX_REMEMBERED, 24 * 3600)
        # per key, shared with every process using it: asking past TorBox's limit only earns a 429
        self._adds = SharedWindowLimiter(bus, TORBOX_ADDS_BUCKET, *TORBOX_ADD_LIMITS)

    async def link(self, config, request: PlayRequest, client: Client) -> str:
        """The CDN URL to redirect to. A HEAD and a GET (or several players) arriving together share one
        resolution; a link already resolved for this key is reused until it nears its end."""
        try:
            key = await self.keys.key_for(config, client, "play", request.info_hash)
        except KeyRefused as refusal:
            raise Forbidden(str(refusal)) from None
        slot = (fingerprint_key(key.key), request.info_hash, request.file_name, request.media)
        remembered = self._links.get(slot)
        if remembered is None:
            remembered = await self._shared_links.get(shared_name(slot))
            if remembered is not None:
                self._links.set(slot, remembered)
        if remembered is not None:
            if key.from_pool:
                await self._replayed(key, request)
            return remembered
        await self._check_listed(request)
        return await self._flight.run(slot, lambda: self._resolve(slot, key, request, client))

    async def _replayed(self, key: UserKey, request: PlayRequest) -> None:
        """A link already resolved is still a play for the pool — another device's must open its own stream
        session (within the key's cap) and be counted — unless this device is playing it already (a HEAD
        then a GET, a seek, a player asking again)."""
        held = self._sessions.get(key.device_id)
        if held is not None and held[1] == request.info_hash:
            return
        await self._open_session(key, request)
        await self._usage(key, request, cached=True)

    async def _check_listed(self, request: PlayRequest) -> None:
        """Only what a stream list offered is added to TorBox: a made-up link must not spend a key's budget of
        60 adds an hour (the search results are remembered, so this is rarely a new search)."""
        try:
            found = await self.finder.releases(request.media)
        except NotConfigured as missing:
            raise NotFound(str(missing)) from None
        except ProwlarrError as error:
            raise UpstreamFailed(f"{error}; try again in a minute") from None
        if all(release.hash != request.info_hash for release in found):
            raise NotFound("no such stream: search again in Stremio")

    async def _resolve(self, slot, key: UserKey, request: PlayRequest, client: Client) -> str:
        session = await self._open_session(key, request) if key.from_pool else None
        try:
            torrent = await self._torrent(key, request)
            if not torrent.ready:
                progress = f" ({torrent.progress:.0%})" if torrent.progress else ""
                raise Conflict(f"not cached yet: TorBox is downloading it{progress}; try again later")
            file_id = await self._file_id(torrent, request)
            url = await self.torbox.request_download(key.key, torrent.id, file_id, user_ip=client.ip or None)
        except TorBoxError as error:
            await self._close_session(key.device_id, session)
            await self.keys.report_failure(key, error)
            raise refusal_for(error) from None
        except DomainError:
            await self._close_session(key.device_id, session)
            raise
        self._links.set(slot, url)
        await self._shared_links.put(shared_name(slot), url)
        await self._usage(key, request, cached=True)
        return url

    async def _torrent(self, key: UserKey, request: PlayRequest) -> AccountTorrent:
        """The torrent in this key's account: the one added before, else added now (TorBox answers an add
        of a torrent already in the account with its id, and adds a cached one at once)."""
        remembered = (fingerprint_key(key.key), request.info_hash)
        torrent_id = self._torrents.get(remembered)
        if torrent_id is None:
            torrent_id = await self._shared_torrents.get(shared_name(remembered))
        if torrent_id is not None:
            try:
                return await self.torbox.torrent(key.key, torrent_id)
            except TorBoxError as error:
                if error.code != "ITEM_NOT_FOUND":
                    raise
                self._torrents.pop(remembered)  # removed from the account since: add it again
        wait = await self._adds.acquire(key.key)
        if wait is not None:
            raise Limited(
                f"this TorBox key has used its adds for now (TorBox allows 60 an hour); try again in "
                f"{max(1, round(wait / 60))} min",
            )
        magnet = f"magnet:?xt=urn:btih:{request.info_hash}"
        added = await self.torbox.add_torrent(key.key, request.info_hash, magnet)
        if added.torrent_id is None:
            raise Conflict("not cached yet: TorBox queued it behind your other downloads; try again later")
        self._torrents.set(remembered, added.torrent_id)
        await self._shared_torrents.put(shared_name(remembered), added.torrent_id)
        return await self.torbox.torrent(key.key, added.torrent_id)

    async def _file_id(self, torrent: AccountTorrent, request: PlayRequest) -> int:
        files = [TorrentFile(f.id, path_in_torrent(f.name), f.size) for f in torrent.files]
        if request.file_name:
            named = [f for f in files if f.name == request.file_name]
            if len(named) == 1:
                return named[0].index
        parsed = await self.parser.parse([f.name for f in files])
        pack = (await self.parser.parse([torrent.name or request.info_hash]))[0]
        chosen = pick_file(files, parsed, request.media, pack.seasons)
        if chosen is None:
            raise NotFound("this torrent holds no file for that film or episode")
        return chosen.index

    async def _open_session(self, key: UserKey, request: PlayRequest) -> str | None:
        """A concurrency session for this play. A device plays one thing at a time, so its previous session
        ends first (a redirect does not tell us when playing stops; the pool closes forgotten ones)."""
        held = self._sessions.get(key.device_id)
        await self._close_session(key.device_id, held[0] if held else None)
        start = StreamStart(
            user_id=key.user_id or "",
            pool_key_id=key.pool_key_id or "",
            device_id=key.device_id,
            hash=request.info_hash,
        )
        try:
            reply = await self.bus.request(POOL_STREAM_START, start, timeout=self.keys.timeout)
        except (BusUnavailable, BusError) as error:
            log.warning("stream session not opened", error=type(error).__name__)
            return None  # the cap is the pool's to enforce; its absence does not stop a film
        if not reply.allowed:
            raise Limited(reply.message or "too many streams on this key right now")
        if reply.session_id:
            self._sessions.set(key.device_id, (reply.session_id, request.info_hash))
        return reply.session_id

    async def _close_session(self, device_id: str, session_id: str | None) -> None:
        if session_id is None:
            return
        held = self._sessions.get(device_id)
        if held is not None and held[0] == session_id:
            self._sessions.pop(device_id)
        try:
            await self.bus.request(POOL_STREAM_END, StreamEnd(session_id=session_id), timeout=self.keys.timeout)
        except (BusUnavailable, BusError) as error:
            log.warning("stream session not closed; the pool's sweep will", error=type(error).__name__)

    async def _usage(self, key: UserKey, request: PlayRequest, cached: bool) -> None:
        if not key.from_pool:
            return
        event = UsageEvent(
            user_id=key.user_id or "",
            pool_key_id=key.pool_key_id or "",
            device_id=key.device_id,
            action="play",
            hash=request.info_hash,
            cached=cached,
            imdb_id=request.media.imdb_id,
            stream_type="series" if request.media.is_episode else "movie",
        )
        try:
            await self.emit(POOL_USAGE, event)
        except Exception as error:  # the outbox (or JetStream) down: the film still plays
            log.warning("pool.usage not published", error=type(error).__name__)


def shared_name(slot: tuple) -> str:
    """A slot's name in a shared bucket: a digest, since file names hold what NATS keys cannot (and two names
    made safe by replacing characters could meet)."""
    return hashlib.sha256(repr(slot).encode()).hexdigest()[:40]
