"""`make demo` from a fresh folder: the whole stack with the fakes, its printed Stremio link lists streams
that play, and a magnet added through the qBittorrent API lands on disk and reaches the fake Jellyfin."""

import json
import re
import time
from pathlib import Path

import httpx

from libs.embedded import free_port
from tests.support.launcher import Launcher

ROOT = Path(__file__).resolve().parents[2]


def test_the_demo_plays_downloads_and_refreshes(tmp_path):
    data, port = tmp_path / "demo", free_port()
    demo = Launcher(data, port, module="tests.demo", CHILLPROXY_DEMO_DATA=str(data))
    try:
        demo.wait_for("failures are told there too", timeout=180)  # the last line printed
        printed = "".join(demo.output)
        manifest = re.search(r"install (http://\S+/manifest\.json)", printed).group(1)
        calls_url = re.search(r"told: curl (\S+)", printed).group(1)
        alerts_url = re.search(r"what it received: curl (\S+)", printed).group(1)
        secrets = json.loads((data / "secrets.json").read_text())
        assert secrets["QBT_PASSWORD"] not in printed and secrets["ADMIN_TOKEN"] not in printed
        with httpx.Client(timeout=30) as client:
            (alert,) = client.get(alerts_url).json()  # the test alert the demo sent at start
            assert alert["title"] == "Chillproxy test alert" and alert["topic"] == "chillproxy-demo"
            assert client.get(manifest).json()["behaviorHints"]["configurationRequired"] is False
            streams = client.get(manifest.replace("manifest.json", "stream/series/tt0944947:1:2.json")).json()
            first = streams["streams"][0]
            assert first["description"].startswith("Game.of.Thrones.S01.1080p.BluRay")
            played = client.get(first["url"])
            assert played.status_code == 302 and "/cdn/" in played.headers["location"]

            base = f"http://localhost:{port}"
            login = client.post(
                f"{base}/api/v2/auth/login", data={"username": "admin", "password": secrets["QBT_PASSWORD"]}
            )
            assert login.text == "Ok."
            magnet = "magnet:?xt=urn:btih:" + "d" * 40 + "&dn=Demo.Show.S01E01.720p"
            assert (
                client.post(f"{base}/api/v2/torrents/add", data={"urls": magnet, "category": "tv-sonarr"}).text == "Ok."
            )
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                (torrent,) = client.get(f"{base}/api/v2/torrents/info").json()
                if torrent["state"] == "stoppedUP":
                    break
                time.sleep(0.5)
            assert torrent["state"] == "stoppedUP" and Path(torrent["content_path"]).is_dir()
            assert str(data / "downloads" / "tv-sonarr") in torrent["content_path"]
            while time.monotonic() < deadline and not client.get(calls_url).json():
                time.sleep(0.5)
            (call,) = client.get(calls_url).json()
            assert call["path"] == "/Library/Media/Updated" and call["paths"][0].startswith(torrent["content_path"])
    finally:
        demo.process.terminate()
        demo.process.wait(60)
