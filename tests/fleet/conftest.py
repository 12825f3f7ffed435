"""Fleet tests: emulated panels, intercoms pointing at them, supervisors really started."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.config import Settings
from entryphone.context import AppContext
from entryphone.emulator import EmulatedDevice
from entryphone.models import Intercom, Role
from entryphone.models.device_event import DeviceEventRecord
from tests.conftest import Api
from tests.support import seed
from tests.support.emulators import BackgroundEmulators
from tests.support.server import RunningServer, start_server


@pytest.fixture(scope="module")
def emulators(backend: str) -> Iterator[BackgroundEmulators]:
    """Fresh panels per backend run: a panel remembers its history, which catch-up would replay."""
    running = BackgroundEmulators(count=4).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def supervised(settings: Settings) -> Iterator[RunningServer]:
    """The app with its supervisor running, on the module's database."""
    running = start_server(fleet_settings(settings))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def admin_api(supervised: RunningServer, settings: Settings) -> Iterator[httpx.Client]:
    with Api(supervised.url).client(seed.account(settings, Role.admin).token) as client:
        yield client


def fleet_settings(settings: Settings, **overrides: object) -> Settings:
    """Short leases, pulls and heartbeats, so takeovers, reconnects and last_seen_at writes happen
    within a test's patience."""
    values: dict[str, object] = {
        "supervisor_enabled": True,
        "lease_seconds": 3.0,
        "last_seen_seconds": 0.5,
        "event_pull_wait": 2.0,
        "reconnect_max_seconds": 1.0,
        "device_timeout": 5.0,
    }
    values.update(overrides)
    return settings.model_copy(update=values)


def add_intercom(settings: Settings, device: EmulatedDevice, title: str | None = None) -> int:
    async def work(session: AsyncSession, context: AppContext) -> int:
        intercom = Intercom(
            title=title or f"Emulated {device.serial}",
            vendor="2n",
            status="installed",
            serial_number=device.serial,
            schema="http",
            ip="127.0.0.1",
            port=device.port,
            login=device.login,
            password_encrypted=context.secrets.encrypt(device.password),
        )
        session.add(intercom)
        await session.flush()
        return intercom.id

    return seed.in_session(settings, work)


def stored_events(settings: Settings, intercom_id: int, name: str | None = None) -> list[DeviceEventRecord]:
    async def work(session: AsyncSession, _context: AppContext) -> list[DeviceEventRecord]:
        query = select(DeviceEventRecord).where(DeviceEventRecord.intercom_id == intercom_id)
        if name:
            query = query.where(DeviceEventRecord.name == name)
        return list((await session.execute(query.order_by(DeviceEventRecord.id))).scalars().all())

    return seed.in_session(settings, work)


def count_duplicates(settings: Settings) -> int:
    async def work(session: AsyncSession, _context: AppContext) -> int:
        rows = await session.execute(
            select(DeviceEventRecord.intercom_id, DeviceEventRecord.dedupe_key, func.count())
            .group_by(DeviceEventRecord.intercom_id, DeviceEventRecord.dedupe_key)
            .having(func.count() > 1)
        )
        return len(rows.all())

    return seed.in_session(settings, work)


def intercom_row(settings: Settings, intercom_id: int) -> Intercom:
    async def work(session: AsyncSession, _context: AppContext) -> Intercom:
        found = await session.get(Intercom, intercom_id)
        assert found is not None
        return found

    return seed.in_session(settings, work)
