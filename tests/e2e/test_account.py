"""A pool user on the configure page, through Traefik as in a real install: signs in with the email and
password the admin set, gets their install link, removes a device that locked them out, and rotates the
uuid — the old links then get the add-on's clear message, never anyone's streams."""

from services.stream_proxy.addon_config import decode_config
from tests.stream_proxy.test_configure_page import fill


async def test_a_pool_user_runs_their_own_account(whole_stack):
    stack = whole_stack
    config = await stack.add_pool_user("ada@household.example")
    old_uuid = decode_config(config).stores[0].auth
    page = f"{stack.public}/stremio/torz/configure"

    wrong = await fill(page, {"mode": "pool", "email": "ada@household.example", "password": "not-hers"})
    assert wrong["account"]["error"] == "the email or the password is wrong"

    for device in ("tv", "phone", "laptop"):  # three devices: the limit
        listed = await stack.client.get(
            f"/stremio/torz/{config}/stream/movie/tt0133093.json", headers={"User-Agent": f"Stremio/{device}"}
        )
        assert listed.status_code == 200
    locked = await stack.client.get(
        f"/stremio/torz/{config}/stream/movie/tt0133093.json", headers={"User-Agent": "Stremio/tablet"}
    )
    assert "device" in locked.json()["streams"][0]["description"].lower()

    shown = await fill(
        page,
        {"mode": "pool", "email": "ADA@household.example", "password": "pw-123456", "forget": True, "rotate": True},
    )
    account = shown["account"]
    assert account["error"] == "" and account["uuid"] == old_uuid and len(account["devices"]) == 3
    assert len(account["devicesAfterForget"]) == 2
    new_uuid = account["rotatedUuid"]
    assert new_uuid != old_uuid and decode_config(shown["installUrl"].split("/")[-2]).stores[0].auth == new_uuid

    relisted = await stack.client.get(
        f"{shown['installUrl'].rsplit('/', 1)[0]}/stream/movie/tt0133093.json", headers={"User-Agent": "Stremio/tablet"}
    )
    assert relisted.status_code == 200 and relisted.json()["streams"][0].get("url")  # a device freed: it plays
    stale = await stack.client.get(f"/stremio/torz/{config}/stream/movie/tt0133093.json")
    (entry,) = stale.json()["streams"]
    assert "url" not in entry and "user" in entry["description"].lower()  # the old link: a clear message
