"""Seeding for the client API tests: intercoms, flats and residents through the domain services."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.cameras import service as cameras
from entryphone.config import Settings
from entryphone.context import AppContext
from entryphone.flats import service as flats
from entryphone.intercoms import service as intercoms
from entryphone.intercoms.changes import IntercomChanges
from entryphone.pushes import PushHub, hub_of
from tests.support import seed
from tests.support.server import RunningServer


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

    async def work(session: AsyncSession, context: AppContext) -> int:
        fields: dict[str, object] = {
            "title": title,
            "vendor": vendor,
            "flat_from": flat_from,
            "flat_to": flat_to,
            "department": 1,
            "address": "742 Evergreen Terrace",
            "status": "installed",
        }
        if with_camera:
            camera = await cameras.create(
                session, context.secrets, cameras.CameraChanges(name=f"{title} camera")
            )
            fields["camera_id"] = camera.id
        record = await intercoms.create(session, context.secrets, IntercomChanges.model_validate(fields))
        return record.id

    return seed.in_session(settings, work)


def attach(settings: Settings, intercom_id: int, flat: int, account_id: int, **permissions: bool) -> None:
    async def work(session: AsyncSession, _context: AppContext) -> None:
        record = await flats.get_flat_by_number(session, intercom_id, flat)
        await flats.attach_resident(session, record, account_id, permissions=flats.Permissions(**permissions))

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
