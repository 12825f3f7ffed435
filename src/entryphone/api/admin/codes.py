"""/api/admin/v1/intercom/{intercom}/codes (the platform's singular path; the plural one works too):
temporary door codes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from entryphone.api.admin.replies import FlatPropertiesOut
from entryphone.api.deps import AdminPrincipal, DbSession
from entryphone.api.formatting import iso
from entryphone.api.pagination import Page, PageParams, build_page, page_params, paginate
from entryphone.api.types import Id, IdPath, Moment, Text
from entryphone.codes import service
from entryphone.errors import ValidationFailed
from entryphone.flats import service as flats
from entryphone.intercoms import service as intercoms
from entryphone.models import Intercom, IntercomCode

router = APIRouter(tags=["admin: codes"])


class CodeCreateIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    title: Text = ""
    expired_at: Moment
    flat_id: Id


class CodesDeleteIn(BaseModel):
    ids: Annotated[list[Id], Field(min_length=1, max_length=service.MAX_IDS_PER_DELETE)]


class CodeFlatOut(BaseModel):
    id: int
    flat: int
    key_count: int
    users_count: int
    intercom_id: int
    properties: FlatPropertiesOut


class CodeOut(BaseModel):
    id: int
    title: str
    code: str
    expired_at: str | None
    is_expired: bool
    will_deleted_at: str | None
    created_at: str | None
    intercom_flat: CodeFlatOut | None


async def _replies(session: DbSession, intercom: Intercom, records: list[IntercomCode]) -> list[CodeOut]:
    flat_ids = sorted({code.flat_id for code in records if code.flat_id})
    counts = await flats.counts(session, flat_ids)
    flat_records = {flat_id: await flats.get_flat(session, intercom.id, flat_id) for flat_id in flat_ids}
    return [
        CodeOut(
            id=code.id,
            title=code.title,
            code=code.code,
            expired_at=iso(code.expired_at),
            is_expired=service.is_expired(code),
            will_deleted_at=iso(code.will_deleted_at),
            created_at=iso(code.created_at),
            intercom_flat=CodeFlatOut(
                id=flat.id,
                flat=flat.flat,
                key_count=counts[flat.id][0],
                users_count=counts[flat.id][1],
                intercom_id=intercom.id,
                properties=FlatPropertiesOut.of(intercom, flat),
            )
            if code.flat_id and (flat := flat_records.get(code.flat_id)) is not None
            else None,
        )
        for code in records
    ]


@router.post("/intercom/{intercom:int}/codes", response_model=CodeOut, summary="Generate a door code")
@router.post("/intercoms/{intercom:int}/codes", response_model=CodeOut, include_in_schema=False)
async def create_code(
    intercom: IdPath, body: CodeCreateIn, _admin: AdminPrincipal, session: DbSession
) -> CodeOut:
    record = await intercoms.get_live(session, intercom)
    flat = await flats.find(session, record.id, body.flat_id)
    if flat is None:
        raise ValidationFailed.one("flat_id", "The selected flat is not a flat of this intercom.")
    code = await service.create_code(
        session, intercom=record, flat=flat, title=body.title, expired_at=body.expired_at
    )
    return (await _replies(session, record, [code]))[0]


@router.get("/intercom/{intercom:int}/codes", response_model=Page[CodeOut], summary="List door codes")
@router.get("/intercoms/{intercom:int}/codes", response_model=Page[CodeOut], include_in_schema=False)
async def list_codes(
    request: Request,
    intercom: IdPath,
    _admin: AdminPrincipal,
    session: DbSession,
    params: Annotated[PageParams, Depends(page_params)],
    flat_id: Annotated[int | None, Query(ge=1, le=2**53 - 1)] = None,
) -> Page[CodeOut]:
    record = await intercoms.get_live(session, intercom)
    result = await paginate(session, service.list_query(intercom_id=record.id, flat_id=flat_id), params)
    return build_page(request, await _replies(session, record, list(result.items)), result.total, params)


@router.delete(
    "/intercom/{intercom:int}/codes", status_code=204, response_class=Response, summary="Delete codes"
)
@router.delete(
    "/intercoms/{intercom:int}/codes", status_code=204, response_class=Response, include_in_schema=False
)
async def delete_codes(
    intercom: IdPath, body: CodesDeleteIn, _admin: AdminPrincipal, session: DbSession
) -> Response:
    record = await intercoms.get_live(session, intercom)
    await service.delete_codes(session, record.id, body.ids)
    return Response(status_code=204)
