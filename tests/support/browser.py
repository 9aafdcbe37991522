"""Headless Chromium (Debian's `chromium`, installed by tests/system-deps.sh) for page tests."""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
from pathlib import Path

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        raise RuntimeError("chromium is not installed: make test installs it (tests/system-deps.sh)")
    return found


async def _run(*args: str, timeout: float = 60) -> bytes:
    with tempfile.TemporaryDirectory() as profile:
        process = await asyncio.create_subprocess_exec(
            chromium(),
            *FLAGS,
            f"--user-data-dir={profile}",
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        out, _ = await asyncio.wait_for(process.communicate(), timeout)
        return out


async def dump_dom(url: str) -> str:
    """The DOM after the page loaded, as Chromium serialises it."""
    return (await _run("--dump-dom", url)).decode()


async def screenshot(url: str, path: Path, size: str = "1280,1600") -> Path:
    await _run(f"--screenshot={path}", f"--window-size={size}", url)
    return path


NODE_DRIVERS = Path(__file__).resolve().parents[1] / "node"


async def drive(script: str, *args: str, timeout: float = 90) -> dict:
    """Run one of tests/node's page drivers (playwright-core on Debian's Chromium): what it printed, as JSON.
    A browser that died while opening the first page (seen once in CI: "Target page, context or browser has
    been closed" in `page.goto`, before any action) is started once more; any other failure is the test's."""
    for attempt in (1, 2):
        node = await asyncio.create_subprocess_exec(
            "node", str(NODE_DRIVERS / script), *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        out, err = await asyncio.wait_for(node.communicate(), timeout)
        text = err.decode()
        if node.returncode != 0 and attempt == 1 and "page.goto" in text and "has been closed" in text:
            continue
        assert node.returncode == 0, text
        return json.loads(out)
    raise AssertionError("unreachable")
