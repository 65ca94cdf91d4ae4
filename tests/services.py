"""Throw-away PostgreSQL, Redis and Postfix (+ Dovecot SASL) servers on loopback, for integration tests and
benchmarks.

    pg = start_postgres()            # initdb into a temp dir, pg_ctl start on 127.0.0.1:<free port>
    pg.url                           # postgresql://postgres@127.0.0.1:<port>/postgres
    pg.create_database("x")          # -> URL of a fresh, empty database
    pg.stop(); pg.start()            # simulate an outage and the return (same port, same data)
    pg.destroy()                     # stop and delete the data directory

    rd = start_redis()               # redis-server --save '' on 127.0.0.1:<free port>
    rd.url                           # redis://127.0.0.1:<port>/0
    rd.stop(); rd.start(); rd.destroy()

PostgreSQL refuses to run as root, so when the tests run as root the server runs as the `postgres` user
(`runuser`). `fast=True` (tests) turns fsync off; benchmarks pass `fast=False` for honest figures.
`postgres_missing()` / `redis_missing()` return a reason string to skip on, or None.

    directory, lab = start_postfix_lab(base)   # scripts/lab/postfix-lab.sh: services on ports base+…
    lab["plain"], lab["ca"], lab["user"] …     # the script's last line, key=value pairs
    stop_postfix_lab(directory)
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "PostgresServer",
    "RedisServer",
    "free_port",
    "postgres_missing",
    "redis_missing",
    "start_postfix_lab",
    "start_postgres",
    "start_redis",
    "stop_postfix_lab",
]

LAB_SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "lab" / "postfix-lab.sh"

START_TIMEOUT_S = 30.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def postgres_missing() -> str | None:
    """Why PostgreSQL cannot be started here, or None."""
    if not _pg_bin("initdb") or not _pg_bin("pg_ctl"):
        return "PostgreSQL binaries not found (apt-get install postgresql)"
    if os.geteuid() == 0 and not shutil.which("runuser"):
        return "running as root without runuser to drop to the postgres user"
    return None


def redis_missing() -> str | None:
    """Why redis-server cannot be started here, or None."""
    return None if shutil.which("redis-server") else "redis-server not found (apt-get install redis-server)"


def _as_owner(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


def _wait_port(port: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout_s:.0f} s")


@dataclass
class PostgresServer:
    """A PostgreSQL cluster in a temp dir; trust auth on loopback only."""

    datadir: Path
    port: int
    fast: bool = True
    running: bool = False

    @property
    def url(self) -> str:
        """URL of the `postgres` database as the `postgres` superuser."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        """Start (or restart after stop()) on the same port and data."""
        opts = f"-h 127.0.0.1 -p {self.port} -k {self.datadir} -c max_connections=200"
        if self.fast:
            opts += " -F -c synchronous_commit=off -c full_page_writes=off"
        subprocess.run(_as_owner([str(_pg_bin("pg_ctl")), "-D", str(self.datadir / "data"), "-o", opts, "-w",
                                  "-t", str(int(START_TIMEOUT_S)), "-l", str(self.datadir / "log"), "start"]),
                       check=True, capture_output=True)
        self.running = True

    def stop(self) -> None:
        """Stop the server (fast shutdown: open sessions are cut, as in an outage)."""
        if self.running:
            subprocess.run(_as_owner([str(_pg_bin("pg_ctl")), "-D", str(self.datadir / "data"), "-m", "fast",
                                      "-w", "stop"]), check=True, capture_output=True)
            self.running = False

    def create_database(self, name: str) -> str:
        """Create an empty database and return its URL."""
        import psycopg

        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')  # test-chosen name, not user input
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def destroy(self) -> None:
        """Stop and delete the data directory."""
        try:
            self.stop()
        finally:
            shutil.rmtree(self.datadir, ignore_errors=True)


def start_postgres(*, fast: bool = True) -> PostgresServer:
    """initdb into a fresh temp dir and start PostgreSQL on a free loopback port."""
    root = Path(tempfile.mkdtemp(prefix="smtp-help-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    subprocess.run(_as_owner([str(_pg_bin("initdb")), "-D", str(root / "data"), "-U", "postgres", "--auth=trust",
                              "-E", "UTF8", "--no-sync", "--no-instructions"]), check=True, capture_output=True)
    server = PostgresServer(datadir=root, port=free_port(), fast=fast)
    server.start()
    return server


@dataclass
class RedisServer:
    """A redis-server with no persistence, bound to loopback."""

    datadir: Path
    port: int
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """redis:// URL of database 0."""
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start (or restart after stop()) on the same port; data does not survive a restart."""
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.datadir), "--protected-mode", "yes", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_port(self.port, START_TIMEOUT_S)

    def stop(self) -> None:
        """Terminate the server."""
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None

    def destroy(self) -> None:
        """Stop and delete the temp dir."""
        try:
            self.stop()
        finally:
            shutil.rmtree(self.datadir, ignore_errors=True)


def start_redis() -> RedisServer:
    """Start redis-server on a free loopback port."""
    server = RedisServer(datadir=Path(tempfile.mkdtemp(prefix="smtp-help-redis-")), port=free_port())
    server.start()
    return server


def start_postfix_lab(base: int) -> tuple[Path, dict[str, str]]:
    """Start the Postfix + Dovecot lab on 127.0.0.1 ports from `base`; return its directory and the key=value
    pairs it prints (ports, ca, user, password). Raises RuntimeError with the script's output if it fails."""
    # Not under pytest's tmp dir: that one is 0700 and smtpd runs as the postfix user.
    directory = Path(tempfile.mkdtemp(prefix="smtp-help-lab-"))
    out = directory.with_suffix(".out")
    with out.open("w") as fh, open(os.devnull) as devnull:
        code = subprocess.run(["bash", str(LAB_SCRIPT), "start", str(directory), str(base)], stdin=devnull,
                              stdout=fh, stderr=subprocess.STDOUT, timeout=60, check=False).returncode
    text = out.read_text()
    out.unlink()
    if code != 0:
        stop_postfix_lab(directory)
        raise RuntimeError(f"postfix lab did not start: {text[-2000:]}")
    return directory, dict(part.split("=", 1) for part in text.strip().splitlines()[-1].split())


def stop_postfix_lab(directory: Path) -> None:
    """Stop the lab's Postfix and Dovecot and remove its directory."""
    with open(os.devnull, "w") as devnull:
        subprocess.run(["bash", str(LAB_SCRIPT), "stop", str(directory)], stdout=devnull, stderr=devnull,
                       timeout=60, check=False)
    shutil.rmtree(directory, ignore_errors=True)


def full_backlog_listener() -> tuple[socket.socket, list[socket.socket]]:
    """A loopback listener whose accept queue is full (listen(0), never accepted, filled by pending connects):
    the kernel drops further SYNs, so a client sees a connect time-out. Close the fillers and the listener after."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(("127.0.0.1", port))
        fillers.append(filler)
    time.sleep(0.05)
    return listener, fillers


def stop_processes(procs: list[subprocess.Popen[bytes]], *, timeout_s: float = 30.0) -> None:
    """SIGTERM every process (last started first), wait for each, SIGKILL what does not exit in time."""
    for proc in reversed(procs):
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
