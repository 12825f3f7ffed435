"""/api/admin/v1/intercoms/{intercom}/flats (and get-users): flats, their users and settings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone import vocabulary
from entryphone.api.admin.fields import SmallInt, Word
from entryphone.api.admin.replies import FlatPropertiesOut, UserOut
from entryphone.api.deps import AdminPrincipal, DbSession
from entryphone.api.formatting import plain
from entryphone.api.pagination import Page, PageParams, build_page, page_params, paginate
from entryphone.api.types import Bool, Id, IdPath, RequestBody, SearchText
from entryphone.audit import service as audit
from entryphone.errors import ValidationFailed
from entryphone.flats import service
from entryphone.intercoms import service as intercoms
from entryphone.keys import service as keys
from entryphone.models import Intercom, IntercomFlat

router = APIRouter(prefix="/intercoms/{intercom:int}", tags=["admin: flats"])

IdList = Annotated[list[Id], Field(max_length=100)]
PhoneNumber = Annotated[str, Field(max_length=64, pattern=r"^[0-9A-Za-z+*#@._:;=-]+$")]


class FlatKeyOut(BaseModel):
    id: int
    key: str
    user: UserOut | None
    created_at: str | None
    updated_at: str | None


class FlatOut(BaseModel):
    """Exactly the platform's flat page (admin-intercom-flat.txt)."""

    id: int
    flat: int
    key_count: int
    users_count: int
    keys: list[FlatKeyOut]
    users: list[UserOut]
    properties: FlatPropertiesOut


class FlatUserOut(UserOut):
    """A user of a flat with their permissions there."""

    is_open_door_key: bool
    is_open_door_code: bool
    is_open_door_app: bool
    is_open_door_face: bool
    is_restricted_live: bool
    is_restricted_archive: bool
    source: str


class FlatWithPermissionsOut(BaseModel):
    id: int
    flat: int
    key_count: int
    users_count: int
    keys: list[FlatKeyOut]
    users: list[FlatUserOut]
    properties: FlatPropertiesOut


class FlatListItemOut(BaseModel):
    id: int
    flat: int
    key_count: int
    users_count: int
    intercom_id: int
    properties: FlatPropertiesOut


class MapUserKeyIn(BaseModel):
    user: Id
    method: Word
    keys: IdList = []


class FlatUpdateIn(RequestBody):
    model_config = ConfigDict(extra="ignore")

    is_smartphone_sip_line_available: Bool | None = None
    is_landline_sip_line_available: Bool | None = None
    is_analog_line_available: Bool | None = None
    number: PhoneNumber | None = None
    landline_number: PhoneNumber | None = None
    users_to_attach: IdList | None = None
    users_to_detach: IdList | None = None
    keys_to_attach: IdList | None = None
    keys_to_detach: IdList | None = None
    map_user_key: MapUserKeyIn | None = None
    panel_system_volumes: SmallInt | None = None
    handset_ring_analog_volumes: SmallInt | None = None
    handset_talk_analog_volumes: SmallInt | None = None
    panel_talk_analog_volumes: SmallInt | None = None
    panel_talk_mobile_volumes: SmallInt | None = None
    gail_panel_micro_mobile_volumes: SmallInt | None = None
    answer_resistance: SmallInt | None = None
    quiescent_resistance: SmallInt | None = None


class FlatUserUpdateIn(RequestBody):
    model_config = ConfigDict(extra="ignore")

    is_open_door_key: Bool | None = None
    is_open_door_code: Bool | None = None
    is_open_door_app: Bool | None = None
    is_open_door_face: Bool | None = None
    is_restricted_live: Bool | None = None
    is_restricted_archive: Bool | None = None


async def _flat_keys(session: AsyncSession, flat: IntercomFlat) -> list[FlatKeyOut]:
    return [
        FlatKeyOut(
            id=key.id,
            key=key.value,
            user=UserOut.of(account) if account else None,
            created_at=plain(key.created_at),
            updated_at=plain(key.updated_at),
        )
        for key, account in await service.keys_with_users(session, flat.id)
    ]


async def flat_reply(session: AsyncSession, intercom: Intercom, flat: IntercomFlat) -> FlatOut:
    flat_keys = await _flat_keys(session, flat)
    users = [UserOut.of(account) for _resident, account in await service.residents(session, flat.id)]
    return FlatOut(
        id=flat.id,
        flat=flat.flat,
        key_count=len(flat_keys),
        users_count=len(users),
        keys=flat_keys,
        users=users,
        properties=FlatPropertiesOut.of(intercom, flat),
    )


async def _flat_with_permissions(
    session: AsyncSession, intercom: Intercom, flat: IntercomFlat
) -> FlatWithPermissionsOut:
    flat_keys = await _flat_keys(session, flat)
    users = [
        FlatUserOut(
            **UserOut.of(account).model_dump(),
            **{name: getattr(resident, name) for name in service.PERMISSIONS},
            source=resident.source,
        )
        for resident, account in await service.residents(session, flat.id)
    ]
    return FlatWithPermissionsOut(
        id=flat.id,
        flat=flat.flat,
        key_count=len(flat_keys),
        users_count=len(users),
        keys=flat_keys,
        users=users,
        properties=FlatPropertiesOut.of(intercom, flat),
    )


@router.get("/flats", response_model=Page[FlatListItemOut], summary="List the flats of an intercom")
async def list_flats(
    request: Request,
    intercom: IdPath,
    _admin: AdminPrincipal,
    session: DbSession,
    params: Annotated[PageParams, Depends(page_params)],
    search: Annotated[SearchText | None, Query()] = None,
) -> Page[FlatListItemOut]:
    record = await intercoms.get_live(session, intercom)
    result = await paginate(session, service.list_query(record.id, search), params)
    counts = await service.counts(session, [flat.id for flat in result.items])
    items = [
        FlatListItemOut(
            id=flat.id,
            flat=flat.flat,
            key_count=counts[flat.id][0],
            users_count=counts[flat.id][1],
            intercom_id=record.id,
            properties=FlatPropertiesOut.of(record, flat),
        )
        for flat in result.items
    ]
    return build_page(request, items, result.total, params)


@router.get("/flats/{flat:int}", response_model=FlatOut, summary="Show a flat (by its record id)")
async def show_flat(intercom: IdPath, flat: IdPath, _admin: AdminPrincipal, session: DbSession) -> FlatOut:
    record = await intercoms.get_live(session, intercom)
    return await flat_reply(session, record, await service.get_flat(session, record.id, flat))


@router.patch("/flats/{flat:int}", response_model=FlatOut, summary="Update a flat")
async def update_flat(
    intercom: IdPath, flat: IdPath, body: FlatUpdateIn, admin: AdminPrincipal, session: DbSession
) -> FlatOut:
    record = await intercoms.get_live(session, intercom)
    target = await service.get_flat(session, record.id, flat)
    before = audit.row_state(target)
    sent = body.model_dump(exclude_unset=True)
    service.update_line_flags(
        record, target, service.LineFlags.model_validate(body.model_dump(include=set(service.LINE_FLAGS)))
    )
    settings = set(service.FlatSettings.model_fields)
    service.update_settings(
        record, target, service.FlatSettings.model_validate({k: v for k, v in sent.items() if k in settings})
    )
    for index, account_id in enumerate(body.users_to_attach or []):
        await service.attach_resident(
            session, target, account_id, source="admin", path=f"users_to_attach.{index}"
        )
    for account_id in body.users_to_detach or []:
        await service.detach_resident(session, target, account_id)
    if body.keys_to_attach:
        await keys.bind_keys_to_flat(session, record, target.id, body.keys_to_attach, path="keys_to_attach")
    if body.keys_to_detach:
        await keys.unbind_keys_from_flat(
            session, record, target.id, body.keys_to_detach, path="keys_to_detach"
        )
    if body.map_user_key is not None:
        mapping = body.map_user_key
        if mapping.method not in vocabulary.keys(vocabulary.FLAT_MANAGEMENT_METHODS):
            raise ValidationFailed.one("map_user_key.method", "The selected map_user_key.method is invalid.")
        if await service.find_resident(session, target.id, mapping.user) is None:
            raise ValidationFailed.one("map_user_key.user", "The selected user is not a user of this flat.")
        await keys.map_user_keys(
            session, target.id, mapping.user, mapping.method, mapping.keys, path="map_user_key"
        )
    await session.flush()
    # The flat's own fields as they changed; the lists as sent (users by id, keys by value).
    changes = audit.state_changes(before, audit.row_state(target))
    for name in ("users_to_attach", "users_to_detach", "keys_to_attach", "keys_to_detach", "map_user_key"):
        if sent.get(name):
            changes[name] = {"before": None, "after": sent[name]}
    await _audit_flat(session, admin, record, target, "intercom_flat.updated", changes)
    return await flat_reply(session, record, target)


async def _audit_flat(
    session: AsyncSession,
    admin: AdminPrincipal,
    record: Intercom,
    target: IntercomFlat,
    action: str,
    changes: audit.Changes,
) -> None:
    if changes:
        await audit.record(
            session,
            admin,
            action=action,
            subject_type="intercom_flat",
            subject_id=target.id,
            subject_label=str(target.flat),
            intercom_id=record.id,
            changes=changes,
        )


@router.patch(
    "/flats/{flat:int}/users/{user:int}",
    response_model=FlatWithPermissionsOut,
    summary="Update a user's permissions in a flat",
)
async def update_flat_user(
    intercom: IdPath,
    flat: IdPath,
    user: IdPath,
    body: FlatUserUpdateIn,
    admin: AdminPrincipal,
    session: DbSession,
) -> FlatWithPermissionsOut:
    record = await intercoms.get_live(session, intercom)
    target = await service.get_flat(session, record.id, flat)
    resident = await service.get_resident(session, target, user)
    before = audit.row_state(resident)
    service.update_permissions(resident, service.Permissions.model_validate(body.model_dump()))
    await session.flush()
    changes = audit.state_changes(before, audit.row_state(resident))
    await _audit_flat(session, admin, record, target, "intercom_flat.user_updated", changes)
    return await _flat_with_permissions(session, record, target)


@router.get(
    "/flats/{flat:int}/users",
    response_model=FlatWithPermissionsOut,
    summary="Show a flat with its users' permissions",
)
async def show_flat_users(
    intercom: IdPath, flat: IdPath, _admin: AdminPrincipal, session: DbSession
) -> FlatWithPermissionsOut:
    record = await intercoms.get_live(session, intercom)
    return await _flat_with_permissions(session, record, await service.get_flat(session, record.id, flat))


@router.get("/get-users", response_model=Page[UserOut], summary="Users of an intercom (for binding keys)")
async def intercom_users(
    request: Request,
    intercom: IdPath,
    _admin: AdminPrincipal,
    session: DbSession,
    params: Annotated[PageParams, Depends(page_params)],
    search: Annotated[SearchText | None, Query()] = None,
) -> Page[UserOut]:
    record = await intercoms.get_live(session, intercom)
    result = await paginate(session, service.users_query(record.id, search), params)
    return build_page(request, [UserOut.of(account) for account in result.items], result.total, params)
