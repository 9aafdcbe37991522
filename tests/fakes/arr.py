"""A fake Sonarr/Radarr queue API (v3): `GET /api/v3/queue` (paged, `X-Api-Key`) and
`DELETE /api/v3/queue/{id}?removeFromClient=&blocklist=` (404 for an unknown id, 401 for a wrong key).

As in Sonarr's `src/Sonarr.Api.V3/Queue/QueueController.cs` and Radarr's `src/Radarr.Api.V3/Queue/
QueueController.cs`, a download the app could not match to a series or film ("unknown") is listed only when
asked for with the app's own parameter: `includeUnknownSeriesItems` (Sonarr), `includeUnknownMovieItems`
(Radarr); the other's is ignored."""

from __future__ import annotations

import msgspec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


class FakeArr:
    def __init__(self, api_key: str = "arr-test-key", kind: str = "sonarr") -> None:
        self.api_key = api_key
        self.unknown_parameter = {"sonarr": "includeUnknownSeriesItems", "radarr": "includeUnknownMovieItems"}[kind]
        self.queue: list[dict] = []
        self.removed: list[dict] = []  # {"id", "downloadId", "removeFromClient", "blocklist"}
        self.down = False
        self.base_url = "http://arr.invalid"
        self.app = Starlette(
            routes=[
                Route("/api/v3/queue", self.list_queue),
                Route("/api/v3/queue/{id:int}", self.remove, methods=["DELETE"]),
            ]
        )

    def grab(self, download_id: str, title: str, unknown: bool = False) -> None:
        """`unknown`: the app could not tell which series or film it is (a release grabbed by hand, say)."""
        item = {"id": len(self.queue) + 1, "downloadId": download_id.upper(), "title": title, "unknown": unknown}
        self.queue.append(item)

    def _denied(self, request: Request) -> Response | None:
        if self.down:
            return Response(b"", 503)
        if request.headers.get("x-api-key") != self.api_key:
            return Response(b'{"error":"Unauthorized"}', 401, media_type="application/json")
        return None

    async def list_queue(self, request: Request) -> Response:
        if denied := self._denied(request):
            return denied
        page = int(request.query_params.get("page", "1"))
        size = int(request.query_params.get("pageSize", "10"))
        with_unknown = request.query_params.get(self.unknown_parameter, "false").lower() == "true"
        listed = [q for q in self.queue if with_unknown or not q["unknown"]]
        records = [{k: v for k, v in q.items() if k != "unknown"} for q in listed[(page - 1) * size : page * size]]
        body = {"page": page, "pageSize": size, "totalRecords": len(listed), "records": records}
        return Response(msgspec.json.encode(body), media_type="application/json")

    async def remove(self, request: Request) -> Response:
        if denied := self._denied(request):
            return denied
        item = next((q for q in self.queue if q["id"] == request.path_params["id"]), None)
        if item is None:
            return Response(b'{"message":"NotFound"}', 404, media_type="application/json")
        self.queue.remove(item)
        params = request.query_params
        self.removed.append(
            {
                "id": item["id"],
                "downloadId": item["downloadId"],
                "removeFromClient": params.get("removeFromClient", "true"),
                "blocklist": params.get("blocklist", "false"),
            }
        )
        return Response(b"{}", media_type="application/json")
