"""/api/admin/v1/intercoms/{intercom}/keys: RFID keys of an intercom (desired state for devices)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.api.admin.fields import Key
from entryphone.api.admin.replies import KeyOut
from entryphone.api.deps import AdminPrincipal, DbSession
from entryphone.api.pagination import Page, PageParams, build_page, page_params, paginate
from entryphone.api.types import Bool, DateFrom, DateTo, Id, IdPath, SearchText
from entryphone.audit import service as audit
from entryphone.intercoms import service as intercoms
from entryphone.keys import service
from entryphone.models import Intercom, IntercomKey

router = APIRouter(prefix="/intercoms/{intercom:int}/keys", tags=["admin: keys"])


class KeysCreateIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    keys: Annotated[list[Key], Field(min_length=1, max_length=service.MAX_KEYS_PER_REQUEST)]
    flat: Id | None = None  # the flat record id (as `{flat}` in paths)
    user_id: Id | None = None


class KeyUpdateIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    flat: Id | None = None
    user_id: Id | None = None


class KeysDeleteIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    keys: Annotated[list[Key], Field(min_length=1, max_length=service.MAX_KEYS_PER_DELETE)]


async def key_replies(session: AsyncSession, records: list[IntercomKey]) -> list[KeyOut]:
    accounts = await service.accounts_by_id(session, {key.account_id for key in records if key.account_id})
    flats = await service.flats_by_id(session, {key.flat_id for key in records if key.flat_id})
    return [
        KeyOut.of(
            key,
            accounts.get(key.account_id) if key.account_id else None,
            flats.get(key.flat_id) if key.flat_id else None,
        )
        for key in records
    ]


@router.get("", response_model=Page[KeyOut], summary="List the keys of an intercom")
async def list_keys(
    request: Request,
    intercom: IdPath,
    _admin: AdminPrincipal,
    session: DbSession,
    params: Annotated[PageParams, Depends(page_params)],
    search: Annotated[SearchText | None, Query()] = None,
    user_id: Annotated[int | None, Query(ge=1, le=2**53 - 1)] = None,
    unbound_users: Annotated[Bool | None, Query()] = None,
    unbound_flats: Annotated[Bool | None, Query()] = None,
    intercom_flat_id: Annotated[int | None, Query(ge=1, le=2**53 - 1)] = None,
    from_: Annotated[DateFrom | None, Query(alias="from")] = None,
    to: Annotated[DateTo | None, Query()] = None,
    exclude_keys_id: Annotated[list[int] | None, Query(alias="exclude_keys_id[]", max_length=100)] = None,
) -> Page[KeyOut]:
    record = await intercoms.get_live(session, intercom)
    query = service.list_query(
        record.id,
        search=search,
        user_id=user_id,
        unbound_users=unbound_users,
        unbound_flats=unbound_flats,
        intercom_flat_id=intercom_flat_id,
        created_from=from_,
        created_to=to,
        exclude_ids=exclude_keys_id or (),
    )
    result = await paginate(session, query, params)
    return build_page(request, await key_replies(session, list(result.items)), result.total, params)


@router.post("", response_model=list[KeyOut], summary="Create keys (up to 100), bound to a flat and/or user")
async def create_keys(
    intercom: IdPath, body: KeysCreateIn, admin: AdminPrincipal, session: DbSession
) -> list[KeyOut]:
    record = await intercoms.get_live(session, intercom)
    created = await service.add_keys(
        session, record, body.keys, flat_id=body.flat, account_id=body.user_id, source="admin"
    )
    if created:
        changes: audit.Changes = {"keys": {"before": None, "after": [key.value for key in created]}}
        if body.flat is not None or body.user_id is not None:
            changes["bound_to"] = {"before": None, "after": {"flat": body.flat, "user_id": body.user_id}}
        await _audit(session, admin, record, "keys.added", changes)
    return await key_replies(session, created)


async def _audit(
    session: AsyncSession, admin: AdminPrincipal, record: Intercom, action: str, changes: audit.Changes
) -> None:
    await audit.record(
        session,
        admin,
        action=action,
        subject_type="intercom",
        subject_id=record.id,
        subject_label=record.title,
        intercom_id=record.id,
        changes=changes,
    )


@router.patch("/{intercom_key:int}", response_model=KeyOut, summary="Rebind a key")
async def update_key(
    intercom: IdPath, intercom_key: IdPath, body: KeyUpdateIn, admin: AdminPrincipal, session: DbSession
) -> KeyOut:
    record = await intercoms.get_live(session, intercom)
    key = await service.get_key(session, record.id, intercom_key)
    before = audit.row_state(key)
    sent = body.model_dump(exclude_unset=True)
    binding = service.KeyBinding.model_validate(
        {name: sent[wire] for wire, name in (("flat", "flat_id"), ("user_id", "account_id")) if wire in sent}
    )
    await service.update_key(session, record, key, binding)
    trail = audit.state_changes(before, audit.row_state(key))
    if trail:
        await audit.record(
            session,
            admin,
            action="key.updated",
            subject_type="intercom_key",
            subject_id=key.id,
            subject_label=key.value,
            intercom_id=record.id,
            changes=trail,
        )
    return (await key_replies(session, [key]))[0]


@router.delete("", status_code=204, response_class=Response, summary="Delete keys by value")
async def delete_keys(
    intercom: IdPath, body: KeysDeleteIn, admin: AdminPrincipal, session: DbSession
) -> Response:
    record = await intercoms.get_live(session, intercom)
    await service.delete_keys(session, record, body.keys)
    await _audit(session, admin, record, "keys.deleted", {"keys": {"before": list(body.keys), "after": None}})
    return Response(status_code=204)
