"""Seeding for the client API tests: intercoms, flats and residents through the domain services."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.config import Settings
from entryphone.context import AppContext
from entryphone.flats import service as flats
from entryphone.models import Camera, Intercom
from entryphone.pushes import PushHub, hub_of
from tests.support import seed
from tests.support.server import RunningServer

_macs = itertools.count(1)


def intercom(
    settings: Settings,
    *,
    flat_from: int = 1,
    flat_to: int = 20,
    title: str = "Entrance 1",
    vendor: str = "2n",
    with_camera: bool = True,
) -> int:
    """A live intercom with its flat range (flat records created by the flats service)."""

    async def work(session: AsyncSession, _context: AppContext) -> int:
        camera_id = None
        if with_camera:
            camera = Camera(name=f"{title} camera")
            session.add(camera)
            await session.flush()
            camera_id = camera.id
        number = next(_macs)
        record = Intercom(
            title=title,
            vendor=vendor,
            status="installed",
            mac=f"7C:1E:B3:{number // 65536 % 256:02X}:{number // 256 % 256:02X}:{number % 256:02X}",
            department=1,
            address="742 Evergreen Terrace",
            camera_id=camera_id,
            is_online=True,
        )
        session.add(record)
        await session.flush()
        await flats.sync_flat_range(session, record, flat_from, flat_to)
        return record.id

    return seed.in_session(settings, work)


def attach(settings: Settings, intercom_id: int, flat: int, account_id: int, **permissions: bool) -> None:
    async def work(session: AsyncSession, _context: AppContext) -> None:
        record = await flats.get_flat_by_number(session, intercom_id, flat)
        await flats.attach_resident(session, record, account_id, permissions=permissions)

    seed.in_session(settings, work)


def flat_id(settings: Settings, intercom_id: int, flat: int) -> int:
    async def work(session: AsyncSession, _context: AppContext) -> int:
        return (await flats.get_flat_by_number(session, intercom_id, flat)).id

    return seed.in_session(settings, work)


def hub(server: RunningServer) -> PushHub:
    app: Any = server.server.config.app
    found = hub_of(app.state.context)
    assert found is not None
    return found
