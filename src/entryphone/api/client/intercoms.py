"""/api/v1/intercom: the resident's intercoms, their per-device schedule, self-registration, the door."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.api.client import views
from entryphone.api.client.deps import CallerAlone, Publisher, Resident
from entryphone.api.client.schemas import FlatChoice, IdsBody, IntercomOut, IntercomUpdate, RegistrationOut
from entryphone.api.deps import Context, DbSession
from entryphone.api.pagination import Page, PageParams, build_page, page_params
from entryphone.api.streaming import IMAGE_RESPONSES, CameraParams, camera_reply
from entryphone.api.types import IdPath
from entryphone.calls import service as calls
from entryphone.codes import service as codes
from entryphone.db.base import utcnow
from entryphone.doors import service as doors
from entryphone.fleet.commands import open_door_recorded
from entryphone.pushes import Push, PushEvent, defer
from entryphone.registration import service as registration
from entryphone.residents import service as residents

router = APIRouter(prefix="/intercom", tags=["client: intercoms"])

IntercomId = Annotated[int, Query(ge=1, le=2**53 - 1)]


@router.get("", response_model=Page[IntercomOut], summary="My intercoms")
async def list_intercoms(
    request: Request,
    caller: Resident,
    session: DbSession,
    params: Annotated[PageParams, Depends(page_params)],
) -> Page[IntercomOut]:
    found, total = await residents.home_screen(
        session, caller.account_id, caller.device, params.per_page, params.offset
    )
    return build_page(request, [IntercomOut.of(view) for view in found], total, params)


@router.get("/shows", response_model=list[IntercomOut], summary="Some of my intercoms by id")
async def show_intercoms(
    caller: Resident,
    session: DbSession,
    ids: Annotated[list[IntercomId], Query(alias="ids[]", min_length=1, max_length=residents.MAX_SHOWS)],
) -> list[IntercomOut]:
    found = await residents.visible_among(session, caller.account_id, ids)
    return await views.intercoms_out(session, caller, found)


@router.post("", response_model=RegistrationOut, summary="Start adding an intercom (self-registration)")
async def start_registration(caller: Resident, session: DbSession) -> RegistrationOut:
    started = await registration.start(session, caller.account_id, caller.device)
    return RegistrationOut(
        code=started.code, expire_in_seconds=max(0, int((started.expires_at - utcnow()).total_seconds()))
    )


@router.delete("", status_code=204, response_class=Response, summary="Remove intercoms from my list")
async def delete_intercoms(
    body: IdsBody, caller: Resident, session: DbSession, publisher: Publisher
) -> Response:
    intercoms = await residents.require_all_visible(session, caller.account_id, body.ids)
    ids = [intercom.id for intercom in intercoms]
    for intercom_id in ids:
        code_ids = await codes.ids_of(session, intercom_id, caller.account_id)
        if code_ids:
            await codes.delete_codes(session, intercom_id, code_ids)
    await calls.forget(session, caller.account_id, ids)
    await residents.forget(session, caller.account_id, ids)
    defer(
        session,
        publisher,
        Push(caller.account_id, PushEvent.intercom_deleted, {"ids": ids}, exclude_device=caller.device),
    )
    return Response(status_code=204)


@router.patch(
    "/{intercom:int}", response_model=IntercomOut, summary="Rename, and set this device's call schedule"
)
async def update_intercom(
    intercom: IdPath, body: IntercomUpdate, caller: Resident, session: DbSession
) -> IntercomOut:
    record = await residents.get_visible(session, caller.account_id, intercom)
    sent = body.model_fields_set
    await residents.update(
        session,
        caller.account_id,
        caller.device,
        record,
        title=body.title,
        is_enabled=body.is_enabled,
        timetable=body.timetable.parsed() if body.timetable is not None else None,
        clear_timetable="timetable" in sent and body.timetable is None,
        reset_title="title" in sent and body.title is None,
    )
    return await views.intercom_out(session, caller, record)


@router.post("/{intercom:int}/flat", response_model=IntercomOut, summary="Choose my flat (self-registration)")
async def choose_flat(
    intercom: IdPath, body: FlatChoice, caller: Resident, session: DbSession, publisher: Publisher
) -> IntercomOut:
    record = await registration.choose_flat(
        session,
        publisher,
        account_id=caller.account_id,
        device=caller.device,
        intercom_id=intercom,
        flat_number=body.flat,
    )
    return await views.intercom_out(session, caller, record)


@router.post("/{intercom:int}/open-door", status_code=204, response_class=Response, summary="Open the door")
async def open_door(intercom: IdPath, caller: CallerAlone, context: Context) -> Response:
    # No request session: the command's own short transactions surround the device call.
    opener = context.services.get(doors.SERVICE_NAME)
    await open_door_recorded(
        context,
        opener,
        lambda session: residents.require_permitted_connection(
            session, caller.account_id, intercom, "is_open_door_app"
        ),
        account_id=caller.account_id,
        device_uuid=caller.device,
    )
    return Response(status_code=204)


@router.get(
    "/{intercom:int}/snapshot",
    response_class=Response,
    responses=IMAGE_RESPONSES,
    summary="A frame from the intercom's camera (JPEG), or a live MJPEG stream with ?fps=",
)
async def snapshot(intercom: IdPath, caller: CallerAlone, context: Context, camera: CameraParams) -> Response:
    async def may_watch(session: AsyncSession) -> None:
        await residents.require_confirmed(session, caller.account_id, intercom)
        await residents.require_live_view(session, caller.account_id, intercom)

    return await camera_reply(context, intercom, camera, may_watch)
