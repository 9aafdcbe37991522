"""Driving a running pool-allocator from tests: its admin API, and key requests over HTTP and NATS."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import asyncpg
import httpx

from libs.bus import Bus
from libs.schemas import POOL_KEY_GET, PoolKeyReply, PoolKeyRequest


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
