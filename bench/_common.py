"""What the benchmarks share: process figures from /proc, percentiles, emulated panels in a child
process, a fresh migrated database (SQLite file or a throwaway PostgreSQL), seeding through the
domain models, and the report (a rich table on stdout plus JSON in bench/results/<name>.json).

Benchmarks report figures; they never assert them. All traffic goes to 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.config import Settings
from entryphone.context import AppContext, in_transaction
from entryphone.db import migrate
from entryphone.models import Intercom
from entryphone.models.device_state import DeviceState

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SECRET_KEY = "bench-secret-key-not-for-production"

T = TypeVar("T")
console = Console()


# -- process figures ------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """user + system CPU seconds of a process so far (from /proc, no psutil)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def runqueue_wait_seconds(pid: int) -> float:
    """Seconds the process's main thread (the event loop) spent runnable but waiting for a CPU."""
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[1]) / 1e9


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def children(pid: int) -> list[int]:
    """Live child processes of `pid` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if parent == pid:
                found.append(int(entry.name))
    return found


def command_line(pid: int) -> str:
    try:
        return (Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()).strip()
    except OSError:
        return ""


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds of a process and its live descendants (PostgreSQL: the postmaster and backends)."""
    total = 0.0
    for member in [pid, *children(pid)]:
        try:
            total += cpu_seconds(member) if member == pid else tree_cpu_seconds(member)
        except OSError:
            continue  # exited meanwhile
    return total


@dataclass
class CpuWindow:
    """CPU use of some processes over a wall-clock window: cores busy = CPU seconds / wall seconds,
    and cores wanted but not given = seconds spent waiting for a CPU / wall seconds (on a shared
    machine this shows when a process was starved rather than idle)."""

    pids: dict[str, int]

    def __post_init__(self) -> None:
        self.started = time.monotonic()
        self.cpu = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        self.waited = {name: runqueue_wait_seconds(pid) for name, pid in self.pids.items()}

    def cores(self) -> dict[str, float]:
        wall = max(time.monotonic() - self.started, 1e-6)
        return {name: (cpu_seconds(pid) - self.cpu[name]) / wall for name, pid in self.pids.items()}

    def starved(self) -> dict[str, float]:
        wall = max(time.monotonic() - self.started, 1e-6)
        pids = self.pids.items()
        return {name: (runqueue_wait_seconds(pid) - self.waited[name]) / wall for name, pid in pids}


def raise_open_file_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        return hard
    return soft


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def code_version() -> str:
    """The commit measured, and whether src/ had uncommitted changes (a shared working tree)."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    dirty = git("status", "--porcelain", "--", "src")
    return git("rev-parse", "--short", "HEAD") + (" with uncommitted changes in src/" if dirty else "")


# -- the report -----------------------------------------------------------------------------------


def report(name: str, title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], data: Any) -> Path:
    """Print a table and write `data` (with the table) as JSON to bench/results/<name>.json."""
    table = Table(title=title)
    for index, column in enumerate(columns):
        table.add_column(column, justify="left" if index == 0 else "right")
    for row in rows:
        table.add_row(*(str(cell) for cell in row))
    console.print(table)
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    document = {
        "benchmark": name,
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "cpus": os.cpu_count(),
        "load_average_1_5_15": os.getloadavg(),
        "code": code_version(),
        "table": {"title": title, "columns": list(columns), "rows": [list(map(str, r)) for r in rows]},
        "data": data,
    }
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
    console.print(f"[dim]written {path.relative_to(ROOT)}[/]")
    return path


# -- emulated panels in their own process ----------------------------------------------------------


@dataclass
class Emulators:
    process: subprocess.Popen[str]
    devices: list[dict[str, Any]]
    startup_s: float

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def spawn_emulators(count: int, profile: str, timeout: float = 600) -> Emulators:
    """`python -m entryphone.emulator.cli --count N` on ephemeral ports, plain HTTP; waits until every
    device printed its JSON line (they print once all listen)."""
    raise_open_file_limit()  # inherited by the child
    command = [sys.executable, "-m", "entryphone.emulator.cli", "--count", str(count), "--port", "0"]
    command += ["--no-https", "--profile", profile, "--restart-downtime", "0.5"]
    started = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert process.stdout is not None
    devices: list[dict[str, Any]] = []
    deadline = started + timeout
    while len(devices) < count:
        line = process.stdout.readline()
        if not line:
            process.kill()
            raise RuntimeError(f"the emulator exited after {len(devices)} of {count} devices")
        devices.append(json.loads(line))
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("the emulator did not start in time")
    return Emulators(process, devices, time.monotonic() - started)


# -- a fresh database ------------------------------------------------------------------------------


def settings_for(database_url: str, data_dir: Path, **overrides: Any) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        secret_key=SECRET_KEY,
        **overrides,
    )


def child_env(settings: Settings, **extra: Any) -> dict[str, str]:
    """The environment that gives a child `entryphone` process these settings."""
    env = dict(os.environ)
    env.update(
        {
            "ENTRYPHONE_DATABASE_URL": settings.database_url,
            "ENTRYPHONE_DATA_DIR": str(settings.data_dir),
            "ENTRYPHONE_SECRET_KEY": SECRET_KEY,
            "ENTRYPHONE_LOG_LEVEL": "warning",
        }
    )
    env.update({f"ENTRYPHONE_{key.upper()}": str(value) for key, value in extra.items()})
    return env


_CLUSTER_ROOTS: list[Path] = []  # throwaway PostgreSQL clusters started by fresh_database


def postgres_pid() -> int | None:
    """The postmaster of the throwaway PostgreSQL cluster in use, if any."""
    for root in _CLUSTER_ROOTS:
        for pid_file in root.rglob("postmaster.pid"):
            return int(pid_file.read_text().split()[0])
    return None


@contextmanager
def fresh_database(backend: str, database_url: str | None) -> Iterator[tuple[str, Path]]:
    """(database URL, data dir) of a freshly migrated database. `database_url` given: that database
    is migrated and used as it is (it should be empty); otherwise a new SQLite file, or a throwaway
    PostgreSQL cluster started like the test suite does (tests/support/postgres.py)."""
    workdir = Path(tempfile.mkdtemp(prefix="entryphone-bench-"))
    cluster: Any = None
    try:
        if database_url:
            url = database_url
        elif backend == "sqlite":
            url = f"sqlite+aiosqlite:///{workdir / 'entryphone.sqlite3'}"
        elif backend == "postgresql":
            sys.path.insert(0, str(ROOT))  # the test suite's helper, reused rather than copied
            from tests.support.postgres import PostgresCluster  # type: ignore[import-not-found]

            cluster = PostgresCluster.start()
            _CLUSTER_ROOTS.append(cluster.root)
            url = cluster.create_database("bench")
        else:
            raise ValueError(f"unknown backend {backend!r}")
        migrate.upgrade(settings_for(url, workdir))
        yield url, workdir
    finally:
        if cluster is not None:
            _CLUSTER_ROOTS.remove(cluster.root)
            cluster.stop()


def in_session(settings: Settings, work: Callable[[AsyncSession, AppContext], Awaitable[T]]) -> T:
    """Run `work` in one committed transaction (blocking; call it outside any event loop)."""

    return asyncio.run(in_transaction(settings, work))


def seed_intercoms(settings: Settings, devices: Sequence[dict[str, Any]], **fields: Any) -> list[int]:
    """One `2n` intercom per emulated device, pointing at it over loopback HTTP (as onboarding
    leaves it: address, login, encrypted password)."""

    async def work(session: AsyncSession, context: AppContext) -> list[int]:
        records = []
        for index, device in enumerate(devices):
            host, _, port = device["url"].removeprefix("http://").partition(":")
            records.append(
                Intercom(
                    title=f"Bench {index + 1}",
                    vendor="2n",
                    status="installed",
                    serial_number=device["serial"],
                    mac=device["mac"],
                    schema="http",
                    ip=host,
                    port=int(port),
                    login=device["login"],
                    password_encrypted=context.secrets.encrypt(device["password"]),
                    **fields,
                )
            )
        session.add_all(records)
        await session.flush()
        return [record.id for record in records]

    return in_session(settings, work)


# -- the deployed configuration (docs/operations.md) ------------------------------------------------


@dataclass
class Node:
    """`entryphone serve --workers N` with the supervisor beside the workers, as one node runs."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def processes(self) -> dict[str, int]:
        """name -> pid: the serve parent, each worker, the supervisor (and the database's postmaster
        when it is a throwaway cluster of this run)."""
        found = {"serve": self.process.pid}
        workers = 0
        for pid in sorted(children(self.process.pid)):
            command = command_line(pid)
            if command.endswith(" supervisor"):
                found["supervisor"] = pid
            elif "spawn_main" in command:
                workers += 1
                found[f"worker {workers}"] = pid
        postgres = postgres_pid()
        if postgres is not None:
            found["postgresql"] = postgres
        return found

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def deployed_node(
    settings: Settings, *, workers: int = 2, supervisor: bool = True, **extra: Any
) -> Iterator[Node]:
    """The node of docs/operations.md on `settings`' database: `entryphone serve --workers N` (the
    supervisor once beside the workers unless `supervisor=False`), on a free loopback port, until
    it answers /healthz. `extra`: more ENTRYPHONE_* settings."""
    port = free_port()
    env = child_env(settings, supervisor_enabled=str(supervisor).lower(), **extra)
    log = Path(settings.data_dir) / f"serve-{port}.log"
    command = [sys.executable, "-m", "entryphone", "serve", "--workers", str(workers), "--port", str(port)]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, env=env, stdout=sink, stderr=subprocess.STDOUT, cwd=ROOT)
    node = Node(f"http://127.0.0.1:{port}", process, log)
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"serve did not start:\n{log.read_text(errors='replace')[-3000:]}")
            try:
                with urllib.request.urlopen(f"{node.url}/healthz", timeout=5) as reply:  # noqa: S310
                    if reply.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        while supervisor and workers > 1 and "supervisor" not in node.processes():
            time.sleep(0.1)
        yield node
    finally:
        node.stop()


def online_count(settings: Settings) -> int:
    async def work(session: AsyncSession, _context: AppContext) -> int:
        query = select(func.count()).select_from(DeviceState).where(DeviceState.is_online.is_(True))
        return int(await session.scalar(query) or 0)

    return in_session(settings, work)


def wait_online(settings: Settings, count: int, timeout: float = 600) -> float:
    """Wait until `count` panels are online (the supervisor connected them); seconds waited."""
    started = time.monotonic()
    while online_count(settings) < count:
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"only {online_count(settings)} of {count} panels came online")
        time.sleep(0.5)
    return time.monotonic() - started
