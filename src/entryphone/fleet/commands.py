"""Human-waited device commands (open door, snapshot, live video, restart, config backup, calls).

Each command reads what it needs in a short transaction of its own, then calls the driver with the
short command timeout: never a device call inside an open transaction.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from entryphone.context import AppContext
from entryphone.devices.driver import DeviceDriver, VideoStream
from entryphone.devices.models import DoorOpenResult, Snapshot
from entryphone.fleet.access import DeviceAccess
from entryphone.intercoms import service as intercoms
from entryphone.intercoms.connection import IntercomConnection
from entryphone.models import Intercom

# The door relay of a panel: 2N panels wire the lock to switch 1 unless configured otherwise.
DOOR_SWITCH = 1


class FleetCommands:
    """Registered as context.services["door_opener"] (the doors service's DoorOpener) and
    context.services["commands"]."""

    def __init__(self, context: AppContext, access: DeviceAccess) -> None:
        self.context = context
        self.access = access

    def supports(self, vendor: str) -> bool:
        return self.access.has_driver(vendor)

    async def _intercom(self, intercom_id: int) -> Intercom:
        async with self.context.sessions() as session:
            return await intercoms.get_live(session, intercom_id)

    def _driver(self, intercom: IntercomConnection) -> DeviceDriver:
        return self.access.driver(intercom, timeout=self.context.settings.command_timeout)

    async def open_door(self, intercom: IntercomConnection, duration: float | None = None) -> DoorOpenResult:
        """`intercom` as the route has just read it: a second read would cost a statement per open."""
        seconds = duration if duration is not None else intercom.door_open_time_general
        return await self._driver(intercom).open_door(DOOR_SWITCH, float(seconds) if seconds else None)

    async def snapshot(
        self, intercom_id: int, width: int | None = None, height: int | None = None
    ) -> Snapshot:
        intercom = await self._intercom(intercom_id)
        return await self._driver(intercom).snapshot(width, height)

    @asynccontextmanager
    async def video(
        self, intercom_id: int, fps: int, width: int | None = None, height: int | None = None
    ) -> AsyncIterator[VideoStream]:
        intercom = await self._intercom(intercom_id)
        async with self._driver(intercom).stream_video(fps, width, height) as stream:
            yield stream

    async def restart(self, intercom_id: int) -> None:
        await self._driver(await self._intercom(intercom_id)).restart()

    async def config_backup(self, intercom_id: int) -> bytes:
        return await self._driver(await self._intercom(intercom_id)).config_backup()

    async def answer_call(self, intercom_id: int, session: int | None = None) -> int:
        return await self._driver(await self._intercom(intercom_id)).answer_call(session)

    async def hangup_call(self, intercom_id: int, session: int | None = None) -> int:
        return await self._driver(await self._intercom(intercom_id)).hangup_call(session)
