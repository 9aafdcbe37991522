"""The stream-proxy application: routes and start-up wired onto the shared app factory."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette

from libs.config import Settings
from libs.web import create_app

SERVICE = "stream-proxy"
MIGRATIONS = Path(__file__).parent / "migrations"


def build(settings: Settings) -> Starlette:
    return create_app(SERVICE, settings, migrations=MIGRATIONS)
