"""Logging in as qBittorrent does it: what Sonarr, Homepage and Homarr depend on."""

import base64

import httpx
import pytest

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
