"""The stream-proxy application: the Stremio add-on under /stremio/torz/."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from libs.config import Settings
from libs.web import create_app

from .routes import routes

SERVICE = "stream-proxy"
MIGRATIONS = Path(__file__).parent / "migrations"


class StreamProxy:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings


def build(settings: Settings) -> Starlette:
    proxy = StreamProxy(settings)
    # Stremio's web and desktop apps fetch add-ons cross-origin
    cors = Middleware(
        CORSMiddleware, allow_origins=["*"], allow_methods=["GET", "HEAD", "OPTIONS"], allow_headers=["*"]
    )
    return create_app(SERVICE, settings, routes=routes(proxy), migrations=MIGRATIONS, middleware=[cors])
