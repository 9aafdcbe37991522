"""The Stremio add-on protocol's bodies (manifest, streams) and Chillproxy's add-on configuration."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from .torbox import CachedFile

Uuid = Annotated[
    str, Meta(pattern=r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")
]
Token = Annotated[str, Meta(min_length=8, max_length=256, pattern=r"^[A-Za-z0-9._:-]+$")]
Resolution = Literal["2160p", "1440p", "1080p", "720p", "576p", "480p", "360p", "unknown"]


class StoreConfig(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """One debrid store: `c` is the store code (`tb` = TorBox); `t` a token, `auth` a pool user's uuid."""

    c: Literal["tb"]
    t: Token | None = None
    auth: Uuid | None = None


Language = Annotated[str, Meta(min_length=2, max_length=3)]  # ISO 639-1 codes
# kinds of release a user can leave out: camcorder copies, telesyncs, screeners, 3D, burnt-in subtitles
Exclusion = Literal["cam", "telesync", "screener", "3d", "hardcoded"]
# best quality first; the smallest file first (cached first in every case); or the best resolution and
# source, the smaller file first among equals
SortPreset = Literal["quality", "smallest", "balanced"]


class Filters(msgspec.Struct, forbid_unknown_fields=True, rename="camel", omit_defaults=True):
    resolutions: list[Resolution] = []  # empty: every resolution
    max_size_gb: Annotated[float, Meta(gt=0, le=1000)] | None = None
    languages: list[Language] = []  # only these (empty: all)
    per_resolution: Annotated[int, Meta(ge=1, le=50)] = 5
    cached_only: bool = False
    exclude: list[Exclusion] = []
    exclude_keywords: Annotated[list[Annotated[str, Meta(min_length=1, max_length=40)]], Meta(max_length=20)] = []
    prefer_languages: list[Language] = []  # ranked first, the others kept
    sort: SortPreset = "quality"


class FoundRelease(msgspec.Struct, array_like=True):
    """A search result kept for a film or episode (NATS KV, shared by every user and instance)."""

    hash: str
    title: str
    size: int
    seeders: int
    indexer: str


class FoundReleases(msgspec.Struct):
    releases: list[FoundRelease]


class Availability(msgspec.Struct):
    """What TorBox said of each hash: its files when cached, None when not (NATS KV, global)."""

    torrents: dict[str, list[CachedFile] | None]


class AddonConfig(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """What the base64url JSON in the add-on's path says."""

    stores: Annotated[list[StoreConfig], Meta(min_length=1, max_length=1)]
    filters: Filters = msgspec.field(default_factory=Filters)


class ManifestResource(msgspec.Struct, rename="camel"):
    name: str
    types: list[str]
    id_prefixes: list[str]


class BehaviorHints(msgspec.Struct, rename="camel"):
    configurable: bool = True
    configuration_required: bool = False
    adult: bool = False
    p2p: bool = False


class Manifest(msgspec.Struct, rename="camel"):
    id: str
    version: str
    name: str
    description: str
    resources: list[ManifestResource]
    types: list[str]
    catalogs: list[dict]
    id_prefixes: list[str]
    behavior_hints: BehaviorHints
    logo: str | None = None


class StreamHints(msgspec.Struct, rename="camel", omit_defaults=True):
    binge_group: str | None = None
    filename: str | None = None
    video_size: int | None = None
    not_web_ready: bool | None = None


class Stream(msgspec.Struct, rename="camel", omit_defaults=True):
    name: str
    description: str
    url: str | None = None
    external_url: str | None = None
    behavior_hints: StreamHints | None = None


class Streams(msgspec.Struct, rename="camel", omit_defaults=True):
    streams: list[Stream]
    cache_max_age: int | None = None
    stale_revalidate: int | None = None
    stale_error: int | None = None
