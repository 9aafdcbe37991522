"""Info hashes from the result, the magnet, or the download link (301 to a magnet, or a .torrent)."""

import base64
import hashlib

import fastbencode
import httpx
import msgspec
import pytest

from libs.prowlarr import Release as ProwlarrRelease
from services.stream_proxy.hashes import hash_in_release, hash_releases
from tests.fakes.prowlarr import FakeProwlarr, Release
from tests.support.asgi import serving_fake

INFO = {b"name": b"Movie.2020.1080p.mkv", b"length": 1234, b"piece length": 16384, b"pieces": b"0" * 20}
TORRENT = fastbencode.bencode({b"announce": b"http://tracker/announce", b"info": INFO})
TORRENT_HASH = hashlib.sha1(fastbencode.bencode(INFO)).hexdigest()
INFO_2 = {b"name": b"Redirected.2020.mkv", b"length": 4321, b"piece length": 16384, b"pieces": b"1" * 20}
REDIRECTED = fastbencode.bencode({b"info": INFO_2})
REDIRECTED_HASH = hashlib.sha1(fastbencode.bencode(INFO_2)).hexdigest()


def release(**fields) -> ProwlarrRelease:
    return ProwlarrRelease(title=fields.pop("title", "x"), indexer_id=1, **fields)


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"info_hash": "ABCDEF" + "0" * 34}, "abcdef" + "0" * 34),
        ({"magnet_url": "magnet:?xt=urn:btih:" + "c" * 40}, "c" * 40),
        ({"magnet_url": "magnet:?xt=urn:btih:" + base64.b32encode(bytes.fromhex("d" * 40)).decode()}, "d" * 40),
        ({"download_url": "magnet:?xt=urn:btih:" + "e" * 40}, "e" * 40),
        ({"info_hash": "not-a-hash"}, None),
        ({"magnet_url": "magnet:?xt=urn:btih:zz"}, None),
        ({}, None),
    ],
)
def test_hashes_the_result_carries(fields, expected):
    assert hash_in_release(release(**fields)) == expected


async def test_download_links_are_read_not_followed_and_duplicates_merged():
    fake = FakeProwlarr()
    fake.add_indexer(
        1,
        "One",
        releases=[
            Release("Magnet.Only.2020", "a" * 40, 1, 5, with_info_hash=False),  # 301 to magnet
            Release("Torrent.File.2020", TORRENT_HASH, 1, 9, torrent=TORRENT, with_info_hash=False),  # .torrent
            Release("Same.Hash.Better.Seeded", "b" * 40, 1, 50),
        ],
    )
    fake.add_indexer(2, "Two", releases=[Release("Same.Hash.Worse", "b" * 40, 1, 3)])
    # an indexer in Prowlarr's "Redirect" mode: its link is a 301 to the indexer's own .torrent, followed once
    fake.add_indexer(
        3, "Redirecting", redirect=True,
        releases=[Release("Redirected.2020", REDIRECTED_HASH, 1, 4, torrent=REDIRECTED, with_info_hash=False)],
    )  # fmt: skip
    async with serving_fake(fake):
        async with httpx.AsyncClient(base_url=fake.base_url, headers={"X-Api-Key": fake.api_key}) as client:
            found = (await client.get("/api/v1/search", params={"query": "2020"})).json()
            found += (await client.get("/api/v1/search", params={"query": "same"})).json()
            releases = msgspec.convert(found, list[ProwlarrRelease])
            hashed = await hash_releases(client, releases)
    by_hash = {h.info_hash: h.release.title for h in hashed}
    assert by_hash == {
        "a" * 40: "Magnet.Only.2020",
        TORRENT_HASH: "Torrent.File.2020",
        REDIRECTED_HASH: "Redirected.2020",
        "b" * 40: "Same.Hash.Better.Seeded",
    }


async def test_a_broken_download_link_is_skipped():
    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/html":
            return httpx.Response(200, text="<html>error page</html>")
        if request.url.path == "/elsewhere":
            return httpx.Response(302, headers={"location": "https://example.com/file.torrent"})
        return httpx.Response(500)

    async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
        hashed = await hash_releases(
            http,
            [
                release(download_url="http://x/html"),
                release(download_url="http://x/elsewhere"),
                release(download_url="http://x/fail"),
            ],
        )
    assert hashed == []
