"""Sonarr's and Radarr's webhooks: the library paths an import, a rename or a delete carries refresh the
media servers (mapped, coalesced like a download's); a Test shows on the settings page; anything else is
answered 200 and ignored; a malformed body is a 400 naming the field; a wrong token a 401."""

import base64

import httpx
import msgspec
import pytest

from services.notifier.hooks import hooks_token, in_folder, library_changes, read_event
from tests.fakes import arr_webhooks as arr
from tests.support.asgi import eventually

LIBRARY = [{"from": "/tv", "to": "/data/tv"}, {"from": "/movies", "to": "/data/movies"}]
EPISODE = "Season 02/Severance - S02E03 - Who Is Alive.mkv"


def changes(source, body):
    return library_changes(read_event(source, msgspec.json.encode(body)))


def test_each_event_says_what_changed_in_the_library():
    assert changes("sonarr", arr.sonarr_download()) == [(f"/tv/Severance/{EPISODE}", "Created")]
    assert changes("sonarr", arr.sonarr_download(EPISODE, upgrade_of="Season 02/old.avi")) == [
        ("/tv/Severance/Season 02/old.avi", "Deleted"),
        (f"/tv/Severance/{EPISODE}", "Created"),
    ]
    assert changes("sonarr", arr.sonarr_import_complete("Season 02/a.mkv", "Season 02/b.mkv")) == [
        ("/tv/Severance/Season 02/a.mkv", "Created"),
        ("/tv/Severance/Season 02/b.mkv", "Created"),
    ]
    assert changes("sonarr", arr.sonarr_rename([("Season 02/x.mkv", "Season 02/y.mkv")])) == [
        ("/tv/Severance/Season 02/x.mkv", "Deleted"),
        ("/tv/Severance/Season 02/y.mkv", "Created"),
    ]
    assert changes("sonarr", arr.sonarr_episode_file_delete("Season 02/x.mkv")) == [
        ("/tv/Severance/Season 02/x.mkv", "Deleted")
    ]
    assert changes("sonarr", arr.sonarr_series_delete(True)) == [("/tv/Severance", "Deleted")]
    assert changes("sonarr", arr.sonarr_series_delete(False)) == []  # the files stay where they are
    assert changes("sonarr", arr.sonarr_test()) == []
    assert changes("radarr", arr.radarr_download()) == [("/movies/Heat (1995)/Heat (1995) Bluray-1080p.mkv", "Created")]
    assert changes("radarr", arr.radarr_rename("a.mkv", "b.mkv")) == [
        ("/movies/Heat (1995)/a.mkv", "Deleted"),
        ("/movies/Heat (1995)/b.mkv", "Created"),
    ]
    assert changes("radarr", arr.radarr_movie_file_delete("a.mkv")) == [("/movies/Heat (1995)/a.mkv", "Deleted")]
    assert changes("radarr", arr.radarr_movie_delete(True)) == [("/movies/Heat (1995)", "Deleted")]
    assert changes("radarr", arr.radarr_movie_delete(False)) == []


def test_a_file_without_its_full_path_is_placed_in_its_folder():
    body = arr.sonarr_download()
    del body["episodeFile"]["path"]  # only the relative path: joined with the series' folder
    assert changes("sonarr", body) == [(f"/tv/Severance/{EPISODE}", "Created")]
    assert in_folder("D:\\TV\\Severance", "Season 02\\x.mkv") == "D:\\TV\\Severance\\Season 02\\x.mkv"
    assert in_folder("/tv/Severance/", "/Season 02/x.mkv") == "/tv/Severance/Season 02/x.mkv"


def hook_url(notifier, source):
    return f"{notifier.base}/hooks/{source}?token={hooks_token(notifier.settings.secret_key)}"


async def test_an_import_refreshes_each_server_with_its_library_paths(notifier):
    await notifier.enable_both(coalesce=0.3, mappings=LIBRARY)
    async with httpx.AsyncClient() as sonarr:
        answer = await sonarr.post(hook_url(notifier, "sonarr"), json=arr.sonarr_download(EPISODE, "Season 02/old.avi"))
        assert answer.status_code == 200 and answer.json()["paths"] == 2
        radarr = await sonarr.put(hook_url(notifier, "radarr"), json=arr.radarr_download())  # Sonarr may PUT
        assert radarr.status_code == 200
    await eventually(lambda: len(notifier.jellyfin.updates) == 3 and len(notifier.emby.updates) == 3, timeout=10)
    for server in (notifier.jellyfin, notifier.emby):
        assert sorted(server.updates) == [
            ("/data/movies/Heat (1995)/Heat (1995) Bluray-1080p.mkv", "Created"),
            (f"/data/tv/Severance/{EPISODE}", "Created"),
            ("/data/tv/Severance/Season 02/old.avi", "Deleted"),
        ]
        assert len(server.calls) == 1  # one call per server for the window


async def test_a_test_event_is_answered_and_shown_and_others_are_ignored(notifier):
    await notifier.enable_both(coalesce=0.2)
    async with httpx.AsyncClient() as client:
        for body in (arr.sonarr_test(), arr.sonarr_grab(), {"eventType": "SomethingNew", "whatever": [1]}):
            assert (await client.post(hook_url(notifier, "sonarr"), json=body)).status_code == 200
        assert (await client.post(hook_url(notifier, "radarr"), json=arr.radarr_test())).status_code == 200
    shown = (await notifier.client.get("/settings/integrations/hooks")).json()
    assert shown["token"] == hooks_token(notifier.settings.secret_key)
    assert shown["sonarr"]["path"] == "/hooks/sonarr"
    last = shown["sonarr"]["lastEvent"]
    assert (last["eventType"], last["handled"], last["paths"]) == ("SomethingNew", False, 0)
    assert shown["radarr"]["lastEvent"]["eventType"] == "Test" and shown["radarr"]["lastEvent"]["handled"]
    assert shown["radarr"]["lastEvent"]["title"] == "Test Title"
    assert notifier.jellyfin.updates == []  # a Test changes nothing (its path is made up)


async def test_refresh_on_chooses_downloads_imports_or_both(notifier):
    from libs.bus import publish
    from libs.schemas import TORRENT_STATUS, TorrentStatus

    await notifier.enable_both(coalesce=0.2)
    await notifier.configure(refreshOn="import")
    done = TorrentStatus(hash="e" * 40, name="x", state="completed", content_path="/dl/x", files=["/dl/x/x.mkv"])
    await publish(notifier.bus, TORRENT_STATUS, done)
    async with httpx.AsyncClient() as client:
        await client.post(hook_url(notifier, "radarr"), json=arr.radarr_download())
    await eventually(lambda: notifier.jellyfin.updates, timeout=10)
    assert [path for path, _ in notifier.jellyfin.updates] == ["/movies/Heat (1995)/Heat (1995) Bluray-1080p.mkv"]

    await notifier.configure(refreshOn="download")
    async with httpx.AsyncClient() as client:
        answer = await client.post(hook_url(notifier, "radarr"), json=arr.radarr_download("Heat.2160p.mkv"))
        assert answer.json()["paths"] == 0  # received, and not told
    assert (await notifier.client.patch("/settings/integrations", json={"refreshOn": "never"})).status_code == 422


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{not json", None),
        (b"[]", None),
        (b'{"instanceName": "Sonarr"}', "eventType"),
        (b'{"eventType": "Download"}', "series"),
        (b'{"eventType": "Download", "series": {"path": 5}}', "series.path"),
        (b'{"eventType": "Rename", "series": {"path": "/tv/x"}, "renamedEpisodeFiles": {}}', "renamedEpisodeFiles"),
    ],
)
async def test_a_malformed_event_is_a_400_naming_the_field(notifier, body, field):
    async with httpx.AsyncClient() as client:
        answer = await client.post(hook_url(notifier, "sonarr"), content=body)
    assert answer.status_code == 400, answer.text
    assert answer.json().get("field") == field


async def test_the_token_in_the_url_or_as_the_basic_password_and_nothing_else(notifier):
    token = hooks_token(notifier.settings.secret_key)
    url = f"{notifier.base}/hooks/sonarr"
    body = arr.sonarr_test()
    async with httpx.AsyncClient() as client:
        basic = base64.b64encode(f"sonarr:{token}".encode()).decode()
        assert (await client.post(url, json=body, headers={"Authorization": f"Basic {basic}"})).status_code == 200
        assert (await client.post(url, json=body, headers={"X-Api-Key": token})).status_code == 200
        assert (await client.post(f"{url}?token={token}", json=body)).status_code == 200
        missing = await client.post(url, json=body)
        assert missing.status_code == 401 and "Basic" in missing.headers["www-authenticate"]
        assert (await client.post(f"{url}?token={token[:-1]}x", json=body)).status_code == 401
        assert (await client.post(f"{url}?token={notifier.settings.admin_token}", json=body)).status_code == 401
        assert (await client.get(f"{url}?token={token}")).status_code == 405
    assert token != hooks_token("another secret key") and len(token) == 32
