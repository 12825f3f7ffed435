"""/api/v1/billing/intercoms: create, update (incl. panel replacement and moves), delete, show."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response

from entryphone.api.billing.schemas import (
    CameraOut,
    ExternalId,
    GroupOut,
    IntercomCreate,
    IntercomDelete,
    IntercomDetailOut,
    IntercomOut,
    IntercomShow,
    IntercomUpdate,
)
from entryphone.api.deps import BillingPrincipal, Context, DbSession
from entryphone.api.types import MAX_ID, Text
from entryphone.billing import intercoms
from entryphone.billing.intercoms import GroupRef, OnvifCredentials, Replacement
from entryphone.errors import ValidationFailed
from entryphone.intercoms.changes import IntercomChanges
from entryphone.models import Intercom

router = APIRouter(prefix="/intercoms", tags=["billing: intercoms"])

UPDATE_FIELDS = ("department", "flat_from", "flat_to", "external_id", "model", "force_flats_removal")


def intercom_out(intercom: Intercom) -> IntercomOut:
    return IntercomOut(
        id=intercom.id,
        external_id=intercom.external_id,
        department=intercom.department,
        title=intercom.title,
        mac=intercom.mac,
        model=intercom.model,
        serial_number=intercom.serial_number,
        status=intercom.status,
        flat_from=intercom.flat_from,
        flat_to=intercom.flat_to,
        source=intercom.source,
    )


async def detail_out(session: DbSession, intercom: Intercom) -> IntercomDetailOut:
    view = await intercoms.view(session, intercom)
    group = view.group
    camera = view.camera
    return IntercomDetailOut(
        **intercom_out(intercom).model_dump(),
        group=None
        if group is None
        else GroupOut(
            id=group.id, name=group.name, external_id=group.external_id, has_items=view.group_has_items
        ),
        camera=None
        if camera is None
        else CameraOut(
            id=camera.id,
            title=camera.name,
            is_onvif_credentials_installed=intercoms.is_onvif_installed(camera),
        ),
    )


@router.post("", response_model=IntercomOut, summary="Create an intercom from billing data")
async def create_intercom(
    body: IntercomCreate, actor: BillingPrincipal, context: Context, session: DbSession
) -> IntercomOut:
    fields = IntercomChanges.model_validate(
        body.model_dump(
            include={
                "name",
                "vendor",
                "model",
                "serial_number",
                "mac",
                "department",
                "flat_from",
                "flat_to",
                "external_id",
            },
            exclude_none=True,
        )
    )
    intercom = await intercoms.create_intercom(
        session,
        context.secrets,
        actor,
        fields,
        GroupRef(group_id=body.group_id, group_external_id=body.group_external_id),
        log_extra=body.log_extra,
    )
    return intercom_out(intercom)


@router.patch("", response_model=IntercomDetailOut, summary="Update an intercom (id or mac)")
async def update_intercom(
    body: IntercomUpdate, actor: BillingPrincipal, context: Context, session: DbSession
) -> IntercomDetailOut:
    sent: dict[str, Any] = {
        name: value for name in UPDATE_FIELDS if (value := getattr(body, name)) is not None
    }
    if body.title is not None and body.name is not None and body.title != body.name:
        raise ValidationFailed.one("name", "The name field is an alias of title: send one of them.")
    if (title := body.title if body.title is not None else body.name) is not None:
        sent["title"] = title
    changes = IntercomChanges.model_validate(sent)
    onvif: intercoms.OnvifChange = intercoms.ONVIF_UNCHANGED
    if "onvif_credentials" in body.model_fields_set:
        credentials = body.onvif_credentials
        onvif = None if credentials is None else OnvifCredentials(**credentials.model_dump())
    intercom = await intercoms.update_intercom(
        session,
        context.secrets,
        actor,
        intercom_id=body.id,
        mac=body.mac,
        changes=changes,
        group=GroupRef(group_id=body.group_id, group_external_id=body.group_external_id),
        replacement=Replacement(
            model=body.model, new_mac=body.new_mac, new_serial_number=body.new_serial_number
        ),
        onvif_credentials=onvif,
        log_extra=body.log_extra,
    )
    return await detail_out(session, intercom)


@router.delete("", status_code=204, response_class=Response, summary="Soft-delete an intercom (id or mac)")
async def delete_intercom(body: IntercomDelete, actor: BillingPrincipal, session: DbSession) -> Response:
    await intercoms.delete_intercom(
        session, actor, intercom_id=body.id, mac=body.mac, log_extra=body.log_extra
    )
    return Response(status_code=204)


@router.get("/show", response_model=IntercomDetailOut, summary="Show an intercom by id, mac or external_id")
async def show_intercom(
    _actor: BillingPrincipal,
    session: DbSession,
    id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,  # the documented name
    mac: Annotated[Text | None, Query()] = None,
    external_id: Annotated[ExternalId | None, Query()] = None,
    body: Annotated[IntercomShow | None, Body()] = None,
) -> IntercomDetailOut:
    # The platform's sample sends the identifier as a JSON body on GET; a query string works too.
    sent = body or IntercomShow()
    intercom = await intercoms.show_intercom(
        session,
        intercom_id=id if id is not None else sent.id,
        mac=mac if mac is not None else sent.mac,
        external_id=external_id if external_id is not None else sent.external_id,
    )
    return await detail_out(session, intercom)
