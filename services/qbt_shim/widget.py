"""`GET /widget`: the figures Homepage's custom API widget shows."""

from __future__ import annotations

from typing import Any


def human_speed(bytes_per_second: int) -> str:
    value = float(bytes_per_second)
    for unit in ("B/s", "KB/s", "MB/s", "GB/s"):
        if value < 1000 or unit == "GB/s":
            return f"{value:.0f} {unit}" if unit == "B/s" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def widget_body(torrents: list[dict[str, Any]]) -> dict[str, Any]:
    speed = sum(t["dlspeed"] for t in torrents)
    stopped = sum(1 for t in torrents if t["state"] == "stoppedDL")
    completed = sum(1 for t in torrents if t["state"] == "stoppedUP")
    return {
        "active": len(torrents) - stopped - completed,
        "completed": completed,
        "stopped": stopped,
        "total": len(torrents),
        "download_speed_bytes": speed,
        "download_speed_human": human_speed(speed),
    }
