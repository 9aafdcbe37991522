"""What Sonarr (v4) and Radarr (v5) post to a webhook (Settings → Connect → Webhook), as far as the notifier
reads it: where the files of a series or film are, and which of them appeared, moved or went.

From their source (`src/NzbDrone.Core/Notifications/Webhook/`): `WebhookBase.Build*Payload`, `WebhookSeries`,
`WebhookEpisodeFile` (`path` = the series' path joined with `relativePath`), `WebhookRenamedEpisodeFile`
(`previousPath`), `WebhookImportCompletePayload` (`episodeFiles`), `WebhookMovie` (`folderPath`),
`WebhookMovieFile`, `WebhookRenamedMovieFile`, `WebhookSeriesDeletePayload` / `WebhookMovieDeletePayload`
(`deletedFiles`: whether the folder went too). Serialised by `NzbDrone.Common.Serializer.Json`: camelCase
properties, nulls left out, the event type PascalCase (`"Download"`). Every other field is ignored.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

Path = Annotated[str, Meta(max_length=4096)]


class _Payload(msgspec.Struct, rename="camel"):
    pass


class EventType(_Payload):
    event_type: Annotated[str, Meta(min_length=1, max_length=100)]
    instance_name: Annotated[str, Meta(max_length=200)] | None = None


class ArrFile(_Payload):
    """An episode file (Sonarr) or a film's file (Radarr); a renamed one says where it was."""

    relative_path: Path | None = None
    path: Path | None = None
    previous_path: Path | None = None


Files = Annotated[list[ArrFile], Meta(max_length=10_000)]


class Series(_Payload):
    title: Annotated[str, Meta(max_length=1000)] = ""
    path: Path = ""


class Movie(_Payload):
    title: Annotated[str, Meta(max_length=1000)] = ""
    folder_path: Path = ""


class SonarrEvent(_Payload):
    """`Download` (one file, or `episodeFiles` for a whole import), `Rename`, `EpisodeFileDelete`,
    `SeriesDelete`, `Test`: the fields each carries, all optional but the series."""

    event_type: str
    series: Series
    instance_name: str | None = None
    episode_file: ArrFile | None = None
    episode_files: Files = []
    deleted_files: Files | bool = []  # the old files of an upgrade; a SeriesDelete: whether they went
    renamed_episode_files: Files = []
    is_upgrade: bool = False


class RadarrEvent(_Payload):
    """`Download`, `Rename`, `MovieFileDelete`, `MovieDelete`, `Test`, as Sonarr's for one film."""

    event_type: str
    movie: Movie
    instance_name: str | None = None
    movie_file: ArrFile | None = None
    deleted_files: Files | bool = []
    renamed_movie_files: Files = []
    is_upgrade: bool = False
