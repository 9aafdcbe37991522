"""A film's or episode's stream list: a key for the user, the releases (searched or remembered), TorBox's
cache status, the right file in each cached torrent, then ranking and the user's filters."""

from __future__ import annotations

from dataclasses import dataclass

from libs.cache import BoundedCache
from libs.prowlarr import ProwlarrError
from libs.schemas.stremio import AddonConfig, FoundRelease, Stream
from libs.telemetry import get_logger
from libs.torbox import TorBoxError, path_in_torrent

from .availability import AvailabilityChecker, Known
from .client import Client
from .files import TorrentFile, pick_file
from .finder import NotConfigured, ReleaseFinder, media_key
from .keys import KeyRefused, KeySource, UserKey
from .media_id import MediaId
from .parsing import TitleParser
from .ranking import Candidate, rank
from .render import message_entry, stream_entry

log = get_logger(__name__)


@dataclass(frozen=True)
class StreamList:
    streams: list[Stream]
    found: bool  # False when the list is only a message: Stremio should ask again soon
    complete: bool = False  # everything was known: the list may be reused for a few seconds


def torbox_trouble(error: TorBoxError) -> str:
    if error.kind == "unauthorized":
        return "TorBox refused the key (401): check the token in the add-on's configuration"
    if error.kind == "rate_limited":
        return "TorBox is rate-limiting this key right now; try again in a minute"
    if error.kind == "forbidden":
        return "TorBox refused the request for this account (403)"
    return "TorBox is not answering properly right now; try again in a minute"


class StreamService:
    def __init__(
        self,
        keys: KeySource,
        finder: ReleaseFinder,
        availability: AvailabilityChecker,
        parser: TitleParser,
        memo_seconds: float = 30.0,
    ) -> None:
        self.keys = keys
        self.finder = finder
        self.availability = availability
        self.parser = parser
        self.memo_seconds = memo_seconds
        # finished lists for a few seconds: a warm answer is a dictionary lookup, not two KV reads and a ranking
        self._memo: BoundedCache[tuple[str, MediaId, str], StreamList] = BoundedCache(10_000, memo_seconds)

    async def streams(self, config: AddonConfig, raw: str, media: MediaId, client: Client, base: str) -> StreamList:
        """`raw`: the configuration as the links in the list carry it."""
        try:
            key = await self.keys.key_for(config, client, "search")  # every time: the pool decides per device
        except KeyRefused as refusal:
            return StreamList([message_entry(str(refusal), base, raw)], found=False)
        slot = (raw, media, base)
        remembered = self._memo.get(slot)
        if remembered is not None:
            return remembered
        listed = await self._list(key, config, raw, media, base)
        if listed.complete:
            self._memo.set(slot, listed)
        return listed

    async def _list(self, key: UserKey, config: AddonConfig, raw: str, media: MediaId, base: str) -> StreamList:
        try:
            found = await self.finder.releases(media)
        except NotConfigured as missing:
            return StreamList([message_entry(str(missing), base, raw)], found=False)
        except ProwlarrError as error:  # Prowlarr itself down or refusing: said, not a 500
            log.warning("search failed", kind=error.kind)
            return StreamList([message_entry(f"{error}; try again in a minute", base, raw)], found=False)
        if not found:
            return StreamList([message_entry("no results for this title on your indexers", base, raw)], False)
        try:
            known = await self.availability.check(key.key, media_key(media), [f.hash for f in found])
        except TorBoxError as error:
            await self.keys.report_failure(key, error)
            if error.kind == "unauthorized":
                return StreamList([message_entry(torbox_trouble(error), base, raw)], found=False)
            known = {}  # shown as not cached; TorBox's trouble is said in the first entry
            log.warning("cache check failed", kind=error.kind)
        candidates = await self.candidates(found, known, media)
        ranked = rank(candidates, config.filters)
        streams = [stream_entry(c, media, base, raw) for c in ranked]
        complete = len(known) == len(found)
        if not complete:
            trouble = "TorBox did not say which of these are cached; try again in a minute"
            streams.insert(0, message_entry(trouble, base, raw))
        if not streams:
            streams = [message_entry("nothing left after your filters; loosen them on the configure page", base, raw)]
        # a list some indexers have not answered yet is not kept: the next request gets theirs too
        return StreamList(streams, found=bool(ranked), complete=complete and not self.finder.settling(media))

    async def candidates(self, found: list[FoundRelease], known: Known, media: MediaId) -> list[Candidate]:
        """A cached torrent becomes a candidate only if it holds the asked film or episode (its file chosen
        now, from TorBox's file list); one not cached yet is offered on the strength of its title."""
        parsed = await self.parser.parse([f.title for f in found])
        listed: dict[str, list[TorrentFile]] = {
            h: [TorrentFile(i, path_in_torrent(f.name), f.size) for i, f in enumerate(files)]
            for h, files in known.items()
            if files is not None
        }
        names = await self.parser.parse([file.name for files in listed.values() for file in files])
        by_name = {p.raw: p for p in names}
        out: list[Candidate] = []
        for release, release_parse in zip(found, parsed, strict=True):
            files = listed.get(release.hash)
            if files is None:
                out.append(Candidate(release, release_parse, cached=False, file=None))
                continue
            chosen = pick_file(files, [by_name[f.name] for f in files], media, release_parse.seasons)
            if chosen is not None:
                out.append(Candidate(release, release_parse, cached=True, file=chosen))
        return out
