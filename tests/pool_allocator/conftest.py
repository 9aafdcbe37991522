"""A running pool-allocator (real PostgreSQL, real NATS) and helpers to drive it over HTTP and NATS."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import asyncpg
import httpx
import pytest

from libs.bus import Bus
from libs.db import create_pool
from libs.schemas import POOL_KEY_GET, PoolKeyReply, PoolKeyRequest
from services.pool_allocator.app import build
from services.pool_allocator.config import PoolConfig
from tests.conftest import make_settings
from tests.fakes.torbox import FakeTorBox
from tests.support.asgi import serving, serving_fake


@dataclass
class PoolHarness:
    app: object
    http: httpx.AsyncClient
    bus: Bus
    db: asyncpg.Pool
    settings: object
    base_url: str

    async def add_key(self, api_key: str | None = None, **fields) -> dict:
        body = {"apiKey": api_key or f"tb_{uuid.uuid4().hex}", **fields}
        response = await self.http.post("/pool/keys", json=body)
        assert response.status_code == 201, response.text
        return response.json() | {"rawKey": body["apiKey"]}

    async def add_user(self, **fields) -> str:
        body = {"email": f"{uuid.uuid4().hex[:10]}@example.com", "password": "correct horse", **fields}
        response = await self.http.post("/pool/users", json=body)
        assert response.status_code == 201, response.text
        return response.json()["uuid"]

    async def get_key_http(self, user_id: str, device_id: str = "device-1") -> PoolKeyReply:
        response = await self.http.post(
            "/api/v1/internal/pool/get-key",
            json={"userId": user_id, "deviceId": device_id, "action": "stream"},
            headers={"X-Internal-Api-Key": self.settings.internal_api_key},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        return PoolKeyReply(
            allowed=body["allowed"],
            pool_key=body.get("poolKey"),
            pool_key_id=body.get("poolKeyId"),
            device_count=body["deviceCount"],
            message=body["message"],
        )

    async def get_key_nats(self, user_id: str, device_id: str = "device-1") -> PoolKeyReply:
        request = PoolKeyRequest(user_id=user_id, device_id=device_id, action="stream")
        return await self.bus.request(POOL_KEY_GET, request, timeout=30)


@pytest.fixture
def pool_config() -> PoolConfig:
    return PoolConfig(bcrypt_rounds=4, activity_flush_seconds=0.2)


@pytest.fixture
async def fake_torbox():
    fake = FakeTorBox()
    async with serving_fake(fake):
        yield fake


@pytest.fixture
async def pool(tmp_path, fresh_dsn, nats_url, pool_config, fake_torbox):
    settings = make_settings(
        tmp_path, DATABASE_URL=fresh_dsn, NATS_URL=nats_url, DB_POOL_MAX="10", TORBOX_API_URL=fake_torbox.base_url
    )
    app = build(settings, pool_config)
    async with serving(app) as base:
        bus = await Bus.connect(nats_url, "tests")
        db = await create_pool(fresh_dsn, min_size=1, max_size=4)
        client = httpx.AsyncClient(
            base_url=base, headers={"Authorization": f"Bearer {settings.admin_token}"}, timeout=60
        )
        try:
            yield PoolHarness(app, client, bus, db, settings, base)
        finally:
            await client.aclose()
            await db.close()
            await bus.close()
