"""notifier's HTTP bodies: the integrations document (Jellyfin, Emby, path mappings, coalescing)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from .base import Body, View

Url = Annotated[str, Meta(max_length=500, pattern=r"^(https?://[^\s/]+(/[^\s]*)?)?$")]
ApiKey = Annotated[str, Meta(max_length=256, pattern=r"^[^\s]*$")]
MappedPath = Annotated[str, Meta(min_length=1, max_length=1000, pattern=r"^/")]
CoalesceSeconds = Annotated[float, Meta(ge=0, le=3600)]
# when the media servers are told: a download finishing (its download-folder paths), Sonarr or Radarr
# importing it (its library paths, by their webhook), or both
RefreshOn = Literal["download", "import", "both"]


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


AlertTargetType = Literal["ntfy", "discord", "webhook"]
TargetName = Annotated[str, Meta(min_length=1, max_length=50, pattern=r"^[\w .-]+$")]
QuietMinutes = Annotated[int, Meta(ge=0, le=1440)]


class AlertTarget(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    """Where alerts go: an ntfy topic URL (and its access token, if the topic is protected), a Discord webhook
    URL, or any URL that takes a JSON POST. The URL is a secret (a Discord webhook's holds its token; an
    ntfy topic is its own password): stored encrypted, shown masked; sending the mask back keeps it."""

    name: TargetName
    type: AlertTargetType
    url: Annotated[str, Meta(max_length=2000)]  # as stored: encrypted (AlertTargetInput checks its form)
    token: Annotated[str, Meta(max_length=2000)] = ""
    enabled: bool = True


class AlertTargetInput(AlertTarget, forbid_unknown_fields=True):
    url: Annotated[str, Meta(min_length=1, max_length=500, pattern=r"^https?://[^\s/]+(/[^\s]*)?$")]
    token: ApiKey = ""
    enabled: bool = True


class Integrations(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    jellyfin: MediaServer = msgspec.field(default_factory=MediaServer)
    emby: MediaServer = msgspec.field(default_factory=MediaServer)
    path_mappings: Annotated[list[PathMapping], Meta(max_length=50)] = []
    coalesce_seconds: CoalesceSeconds = 30.0
    refresh_on: RefreshOn = "both"
    alert_targets: Annotated[list[AlertTarget], Meta(max_length=10)] = []
    alert_quiet_minutes: QuietMinutes = 15  # one alert per subject at most so often


class IntegrationsPatch(Body):
    """Only what is present changes; a media server's fields one by one."""

    jellyfin: MediaServerPatch | UnsetType = UNSET
    emby: MediaServerPatch | UnsetType = UNSET
    path_mappings: Annotated[list[PathMapping], Meta(max_length=50)] | UnsetType = UNSET
    coalesce_seconds: CoalesceSeconds | UnsetType = UNSET
    refresh_on: RefreshOn | UnsetType = UNSET
    alert_targets: Annotated[list[AlertTargetInput], Meta(max_length=10)] | UnsetType = UNSET  # the whole list
    alert_quiet_minutes: QuietMinutes | UnsetType = UNSET


class HookEvent(View):
    """The last event a Sonarr or Radarr webhook brought."""

    event_type: str
    instance_name: str | None
    title: str | None
    paths: int  # library paths it queued for the media servers
    handled: bool  # an event type the notifier acts on (or a Test)
    received_at: datetime


class ArrHook(View):
    path: str  # where Sonarr or Radarr posts, below the address they reach Chillproxy at
    last_event: HookEvent | None


class ArrHooks(View):
    """What to paste into Sonarr's and Radarr's Settings → Connect → Webhook."""

    token: str  # `?token=` in the URL, or the password of the webhook's Basic login
    sonarr: ArrHook
    radarr: ArrHook


class AlertDelivery(View):
    target: str
    sent_at: datetime | None
    attempts: int
    next_try_at: datetime | None  # while it is still to be sent
    last_error: str | None


class SentAlert(View):
    subject: str
    state: str
    title: str
    message: str
    source: str
    accepted_at: datetime
    deliveries: list[AlertDelivery]


class AlertsView(View):
    """The last alerts and how each target took them (a failing target shows its error here)."""

    recent: list[SentAlert]


class AlertTest(Body):
    target: TargetName


class ConnectionTest(View, omit_defaults=True):
    ok: bool
    error: str | None = None
    server_name: str | None = None
    version: str | None = None


ClientType = Literal["sabnzbd", "qbittorrent", "transmission", "nzbget"]
Host = Annotated[str, Meta(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9._\-\[\]:]+$")]
Port = Annotated[int, Meta(ge=1, le=65535)]
Name = Annotated[str, Meta(min_length=1, max_length=100)]
Secret = Annotated[str, Meta(max_length=256)]
Category = Annotated[str, Meta(max_length=100)]
ClientPriority = Annotated[int, Meta(ge=-100, le=100)]


class ClientCreate(Body):
    type: ClientType
    name: Name
    host: Host
    port: Port
    use_ssl: bool = False
    api_key: Secret | None = None
    username: Secret | None = None
    password: Secret | None = None
    category: Category | None = None
    enabled: bool = True
    priority: ClientPriority = 0


class ClientPatch(Body):
    name: Name | UnsetType = UNSET
    host: Host | UnsetType = UNSET
    port: Port | UnsetType = UNSET
    use_ssl: bool | UnsetType = UNSET
    api_key: Secret | UnsetType | None = UNSET  # the mask keeps the stored one
    username: Secret | UnsetType | None = UNSET
    password: Secret | UnsetType | None = UNSET
    category: Category | UnsetType | None = UNSET
    enabled: bool | UnsetType = UNSET
    priority: ClientPriority | UnsetType = UNSET


class ClientView(View):
    id: str
    type: ClientType
    name: str
    host: str
    port: int
    use_ssl: bool
    api_key: str | None  # masked
    username: str | None
    password: str | None  # masked
    category: str | None
    enabled: bool
    priority: int
    last_error: str | None
    last_checked_at: datetime | None


class DownloadCreate(Body):
    """A download already in a client, to track: by the client's own id (hash, nzo_id, NZBID) or title."""

    client_id: Annotated[str, Meta(min_length=1, max_length=64)]
    client_download_id: Annotated[str, Meta(min_length=1, max_length=200)] | None = None
    title: Annotated[str, Meta(min_length=1, max_length=500)] | None = None


class DownloadView(View):
    id: str
    client_id: str
    client_type: ClientType
    client_download_id: str | None
    title: str | None
    state: str
    progress: float
    speed_bytes: int
    eta_seconds: int | None
    final_path: str | None
    error: str | None
    created_at: datetime
    updated_at: datetime


class GrabRequest(Body):
    """A Prowlarr search result to download with one of the clients: its `downloadUrl` is fetched here (a
    redirect to a magnet is read, never followed), so the client's own id of it is known at once."""

    client_id: Annotated[str, Meta(min_length=1, max_length=64)]
    guid: Annotated[str, Meta(min_length=1, max_length=2000)]
    indexer_id: Annotated[int, Meta(ge=1)]
    download_url: Annotated[str, Meta(min_length=1, max_length=4000, pattern=r"^https?://")]
    title: Annotated[str, Meta(min_length=1, max_length=500)]
