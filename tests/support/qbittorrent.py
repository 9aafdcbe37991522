"""A real `qbittorrent-nox` (Debian's) on a free port in a temporary profile, for conformance tests and the
notifier's real-client tests. Its Web UI login is qBittorrent's default: admin / adminadmin."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from libs.embedded import free_port
from tests.support.daemon import running

USERNAME, PASSWORD = "admin", "adminadmin"


@contextmanager
def qbittorrent_nox(work: Path) -> Iterator[str]:
    binary = shutil.which("qbittorrent-nox")
    if binary is None:
        raise RuntimeError("qbittorrent-nox is missing: `make test` installs it (tests/system-deps.sh)")
    port = free_port()
    config = work / "qBittorrent" / "config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "qBittorrent.conf").write_text(
        "[LegalNotice]\nAccepted=true\n\n"
        "[BitTorrent]\nSession\\DHTEnabled=false\nSession\\LSDEnabled=false\nSession\\PeXEnabled=false\n"
        f"Session\\Port={free_port()}\nSession\\DefaultSavePath={work / 'downloads'}\n\n"
        f"[Preferences]\nWebUI\\Port={port}\nWebUI\\Address=127.0.0.1\nWebUI\\LocalHostAuth=true\n"
        "WebUI\\CSRFProtection=false\nWebUI\\HostHeaderValidation=false\n"
    )
    url = f"http://127.0.0.1:{port}"
    argv = [binary, f"--profile={work}", f"--webui-port={port}"]
    with running(
        "qbittorrent-nox",
        argv,
        lambda: httpx.get(f"{url}/api/v2/app/webapiVersion", timeout=1).status_code in (200, 403),
    ):
        yield url
