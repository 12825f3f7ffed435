"""/api/v1/intercom/calls: the resident's call log and the answer / decline / hang-up actions."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from entryphone.api.client import views
from entryphone.api.client.deps import Publisher, Resident
from entryphone.api.client.schemas import CallOut
from entryphone.api.deps import Context, DbSession
from entryphone.api.pagination import Page, PageParams, build_page, page_params, paginate
from entryphone.api.types import MAX_ID, IdPath
from entryphone.calls import service as calls
from entryphone.fleet.panel_calls import hang_up_on_panel
from entryphone.models.call import IntercomCall

router = APIRouter(prefix="/intercom/calls", tags=["client: calls"])

CallType = Literal["missed_intercom_call", "answered_intercom_call"]


@router.get("", response_model=Page[CallOut], summary="My calls")
async def list_calls(
    request: Request,
    caller: Resident,
    session: DbSession,
    params: Annotated[PageParams, Depends(page_params)],
    intercom: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    types: Annotated[list[CallType] | None, Query(alias="types[]", max_length=2)] = None,
) -> Page[CallOut]:
    query = calls.list_query(caller.account_id, intercom_id=intercom, types=types or ())
    result = await paginate(session, query, params)
    items: list[IntercomCall] = list(result.items)
    intercoms = await views.by_id(session, caller, [call.intercom_id for call in items])
    # A call of an intercom the resident no longer sees is not theirs any more.
    data = [CallOut.of(call, intercoms[call.intercom_id]) for call in items if call.intercom_id in intercoms]
    return build_page(request, data, result.total, params)


async def _out(session: DbSession, caller: Resident, call: IntercomCall) -> CallOut:
    intercoms = await views.by_id(session, caller, [call.intercom_id])
    return CallOut.of(call, views.pick(intercoms, call.intercom_id))


@router.get("/{call:int}", response_model=CallOut, summary="One of my calls")
async def show_call(call: IdPath, caller: Resident, session: DbSession) -> CallOut:
    return await _out(session, caller, await calls.get(session, caller.account_id, call))


@router.post("/{call:int}/start", response_model=CallOut, summary="Answer a ringing call on this device")
async def start_call(call: IdPath, caller: Resident, session: DbSession, publisher: Publisher) -> CallOut:
    record = await calls.get(session, caller.account_id, call)
    await _out(session, caller, record)  # the intercom must still be the caller's
    answered = await calls.start(session, publisher, caller.account_id, caller.device, call)
    return await _out(session, caller, answered)


@router.post(
    "/{call:int}/cancel", status_code=204, response_class=Response, summary="Decline a ringing call here"
)
async def cancel_call(
    call: IdPath, caller: Resident, session: DbSession, publisher: Publisher, context: Context
) -> Response:
    await _out(session, caller, await calls.get(session, caller.account_id, call))
    declined = await calls.decline(session, publisher, caller.account_id, caller.device, call)
    if declined.status == calls.REJECTED:  # nobody will answer: the panel stops ringing
        await session.commit()
        await hang_up_on_panel(context, declined)
    return Response(status_code=204)


@router.post("/{call:int}/end", status_code=204, response_class=Response, summary="Hang up an answered call")
async def end_call(
    call: IdPath, caller: Resident, session: DbSession, publisher: Publisher, context: Context
) -> Response:
    await _out(session, caller, await calls.get(session, caller.account_id, call))
    ended = await calls.end(session, publisher, caller.account_id, caller.device, call)
    await session.commit()  # the call is over for the resident whatever the panel says
    await hang_up_on_panel(context, ended)
    return Response(status_code=204)
