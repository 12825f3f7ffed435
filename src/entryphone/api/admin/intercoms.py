"""/api/admin/v1/intercoms: the admin intercom object, and the matrix calculator."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from entryphone.api.admin.fields import (
    Address,
    Department,
    DoorOpenTime,
    Duration,
    FlatNumber,
    FlatOffset,
    Port,
    Secret,
    Word,
)
from entryphone.api.admin.replies import IntercomOut, intercom_replies, intercom_reply
from entryphone.api.deps import AdminPrincipal, Context, DbSession
from entryphone.api.etag import NOT_MODIFIED, validated_json
from entryphone.api.pagination import Page, PageParams, build_page, page_params, paginate
from entryphone.api.types import Bool, Id, IdPath, Integer, Name, RequestBody, SearchText, Text
from entryphone.audit import service as audit
from entryphone.fleet import onboarding
from entryphone.fleet.runtime import access_of
from entryphone.intercoms import service
from entryphone.intercoms.changes import IntercomChanges
from entryphone.intercoms.identity import normalize_mac
from entryphone.intercoms.service import MAX_DTMF
from entryphone.matrix import MAX_COMMUTATORS, MAX_FLAT, MatrixElement, build_matrix, repeated_flats

router = APIRouter(prefix="/intercoms", tags=["admin: intercoms"])

TlsFingerprint = Annotated[
    str,
    StringConstraints(pattern=r"^(?:[0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$"),
    AfterValidator(lambda value: value.replace(":", "").lower()),
]
Cell = Annotated[int, Integer(0, MAX_FLAT)]
Capacity = Annotated[int, Integer(1, 1000)]


class SipCredentialsIn(RequestBody):
    """Sent whole: server, port, login and password together."""

    server: Name
    port: Port
    login: Name
    password: Secret


class DtmfIn(RequestBody):
    id: Annotated[int, Integer(1, MAX_DTMF)]
    value: Annotated[str, Field(min_length=1, max_length=16, pattern=r"^[0-9A-Da-d*#/+]+$")]


class SipOptionsIn(RequestBody):
    dtmf: Annotated[list[DtmfIn], Field(max_length=16)] | None = None
    talk_duration: Duration | None = None
    ring_duration: Duration | None = None


class MatrixElementIn(RequestBody):
    id: Annotated[int, Integer(1, MAX_COMMUTATORS)]
    auto: Bool = False
    capacity: Capacity
    flat_from: FlatNumber | None = None
    is_last_item_first: Bool = False
    items: Annotated[list[Annotated[list[Cell], Field(max_length=32)]], Field(max_length=32)] | None = None


class IntercomFieldsIn(RequestBody):
    """Every writable field of the admin intercom object; PATCH changes only the fields sent; null
    clears a field the object may lack and is refused for booleans, title, vendor and status."""

    model_config = ConfigDict(extra="ignore", validate_by_name=True)
    not_null = frozenset({"title", "name", "vendor", "status"})

    @classmethod
    def cross_field_rules(cls, data: Mapping[str, Any]) -> dict[str, list[str]]:
        """A flat wired twice is found with the type errors of the other cells (the switch-dependent
        rules need the stored intercom: the intercoms service checks them)."""
        matrix = data.get("matrix")
        if not isinstance(matrix, list):
            return {}
        return repeated_flats(
            (f"matrix.{index}.items", element.get("items"))
            for index, element in enumerate(matrix)
            if isinstance(element, dict) and element.get("auto") is not True
        )

    title: Name | None = None
    name: Name | None = None
    vendor: Word | None = None
    model: Text | None = None
    serial_number: Text | None = None
    mac: Word | None = None
    external_id: Text | None = None
    group_id: Id | None = None
    camera_id: Id | None = None
    status: Word | None = None
    department: Department | None = None
    department_type: Word | None = None
    department_name: Text | None = None
    address: Address | None = None
    flat_from: FlatNumber | None = None
    flat_to: FlatNumber | None = None
    flat_offset: FlatOffset | None = None
    force_flats_removal: Bool | None = None
    collecting_keys: Bool | None = None
    door_open_time_general: DoorOpenTime | None = None
    sip_credentials: SipCredentialsIn | None = None
    sip_options: SipOptionsIn | None = None
    is_crossbar_switchers_enabled: Bool | None = None
    switch: Word | None = None
    connection_type: Word | None = None
    commutators_count: Annotated[int, Integer(0, MAX_COMMUTATORS)] | None = None
    matrix: Annotated[list[MatrixElementIn], Field(max_length=MAX_COMMUTATORS)] | None = None
    schema_: Word | None = Field(default=None, alias="schema")
    ip: Text | None = None
    port: Port | None = None
    login: Text | None = None
    password: Secret | None = None
    # HTTPS toward the panel: its certificate's SHA-256 fingerprint (hex, colons allowed) to pin, or an
    # explicit permission to accept a self-signed certificate unpinned. Normal verification otherwise.
    tls_fingerprint: TlsFingerprint | None = None
    tls_allow_self_signed: Bool | None = None

    def sent(self) -> dict[str, Any]:
        """The fields the client sent, by wire name (a null the body may send clears the field)."""
        sent = self.model_dump(exclude_unset=True, by_alias=True)
        if "matrix" in sent and sent["matrix"] is not None:
            sent["matrix"] = [MatrixElement(**element.model_dump()) for element in self.matrix or []]
        return sent

    def changes(self) -> IntercomChanges:
        """What the intercoms service applies: the fields sent, as typed (and bounded) here."""
        return IntercomChanges.model_validate(self.sent())


class IntercomCreateIn(IntercomFieldsIn):
    vendor: Word


class MatrixBuildIn(RequestBody):
    switch: Word
    capacity: Capacity
    flat_from: FlatNumber
    is_last_item_first: Bool = False


class MatrixOut(BaseModel):
    capacity: int
    items: list[list[int]]


@router.get("", response_model=Page[IntercomOut], responses=NOT_MODIFIED, summary="List intercoms")
async def list_intercoms(
    request: Request,
    _admin: AdminPrincipal,
    session: DbSession,
    context: Context,
    params: Annotated[PageParams, Depends(page_params)],
    search: Annotated[SearchText | None, Query()] = None,
    group_id: Annotated[int | None, Query(ge=1, le=2**53 - 1)] = None,
    vendor: Annotated[str | None, Query(max_length=64)] = None,
    status: Annotated[str | None, Query(max_length=64)] = None,
    is_online: Annotated[Bool | None, Query()] = None,
) -> Response:
    mac: str | None = None
    if search:
        try:
            mac = normalize_mac(search)
        except ValueError:
            mac = None
    query = service.list_query(
        search=search, group_id=group_id, vendor=vendor, status=status, is_online=is_online, mac=mac
    )
    result = await paginate(session, query, params)
    items = await intercom_replies(session, context.secrets, list(result.items))
    return validated_json(request, build_page(request, items, result.total, params))


@router.post("", response_model=IntercomOut, status_code=201, summary="Create an intercom")
async def create_intercom(
    body: IntercomCreateIn, admin: AdminPrincipal, session: DbSession, context: Context
) -> IntercomOut:
    sent, changes = body.sent(), body.changes()
    info = None
    if onboarding.wants_probe(access_of(context), sent, None):
        # Every rule is checked before any device is contacted (dry run, rolled back), and nothing
        # stays open across the probe.
        async with session.begin_nested() as dry_run:
            await service.create(session, context.secrets, changes, source="manual")
            await dry_run.rollback()
        await session.commit()
        info = await onboarding.probe(access_of(context), sent)
        changes = changes.but(**onboarding.facts(info, sent, None))
    intercom = await service.create(session, context.secrets, changes, source="manual")
    if info is not None:
        intercom.device_info = onboarding.device_info_record(info)
    await _audit(session, admin, "intercom.created", intercom, {})
    return await intercom_reply(session, context.secrets, intercom)


async def _audit(
    session: DbSession, admin: AdminPrincipal, action: str, intercom: Any, before: dict[str, Any]
) -> None:
    """One trail entry for what this request changed on the intercom (secrets only as changed)."""
    changes = audit.state_changes(before, audit.row_state(intercom))
    if changes:
        await audit.record(
            session,
            admin,
            action=action,
            subject_type="intercom",
            subject_id=intercom.id,
            subject_label=intercom.title,
            intercom_id=intercom.id,
            changes=changes,
        )


@router.get("/{intercom:int}", response_model=IntercomOut, responses=NOT_MODIFIED, summary="Show an intercom")
async def show_intercom(
    request: Request, intercom: IdPath, _admin: AdminPrincipal, session: DbSession, context: Context
) -> Response:
    record = await service.get_live(session, intercom)
    return validated_json(request, await intercom_reply(session, context.secrets, record))


@router.patch("/{intercom:int}", response_model=IntercomOut, summary="Update an intercom (partial)")
async def update_intercom(
    intercom: IdPath, body: IntercomFieldsIn, admin: AdminPrincipal, session: DbSession, context: Context
) -> IntercomOut:
    sent, changes = body.sent(), body.changes()
    info = None
    current = await service.get_live(session, intercom)
    if onboarding.wants_probe(access_of(context), sent, current):
        async with session.begin_nested() as dry_run:  # every rule first, then the device
            await service.update(session, context.secrets, current, changes)
            await dry_run.rollback()
        await session.refresh(current)  # the rollback expired what the dry run changed
        await session.commit()
        info = await onboarding.probe(access_of(context), sent, current)
        changes = changes.but(**onboarding.facts(info, sent, current))
    record = await service.get_live(session, intercom, for_update=True)
    before = audit.row_state(record)
    await service.update(session, context.secrets, record, changes)
    if info is not None:
        record.device_info = onboarding.device_info_record(info)
    await _audit(session, admin, "intercom.updated", record, before)
    return await intercom_reply(session, context.secrets, record)


@router.delete(
    "/{intercom:int}", status_code=204, response_class=Response, summary="Delete an intercom (soft)"
)
async def delete_intercom(intercom: IdPath, admin: AdminPrincipal, session: DbSession) -> Response:
    record = await service.get_live(session, intercom, for_update=True)
    before = audit.row_state(record)
    await service.soft_delete(session, record)
    await _audit(session, admin, "intercom.deleted", record, before)
    return Response(status_code=204)


@router.post("/{intercom:int}/common-matrix", response_model=MatrixOut, summary="Build a matrix")
async def common_matrix(
    intercom: IdPath, body: MatrixBuildIn, _admin: AdminPrincipal, session: DbSession
) -> MatrixOut:
    await service.get_live(session, intercom)
    items = build_matrix(body.switch, body.capacity, body.flat_from, body.is_last_item_first)
    return MatrixOut(capacity=body.capacity, items=items)
