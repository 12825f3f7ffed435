"""Device-backed admin actions on one intercom: open the door, snapshot and live video, restart,
configuration backup, key sync, the event journal and the device's status."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from entryphone.api.deps import AdminAlone, AdminPrincipal, Context, DbSession
from entryphone.api.formatting import iso
from entryphone.api.pagination import Page, PageParams, build_page, page_params, paginate
from entryphone.api.streaming import IMAGE_RESPONSES, CameraParams, camera_reply
from entryphone.api.types import Bool, DateFrom, DateTo, IdPath, Integer
from entryphone.db.base import utcnow
from entryphone.errors import NotFound
from entryphone.fleet import status as fleet_status
from entryphone.fleet.commands import open_door_recorded
from entryphone.fleet.runtime import commands_of
from entryphone.fleet.status import device_status
from entryphone.intercoms import service as intercoms
from entryphone.intercoms.connection import IntercomConnection

router = APIRouter(prefix="/intercoms", tags=["admin: devices"])

EventName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z_]+$")]


class OpenDoorIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    # Seconds the door stays open; the intercom's door_open_time_general when omitted.
    duration: Annotated[int, Integer(1, 3600)] | None = None


class _AdminDoor:
    """The door opener as the doors service expects it, carrying the admin's duration."""

    def __init__(self, context: Any, duration: int | None) -> None:
        self._commands = commands_of(context)
        self._duration = duration

    def supports(self, vendor: str) -> bool:
        return self._commands.supports(vendor)

    async def open_door(self, intercom: IntercomConnection) -> None:
        await self._commands.open_door(intercom, self._duration)


@router.post(
    "/{intercom:int}/open-door",
    status_code=204,
    response_class=Response,
    summary="Open the door (administrator)",
)
async def open_door(
    intercom: IdPath, admin: AdminAlone, context: Context, body: OpenDoorIn | None = None
) -> Response:
    # No request session: the command's own short transactions surround the device call.
    await open_door_recorded(
        context,
        _AdminDoor(context, body.duration if body else None),
        lambda session: intercoms.require_live_connection(session, intercom),
        account_id=admin.account_id,
        device_uuid=None,
    )
    return Response(status_code=204)


@router.get(
    "/{intercom:int}/snapshot",
    response_class=Response,
    responses=IMAGE_RESPONSES,
    summary="A camera frame (JPEG), or an MJPEG stream with ?fps=",
)
async def snapshot(intercom: IdPath, _admin: AdminAlone, context: Context, camera: CameraParams) -> Response:
    return await camera_reply(context, intercom, camera)


@router.post("/{intercom:int}/restart", status_code=204, response_class=Response, summary="Restart the panel")
async def restart(intercom: IdPath, _admin: AdminAlone, context: Context) -> Response:
    await commands_of(context).restart(intercom)
    return Response(status_code=204)


@router.get(
    "/{intercom:int}/config-backup",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}}},
    summary="Download the panel's configuration",
)
async def config_backup(intercom: IdPath, _admin: AdminAlone, context: Context) -> Response:
    record, data = await commands_of(context).config_backup(intercom)
    filename = f"intercom-{record.id}-config.xml"
    return Response(
        content=data,
        media_type="application/xml",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


@router.post(
    "/{intercom:int}/sync-keys",
    status_code=204,
    response_class=Response,
    summary="Push keys and codes to the panel",
)
async def sync_keys(intercom: IdPath, _admin: AdminAlone, context: Context) -> Response:
    await commands_of(context).sync_keys(intercom)
    return Response(status_code=204)


class SipSyncOut(BaseModel):
    status: str | None  # ok | failed; null: never provisioned
    message: str | None  # what changed, or the device's error
    synced_at: str | None


@router.get(
    "/{intercom:int}/sip-sync",
    response_model=SipSyncOut,
    summary="The last provisioning of the panel's SIP account, DTMF codes and call limits",
)
async def sip_sync(intercom: IdPath, _admin: AdminPrincipal, session: DbSession) -> SipSyncOut:
    status = await device_status(session, await intercoms.get_live(session, intercom))
    return SipSyncOut(
        status=status.sip_sync_status, message=status.sip_sync_message, synced_at=iso(status.sip_synced_at)
    )


@router.post(
    "/{intercom:int}/sip-sync",
    status_code=204,
    response_class=Response,
    summary="Provision the panel's SIP account, DTMF codes and call limits now",
)
async def sip_sync_now(intercom: IdPath, _admin: AdminAlone, context: Context) -> Response:
    await commands_of(context).provision_sip(intercom)
    return Response(status_code=204)


class DeviceLogOut(BaseModel):
    id: int
    device_id: str
    date_time: str
    context: str
    event: str
    kind: str
    event_code: int
    data: dict[str, Any]


@router.get("/{intercom:int}/logs", response_model=Page[DeviceLogOut], summary="The intercom's event journal")
async def logs(
    request: Request,
    intercom: IdPath,
    _admin: AdminPrincipal,
    session: DbSession,
    params: Annotated[PageParams, Depends(page_params)],
    types: Annotated[list[EventName] | None, Query(alias="types[]", max_length=32)] = None,
    type: Annotated[EventName | None, Query()] = None,
    from_: Annotated[DateFrom | None, Query(alias="from")] = None,
    to: Annotated[DateTo | None, Query()] = None,
) -> Page[DeviceLogOut]:
    record = await intercoms.get_live(session, intercom)
    wanted = list(types or []) + ([type] if type else [])
    query = fleet_status.journal_query(
        record.id,
        kinds=[name for name in wanted if name.islower()],
        names=[name for name in wanted if not name.islower()],
        since=from_,
        until=to,
    )
    result = await paginate(session, query, params)
    items = [
        DeviceLogOut(
            id=event.id,
            device_id=record.uuid,
            date_time=iso(event.occurred_at) or "",
            context="intercom",
            event=event.name,
            kind=event.kind,
            event_code=event.device_event_id,
            data=event.params,
        )
        for event in result.items
    ]
    return build_page(request, items, result.total, params)


class DeviceStatusOut(BaseModel):
    is_online: bool
    last_seen_at: str | None
    last_event_at: str | None
    last_error: str | None
    last_error_at: str | None
    sync_status: str | None
    sync_message: str | None
    synced_at: str | None
    watched_by: str | None
    device_info: dict[str, Any] | None


@router.get(
    "/{intercom:int}/device",
    response_model=DeviceStatusOut,
    summary="The panel's status as the fleet sees it",
)
async def device(intercom: IdPath, _admin: AdminPrincipal, session: DbSession) -> DeviceStatusOut:
    status = await device_status(session, await intercoms.get_live(session, intercom))
    return DeviceStatusOut(
        is_online=status.is_online,
        last_seen_at=iso(status.last_seen_at),
        last_event_at=iso(status.last_event_at),
        last_error=status.last_error,
        last_error_at=iso(status.last_error_at),
        sync_status=status.sync_status,
        sync_message=status.sync_message,
        synced_at=iso(status.synced_at),
        watched_by=status.watched_by,
        device_info=status.device_info,
    )


class AlertOut(BaseModel):
    id: int
    kind: str
    occurred_at: str
    details: dict[str, Any]
    acknowledged_at: str | None


@router.get(
    "/{intercom:int}/alerts", response_model=Page[AlertOut], summary="Tamper and door alerts of the panel"
)
async def alerts(
    request: Request,
    intercom: IdPath,
    _admin: AdminPrincipal,
    session: DbSession,
    params: Annotated[PageParams, Depends(page_params)],
    unacknowledged: Annotated[Bool, Query()] = False,
) -> Page[AlertOut]:
    record = await intercoms.get_live(session, intercom)
    result = await paginate(
        session, fleet_status.alerts_query(record.id, unacknowledged=unacknowledged), params
    )
    items = [
        AlertOut(
            id=alert.id,
            kind=alert.kind,
            occurred_at=iso(alert.occurred_at) or "",
            details=alert.details,
            acknowledged_at=iso(alert.acknowledged_at),
        )
        for alert in result.items
    ]
    return build_page(request, items, result.total, params)


@router.post(
    "/{intercom:int}/alerts/{alert:int}/acknowledge",
    status_code=204,
    response_class=Response,
    summary="Acknowledge an alert",
)
async def acknowledge(
    intercom: IdPath, alert: IdPath, _admin: AdminPrincipal, session: DbSession
) -> Response:
    record = await intercoms.get_live(session, intercom)
    if not await fleet_status.acknowledge_alert(session, record.id, alert, utcnow()):
        raise NotFound()
    return Response(status_code=204)


class DoorOpeningOut(BaseModel):
    source: str  # key | code | dtmf | app | admin
    # The key UID or code typed; the relay's code the phone sent (dtmf); the phone's X-UUID (app).
    credential: str | None
    user_id: int | None
    opened_at: str
    device_uuid: str | None  # the phone (X-UUID) that opened: app, or dtmf when the call knows it
    call_id: int | None  # dtmf: the call during which the code was sent


@router.get(
    "/{intercom:int}/door-openings",
    response_model=Page[DoorOpeningOut],
    summary="Who opened the door, and how",
)
async def door_openings(
    request: Request,
    intercom: IdPath,
    _admin: AdminPrincipal,
    session: DbSession,
    params: Annotated[PageParams, Depends(page_params)],
) -> Page[DoorOpeningOut]:
    record = await intercoms.get_live(session, intercom)
    total, rows = await fleet_status.door_history(session, record.id, params.per_page, params.offset)
    items = [
        DoorOpeningOut(
            source=row.source,
            credential=row.credential,
            user_id=row.account_id,
            opened_at=iso(row.opened_at) or "",
            device_uuid=row.device_uuid,
            call_id=row.call_id,
        )
        for row in rows
    ]
    return build_page(request, items, total, params)
