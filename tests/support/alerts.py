"""What a service raised on `alert.raised`, read back from JetStream (the ALERTS stream keeps every one)."""

from __future__ import annotations

import msgspec
import nats.js.errors

from libs.bus import Bus
from libs.schemas import Alert
from tests.support.asgi import eventually


async def alerts_about(bus: Bus, subject: str) -> list[Alert]:
    """The alerts about `subject`, oldest first."""
    info = await bus.js.stream_info("ALERTS")
    found = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        try:
            message = await bus.js.get_msg("ALERTS", seq)
        except nats.js.errors.NotFoundError:  # removed meanwhile
            continue
        alert = msgspec.json.decode(message.data, type=Alert)
        if alert.subject == subject:
            found.append(alert)
    return found


async def raised(bus: Bus, subject: str, count: int, timeout: float = 15.0) -> list[Alert]:
    """Once `count` alerts about `subject` are in JetStream (their outbox publishes after the commit)."""

    async def enough() -> list[Alert] | None:
        found = await alerts_about(bus, subject)
        return found if len(found) >= count else None

    return await eventually(enough, timeout=timeout)
