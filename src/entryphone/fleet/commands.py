"""Human-waited device commands (open door, snapshot, live video, restart, config backup, calls).

Each command reads what it needs (and checks who may ask, through the caller's `check`) in a short
transaction of its own, then calls the driver with the short command timeout: never a device call
inside an open transaction, and the routes that call them hold no session (their auth resolves in
its own short transaction: api/deps.py). The transactions of a command live here; the domain
services they call never commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.context import AppContext
from entryphone.devices.driver import DeviceDriver, VideoStream
from entryphone.devices.models import DoorOpenResult, Snapshot
from entryphone.doors import service as doors
from entryphone.doors.service import DoorOpener
from entryphone.errors import Conflict, EntryphoneError
from entryphone.fleet.access import DeviceAccess
from entryphone.fleet.keysync import ensure_syncable, schedule_sync
from entryphone.fleet.sipsync import ensure_provisionable, schedule_provision
from entryphone.intercoms import service as intercoms
from entryphone.intercoms.connection import IntercomConnection
from entryphone.models import Intercom
from entryphone.models.door_open import DoorOpenRequest

# The door relay of a panel: 2N panels wire the lock to switch 1 unless configured otherwise.
DOOR_SWITCH = 1

# What a caller checks before the device is reached, run in the command's first short transaction
# (e.g. "the resident may watch this camera"); it raises NotFound / ValidationFailed to refuse.
Check = Callable[[AsyncSession], Awaitable[object]]
# Finds the intercom to open, checking the caller's right to open it, in that same transaction.
FindDoor = Callable[[AsyncSession], Awaitable[IntercomConnection]]


class FleetCommands:
    """Registered as context.services["door_opener"] (the doors service's DoorOpener) and
    context.services["commands"]."""

    def __init__(self, context: AppContext, access: DeviceAccess) -> None:
        self.context = context
        self.access = access

    def supports(self, vendor: str) -> bool:
        return self.access.has_driver(vendor)

    async def _intercom(self, intercom_id: int, check: Check | None = None) -> Intercom:
        async with self.context.sessions() as session:  # reads only: closed (rolled back) at once
            if check is not None:
                await check(session)
            return await intercoms.get_live(session, intercom_id)

    def _driver(self, intercom: IntercomConnection) -> DeviceDriver:
        return self.access.driver(intercom, timeout=self.context.settings.command_timeout)

    async def open_door(self, intercom: IntercomConnection, duration: float | None = None) -> DoorOpenResult:
        """`intercom` as the route has just read it: a second read would cost a statement per open."""
        seconds = duration if duration is not None else intercom.door_open_time_general
        return await self._driver(intercom).open_door(DOOR_SWITCH, float(seconds) if seconds else None)

    async def snapshot(
        self,
        intercom_id: int,
        width: int | None = None,
        height: int | None = None,
        *,
        check: Check | None = None,
    ) -> Snapshot:
        intercom = await self._intercom(intercom_id, check)
        return await self._driver(intercom).snapshot(width, height)

    @asynccontextmanager
    async def video(
        self,
        intercom_id: int,
        fps: int,
        width: int | None = None,
        height: int | None = None,
        *,
        check: Check | None = None,
    ) -> AsyncIterator[VideoStream]:
        intercom = await self._intercom(intercom_id, check)
        async with self._driver(intercom).stream_video(fps, width, height) as stream:
            yield stream

    async def restart(self, intercom_id: int) -> None:
        await self._driver(await self._intercom(intercom_id)).restart()

    async def config_backup(self, intercom_id: int) -> tuple[Intercom, bytes]:
        """The intercom as read before the call (its id names the file) and the panel's XML."""
        intercom = await self._intercom(intercom_id)
        return intercom, await self._driver(intercom).config_backup()

    async def sync_keys(self, intercom_id: int) -> None:
        """Refuse at once what cannot sync (ensure_syncable asks the panel), else sync in the
        background: the caller answers without waiting for the panel's directory."""
        await ensure_syncable(self.access, await self._intercom(intercom_id))
        schedule_sync(self.context, self.access, intercom_id)

    async def provision_sip(self, intercom_id: int) -> None:
        """Refuse at once a panel whose configuration cannot be written, else provision its SIP
        account, DTMF codes and call limits in the background (fleet/sipsync.py)."""
        await ensure_provisionable(self.access, await self._intercom(intercom_id))
        schedule_provision(self.context, self.access, intercom_id)

    async def answer_call(self, intercom_id: int, session: int | None = None) -> int:
        return await self._driver(await self._intercom(intercom_id)).answer_call(session)

    async def hangup_call(self, intercom_id: int, session: int | None = None) -> int:
        return await self._driver(await self._intercom(intercom_id)).hangup_call(session)


async def open_door_recorded(
    context: AppContext,
    opener: DoorOpener | None,
    find: FindDoor,
    *,
    account_id: int,
    device_uuid: str | None,
) -> DoorOpenRequest:
    """Open the door `find` names (and may refuse) through `opener`, recorded: the intercom is found
    and the request committed in one short transaction before the device is called, the outcome
    in another after it (the caller holds no transaction: nothing may wait on the device). Raises
    what `find` raises (nothing recorded), Conflict (no driver, or the opener cannot reach this
    intercom) or DeviceError (the device failed); once found, the request is recorded either way."""
    async with context.sessions.begin() as session:
        intercom = await find(session)
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
