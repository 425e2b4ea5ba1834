"""A throwaway PostgreSQL server for the tests and the benchmark: real, local, fast, gone after.

``initdb`` into a temp directory, ``pg_ctl start`` on 127.0.0.1 and a free port (and a unix
socket in the same directory), with durability off (``fsync``, ``synchronous_commit``,
``full_page_writes``): a test database that a crash loses is no loss, and those settings make
commits cost microseconds. ``initdb`` refuses to run as root, so as root the server runs as
the ``postgres`` user that Debian's package creates, owning the directory. The server stops
when ``stop()`` is called or the interpreter exits, so no run leaves one behind.
"""

from __future__ import annotations

import atexit
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

USER = "nwfz"  # the superuser initdb creates; trust authentication, local only
SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    # Two test workers, each a pool per test plus the multi-replica tests' processes.
    "max_connections": "300",
}
START_ATTEMPTS = 3  # a free port can be taken between choosing and binding it


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL binaries here, or a server that would not start (the message says which
    and how to fix it)."""


def find_bindir() -> Path | None:
    """Where ``initdb`` and ``pg_ctl`` are: ``pg_config --bindir``, Debian's versioned
    directories (newest first), or the ``PATH``."""
    candidates: list[Path] = []
    if pg_config := shutil.which("pg_config"):
        result = subprocess.run(
            [pg_config, "--bindir"], check=False, capture_output=True, text=True
        )
        if result.returncode == 0:
            candidates.append(Path(result.stdout.strip()))
    versions = glob.glob("/usr/lib/postgresql/*/bin")
    candidates += [Path(path) for path in sorted(versions, key=_version, reverse=True)]
    if initdb := shutil.which("initdb"):
        candidates.append(Path(initdb).resolve().parent)
    for candidate in candidates:
        if (candidate / "initdb").is_file() and (candidate / "pg_ctl").is_file():
            return candidate
    return None


def _version(path: str) -> int:
    number = Path(path).parent.name
    return int(number) if number.isdigit() else 0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class PostgresServer:
    directory: Path
    bindir: Path
    run_as: list[str]
    port: int = 0
    running: bool = field(default=False)

    @property
    def data(self) -> Path:
        return self.directory / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def _pg_ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.run_as, str(self.bindir / "pg_ctl"), "-D", str(self.data), *args],
            check=False, capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    def start(self) -> None:
        for _ in range(START_ATTEMPTS):
            self.port = free_port()
            options = " ".join(
                [f"-p {self.port}", f"-k {self.directory}"]
                + [f"-c {name}={value}" for name, value in SETTINGS.items()]
            )
            log = self.directory / "server.log"
            started = self._pg_ctl("-w", "-l", str(log), "-o", options, "start")
            if started.returncode == 0:
                self.running = True
                return
        tail = log.read_text()[-2000:] if log.exists() else started.stderr
        raise PostgresUnavailable(f"PostgreSQL would not start in {self.directory}:\n{tail}")

    def stop(self) -> None:
        if self.running:
            # immediate: the data is thrown away, so there is nothing to shut down cleanly.
            self._pg_ctl("-m", "immediate", "stop")
            self.running = False
        shutil.rmtree(self.directory, ignore_errors=True)


def start_postgres() -> PostgresServer:
    """initdb and start a server in a new temp directory; stopped at interpreter exit."""
    bindir = find_bindir()
    if bindir is None:
        raise PostgresUnavailable(
            "PostgreSQL is not installed (no initdb found): apt-get install postgresql"
            " (scripts/test.sh does it when run as root)"
        )
    directory = Path(tempfile.mkdtemp(prefix="nwfz-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:
        # initdb and postgres refuse root; Debian's package creates this user.
        shutil.chown(directory, user="postgres", group="postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    server = PostgresServer(directory, bindir, run_as)
    atexit.register(server.stop)
    initdb = subprocess.run(
        [*run_as, str(bindir / "initdb"), "-D", str(server.data), "-U", USER,
         "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"],
        check=False, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    if initdb.returncode != 0:
        server.stop()
        raise PostgresUnavailable(f"initdb failed: {initdb.stderr.strip()}")
    try:
        server.start()
    except PostgresUnavailable:
        server.stop()
        raise
    return server
