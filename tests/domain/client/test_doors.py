"""The door-open request: recorded, handed to the opener, never reported open when it was not."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.config import Settings
from entryphone.context import AppContext
from entryphone.doors import service as doors
from entryphone.errors import Conflict, DeviceUnavailable
from entryphone.fleet.commands import open_door_recorded
from entryphone.intercoms import service as intercoms
from entryphone.intercoms.connection import IntercomConnection
from entryphone.models import Intercom, Role
from tests.api.client import helpers
from tests.support import seed


class Opener:
    """A DoorOpener of a vendor set, standing where the fleet's command layer plugs in."""

    def __init__(self, vendors: set[str], error: Exception | None = None) -> None:
        self.vendors = vendors
        self.error = error
        self.opened: list[int] = []

    def supports(self, vendor: str) -> bool:
        return vendor in self.vendors

    async def open_door(self, intercom: IntercomConnection) -> None:
        if self.error is not None:
            raise self.error
        self.opened.append(intercom.id)


@pytest.mark.parametrize(
    ("make", "status", "raises"),
    [
        (lambda: None, "no_driver", Conflict),
        (lambda: Opener(set()), "no_driver", Conflict),
        (lambda: Opener({"2n"}, DeviceUnavailable()), "failed", DeviceUnavailable),
        (lambda: Opener({"2n"}), "opened", None),
    ],
)
async def test_outcomes_are_recorded(
    settings: Settings, make: Callable[[], Opener | None], status: str, raises: type[Exception] | None
) -> None:
    opener = make()
    intercom_id = helpers.intercom(settings)
    resident = seed.account(settings, Role.resident)
    context = AppContext.build(settings)
    try:

        async def found(session: AsyncSession) -> Intercom:
            return await intercoms.get_live(session, intercom_id)

        if raises is None:
            await open_door_recorded(context, opener, found, account_id=resident.id, device_uuid="p")
        else:
            with pytest.raises(raises):
                await open_door_recorded(context, opener, found, account_id=resident.id, device_uuid="p")
        async with context.sessions() as session:
            request = await doors.latest(session, intercom_id)
        assert request is not None and request.status == status and request.finished_at is not None
        assert (request.error is None) == (status == "opened")
        if opener is not None and status == "opened":
            assert opener.opened == [intercom_id]
    finally:
        await context.close()
