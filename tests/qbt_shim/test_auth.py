"""Logging in as qBittorrent does it: what Sonarr, Homepage and Homarr depend on."""

import base64
import time

import httpx
import pytest

from services.qbt_shim.auth import Access, Gate

from .conftest import PASSWORD


@pytest.fixture
async def anonymous(shim):
    async with httpx.AsyncClient(base_url=shim.base) as client:
        yield client


async def test_without_a_session_every_call_is_a_403_never_a_401(anonymous):
    for path in ("/api/v2/app/webapiVersion", "/api/v2/torrents/info", "/api/v2/app/preferences", "/widget"):
        response = await anonymous.get(path)
        assert (response.status_code, response.text) == (403, "Forbidden"), path


async def test_login_sets_an_httponly_sid_cookie_and_bad_credentials_get_fails(anonymous):
    bad = await anonymous.post("/api/v2/auth/login", data={"username": "admin", "password": "nope"})
    assert (bad.status_code, bad.text) == (200, "Fails.") and "set-cookie" not in bad.headers
    good = await anonymous.post("/api/v2/auth/login", data={"username": "admin", "password": PASSWORD})
    assert (good.status_code, good.text) == (200, "Ok.")
    cookie = good.headers["set-cookie"]
    assert cookie.startswith("SID=") and "HttpOnly" in cookie and "Secure" not in cookie
    assert "SameSite=Strict" in cookie  # as qBittorrent: another site's page cannot use the session
    assert (await anonymous.get("/api/v2/app/webapiVersion")).text == "2.11.4"  # the cookie now opens the door


async def test_repeated_failures_ban_the_address_like_qbittorrent(anonymous):
    for _ in range(5):
        assert (await anonymous.post("/api/v2/auth/login", data={"username": "a", "password": "b"})).text == "Fails."
    banned = await anonymous.post("/api/v2/auth/login", data={"username": "admin", "password": PASSWORD})
    assert banned.status_code == 403 and "banned" in banned.text


async def test_basic_and_bearer_headers_as_the_newest_sonarr_sends_them(anonymous):
    basic = base64.b64encode(f"admin:{PASSWORD}".encode()).decode()
    assert (await anonymous.get("/api/v2/app/version", headers={"Authorization": f"Basic {basic}"})).text == "v5.1.4"
    assert (
        await anonymous.get("/api/v2/app/version", headers={"Authorization": f"Bearer {PASSWORD}"})
    ).status_code == 200
    wrong = base64.b64encode(b"admin:wrong").decode()
    assert (await anonymous.get("/api/v2/app/version", headers={"Authorization": f"Basic {wrong}"})).status_code == 403
    assert (await anonymous.get("/api/v2/app/version", headers={"Authorization": "Basic %%%"})).status_code == 403


@pytest.mark.parametrize("scheme", ["Basic", "Bearer"])
async def test_wrong_header_credentials_count_towards_the_ban_like_logins(anonymous, scheme):
    wrong = base64.b64encode(b"admin:guess").decode() if scheme == "Basic" else "guess"
    right = base64.b64encode(f"admin:{PASSWORD}".encode()).decode() if scheme == "Basic" else PASSWORD
    for _ in range(5):
        guess = await anonymous.get("/api/v2/torrents/info", headers={"Authorization": f"{scheme} {wrong}"})
        assert (guess.status_code, guess.text) == (403, "Forbidden")
    banned = await anonymous.get("/api/v2/torrents/info", headers={"Authorization": f"{scheme} {right}"})
    assert banned.status_code == 403 and "banned" in banned.text  # the right credentials do not get past a ban
    login = await anonymous.post("/api/v2/auth/login", data={"username": "admin", "password": PASSWORD})
    assert login.status_code == 403 and "banned" in login.text


async def test_right_header_credentials_clear_earlier_failures(anonymous):
    wrong = base64.b64encode(b"admin:guess").decode()
    right = base64.b64encode(f"admin:{PASSWORD}".encode()).decode()
    for _ in range(2):
        for _ in range(4):
            await anonymous.get("/api/v2/app/version", headers={"Authorization": f"Basic {wrong}"})
        ok = await anonymous.get("/api/v2/app/version", headers={"Authorization": f"Basic {right}"})
        assert ok.status_code == 200  # four failures, then a success: the count starts again


def test_a_session_from_one_replica_is_taken_by_another_and_by_nobody_else(monkeypatch):
    """Replicas share no memory: a session id is signed with SECRET_KEY and the password, so any replica
    takes one another gave (Sonarr's next call may reach either), for the session's length."""
    first, second = (Gate("admin", "pw-1", session_seconds=60, signing_secret="secret") for _ in range(2))
    sid = first.login("10.0.0.1", "admin", "pw-1")
    assert sid and second.check("10.0.0.2", sid, None) is Access.ALLOWED
    assert Gate("admin", "pw-1", signing_secret="another").check("10.0.0.2", sid, None) is Access.REFUSED
    assert Gate("admin", "new-pw", signing_secret="secret").check("10.0.0.2", sid, None) is Access.REFUSED
    issued, nonce, mac = sid.split(".")
    forged = f"{int(issued, 16) + 3600:x}.{nonce}.{mac}"  # a later time, the same signature
    assert second.check("10.0.0.2", forged, None) is Access.REFUSED
    first.logout(sid)
    assert first.check("10.0.0.1", sid, None) is Access.REFUSED
    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)
    assert Gate("admin", "pw-1", session_seconds=60, signing_secret="secret").check("x", sid, None) is Access.REFUSED
