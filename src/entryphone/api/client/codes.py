"""/api/v1/intercom/codes and /api/v1/intercom/{intercom}/codes: the resident's temporary door codes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from entryphone.api.client import views
from entryphone.api.client.deps import Publisher, Resident
from entryphone.api.client.schemas import CodeCreate, CodeOut
from entryphone.api.deps import DbSession
from entryphone.api.pagination import Page, PageParams, build_page, page_params, paginate
from entryphone.api.types import IdPath
from entryphone.codes import service as codes
from entryphone.models import IntercomCode
from entryphone.pushes import Push, PushEvent, defer
from entryphone.residents import service as residents

router = APIRouter(prefix="/intercom", tags=["client: codes"])


@router.get("/codes", response_model=Page[CodeOut], summary="My door codes")
async def list_codes(
    request: Request,
    caller: Resident,
    session: DbSession,
    params: Annotated[PageParams, Depends(page_params)],
) -> Page[CodeOut]:
    visible = await residents.visible_ids(session, caller.account_id)
    result = await paginate(
        session, codes.list_query(account_id=caller.account_id, intercom_ids=visible), params
    )
    items: list[IntercomCode] = list(result.items)
    intercoms = await views.by_id(session, caller, [code.intercom_id for code in items])
    data = [CodeOut.of(code, views.pick(intercoms, code.intercom_id)) for code in items]
    return build_page(request, data, result.total, params)


@router.post("/{intercom:int}/codes", response_model=CodeOut, summary="Create a door code for my flat")
async def create_code(
    intercom: IdPath, body: CodeCreate, caller: Resident, session: DbSession, publisher: Publisher
) -> CodeOut:
    record, flat = await residents.require_permitted(
        session, caller.account_id, intercom, "is_open_door_code"
    )
    code = await codes.create_code(
        session,
        intercom=record,
        flat=flat,
        title=body.title,
        expired_at=body.expiry(),
        account_id=caller.account_id,
    )
    out = CodeOut.of(code, await views.intercom_out(session, caller, record))
    defer(
        session,
        publisher,
        Push(
            caller.account_id,
            PushEvent.intercom_code_created,
            {"code": out.model_dump(mode="json", exclude={"intercom"}) | {"intercom_id": intercom}},
            exclude_device=caller.device,
        ),
    )
    return out
