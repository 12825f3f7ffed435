"""`entryphone serve --workers 2` with the supervisor on: two API processes answer on one port, and
the node runs one supervisor (one process, one node row, one lease owner), not one per worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.config import Settings
from entryphone.context import AppContext
from entryphone.models import Role
from entryphone.models.fleet_lease import FleetLease
from entryphone.models.fleet_node import FleetNode
from tests.conftest import TEST_SECRET_KEY, Api
from tests.fleet.conftest import add_intercom, intercom_row
from tests.support import seed
from tests.support.emulators import BackgroundEmulators
from tests.support.serving import served_url
from tests.support.wait import until


class Served:
    def __init__(self, settings: Settings, log: Path) -> None:
        env = {
            **os.environ,
            "ENTRYPHONE_DATABASE_URL": settings.database_url,
            "ENTRYPHONE_DATA_DIR": str(settings.data_dir),
            "ENTRYPHONE_SECRET_KEY": TEST_SECRET_KEY,
            "ENTRYPHONE_SUPERVISOR_ENABLED": "true",
            "ENTRYPHONE_LEASE_SECONDS": "3",
            "ENTRYPHONE_EVENT_PULL_WAIT": "2",
            "ENTRYPHONE_RECONNECT_MAX_SECONDS": "1",
            "ENTRYPHONE_LOG_LEVEL": "info",
        }
        self.log = log
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "entryphone", "serve", "--workers", "2", "--port", "0"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def url(self) -> str:
        return served_url(self.process, self.log)

    def children(self) -> list[tuple[int, str]]:
        """(pid, command line) of the serve process's children, from /proc."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                found.append((int(entry.name), command))
        return found

    def stop(self) -> int:
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=60)


@pytest.fixture
def served(settings: Settings, tmp_path: Path) -> Iterator[Served]:
    running = Served(settings, tmp_path / "serve.log")
    try:
        yield running
    finally:
        if running.process.poll() is None:
            running.stop()


def _fleet(settings: Settings) -> tuple[list[str], set[str | None]]:
    async def work(session: AsyncSession, _context: AppContext) -> tuple[list[str], set[str | None]]:
        nodes = list((await session.execute(select(FleetNode.id))).scalars())
        owners = set((await session.execute(select(FleetLease.owner))).scalars())
        return nodes, owners

    return seed.in_session(settings, work)


def test_two_workers_one_supervisor(
    settings: Settings, emulators: BackgroundEmulators, served: Served
) -> None:
    url = served.url()
    intercom_id = add_intercom(settings, emulators.devices[0], title="Served by two workers")
    try:
        until(lambda: intercom_row(settings, intercom_id).is_online, timeout=60)
    except AssertionError:
        raise AssertionError(f"never came online:\n{served.output()}") from None

    supervisors = [(pid, command) for pid, command in served.children() if command.endswith(" supervisor ")]
    workers = [(pid, command) for pid, command in served.children() if "spawn_main" in command]
    assert len(supervisors) == 1, served.children()
    assert len(workers) == 2, served.children()
    nodes, owners = _fleet(settings)
    assert len(nodes) == 1 and nodes[0].endswith(f":{supervisors[0][0]}"), (nodes, served.output())
    assert owners == {nodes[0]}

    with Api(url).client(seed.account(settings, Role.admin).token) as client:
        replies = [client.get(f"/api/admin/v1/intercoms/{intercom_id}") for _ in range(4)]
    assert [reply.status_code for reply in replies] == [200] * 4
    assert all(reply.json()["is_online"] is True for reply in replies)
    # The workers' access log goes through the same credential filter as a single process.
    assert httpx.get(f"{url}/healthz?token=ep_worker-secret-token").status_code == 200

    assert served.stop() == 0, served.output()
    assert served.children() == []
    assert "Traceback" not in served.output()
    assert "/healthz?token=" in served.output() and "worker-secret-token" not in served.output()
