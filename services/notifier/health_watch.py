"""The household told when a service stays unhealthy: every process's heartbeat (`libs/heartbeat.py`) read
from NATS KV by one notifier replica (a lease), and a service whose process has been unhealthy for a minute
— or whose every process went silent — raised as an alert; its recovery too. The notifier also watches
itself: with NATS away it reads no heartbeat, so its own `/health` is what it can still tell of."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from libs.heartbeat import Heartbeat, health_store
from libs.leases import Leases
from libs.runtime import Runtime
from libs.schemas import Alert
from libs.tasks import every

UNHEALTHY_FOR = timedelta(minutes=1)
WATCH_SECONDS = 15.0


def verdicts(beats: list[Heartbeat], known: set[str], now: datetime) -> dict[str, tuple[str, str]]:
    """Per service: (failing | recovered, why), from its processes' heartbeats. A service seen before
    with no heartbeat left is silent (every process died, or lost NATS). Pure."""
    found: dict[str, tuple[str, str]] = {}
    by_service: dict[str, list[Heartbeat]] = {}
    for beat in beats:
        by_service.setdefault(beat.service, []).append(beat)
    for service, its in by_service.items():
        long_sick = [b for b in its if not b.ok and b.unhealthy_since and now - b.unhealthy_since >= UNHEALTHY_FOR]
        if long_sick:
            checks = sorted({check for b in long_sick for check in b.failing})
            minutes = max((now - b.unhealthy_since).total_seconds() for b in long_sick if b.unhealthy_since) / 60
            why = f"/health has answered 503 for {minutes:.0f} min: {', '.join(checks) or 'unknown'} failing"
            found[service] = ("failing", why)
        elif all(b.ok for b in its):
            found[service] = ("recovered", "every process answers /health with 200 again")
    for service in known - by_service.keys():
        found[service] = ("failing", "no process of it has reported for a minute: stopped, crashed, or cut off")
    return found


class HealthWatch:
    def __init__(self, runtime: Runtime, raise_alerts: Callable[[list[Alert]], Awaitable[None]]) -> None:
        self.runtime = runtime
        self.raise_alerts = raise_alerts
        self.store = health_store(runtime.bus)
        self.known: set[str] = set()  # services heard from since this replica started watching
        self.told: dict[str, str] = {}  # what was raised per service, so a steady state is raised once
        self._own_since: datetime | None = None

    async def look(self) -> None:
        now = datetime.now(UTC)
        beats = list((await self.store.items()).values())
        found = verdicts(beats, self.known, now) if self.runtime.bus.connected else {}
        self.known |= {beat.service for beat in beats}
        found |= await self._own(now)
        alerts = []
        for service, (state, why) in sorted(found.items()):
            if self.told.get(service) == state:
                continue
            self.told[service] = state
            title = f"{service} is unhealthy" if state == "failing" else f"{service} is healthy again"
            alerts.append(
                Alert(subject=f"health:{service}", state=state, title=title, message=why, source="notifier")  # type: ignore[arg-type]
            )
        if alerts:
            await self.raise_alerts(alerts)

    async def _own(self, now: datetime) -> dict[str, tuple[str, str]]:
        """The notifier's own health, when its heartbeat cannot be read (NATS away)."""
        if self.runtime.bus.connected:
            self._own_since = None
            return {}
        self._own_since = self._own_since or now
        if now - self._own_since < UNHEALTHY_FOR:
            return {}
        return {"nats": ("failing", "the notifier has not reached NATS for a minute: nothing moves between services")}

    async def run(self, leases: Leases, seconds: float = WATCH_SECONDS) -> None:
        await every(seconds, self.look, what="health watch", lease=leases)
