"""notifier's HTTP bodies (SPEC §6): the integrations document (Jellyfin, Emby, path mappings, coalescing)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import UNSET, Meta, UnsetType

from .base import Body, View

Url = Annotated[str, Meta(max_length=500, pattern=r"^(https?://[^\s/]+(/[^\s]*)?)?$")]
ApiKey = Annotated[str, Meta(max_length=256, pattern=r"^[^\s]*$")]
MappedPath = Annotated[str, Meta(min_length=1, max_length=1000, pattern=r"^/")]
CoalesceSeconds = Annotated[float, Meta(ge=0, le=3600)]


class MediaServer(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    enabled: bool = False
    url: Url = ""
    api_key: ApiKey = ""  # stored encrypted; shown masked


class MediaServerPatch(Body):
    enabled: bool | UnsetType = UNSET
    url: Url | UnsetType = UNSET
    api_key: ApiKey | UnsetType = UNSET  # the mask itself keeps the stored key


class PathMapping(msgspec.Struct, forbid_unknown_fields=True):
    """`from` (where qbt-shim or a client wrote the file) → `to` (the same folder as the server sees it)."""

    from_: MappedPath = msgspec.field(name="from")
    to: MappedPath = "/"


class Integrations(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    jellyfin: MediaServer = msgspec.field(default_factory=MediaServer)
    emby: MediaServer = msgspec.field(default_factory=MediaServer)
    path_mappings: Annotated[list[PathMapping], Meta(max_length=50)] = []
    coalesce_seconds: CoalesceSeconds = 30.0


class IntegrationsPatch(Body):
    """Only what is present changes; a media server's fields one by one."""

    jellyfin: MediaServerPatch | UnsetType = UNSET
    emby: MediaServerPatch | UnsetType = UNSET
    path_mappings: Annotated[list[PathMapping], Meta(max_length=50)] | UnsetType = UNSET
    coalesce_seconds: CoalesceSeconds | UnsetType = UNSET


class ConnectionTest(View, omit_defaults=True):
    ok: bool
    error: str | None = None
    server_name: str | None = None
    version: str | None = None
