"""/api/admin/v1/intercoms/{intercom}/calls: the intercom's call log, as the SIP server and the
panel's events recorded it (docs/calls.md)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from entryphone.api.deps import AdminPrincipal, DbSession
from entryphone.api.formatting import plain
from entryphone.api.pagination import Page, PageParams, build_page, page_params, paginate
from entryphone.api.types import DateFrom, DateTo, IdPath
from entryphone.calls import service as calls
from entryphone.intercoms import service as intercoms

router = APIRouter(prefix="/intercoms", tags=["admin: calls"])

CallStatus = Literal["ring", "answered", "ended", "missed", "rejected"]
EndReason = Literal["answered", "missed", "cancelled", "declined", "unavailable", "unknown_flat", "failed"]


class CallResidentOut(BaseModel):
    id: int
    login: str
    name: str

    @classmethod
    def of(cls, person: calls.Person) -> CallResidentOut:
        return cls(id=person.account_id, login=person.login, name=person.name)


class CallTargetOut(BaseModel):
    resident: CallResidentOut
    device_uuid: str
    state: str


class CallAnswerOut(BaseModel):
    resident: CallResidentOut | None
    device_uuid: str | None
    sip_login: str | None


class AdminCallOut(BaseModel):
    id: int
    intercom_id: int
    flat_id: int | None
    flat: int | None
    status: str
    end_reason: str | None
    targets: list[CallTargetOut]
    answered_by: CallAnswerOut | None
    rang_at: str | None
    answered_at: str | None
    ended_at: str | None
    duration: int | None
    sip_call_id: str | None

    @classmethod
    def of(cls, entry: calls.LogEntry) -> AdminCallOut:
        call = entry.call
        answered = call.answered_device_uuid is not None or call.answered_sip_login is not None
        return cls(
            id=call.id,
            intercom_id=call.intercom_id,
            flat_id=call.flat_id,
            flat=entry.flat,
            status=call.status,
            end_reason=call.end_reason,
            targets=[
                CallTargetOut(
                    resident=CallResidentOut.of(offer.resident),
                    device_uuid=offer.device_uuid,
                    state=offer.state,
                )
                for offer in entry.offered
            ],
            answered_by=CallAnswerOut(
                resident=CallResidentOut.of(entry.answered_by) if entry.answered_by is not None else None,
                device_uuid=call.answered_device_uuid,
                sip_login=call.answered_sip_login,
            )
            if answered
            else None,
            rang_at=plain(call.rang_at),
            answered_at=plain(call.started_at),
            ended_at=plain(call.ended_at),
            duration=entry.duration,
            sip_call_id=call.sip_call_id,
        )


@router.get(
    "/{intercom:int}/calls",
    response_model=Page[AdminCallOut],
    summary="The intercom's call log, newest first",
)
async def intercom_calls(
    request: Request,
    intercom: IdPath,
    _admin: AdminPrincipal,
    session: DbSession,
    params: Annotated[PageParams, Depends(page_params)],
    flat: Annotated[int | None, Query(ge=0, le=999_999_999)] = None,
    status: Annotated[CallStatus | None, Query()] = None,
    end_reason: Annotated[EndReason | None, Query()] = None,
    from_: Annotated[DateFrom | None, Query(alias="from")] = None,
    to: Annotated[DateTo | None, Query()] = None,
) -> Page[AdminCallOut]:
    record = await intercoms.get_live(session, intercom)
    query = calls.intercom_log_query(
        record.id, flat=flat, status=status, end_reason=end_reason, since=from_, until=to
    )
    result = await paginate(session, query, params)
    entries = await calls.log_entries(session, list(result.items))
    return build_page(request, [AdminCallOut.of(entry) for entry in entries], result.total, params)
