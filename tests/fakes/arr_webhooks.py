"""Webhook bodies as Sonarr v4 and Radarr v5 post them (Settings → Connect → Webhook), built field by field
from their payload classes (`src/NzbDrone.Core/Notifications/Webhook/`):

- Sonarr `WebhookBase`: `BuildOnDownloadPayload` (`WebhookImportPayload`: series, episodes, episodeFile,
  release, isUpgrade, downloadClient, downloadClientType, downloadId, customFormatInfo, and `deletedFiles`
  — each with `path` = the series' path joined with its `relativePath` — only for an upgrade),
  `BuildOnRenamePayload` (`renamedEpisodeFiles`: `WebhookRenamedEpisodeFile` = an episode file plus
  `previousRelativePath`, `previousPath`), `BuildOnEpisodeFileDelete` (episodeFile, deleteReason),
  `BuildOnSeriesDelete` (`deletedFiles`: a bool), `BuildTestPayload` (series "Test Title" at `C:\\testpath`),
  and `WebhookImportCompletePayload` (`episodeFiles`, `sourcePath`, `destinationPath`).
- Radarr `WebhookBase`: the same for a film (`movie` with `folderPath`, `movieFile`, `renamedMovieFiles`,
  `MovieFileDelete`, `MovieDelete` with `deletedFiles` and `movieFolderSize`).
- Serialised by `NzbDrone.Common.Serializer.Json`: camelCase properties, nulls left out, enums camelCase
  except the event type (PascalCase: `WebhookEventType` carries its own converter), dates in UTC.
"""

from __future__ import annotations

from typing import Any

SERIES = {
    "id": 12, "title": "Severance", "titleSlug": "severance", "path": "/tv/Severance", "tvdbId": 371980,
    "tvMazeId": 44933, "tmdbId": 95396, "imdbId": "tt11280740", "type": "standard", "year": 2022,
    "genres": ["Drama", "Mystery"], "images": [], "tags": ["household"],
}  # fmt: skip
EPISODES = [{
    "id": 801, "episodeNumber": 3, "seasonNumber": 2, "title": "Who Is Alive?", "airDate": "2025-01-31",
    "airDateUtc": "2025-01-31T02:00:00Z", "seriesId": 12, "tvdbId": 10464563,
}]  # fmt: skip
MOVIE = {
    "id": 7, "title": "Heat", "year": 1995, "releaseDate": "1996-06-25", "folderPath": "/movies/Heat (1995)",
    "tmdbId": 949, "imdbId": "tt0113277", "overview": "Obsessive master thief…", "tags": [],
}  # fmt: skip
RELEASE = {
    "quality": "WEBDL-1080p", "qualityVersion": 1, "releaseGroup": "NTb", "releaseTitle": "x",
    "indexer": "Example (Prowlarr)", "size": 2_400_000_000, "customFormatScore": 0, "customFormats": [],
}  # fmt: skip


def _file(folder: str, relative: str, file_id: int = 5001, **extra: Any) -> dict[str, Any]:
    return {
        "id": file_id, "relativePath": relative, "path": f"{folder}/{relative}", "quality": "WEBDL-1080p",
        "qualityVersion": 1, "releaseGroup": "NTb", "sceneName": "Severance.S02E03.1080p.WEB.H264-NTb",
        "size": 2_400_000_000, "dateAdded": "2026-12-01T10:00:00Z", "languages": "English",
        "mediaInfo": {"audioChannels": 5.1, "audioCodec": "EAC3", "videoCodec": "h264", "height": 1080},
        **extra,
    }  # fmt: skip


def sonarr_download(relative: str = "Season 02/Severance - S02E03 - Who Is Alive.mkv", upgrade_of: str | None = None):
    body = {
        "eventType": "Download", "instanceName": "Sonarr", "applicationUrl": "",
        "series": SERIES, "episodes": EPISODES, "episodeFile": _file(SERIES["path"], relative),
        "release": RELEASE, "isUpgrade": upgrade_of is not None, "downloadClient": "Chillproxy",
        "downloadClientType": "qBittorrent", "downloadId": "A" * 40,
        "customFormatInfo": {"customFormats": [], "customFormatScore": 0},
    }  # fmt: skip
    if upgrade_of is not None:
        body["deletedFiles"] = [_file(SERIES["path"], upgrade_of, 4999, recycleBinPath="")]
    return body


def sonarr_import_complete(*relatives: str):
    return {
        "eventType": "ImportComplete", "instanceName": "Sonarr", "series": SERIES, "episodes": EPISODES,
        "episodeFiles": [_file(SERIES["path"], r, 6000 + n) for n, r in enumerate(relatives)],
        "downloadClient": "Chillproxy", "downloadClientType": "qBittorrent", "downloadId": "B" * 40,
        "release": RELEASE, "fileCount": len(relatives), "sourcePath": "/downloads/tv/Severance.S02",
        "destinationPath": "/tv/Severance/Season 02",
    }  # fmt: skip


def sonarr_rename(pairs: list[tuple[str, str]]):
    renamed = [
        _file(SERIES["path"], new, 7000 + n, previousRelativePath=old, previousPath=f"{SERIES['path']}/{old}")
        for n, (old, new) in enumerate(pairs)
    ]
    return {"eventType": "Rename", "instanceName": "Sonarr", "series": SERIES, "renamedEpisodeFiles": renamed}


def sonarr_episode_file_delete(relative: str):
    return {
        "eventType": "EpisodeFileDelete", "instanceName": "Sonarr", "series": SERIES, "episodes": EPISODES,
        "episodeFile": _file(SERIES["path"], relative), "deleteReason": "manual",
    }  # fmt: skip


def sonarr_series_delete(deleted_files: bool):
    return {"eventType": "SeriesDelete", "instanceName": "Sonarr", "series": SERIES, "deletedFiles": deleted_files}


def sonarr_test():
    return {
        "eventType": "Test", "instanceName": "Sonarr", "applicationUrl": "",
        "series": {"id": 1, "title": "Test Title", "path": "C:\\testpath", "tvdbId": 1234, "tags": ["test-tag"]},
        "episodes": [{"id": 123, "episodeNumber": 1, "seasonNumber": 1, "title": "Test title"}],
    }  # fmt: skip


def sonarr_grab():
    return {
        "eventType": "Grab", "instanceName": "Sonarr", "series": SERIES, "episodes": EPISODES, "release": RELEASE,
        "downloadClient": "Chillproxy", "downloadClientType": "qBittorrent", "downloadId": "C" * 40,
    }  # fmt: skip


def radarr_download(relative: str = "Heat (1995) Bluray-1080p.mkv", upgrade_of: str | None = None):
    body = {
        "eventType": "Download", "instanceName": "Radarr", "applicationUrl": "", "movie": MOVIE,
        "remoteMovie": {"tmdbId": 949, "imdbId": "tt0113277", "title": "Heat", "year": 1995},
        "movieFile": _file(MOVIE["folderPath"], relative, indexerFlags="0"), "release": RELEASE,
        "isUpgrade": upgrade_of is not None, "downloadClient": "Chillproxy", "downloadClientType": "qBittorrent",
        "downloadId": "D" * 40,
    }  # fmt: skip
    if upgrade_of is not None:
        body["deletedFiles"] = [_file(MOVIE["folderPath"], upgrade_of, 4998, recycleBinPath="")]
    return body


def radarr_rename(old: str, new: str):
    renamed = _file(MOVIE["folderPath"], new, previousRelativePath=old, previousPath=f"{MOVIE['folderPath']}/{old}")
    return {"eventType": "Rename", "instanceName": "Radarr", "movie": MOVIE, "renamedMovieFiles": [renamed]}


def radarr_movie_file_delete(relative: str):
    return {
        "eventType": "MovieFileDelete", "instanceName": "Radarr", "movie": MOVIE,
        "movieFile": _file(MOVIE["folderPath"], relative), "deleteReason": "upgrade",
    }  # fmt: skip


def radarr_movie_delete(deleted_files: bool):
    body = {"eventType": "MovieDelete", "instanceName": "Radarr", "movie": MOVIE, "deletedFiles": deleted_files}
    if deleted_files:
        body["movieFolderSize"] = 2_400_000_000
    return body


def radarr_test():
    return {
        "eventType": "Test", "instanceName": "Radarr", "applicationUrl": "",
        "movie": {"id": 1, "title": "Test Title", "year": 1970, "folderPath": "C:\\testpath",
                  "releaseDate": "1970-01-01", "tags": ["test-tag"]},
        "remoteMovie": {"tmdbId": 1234, "imdbId": "5678", "title": "Test title", "year": 1970},
        "release": {"indexer": "Test Indexer", "quality": "Test Quality", "qualityVersion": 1,
                    "releaseGroup": "Test Group", "releaseTitle": "Test Title", "size": 9999999},
    }  # fmt: skip
