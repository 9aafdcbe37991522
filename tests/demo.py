"""`make demo`: the whole stack of `make run`, with the test fakes as its upstreams — Prowlarr (a small
catalogue: The Matrix, and Game of Thrones season 1 with a season pack), TorBox with its CDN, Cinemeta and a
Jellyfin — so everything can be tried without any account. Its data lives in `var/demo/`, fresh each time.

Once up it adds the fake TorBox key to the pool and a user, points the notifier at the fake Jellyfin and its
alerts at a fake ntfy (a test alert arrives there at once), and prints what to try: a Stremio install link
whose streams play, and a magnet to add through the qBittorrent API that lands in the download folder and is
announced to the fake Jellyfin.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

import httpx

from libs.config import environment, load_settings
from libs.embedded import stack
from libs.embedded.process import ManagedProcess
from libs.schemas.stremio import AddonConfig, StoreConfig
from services.stream_proxy.addon_config import encode_config
from tests.fakes.catalogue import ENTRIES

ROOT = Path(__file__).resolve().parents[1]
EPISODE = next(e for e in ENTRIES if e.title.startswith("Game.of.Thrones.S01E02.2160p"))


def start_fakes(data: Path) -> tuple[ManagedProcess, dict]:
    info_file = data / "fakes.json"
    fakes = ManagedProcess(
        "fakes",
        [sys.executable, "-m", "tests.fakes.serve", "--download-seconds", "5", "--info-file", str(info_file)],
        log_path=data / "logs" / "fakes.log",
        cwd=ROOT,
    ).start()
    deadline = time.monotonic() + 30
    while not info_file.exists():
        if time.monotonic() > deadline or not fakes.running:
            raise SystemExit(f"the fakes did not start; see {data / 'logs' / 'fakes.log'}")
        time.sleep(0.1)
    return fakes, json.loads(info_file.read_text())


def seed(base: str, fakes: dict, env: dict[str, str]) -> str:
    settings = load_settings(env)
    admin = {"Authorization": f"Bearer {settings.admin_token}"}
    with httpx.Client(base_url=base, headers=admin, timeout=30) as client:
        client.post("/pool/keys", json={"apiKey": fakes["torboxToken"], "label": "demo"}).raise_for_status()
        user = client.post("/pool/users", json={"email": "demo@example.com", "password": "demo-password"})
        user.raise_for_status()
        document = {"jellyfin": {"enabled": True, "url": fakes["jellyfin"], "apiKey": fakes["jellyfinApiKey"]}}
        document["coalesceSeconds"] = 2
        document["alertTargets"] = [{"name": "demo phone", "type": "ntfy", "url": f"{fakes['ntfy']}/chillproxy-demo"}]
        client.patch("/settings/integrations", json=document).raise_for_status()
        client.post("/settings/integrations/test-alert", json={"target": "demo phone"}).raise_for_status()
    secrets = settings.data_dir / "secrets.json"
    config = encode_config(AddonConfig(stores=[StoreConfig(c="tb", auth=user.json()["uuid"])]))
    host = base.split("://", 1)[1]
    magnet = f"magnet:?xt=urn:btih:{'d' * 40}&dn=Demo.Show.S01E01.720p"
    return "\n".join(
        [
            "",
            "Demo data (everything upstream is a fake; nothing leaves this machine):",
            f"  Stremio: install {base}/stremio/torz/{config}/manifest.json",
            f"           or open stremio://{host}/stremio/torz/{config}/manifest.json",
            f"  Streams: curl {base}/stremio/torz/{config}/stream/series/tt0944947:1:2.json",
            f"           curl {base}/stremio/torz/{config}/stream/movie/tt0133093.json",
            "           each stream's url redirects (302) to the fake TorBox CDN with the right file",
            f"  qBittorrent (Sonarr/Radarr): user {settings.qbt_username}, password QBT_PASSWORD in {secrets}",
            f"    PASS=$(python3 -c \"import json; print(json.load(open('{secrets}'))['QBT_PASSWORD'])\")",
            f"    curl -c /tmp/qbt -d username={settings.qbt_username} --data-urlencode password=$PASS "
            f"{base}/api/v2/auth/login",
            f"    curl -b /tmp/qbt --data-urlencode 'urls={magnet}' -d category=tv-sonarr {base}/api/v2/torrents/add",
            f"    curl -b /tmp/qbt {base}/api/v2/torrents/info",
            f"    → {settings.download_root}/tv-sonarr/Demo.Show.S01E01.720p/ once it is stoppedUP (about 10 s)",
            f"    → what the fake Jellyfin was told: curl {fakes['jellyfin']}/__calls",
            f"  Indexer statistics: {base}/indexers/ (any user name, ADMIN_TOKEN from {secrets} as password)",
            f"  Alerts: a test alert was sent to the fake ntfy; what it received: curl {fakes['ntfy']}/__messages",
            f"    (failures are told there too; targets and recent alerts: {base}/settings/integrations/)",
        ]
    )


def main() -> int:
    data = Path(os.environ.get("CHILLPROXY_DEMO_DATA") or ROOT / "var" / "demo").resolve()
    shutil.rmtree(data, ignore_errors=True)
    (data / "logs").mkdir(parents=True)
    # the demo's own folder and secrets; `.env` is not read (it may point at real upstreams)
    env = environment({**os.environ, "CHILLPROXY_DATA": str(data), "CHILLPROXY_ENV_FILE": str(data / "none")})
    fakes, urls = start_fakes(data)
    env.update(
        DATABASE_URL="",
        NATS_URL="",
        DOWNLOAD_ROOT=str(data / "downloads"),
        TORBOX_API_URL=urls["torbox"],
        PROWLARR_URL=urls["prowlarr"],
        PROWLARR_API_KEY=urls["prowlarrApiKey"],
        CINEMETA_URL=urls["cinemeta"],
        QBT_TORBOX_TOKEN=urls["torboxToken"],
        QBT_POOL_USER="",
    )
    try:
        return stack.main(env, after_start=lambda base: seed(base, urls, env))
    finally:
        fakes.stop()


if __name__ == "__main__":
    raise SystemExit(main())
