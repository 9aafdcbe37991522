"""The parsing workers seen from the service: processes started from `parsing_worker.py`, each called over its
own socket, one call at a time, the idle ones waiting in a queue.

Why not `concurrent.futures.ProcessPoolExecutor`: with a fork server (the service must not fork itself — a
forked worker would keep the service's connections open, and Traefik would wait on one for ever) it also
starts multiprocessing's resource tracker, and the fork server stays beside the workers: two processes, 26 MiB
of PSS for nothing. Here the first worker imports RTN and forks the others itself, so they share its pages,
and a worker ends on its own when its socket closes, the service killed or not.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import msgspec

from libs.telemetry import get_logger

from .parsing_worker import HEADER

log = get_logger(__name__)
ROOT = Path(__file__).resolve().parents[2]  # where `-m services.stream_proxy.parsing_worker` is found
START_SECONDS = 60.0  # a worker imports RTN before it answers (~0.5 s; far more on a busy machine)

_encode = msgspec.msgpack.Encoder().encode
_answer = msgspec.msgpack.Decoder(tuple[bool, msgspec.Raw])
_pid = msgspec.msgpack.Decoder(int)
_error = msgspec.msgpack.Decoder(str)


class WorkerFailed(Exception):
    """A call a worker could not answer (its error text), or a worker that died twice in one call."""


class _Worker:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.pid = 0

    async def read_frame(self) -> bytes:
        header = await self.reader.readexactly(HEADER.size)
        return await self.reader.readexactly(HEADER.unpack(header)[0])

    async def call(self, name: str, args: tuple[object, ...]) -> tuple[bool, msgspec.Raw]:
        payload = _encode((name, args))
        self.writer.write(HEADER.pack(len(payload)) + payload)
        await self.writer.drain()
        return _answer.decode(await self.read_frame())

    def close(self) -> None:
        self.writer.close()  # the worker reads the end of its socket and exits


class WorkerPool:
    def __init__(self, size: int) -> None:
        self.size = size
        self._idle: asyncio.Queue[_Worker] = asyncio.Queue()
        self._workers: list[_Worker] = []
        self._starting: asyncio.Lock | None = None

    @property
    def pids(self) -> list[int]:
        return [worker.pid for worker in self._workers]

    async def start(self) -> None:
        """Start the workers now (they import RTN: ~0.5 s), if not started yet."""
        self._starting = self._starting or asyncio.Lock()
        async with self._starting:
            if not self._workers:
                for worker in await self._spawn(self.size):
                    self._idle.put_nowait(worker)

    async def call(self, name: str, args: tuple[object, ...], result: type[Any]) -> Any:
        """`titles.<name>(*args)` in a worker, decoded as `result`. The exchange runs in its own task: a caller
        that goes away (a player closing its connection) must not leave an answer unread on the socket, where
        the next call would take it for its own."""
        await self.start()
        ok, value = await asyncio.shield(asyncio.ensure_future(self._exchange(name, args)))
        if not ok:
            raise WorkerFailed(_error.decode(value))
        return msgspec.msgpack.decode(value, type=result)

    async def _exchange(self, name: str, args: tuple[object, ...]) -> tuple[bool, msgspec.Raw]:
        worker = await self._idle.get()
        try:
            try:
                return await worker.call(name, args)
            except (ConnectionError, asyncio.IncompleteReadError):
                log.warning("a parsing worker ended; starting another", pid=worker.pid)
                worker = await self._replace(worker)
                try:
                    return await worker.call(name, args)
                except (ConnectionError, asyncio.IncompleteReadError):
                    raise WorkerFailed("the parsing worker ended while parsing") from None
        finally:
            self._idle.put_nowait(worker)

    async def _replace(self, dead: _Worker) -> _Worker:
        dead.close()
        self._workers.remove(dead)
        (worker,) = await self._spawn(1)
        return worker

    async def _spawn(self, count: int) -> list[_Worker]:
        """One process with `count` sockets: it forks a worker for each one after the first."""
        pairs = [socket.socketpair() for _ in range(count)]
        theirs = [pair[1].fileno() for pair in pairs]
        command = [sys.executable, "-m", f"{__package__}.parsing_worker", *map(str, theirs)]
        try:
            await asyncio.create_subprocess_exec(*command, cwd=ROOT, stdin=subprocess.DEVNULL, pass_fds=theirs)
        finally:
            for _, end in pairs:
                end.close()
        workers = []
        for ours, _ in pairs:
            worker = _Worker(*await asyncio.open_connection(sock=ours))
            worker.pid = _pid.decode(await asyncio.wait_for(worker.read_frame(), START_SECONDS))
            workers.append(worker)
        self._workers += workers
        return workers

    def close(self) -> None:
        """Each worker exits once it has read the end of its socket (asyncio reaps the one it started)."""
        for worker in self._workers:
            worker.close()
        self._workers.clear()
