"""A fake Prowlarr (API v1), faithful to ../shared/reference/apis_anchors.md §A.

- Auth: `apikey` query parameter, `X-Api-Key` header or `Authorization: Bearer`; otherwise 401.
- `GET /api/v1/indexer`, `/api/v1/indexerstats`, `/api/v1/indexerstatus` (only blocked indexers).
- `GET /api/v1/search`: ids inside `query` (`{ImdbId:tt…}`, `{Season:N}`, `{Episode:N}`) for `movie` and
  `tvsearch`, `indexerIds` repeated; releases with `infoHash`, `magnetUrl` and a proxied `downloadUrl`
  (`/{indexerId}/download?apikey=…&link=…`) that answers 301 to the magnet, or the .torrent itself.
  All selected indexers blocked: 400. Any indexer failure is left out of the answer (200).
- An indexer whose capabilities do not list the id a query carries (`imdbId` in `movieSearchParams` /
  `tvSearchParams`) is skipped outright — not asked, not counted, nothing found — as Prowlarr's
  `src/NzbDrone.Core/Indexers/HttpIndexerBase.cs` `Fetch` does ("Movie search skipped due to unsupported
  capabilities used"); season and episode never skip one.
- Download links as Prowlarr's `src/Prowlarr.Api.V1/Indexers/NewznabController.cs` answers them: a usenet
  release, or a torrent release of an indexer in "Redirect" mode, is a 301 to the indexer's own URL (served
  here under `/site/`), where the NZB or .torrent is; `fileName` ends in `.nzb` / `.torrent`.
- Per indexer: latency, failure, and a catalogue of releases; queries counted for `indexerstats`.
- `GET /api/v1/history` as `src/Prowlarr.Api.V1/History/HistoryController.cs` pages it (`page`, `pageSize`,
  `sortKey` date, `sortDirection`, newest first by default; `eventType` repeated as numbers — 1
  releaseGrabbed, 2 indexerQuery, 3 indexerRss, 4 indexerAuth —, `successful`, `indexerIds`): `{page, pageSize,
  sortKey, sortDirection, totalRecords, records: [{id, indexerId, date, downloadId, successful, eventType,
  data}]}`, `data` a map of strings as `src/NzbDrone.Core/History/HistoryService.cs` fills it (queries:
  `elapsedTime`, `query`, `queryType`, `categories`, `source`, `queryResults` — null when unknown — and
  the ids; grabs: `source`, `grabMethod`, `title`). A search through `/api/v1/search` is written with source
  `Prowlarr` (its own API); `record_query` / `record_grab` write what Sonarr or Radarr did through Torznab.
- `broken`: every call answers 500; `garbage`: 200 with HTML.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import msgspec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

_TOKEN = re.compile(r"\{(\w+):([^}]*)\}")


@dataclass
class Release:
    title: str
    info_hash: str
    size: int
    seeders: int
    imdb_id: int = 0  # Prowlarr's form: the number, no "tt"
    season: int | None = None
    episode: int | None = None
    torrent: bytes | None = None  # served by the download link instead of a magnet when set
    nzb: bytes | None = None  # a usenet release: the download link serves this NZB
    with_info_hash: bool = True


@dataclass
class Indexer:
    id: int
    name: str
    protocol: str = "torrent"
    privacy: str = "public"
    priority: int = 25
    enable: bool = True
    movie_imdb: bool = True
    tv_imdb: bool = True
    latency: float = 0.0
    fail_with: int | None = None  # an HTTP status: the indexer's searches fail
    disabled_till: datetime | None = None
    releases: list[Release] = field(default_factory=list)
    queries: int = 0
    failed_queries: int = 0
    grabs: int = 0
    redirect: bool = False  # Prowlarr's "Redirect" setting: the download link sends the client to the indexer


def _json(data: Any, status: int = 200) -> Response:
    return Response(msgspec.json.encode(data), status, media_type="application/json")


class FakeProwlarr:
    def __init__(self, api_key: str = "prowlarr-test-key") -> None:
        self.api_key = api_key
        self.indexers: dict[int, Indexer] = {}
        self.broken = False
        self.garbage = False
        self.base_url = "http://prowlarr.invalid"
        self.searches: list[dict[str, Any]] = []
        self.history: list[dict[str, Any]] = []  # oldest first, ids increasing, as Prowlarr's table
        self.app = Starlette(
            routes=[
                Route("/api/v1/history", self.list_history),
                Route("/api/v1/indexer", self.list_indexers),
                Route("/api/v1/indexerstats", self.indexer_stats),
                Route("/api/v1/indexerstatus", self.indexer_status),
                Route("/api/v1/search", self.search),
                Route("/{indexer:int}/download", self.download),
                Route("/site/{indexer:int}/{file}", self.indexer_site),
                Route("/ping", lambda request: _json({"status": "OK"})),
            ]
        )

    _EVENT_TYPES = {"releaseGrabbed": 1, "indexerQuery": 2, "indexerRss": 3, "indexerAuth": 4}

    def _history(self, indexer_id: int, event_type: str, successful: bool, data: dict[str, str | None]) -> dict:
        record = {
            "id": len(self.history) + 1, "indexerId": indexer_id,
            "date": datetime.now(UTC).isoformat().replace("+00:00", "Z"), "downloadId": None,
            "successful": successful, "eventType": event_type, "data": data,
        }  # fmt: skip
        self.history.append(record)
        return record

    def record_query(
        self, indexer_id: int, source: str, elapsed_ms: int, results: int | None = 10, successful: bool = True,
        query: str = "", imdb_id: str = "",
    ) -> dict:  # fmt: skip
        """A search an application made through the indexer's Torznab feed (Sonarr: source `Sonarr`)."""
        data = {
            "imdbId": imdb_id, "tmdbId": "", "traktId": "", "elapsedTime": str(elapsed_ms), "query": query,
            "queryType": "movie" if imdb_id else "search", "categories": "2000,5000", "source": source,
            "queryResults": None if results is None else str(results),
        }  # fmt: skip
        return self._history(indexer_id, "indexerQuery", successful, data)

    def record_grab(self, indexer_id: int, source: str, title: str, successful: bool = True) -> dict:
        data = {"source": source, "grabMethod": "Proxy", "title": title}
        return self._history(indexer_id, "releaseGrabbed", successful, data)

    async def list_history(self, request: Request) -> Response:
        if denied := self._denied(request):
            return denied
        params = request.query_params
        try:
            page = max(1, int(params.get("page", "1")))
            size = max(1, int(params.get("pageSize", "10")))
            types = {int(v) for v in params.getlist("eventType")}
            indexers = {int(v) for v in params.getlist("indexerIds")}
        except ValueError:
            return _json({"message": "The value is not valid."}, 400)
        ascending = params.get("sortDirection", "descending").lower() in ("ascending", "asc")
        successful = params.get("successful")
        found = [
            r for r in self.history
            if (not types or self._EVENT_TYPES[r["eventType"]] in types)
            and (not indexers or r["indexerId"] in indexers)
            and (successful is None or r["successful"] == (successful.lower() == "true"))
        ]  # fmt: skip
        ordered = found if ascending else list(reversed(found))
        return _json({
            "page": page, "pageSize": size, "sortKey": "date",
            "sortDirection": "ascending" if ascending else "descending", "totalRecords": len(found),
            "records": ordered[(page - 1) * size : page * size],
        })  # fmt: skip

    def add_indexer(self, indexer_id: int, name: str, **fields: Any) -> Indexer:
        indexer = Indexer(indexer_id, name, **fields)
        self.indexers[indexer_id] = indexer
        return indexer

    def _denied(self, request: Request) -> Response | None:
        given = (
            request.query_params.get("apikey")
            or request.headers.get("x-api-key")
            or request.headers.get("authorization", "").removeprefix("Bearer ")
        )
        if given != self.api_key:
            return Response(b"", 401)
        if self.broken:
            return _json({"message": "Database is locked", "description": "SQLite error"}, 500)
        if self.garbage:
            return Response(b"<html>oops</html>", 200, media_type="text/html")
        return None

    async def list_indexers(self, request: Request) -> Response:
        if denied := self._denied(request):
            return denied

        def params(imdb: bool) -> list[str]:
            return ["q", "imdbId", "season", "ep"] if imdb else ["q", "season", "ep"]

        return _json(
            [
                {
                    "id": i.id,
                    "name": i.name,
                    "enable": i.enable,
                    "protocol": i.protocol,
                    "privacy": i.privacy,
                    "priority": i.priority,
                    "implementation": "Cardigann",
                    "definitionName": i.name.lower(),
                    "description": f"{i.name} is a fake indexer",
                    "language": "en-US",
                    "supportsSearch": True,
                    "capabilities": {
                        "movieSearchParams": ["q", "imdbId"] if i.movie_imdb else ["q"],
                        "tvSearchParams": params(i.tv_imdb),
                        "searchParams": ["q"],
                    },
                }
                for i in self.indexers.values()
            ]
        )

    async def indexer_stats(self, request: Request) -> Response:
        if denied := self._denied(request):
            return denied
        return _json(
            {
                "id": 0,
                "indexers": [
                    {
                        "indexerId": i.id,
                        "indexerName": i.name,
                        "averageResponseTime": int(i.latency * 1000),
                        "averageGrabResponseTime": 120,
                        "numberOfQueries": i.queries,
                        "numberOfGrabs": i.grabs,
                        "numberOfRssQueries": 0,
                        "numberOfAuthQueries": 0,
                        "numberOfFailedQueries": i.failed_queries,
                        "numberOfFailedGrabs": 0,
                        "numberOfFailedRssQueries": 0,
                        "numberOfFailedAuthQueries": 0,
                    }
                    for i in self.indexers.values()
                    if i.queries or i.grabs  # indexers without history are absent, as in Prowlarr
                ],
                "userAgents": [],
                "hosts": [],
            }
        )

    async def indexer_status(self, request: Request) -> Response:
        if denied := self._denied(request):
            return denied
        now = datetime.now(UTC)
        return _json(
            [
                {
                    "id": n,
                    "indexerId": i.id,
                    "disabledTill": i.disabled_till.isoformat().replace("+00:00", "Z"),
                    "mostRecentFailure": now.isoformat().replace("+00:00", "Z"),
                    "initialFailure": now.isoformat().replace("+00:00", "Z"),
                }
                for n, i in enumerate(self.indexers.values(), 1)
                if i.disabled_till is not None and i.disabled_till > now
            ]
        )

    async def search(self, request: Request) -> Response:
        if denied := self._denied(request):
            return denied
        params = request.query_params
        query, kind = params.get("query", ""), params.get("type", "search")
        tokens = {k.lower(): v for k, v in _TOKEN.findall(query)} if kind in ("movie", "tvsearch") else {}
        wanted = [int(v) for v in params.getlist("indexerIds") if v.lstrip("-").isdigit()]
        now = datetime.now(UTC)
        selected = [i for i in self.indexers.values() if not wanted or i.id in wanted]
        available = [i for i in selected if i.enable and not (i.disabled_till and i.disabled_till > now)]
        self.searches.append({"query": query, "type": kind, "indexerIds": wanted})
        if wanted and not available:
            return _json({"message": "Search failed due to all selected indexers being unavailable"}, 400)
        results: list[dict[str, Any]] = []
        for indexer in available:
            if "imdbid" in tokens and not (indexer.tv_imdb if kind == "tvsearch" else indexer.movie_imdb):
                continue  # skipped by Prowlarr: an id it cannot search by
            indexer.queries += 1
            if indexer.latency:
                await asyncio.sleep(indexer.latency)
            if indexer.fail_with is not None:
                indexer.failed_queries += 1
                self.record_query(indexer.id, "Prowlarr", int(indexer.latency * 1000), None, False, query)
                continue  # Prowlarr logs it and answers with what the others found
            found = [self._release(indexer, r) for r in indexer.releases if self._matches(r, tokens, kind, query)]
            self.record_query(indexer.id, "Prowlarr", int(indexer.latency * 1000), len(found), True, query)
            results += found
        return _json(results)

    @staticmethod
    def _matches(release: Release, tokens: dict[str, str], kind: str, query: str) -> bool:
        if "imdbid" in tokens:
            number = tokens["imdbid"].lower().removeprefix("tt")
            if not number.isdigit() or int(number) != release.imdb_id:
                return False
        if kind == "tvsearch":
            if "season" in tokens and release.season is not None and int(tokens["season"]) != release.season:
                return False
            if "episode" in tokens and release.episode is not None and int(tokens["episode"]) != release.episode:
                return False
        text = _TOKEN.sub("", query).strip().lower()
        return not text or all(word in release.title.lower() for word in text.split())

    def _release(self, indexer: Indexer, release: Release) -> dict[str, Any]:
        link = quote(release.info_hash)
        download = (
            f"{self.base_url}/{indexer.id}/download?apikey={self.api_key}&link={link}&file={quote(release.title)}"
        )
        item: dict[str, Any] = {
            "guid": f"{indexer.name}-{release.info_hash}",
            "age": 3,
            "size": release.size,
            "indexerId": indexer.id,
            "indexer": indexer.name,
            "title": release.title,
            "imdbId": release.imdb_id,
            "publishDate": "2026-11-18T10:00:00Z",
            "downloadUrl": download,
            "magnetUrl": download if release.torrent is None and release.nzb is None else None,
            "infoUrl": f"https://{indexer.name.lower()}.example/t/{release.info_hash[:8]}",
            "categories": [{"id": 2000 if release.season is None else 5000, "name": "Movies"}],
            "seeders": release.seeders,
            "leechers": 2,
            "protocol": indexer.protocol,
            "fileName": release.title + (".nzb" if indexer.protocol == "usenet" else ".torrent"),
        }
        if release.with_info_hash:
            item["infoHash"] = release.info_hash.upper()
        return {k: v for k, v in item.items() if v is not None}  # nulls are left out, as Prowlarr does

    async def indexer_site(self, request: Request) -> Response:
        """The indexer's own download URL a redirect leads to."""
        indexer = self.indexers.get(request.path_params["indexer"])
        name, _, ending = request.path_params["file"].rpartition(".")
        release = next((r for r in (indexer.releases if indexer else []) if r.info_hash == name), None)
        body = None if release is None else (release.nzb if ending == "nzb" else release.torrent)
        if body is None:
            return PlainTextResponse("Not found", 404)
        kind = "application/x-nzb" if ending == "nzb" else "application/x-bittorrent"
        return Response(body, 200, media_type=kind)

    async def download(self, request: Request) -> Response:
        if request.query_params.get("apikey") != self.api_key:
            return Response(b"", 401)
        indexer = self.indexers.get(request.path_params["indexer"])
        link = request.query_params.get("link", "")
        release = next((r for r in (indexer.releases if indexer else []) if r.info_hash == link), None)
        if release is None:
            return PlainTextResponse("Not found", 404)
        indexer.grabs += 1
        if release.nzb is not None or (indexer.redirect and release.torrent is not None):
            ending = "nzb" if release.nzb is not None else "torrent"
            return RedirectResponse(f"{self.base_url}/site/{indexer.id}/{release.info_hash}.{ending}", 301)
        if release.torrent is not None:
            return Response(release.torrent, 200, media_type="application/x-bittorrent")
        magnet = f"magnet:?xt=urn:btih:{release.info_hash}&dn={quote(release.title)}"
        return RedirectResponse(magnet, 301)
