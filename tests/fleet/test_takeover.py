"""Supervisors as real processes: killed with SIGKILL mid-stream and restarted, and two nodes
sharing a fleet and taking over each other's intercoms. Events before, during and after are all
stored exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.config import Settings
from entryphone.context import AppContext
from entryphone.fleet import repository
from tests.conftest import TEST_SECRET_KEY
from tests.fleet.conftest import add_intercom, count_duplicates, intercom_row, stored_events
from tests.support import seed
from tests.support.emulators import BackgroundEmulators
from tests.support.wait import until

LEASE_SECONDS = 3


class SupervisorProcess:
    def __init__(self, settings: Settings, node_id: str, log_dir: Path) -> None:
        self.env = {
            **os.environ,
            "ENTRYPHONE_DATABASE_URL": settings.database_url,
            "ENTRYPHONE_DATA_DIR": str(settings.data_dir),
            "ENTRYPHONE_SECRET_KEY": TEST_SECRET_KEY,
            "ENTRYPHONE_NODE_ID": node_id,
            "ENTRYPHONE_LEASE_SECONDS": str(LEASE_SECONDS),
            "ENTRYPHONE_EVENT_PULL_WAIT": "2",
            "ENTRYPHONE_RECONNECT_MAX_SECONDS": "1",
        }
        self.node_id = node_id
        self.log = log_dir / f"{node_id}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> SupervisorProcess:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "entryphone", "supervisor"], env=self.env, stdout=log, stderr=log
            )
        return self

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def terminate(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


def owners(settings: Settings) -> dict[int, str | None]:
    async def work(session: AsyncSession, _context: AppContext) -> dict[int, str | None]:
        return await repository.lease_owners(session)

    return seed.in_session(settings, work)


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[list[SupervisorProcess]]:
    started: list[SupervisorProcess] = []
    yield started
    for process in started:
        process.terminate()


def test_kill_9_and_restart_stores_everything_exactly_once(
    settings: Settings, emulators: BackgroundEmulators, processes: list[SupervisorProcess], tmp_path: Path
) -> None:
    device = emulators.devices[2]
    intercom_id = add_intercom(settings, device)
    first = SupervisorProcess(settings, "node-kill", tmp_path).start()
    processes.append(first)
    until(lambda: intercom_row(settings, intercom_id).is_online, timeout=30)

    emulators.control(device, "card", {"uid": "AA0001"})
    until(lambda: stored_events(settings, intercom_id, "CardEntered"), timeout=30)
    first.kill()
    emulators.control(device, "card", {"uid": "AA0002"})  # nobody is listening now
    second = SupervisorProcess(settings, "node-kill", tmp_path).start()  # same node, restarted
    processes.append(second)
    emulators.control(device, "card", {"uid": "AA0003"})
    uids = until(
        lambda: (
            sorted(e.params.get("uid") for e in stored_events(settings, intercom_id, "CardEntered"))
            if len(stored_events(settings, intercom_id, "CardEntered")) >= 3
            else None
        ),
        timeout=40,
    )
    assert uids == ["AA0001", "AA0002", "AA0003"]
    assert count_duplicates(settings) == 0


def test_two_supervisors_share_the_fleet_and_take_over_a_dead_one(
    backend: str,
    settings: Settings,
    emulators: BackgroundEmulators,
    processes: list[SupervisorProcess],
    tmp_path: Path,
) -> None:
    if backend != "postgresql":
        pytest.skip("several supervisors share a fleet through PostgreSQL; SQLite is single-process")
    # Earlier tests in the module may have left intercoms; this test watches its own two.
    ids = [add_intercom(settings, emulators.devices[index]) for index in (0, 3)]
    a = SupervisorProcess(settings, "node-a", tmp_path).start()
    b = SupervisorProcess(settings, "node-b", tmp_path).start()
    processes.extend([a, b])

    def both_nodes_hold_leases() -> bool:
        holders = owners(settings)
        return all(holders.get(i) in {"node-a", "node-b"} for i in ids) and {"node-a", "node-b"} <= set(
            holders.values()
        )

    until(both_nodes_hold_leases, timeout=40, message="the two nodes never shared the fleet")
    victim = a
    victims = [i for i, owner in owners(settings).items() if owner == victim.node_id]
    assert victims
    victim.kill()
    device_of = {ids[0]: emulators.devices[0], ids[1]: emulators.devices[3]}
    # Events while nobody watches the victim's intercoms...
    for intercom_id in victims:
        if intercom_id in device_of:
            emulators.control(device_of[intercom_id], "code", {"code": "4242"})
    # ...are caught up once the survivor takes them over, within a few lease periods.
    until(lambda: all(owners(settings).get(i) == "node-b" for i in victims), timeout=LEASE_SECONDS * 6)
    for intercom_id in victims:
        if intercom_id in device_of:
            until(lambda i=intercom_id: stored_events(settings, i, "CodeEntered"), timeout=30)
    assert count_duplicates(settings) == 0
