"""PostgreSQL from the `pgserver` wheel's binaries, on a TCP port of ours, data in a directory of ours.

We run `postgres` ourselves rather than through pgserver's helper so the stack owns the process (stop,
kill and restart it in fault tests) and listens on TCP like an external server would. PostgreSQL refuses
to run as root; as root we run it as a system user `pgserver` (the same one pgserver itself would use).
"""

from __future__ import annotations

import os
import pwd
import signal
import stat
import subprocess
from pathlib import Path

from .binaries import postgres_bin
from .process import ManagedProcess, ProcessExited, as_user, free_port, port_open, wait_for

DATABASE = "chillproxy"
SYSTEM_USER = "pgserver"


def _system_user() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", SYSTEM_USER], check=True, capture_output=True)
    return SYSTEM_USER


def _open_path_to(path: Path) -> None:
    """Let the system user traverse every parent of `path` (as pgserver does)."""
    for parent in path.resolve().parents:
        mode = parent.stat().st_mode
        wanted = mode | stat.S_IXOTH
        if wanted != mode:
            parent.chmod(wanted)


class EmbeddedPostgres:
    def __init__(
        self, data_dir: Path, *, port: int | None = None, host: str = "127.0.0.1", durable: bool = True
    ) -> None:
        self.data_dir = data_dir.resolve()
        self.pgdata = self.data_dir / "pgdata"
        self.host = host
        self.port = port or free_port(host)
        self.durable = durable
        self.user = _system_user()
        self.process: ManagedProcess | None = None

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@{self.host}:{self.port}/{DATABASE}"

    def _run(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(postgres_bin() / tool), *args],
            check=True,
            capture_output=True,
            text=True,
            **as_user(self.user),
        )

    def _init(self) -> None:
        if (self.pgdata / "PG_VERSION").exists():
            return
        self.pgdata.mkdir(parents=True, exist_ok=True)
        if self.user:
            _open_path_to(self.pgdata)
            entry = pwd.getpwnam(self.user)
            os.chown(self.pgdata, entry.pw_uid, entry.pw_gid)
        self.pgdata.chmod(0o700)
        self._run("initdb", "-D", str(self.pgdata), "-U", "postgres", "--auth=trust", "--encoding=UTF8")

    def _psql(self, sql: str) -> str:
        return self._run(
            "psql", "-h", self.host, "-p", str(self.port), "-U", "postgres", "-d", "postgres", "-tAc", sql
        ).stdout.strip()

    def ready(self) -> bool:
        # our own process must be the one answering: another server may hold the port we picked
        if self.process is None or not self.process.running or not port_open(self.host, self.port):
            return False
        probe = subprocess.run(
            [str(postgres_bin() / "pg_isready"), "-h", self.host, "-p", str(self.port), "-U", "postgres"],
            capture_output=True,
        )
        if probe.returncode != 0:
            return False
        # a server of ours that could not bind is still running for a moment while another answers on the
        # port: the one answering must be the one serving our data folder (else ours is not up, and a test
        # killing "its" server would kill nothing)
        try:
            answering = self._psql("SHOW data_directory")
        except Exception:  # not answering properly yet
            return False
        return Path(answering).resolve() == self.pgdata.resolve()

    def start(self, timeout: float = 60.0, attempts: int = 3) -> EmbeddedPostgres:
        """Start on our port; if another process took it meanwhile (ours exits), try a new one."""
        self._init()
        for attempt in range(attempts):
            try:
                self._start_once(timeout)
                break
            except ProcessExited:
                if attempt == attempts - 1:
                    raise
                self.port = free_port(self.host)
        if self._psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'") != "1":
            self._psql(f"CREATE DATABASE {DATABASE}")
        return self

    def _start_once(self, timeout: float) -> None:
        argv = [
            str(postgres_bin() / "postgres"),
            "-D", str(self.pgdata),
            "-h", self.host,
            "-p", str(self.port),
            "-c", "unix_socket_directories=",
            "-c", "max_connections=200",
        ]  # fmt: skip
        if not self.durable:
            # tests: no fsync (the data is thrown away anyway), but every commit still written out before it
            # is acknowledged, so a killed server (fault tests) keeps what it said it had
            argv += ["-c", "fsync=off", "-c", "full_page_writes=off"]
        self.process = ManagedProcess(
            "postgres",
            argv,
            log_path=self.data_dir / "postgres.log",
            user=self.user,
            stop_signal=signal.SIGINT,  # fast shutdown: roll back open transactions, don't wait for clients
        ).start()
        wait_for(self.ready, timeout, "postgres", alive=lambda: self.process.running)

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
