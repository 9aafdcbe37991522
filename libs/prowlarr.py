"""A client for Prowlarr's API v1: the answers decoded once into Structs; every failure a `ProwlarrError`.

The API key travels in the `X-Api-Key` header, never in a URL this client builds (Prowlarr's own download
links carry it; they are not logged).
"""

from __future__ import annotations

from datetime import datetime

import httpx
import msgspec


class ProwlarrError(Exception):
    def __init__(self, kind: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind  # unauthorized | server_error | bad_response | unreachable | client_error
        self.status = status


class Capabilities(msgspec.Struct, rename="camel"):
    movie_search_params: list[str] = []
    tv_search_params: list[str] = []
    search_params: list[str] = []


class IndexerInfo(msgspec.Struct, rename="camel"):
    id: int
    name: str
    enable: bool = True
    protocol: str = "torrent"
    privacy: str | None = None
    priority: int = 25
    description: str | None = None
    language: str | None = None
    implementation: str | None = None
    capabilities: Capabilities = msgspec.field(default_factory=Capabilities)

    @property
    def supports_imdb(self) -> bool:
        return "imdbId" in self.capabilities.movie_search_params

    @property
    def supports_tv_imdb(self) -> bool:
        return "imdbId" in self.capabilities.tv_search_params


class IndexerCounters(msgspec.Struct, rename="camel"):
    indexer_id: int
    indexer_name: str = ""
    average_response_time: int = 0
    average_grab_response_time: int = 0
    number_of_queries: int = 0
    number_of_grabs: int = 0
    number_of_rss_queries: int = 0
    number_of_auth_queries: int = 0
    number_of_failed_queries: int = 0
    number_of_failed_grabs: int = 0


class IndexerStats(msgspec.Struct, rename="camel"):
    indexers: list[IndexerCounters] = []


class IndexerBlock(msgspec.Struct, rename="camel"):
    indexer_id: int
    disabled_till: datetime | None = None


class Release(msgspec.Struct, rename="camel"):
    """One search result (Prowlarr's ReleaseResource, the fields we read)."""

    title: str
    indexer_id: int
    guid: str = ""
    indexer: str = ""
    size: int = 0
    seeders: int | None = None
    leechers: int | None = None
    info_hash: str | None = None
    magnet_url: str | None = None
    download_url: str | None = None
    imdb_id: int = 0
    protocol: str = "torrent"


class HistoryRecord(msgspec.Struct, rename="camel"):
    """One row of Prowlarr's history (`HistoryResource`): `data` is a map of strings, as HistoryService wrote
    it (queries: elapsedTime, query, queryType, source, queryResults; grabs: source, grabMethod, title)."""

    id: int
    indexer_id: int
    date: datetime
    successful: bool
    event_type: str  # releaseGrabbed | indexerQuery | indexerRss | indexerAuth | indexerInfo
    data: dict[str, str | None] = {}


class HistoryPage(msgspec.Struct, rename="camel"):
    page: int
    page_size: int
    total_records: int
    records: list[HistoryRecord] = []


GRABBED, QUERIED = 1, 2  # Prowlarr's HistoryEventType numbers, as `eventType` filters take them


class ProwlarrClient:
    def __init__(self, http: httpx.AsyncClient, base_url: str, api_key: str, timeout: float = 10.0) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout

    async def get(self, path: str, into: type, params: dict | list | None = None, timeout: float | None = None):
        try:
            response = await self.http.get(
                f"{self.base_url}{path}",
                params=params,
                headers={"X-Api-Key": self.api_key},
                timeout=timeout or self.timeout,
            )
        except httpx.TimeoutException:
            raise ProwlarrError("unreachable", "Prowlarr did not answer in time") from None
        except httpx.TransportError as error:
            raise ProwlarrError("unreachable", f"Prowlarr cannot be reached ({type(error).__name__})") from None
        if response.status_code == 401:
            raise ProwlarrError("unauthorized", "Prowlarr refused the API key", 401)
        if response.status_code >= 500:
            raise ProwlarrError("server_error", f"Prowlarr failed ({response.status_code})", response.status_code)
        if response.status_code >= 400:
            raise ProwlarrError("client_error", f"Prowlarr answered {response.status_code}", response.status_code)
        try:
            return msgspec.json.decode(response.content, type=into)
        except msgspec.DecodeError:
            raise ProwlarrError("bad_response", "Prowlarr answered with something that is not its JSON") from None

    async def indexers(self) -> list[IndexerInfo]:
        return await self.get("/api/v1/indexer", list[IndexerInfo])

    async def indexer_stats(self) -> IndexerStats:
        return await self.get("/api/v1/indexerstats", IndexerStats)

    async def blocked(self) -> list[IndexerBlock]:
        return await self.get("/api/v1/indexerstatus", list[IndexerBlock])

    async def history(
        self, page: int, page_size: int, event_types: tuple[int, ...] = (GRABBED, QUERIED)
    ) -> HistoryPage:
        """`GET /api/v1/history`, newest first."""
        params = [("page", str(page)), ("pageSize", str(page_size)), ("sortKey", "date")]
        params += [("sortDirection", "descending"), *(("eventType", str(t)) for t in event_types)]
        return await self.get("/api/v1/history", HistoryPage, params=params)

    async def search(
        self, query: str, kind: str, indexer_ids: list[int], timeout: float, categories: tuple[int, ...] = ()
    ) -> list[Release]:
        """`GET /api/v1/search`: ids go inside `query` ({ImdbId:tt…}{Season:1}{Episode:2}), as Prowlarr wants."""
        params = [("query", query), ("type", kind)]
        params += [("indexerIds", str(i)) for i in indexer_ids]
        params += [("categories", str(c)) for c in categories]
        return await self.get("/api/v1/search", list[Release], params=params, timeout=timeout)
