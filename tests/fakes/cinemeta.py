"""A fake Cinemeta: `GET /meta/{type}/{id}.json` → `{"meta": {...}}`; unknown ids → `{"meta": null}`."""

from __future__ import annotations

import asyncio

import msgspec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


class FakeCinemeta:
    def __init__(self) -> None:
        self.titles: dict[tuple[str, str], dict] = {
            ("movie", "tt0133093"): {"id": "tt0133093", "type": "movie", "name": "The Matrix", "year": "1999"},
            ("series", "tt0944947"): {
                "id": "tt0944947",
                "type": "series",
                "name": "Game of Thrones",
                "releaseInfo": "2011–2019",
            },
        }
        self.calls = 0
        self.down = False
        self.latency = 0.0
        self.base_url = "http://cinemeta.invalid"
        self.app = Starlette(routes=[Route("/meta/{kind}/{id}.json", self.meta)])

    async def meta(self, request: Request) -> Response:
        self.calls += 1
        if self.latency:
            await asyncio.sleep(self.latency)
        if self.down:
            return Response(b"upstream error", 502)
        meta = self.titles.get((request.path_params["kind"], request.path_params["id"]))
        return Response(msgspec.json.encode({"meta": meta}), media_type="application/json")
