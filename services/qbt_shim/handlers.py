"""The NATS edge, beside the HTTP one (routes.py): the one broadcast the replicas tell each other, that files
wait to be downloaded (each replica claims what it has room for; the leases see to it that one gets each)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.datastructures import State

from libs.bus import Listen
from libs.schemas import QBT_WORK, WorkAvailable

if TYPE_CHECKING:
    from .app import QbtShim


def shim_of(state: State) -> QbtShim:
    return state.shim


async def work_available(state: State, message: WorkAvailable) -> None:
    shim_of(state).downloader.nudge()


HANDLERS = [Listen(QBT_WORK, work_available)]
