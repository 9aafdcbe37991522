"""A parsing worker, as stream-proxy starts it: `python -m services.stream_proxy.parsing_worker FD [FD …]`.

It imports titles.py (RTN) once and then forks one more worker per further socket, so they all share the
imported pages; each answers calls on its own socket, one at a time, and exits when the service's end of it
closes — the service stopping, or killed. Started with only these sockets, it holds none of the service's
connections. A frame is a 4-byte big-endian length and msgpack: a call `[name, args]`, an answer
`[ok, result or error text]`; the first frame a worker sends is its pid.
"""

from __future__ import annotations

import os
import signal
import socket
import struct
import sys
import traceback

import msgspec

HEADER = struct.Struct(">I")  # also read by workers.py, in the service: titles.py is only imported by main()
CALLS: dict[str, object] = {}  # name → function of titles.py, filled by main()
_encode = msgspec.msgpack.Encoder().encode
_call = msgspec.msgpack.Decoder(tuple[str, list[object]])


def _read_exactly(conn: socket.socket, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = conn.recv(left)
        if not chunk:
            return None  # the service's end is closed
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _send(conn: socket.socket, value: object) -> None:
    payload = _encode(value)
    conn.sendall(HEADER.pack(len(payload)) + payload)


def answer(name: str, args: list[object]) -> tuple[bool, object]:
    try:
        return True, CALLS[name](*args)  # type: ignore[operator]
    except Exception as error:  # the service reports it; the worker goes on serving
        return False, "".join(traceback.format_exception_only(error)).strip()


def serve(fd: int) -> None:
    conn = socket.socket(fileno=fd)
    try:
        _send(conn, os.getpid())
        while (header := _read_exactly(conn, HEADER.size)) is not None:
            payload = _read_exactly(conn, HEADER.unpack(header)[0])
            if payload is None:
                break
            try:
                name, args = _call.decode(payload)
            except msgspec.DecodeError as error:
                _send(conn, (False, f"bad call: {error}"))
                continue
            _send(conn, answer(name, args))
    except OSError:  # the service went away mid-answer
        pass


def main(fds: list[int]) -> None:
    from . import titles  # imported once, before the forks: its pages shared by every worker

    CALLS.update(parse_many=titles.parse_many, same_titles=titles.same_titles)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a ^C of `make run` stops the service, which closes ours
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the workers forked here are reaped by the kernel
    first, *others = fds
    for fd in others:
        if os.fork() == 0:
            for other in fds:
                if other != fd:
                    os.close(other)
            try:
                serve(fd)
            finally:
                os._exit(0)
        os.close(fd)
    serve(first)


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]])
