"""The intercom page: settings, the coordinate matrix grid, flats, sync, door, camera, journal.

Every action calls the admin API's own handler (api/admin/...) with the operator's principal and the
request's session, so the console runs exactly the admin API's rules and answers with its errors."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import ValidationError

from entryphone import vocabulary
from entryphone.api.admin import devices as admin_devices
from entryphone.api.admin import flats as admin_flats
from entryphone.api.admin import intercoms as admin_intercoms
from entryphone.api.admin.replies import intercom_reply
from entryphone.api.deps import Context, DbSession
from entryphone.api.errors import errors_from_pydantic
from entryphone.api.pagination import PageParams
from entryphone.api.streaming import CameraQuery
from entryphone.api.types import IdPath
from entryphone.console import forms
from entryphone.console.lists import all_cameras, all_groups, page_number
from entryphone.console.texts import t
from entryphone.console.web import ConsoleRoute, CurrentOperator, Operator, read_form, redirect, render
from entryphone.errors import Conflict, DeviceCannot, DeviceError, ValidationFailed
from entryphone.fleet.status import device_status
from entryphone.intercoms import service as intercoms
from entryphone.matrix import build_matrix
from entryphone.overview import service as overview

router = APIRouter(route_class=ConsoleRoute)

NOTICES = {
    "saved": "intercom.saved",
    "matrix": "matrix.saved",
    "door": "intercom.door_opened",
    "sync": "intercom.sync_started",
}
JOURNAL_SIZE = 20


async def _page(
    request: Request,
    operator: Operator,
    session: DbSession,
    context: Context,
    intercom_id: IdPath,
    *,
    errors: dict[str, list[str]] | None = None,
    submitted: dict[str, Any] | None = None,
    alert: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    record = await intercoms.get_live(session, intercom_id)
    reply = await intercom_reply(session, context.secrets, record)
    values = reply.model_dump(by_alias=True)
    if submitted:
        _overlay(values, submitted)
    status = await device_status(session, record)
    principal = operator.principal
    flats_page = await admin_flats.list_flats(
        request,
        intercom_id,
        principal,
        session,
        PageParams(page=page_number(request, "flats_page"), per_page=25),
    )
    flats = [
        await admin_flats.show_flat(intercom_id, item.id, principal, session) for item in flats_page.data
    ]
    journal = await admin_devices.logs(request, intercom_id, principal, session, PageParams(1, JOURNAL_SIZE))
    alerts = await admin_devices.alerts(request, intercom_id, principal, session, PageParams(1, 20), True)
    openings = await admin_devices.door_openings(request, intercom_id, principal, session, PageParams(1, 20))
    calls = await overview.calls(session, intercom_id, 1, 20)
    notice_key = NOTICES.get(request.query_params.get("done", ""))
    return render(
        request,
        "intercom.html",
        operator,
        status_code=status_code,
        intercom=reply,
        v=values,
        status=status,
        flats=flats,
        flats_page=flats_page,
        journal=journal.data,
        alerts=alerts.data,
        openings=openings.data,
        calls=calls.rows,
        groups=await all_groups(request, operator, session),
        cameras=await all_cameras(request, operator, session, context),
        connection_types=vocabulary.CONNECTION_TYPES,
        switches=vocabulary.SWITCH_TYPES,
        geometry={switch.key: switch.units for switch in vocabulary.SWITCH_TYPES},
        errors=errors or {},
        notice=t(notice_key) if notice_key else None,
        alert=alert,
        camera_period=2,
    )


def _overlay(values: dict[str, Any], submitted: dict[str, Any]) -> None:
    """Show what the operator sent (the bad value stays in its field), not what is stored."""
    for name, value in submitted.items():
        if isinstance(value, dict) and isinstance(values.get(name), dict):
            values[name] = {**values[name], **value}
        else:
            values[name] = value


@router.get("/intercoms/{intercom_id}", response_class=HTMLResponse)
async def intercom_page(
    request: Request, intercom_id: IdPath, operator: CurrentOperator, session: DbSession, context: Context
) -> HTMLResponse:
    return await _page(request, operator, session, context, intercom_id)


async def _patch(
    request: Request,
    intercom_id: IdPath,
    operator: Operator,
    session: DbSession,
    context: Context,
    body: dict[str, Any],
    done: str,
) -> Response:
    """PATCH through the admin API's handler; a refusal renders the page with its field errors."""
    try:
        fields = admin_intercoms.IntercomFieldsIn.model_validate(body)
        await admin_intercoms.update_intercom(intercom_id, fields, operator.principal, session, context)
    except ValidationError as error:
        errors = errors_from_pydantic(error.errors())
    except ValidationFailed as error:
        errors = error.errors
    else:
        return redirect(f"/intercoms/{intercom_id}", done=done)
    await session.rollback()
    shown = {key: value for key, value in body.items() if key != "sip_credentials"}
    if "sip_credentials" in body:
        shown["sip_credentials"] = {k: v for k, v in body["sip_credentials"].items() if k != "password"}
    return await _page(
        request,
        operator,
        session,
        context,
        intercom_id,
        errors=errors,
        submitted=shown,
        alert=t("error.fix_below"),
        status_code=422,
    )


@router.post("/intercoms/{intercom_id}/settings")
async def save_settings(
    request: Request, intercom_id: IdPath, operator: CurrentOperator, session: DbSession, context: Context
) -> Response:
    record = await intercoms.get_live(session, intercom_id)
    current = (await intercom_reply(session, context.secrets, record)).model_dump(by_alias=True)
    body = forms.settings_body(await read_form(request), current)
    if not body:
        return redirect(f"/intercoms/{intercom_id}", done="saved")
    return await _patch(request, intercom_id, operator, session, context, body, "saved")


@router.post("/intercoms/{intercom_id}/matrix")
async def save_matrix(
    request: Request, intercom_id: IdPath, operator: CurrentOperator, session: DbSession, context: Context
) -> Response:
    body = forms.matrix_body(await read_form(request))
    return await _patch(request, intercom_id, operator, session, context, body, "matrix")


@router.post("/intercoms/{intercom_id}/matrix/build")
async def build_grid(
    request: Request, intercom_id: IdPath, operator: CurrentOperator, session: DbSession
) -> Response:
    """The matrix calculator for the grid's "fill" button: the admin API's common-matrix."""
    try:
        payload = json.loads(await request.body() or b"{}")
    except ValueError:
        return _refused({"body": ["The request body is not valid JSON."]})
    try:
        built = admin_intercoms.MatrixBuildIn.model_validate(payload)
        await intercoms.get_live(session, intercom_id)
        items = build_matrix(built.switch, built.capacity, built.flat_from, built.is_last_item_first)
    except ValidationError as error:
        return _refused(errors_from_pydantic(error.errors()))
    except ValidationFailed as error:
        return _refused(error.errors)
    return JSONResponse({"capacity": built.capacity, "items": items})


def _refused(errors: dict[str, list[str]]) -> JSONResponse:
    first = next((messages[0] for messages in errors.values() if messages), "Invalid.")
    return JSONResponse({"message": first, "errors": errors}, status_code=422)


async def _device_action(intercom_id: IdPath, work: Any) -> str | None:
    try:
        await work
    except DeviceCannot as error:
        return t("error.conflict", message=error.message)
    except DeviceError as error:
        return t("error.device", message=error.description or error.message)
    except Conflict as error:
        return t("error.conflict", message=error.message)
    return None


@router.post("/intercoms/{intercom_id}/open-door")
async def open_door(
    request: Request, intercom_id: IdPath, operator: CurrentOperator, session: DbSession, context: Context
) -> Response:
    await session.commit()  # the command owns its transactions: none stays open across the device call
    failure = await _device_action(
        intercom_id, admin_devices.open_door(intercom_id, operator.principal, context)
    )
    if failure is None:
        return redirect(f"/intercoms/{intercom_id}", done="door")
    return await _page(request, operator, session, context, intercom_id, alert=failure, status_code=502)


@router.post("/intercoms/{intercom_id}/sync-keys")
async def sync_keys(
    request: Request, intercom_id: IdPath, operator: CurrentOperator, session: DbSession, context: Context
) -> Response:
    await session.commit()
    failure = await _device_action(
        intercom_id, admin_devices.sync_keys(intercom_id, operator.principal, context)
    )
    if failure is None:
        return redirect(f"/intercoms/{intercom_id}", done="sync")
    return await _page(request, operator, session, context, intercom_id, alert=failure, status_code=409)


@router.get("/intercoms/{intercom_id}/snapshot")
async def snapshot(
    intercom_id: IdPath, operator: CurrentOperator, session: DbSession, context: Context
) -> Response:
    """One camera frame through the admin API's snapshot handler (the page refreshes it)."""
    await session.commit()
    try:
        return await admin_devices.snapshot(
            intercom_id, operator.principal, context, CameraQuery(fps=None, width=640, height=None)
        )
    except DeviceError as error:
        return Response(
            error.message, status_code=502, media_type="text/plain", headers={"Cache-Control": "no-store"}
        )


@router.get("/intercoms/{intercom_id}/journal", response_class=HTMLResponse)
async def journal(
    request: Request, intercom_id: IdPath, operator: CurrentOperator, session: DbSession
) -> HTMLResponse:
    """The newest events as table rows: the page polls it, so new events appear as they arrive."""
    page = await admin_devices.logs(
        request, intercom_id, operator.principal, session, PageParams(1, JOURNAL_SIZE)
    )
    return render(request, "_journal_rows.html", operator, journal=page.data)
