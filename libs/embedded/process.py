"""A child process the stack owns: started in its own session, stopped with SIGTERM then SIGKILL, and
told by the kernel to stop if its parent dies, so nothing outlives `make run` or a test session."""

from __future__ import annotations

import ctypes
import os
import pwd
import random
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

_PR_SET_PDEATHSIG = 1


def as_user(user: str | None) -> dict[str, object]:
    """subprocess arguments that drop to `user` entirely: uid, gid and no supplementary groups of root's."""
    if user is None:
        return {}
    return {"user": user, "group": pwd.getpwnam(user).pw_gid, "extra_groups": []}


def die_with_parent() -> None:
    """Ask the kernel for SIGTERM when our parent dies (children of a killed `make`, of a killed stack)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    except OSError:  # not Linux: the parent's own clean-up still stops us
        pass


def _ephemeral_low() -> int:
    """Where the kernel starts handing ports to outgoing connections (Linux's default: 32768)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


_HANDED_OUT: set[int] = set()


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on, for a server to listen on next. Chosen below the kernel's ephemeral range:
    a port from that range (what binding to port 0 gives) can be taken meanwhile by any outgoing connection
    — a service's to PostgreSQL — and the server then fails with "address already in use" (seen in CI)."""
    low = _ephemeral_low()
    for _ in range(200):
        port = random.randrange(max(1024, low - 12_000), low)
        if port in _HANDED_OUT:
            continue
        try:
            for address in (host, "0.0.0.0"):
                with socket.socket() as sock:
                    sock.bind((address, port))
        except OSError:
            continue
        _HANDED_OUT.add(port)
        return port
    with socket.socket() as sock:  # every try taken: what the kernel gives
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_open(host: str, port: int, timeout: float = 0.2) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for(
    check: Callable[[], bool],
    timeout: float,
    what: str,
    interval: float = 0.05,
    alive: Callable[[], bool] | None = None,
) -> None:
    """Until `check()`; `ProcessExited` at once if `alive()` says the process we wait for is gone."""
    deadline = time.monotonic() + timeout
    while not check():
        if alive is not None and not alive():
            raise ProcessExited(f"{what} exited while starting")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not ready after {timeout:.0f}s")
        time.sleep(interval)


class ProcessExited(RuntimeError):
    """The process exited before it was ready (most often: its port was taken in the meantime)."""


class ManagedProcess:
    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        log_path: Path,
        env: dict[str, str] | None = None,
        user: str | None = None,
        cwd: Path | None = None,
        stop_signal: int = signal.SIGTERM,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log_path = log_path
        self.env = env
        self.user = user
        self.cwd = cwd
        self.stop_signal = stop_signal
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ManagedProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        try:
            self.process = subprocess.Popen(
                self.argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=self.env,
                cwd=self.cwd,
                **as_user(self.user),
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
        finally:
            log.close()
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def stop(self, timeout: float = 15.0) -> None:
        if not self.running:
            return
        assert self.process is not None
        self.process.send_signal(self.stop_signal)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)

    def kill(self) -> None:
        """Stop at once, as a crash would (fault tests)."""
        if self.running:
            assert self.process is not None
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""
