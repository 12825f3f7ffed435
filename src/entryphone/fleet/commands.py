"""Human-waited device commands (open door, snapshot, live video, restart, config backup, calls).

Each command reads what it needs in a short transaction of its own, then calls the driver with the
short command timeout: never a device call inside an open transaction. The transactions of a
command live here; the domain services they call never commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from entryphone.context import AppContext
from entryphone.devices.driver import DeviceDriver, VideoStream
from entryphone.devices.models import DoorOpenResult, Snapshot
from entryphone.doors import service as doors
from entryphone.doors.service import DoorOpener
from entryphone.errors import Conflict, EntryphoneError
from entryphone.fleet.access import DeviceAccess
from entryphone.intercoms import service as intercoms
from entryphone.intercoms.connection import IntercomConnection
from entryphone.models import Intercom
from entryphone.models.door_open import DoorOpenRequest

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


async def open_door_recorded(
    context: AppContext,
    opener: DoorOpener | None,
    intercom: IntercomConnection,
    *,
    account_id: int,
    device_uuid: str | None,
) -> DoorOpenRequest:
    """Open `intercom`'s door through `opener`, recorded: the request is committed before the
    device is called, the outcome after it, each in a short transaction of its own (the caller's
    transaction must be over: nothing it holds may wait on the device). Raises Conflict (no driver,
    or the opener cannot reach this intercom) or DeviceError (the device failed); the request is
    recorded either way."""
    async with context.sessions.begin() as session:
        request = await doors.record_request(
            session, intercom, account_id=account_id, device_uuid=device_uuid
        )
    if opener is None or not opener.supports(intercom.vendor):
        message = doors.no_driver_message(intercom.vendor)
        await _outcome(context, request, doors.NO_DRIVER, message)
        raise Conflict(message)
    try:
        await opener.open_door(intercom)
    except EntryphoneError as exc:  # Conflict (e.g. no device connection set) or DeviceError
        await _outcome(context, request, doors.FAILED, exc.message)
        raise
    await _outcome(context, request, doors.OPENED, None)
    return request


async def _outcome(context: AppContext, request: DoorOpenRequest, status: str, error: str | None) -> None:
    async with context.sessions.begin() as session:
        await doors.record_outcome(session, request, status, error)
