"""The integrations settings page: a static page whose script reads and saves the same document as the API."""

from __future__ import annotations

from functools import cache
from pathlib import Path


@cache
def settings_page() -> str:
    return (Path(__file__).parent / "settings.html").read_text()
