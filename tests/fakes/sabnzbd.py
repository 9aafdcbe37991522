"""A fake SABnzbd (`/api?mode=…&output=json`), faithful to reference B.1: the key checked (403 with a text
body when wrong), numbers as strings, jobs moving queue → history through post-processing states, `addfile`
taking an NZB upload (field `name`) and answering its `nzo_ids`."""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route


class FakeSabnzbd:
    def __init__(self, api_key: str = "sab-api-key-0001") -> None:
        self.api_key = api_key
        self.queue: list[dict[str, Any]] = []
        self.history: list[dict[str, Any]] = []
        self.paused = False
        self.garbage = False  # every answer a 200 web page
        self.base_url = "http://sabnzbd.invalid"
        self.app = Starlette(routes=[Route("/api", self.api, methods=["GET", "POST"])])

    def add(self, nzo_id: str, name: str, mb: float, left: float, status: str = "Downloading") -> None:
        self.queue.append(
            {"nzo_id": nzo_id, "filename": name, "status": status, "mb": f"{mb:.2f}", "mbleft": f"{left:.2f}",
             "percentage": str(int(100 * (1 - left / mb))), "timeleft": "0:01:40", "cat": "tv"}
        )  # fmt: skip

    def finish(self, nzo_id: str, status: str = "Completed", storage: str = "", fail_message: str = "") -> None:
        job = next(q for q in self.queue if q["nzo_id"] == nzo_id)
        self.queue.remove(job)
        self.history.insert(
            0,
            {"nzo_id": nzo_id, "name": job["filename"], "status": status, "storage": storage,
             "fail_message": fail_message, "bytes": int(float(job["mb"]) * 1048576), "category": "tv"},
        )  # fmt: skip

    async def api(self, request: Request) -> Response:
        params = request.query_params
        mode = params.get("mode")
        if self.garbage:
            return Response(b"<html><body>Welcome to nginx!</body></html>", media_type="text/html")
        if mode == "version":
            return self._json({"version": "4.4.1"})
        if params.get("apikey") != self.api_key:
            return PlainTextResponse("API Key Incorrect", 403)
        if mode == "addfile":
            form = await request.form()
            upload = form.get("name")
            if upload is None or isinstance(upload, str) or b"<nzb" not in await upload.read():
                return self._json({"status": False, "error": "no NZB in the upload"})
            nzo_id = f"SABnzbd_nzo_{len(self.queue) + len(self.history) + 1}"
            self.add(nzo_id, params.get("nzbname") or upload.filename or nzo_id, mb=100, left=40)
            return self._json({"status": True, "nzo_ids": [nzo_id]})
        if mode == "queue":
            return self._json(
                {"queue": {"status": "Paused" if self.paused else "Downloading", "paused": self.paused,
                           "kbpersec": "2048.00", "slots": self.queue, "noofslots": len(self.queue)}}
            )  # fmt: skip
        if mode == "history":
            return self._json({"history": {"slots": self.history, "noofslots": len(self.history)}})
        return self._json({"status": False, "error": "not implemented"})

    @staticmethod
    def _json(body: Any) -> Response:
        return Response(msgspec.json.encode(body), media_type="application/json")
