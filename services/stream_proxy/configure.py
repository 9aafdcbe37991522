"""The configure page: choose a TorBox token or a Chillproxy account, filters; get the install link.

The page builds the configuration in the browser (the token never travels to us before the user installs),
as base64url JSON without padding, the form `addon_config.decode_config` reads.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

_PAGE = (Path(__file__).parent / "configure.html").read_text()


def configure_page(auth: str | None = None) -> str:
    """The page; an account id already known (editing a pool configuration) is filled in, never a token."""
    return _PAGE.replace("__AUTH__", escape(auth or "", quote=True))
