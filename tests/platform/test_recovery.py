"""A service whose database or NATS goes away answers /health 503, and 200 again when it returns,
without a restart."""

import httpx

from libs.web import create_app
from tests.conftest import make_settings
from tests.support.asgi import eventually, serving


async def health(client: httpx.AsyncClient) -> tuple[int, dict]:
    response = await client.get("/health")
    return response.status_code, response.json()["checks"]


async def test_health_follows_the_database(tmp_path, own_postgres, nats_url):
    app = create_app("recovery", make_settings(tmp_path, DATABASE_URL=own_postgres.dsn, NATS_URL=nats_url))
    async with serving(app) as base, httpx.AsyncClient(base_url=base, timeout=10) as client:
        assert (await health(client))[0] == 200
        own_postgres.kill()
        _, checks = await eventually(lambda: _when(health(client), lambda r: r[0] == 503))
        assert checks["database"] == {"ok": False} and checks["nats"] == {"ok": True}
        own_postgres.start()
        await eventually(lambda: _when(health(client), lambda r: r[0] == 200), timeout=30)


async def test_health_follows_nats(tmp_path, fresh_dsn, own_nats):
    app = create_app("recovery", make_settings(tmp_path, DATABASE_URL=fresh_dsn, NATS_URL=own_nats.url))
    async with serving(app) as base, httpx.AsyncClient(base_url=base, timeout=10) as client:
        assert (await health(client))[0] == 200
        own_nats.kill()
        _, checks = await eventually(lambda: _when(health(client), lambda r: r[0] == 503))
        assert checks["nats"] == {"ok": False} and checks["database"] == {"ok": True}
        own_nats.start()
        await eventually(lambda: _when(health(client), lambda r: r[0] == 200), timeout=30)


async def _when(awaitable, predicate):
    result = await awaitable
    return result if predicate(result) else None
