"""Console pages other than the intercom's: sign-in and out, fleet (with its live socket), groups,
residents, audit."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request, WebSocket
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from entryphone import vocabulary
from entryphone.accounts import service as accounts
from entryphone.api.admin import groups as admin_groups
from entryphone.api.client.auth import login_policy
from entryphone.api.client_address import client_address
from entryphone.api.deps import Context, DbSession, get_context
from entryphone.api.errors import errors_from_pydantic
from entryphone.api.types import IdPath
from entryphone.api.websocket import CLOSE_UNAUTHENTICATED, CLOSE_UNAVAILABLE, pump
from entryphone.console import forms
from entryphone.console.lists import all_groups, page_number
from entryphone.console.texts import t
from entryphone.console.web import (
    CSRF_FIELD,
    LOGIN_COOKIE,
    PREFIX,
    SESSION_COOKIE,
    ConsoleRoute,
    CsrfRefused,
    CurrentOperator,
    check_csrf,
    csrf_token,
    new_login_nonce,
    read_form,
    redirect,
    render,
    set_cookie,
)
from entryphone.errors import Conflict, TooManyRequests, Unauthenticated, ValidationFailed
from entryphone.overview import service as overview
from entryphone.pushes import ADMINS, hub_of

router = APIRouter(route_class=ConsoleRoute)

FLEET_PAGE = 50
LIST_PAGE = 50
MAX_TEXT = 100


def _query_text(request: Request, name: str) -> str | None:
    value = request.query_params.get(name, "").strip()
    return value[:MAX_TEXT] if value and value.isprintable() else None


def _query_id(request: Request, name: str, errors: dict[str, list[str]]) -> int | None:
    value = request.query_params.get(name, "").strip()
    if not value:
        return None
    if value.isdigit() and 1 <= int(value) <= 2**53 - 1:
        return int(value)
    errors[name] = [f"The {name} field must be a positive integer."]
    return None


def _query_choice(request: Request, name: str, choices: dict[str, Any], errors: dict[str, list[str]]) -> Any:
    value = request.query_params.get(name, "")
    if value in choices:
        return choices[value]
    errors[name] = [f"The selected {name} is invalid."]
    return None


def _query_time(request: Request, name: str, errors: dict[str, list[str]]) -> datetime | None:
    value = request.query_params.get(name, "").strip()
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        errors[name] = [f"The {name} field must be a date and time (YYYY-MM-DDTHH:MM)."]
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.now().astimezone().tzinfo)


# -- signing in and out ------------------------------------------------------------------------------


def _login_page(request: Request, status_code: int = 200, **values: Any) -> HTMLResponse:
    nonce = request.cookies.get(LOGIN_COOKIE)
    fresh = not nonce or len(nonce) > 64
    if fresh:
        nonce = new_login_nonce()
    assert nonce is not None
    response = render(
        request,
        "login.html",
        None,
        status_code=status_code,
        csrf=csrf_token(request, "login:" + nonce),
        **values,
    )
    if fresh:
        set_cookie(request, response, LOGIN_COOKIE, nonce, max_age=3600)
    return response


@router.get("/", include_in_schema=False)
async def home() -> RedirectResponse:
    return redirect("/fleet")


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request) -> HTMLResponse:
    notice = {"expired": t("login.expired"), "out": t("login.signed_out")}.get(
        request.query_params.get("m", "")
    )
    return _login_page(request, notice=notice)


@router.post("/login")
async def login(request: Request, session: DbSession, context: Context) -> Response:
    form = await read_form(request)
    nonce = request.cookies.get(LOGIN_COOKIE, "")
    if not nonce:
        raise CsrfRefused()
    check_csrf(request, "login:" + nonce, form.get(CSRF_FIELD))
    name = (form.get("login") or "").strip()[:191]
    password = form.get("password") or ""
    if not name or not password or len(password) > 255:
        return _login_page(request, 422, alert=t("login.failed"), login=name)
    settings = context.settings
    try:
        issued = await accounts.console_login(
            session,
            login=name,
            password=password,
            policy=login_policy(settings),
            address=client_address(request, settings),
        )
    except TooManyRequests as error:
        await session.commit()  # the count and the lock persist
        response = _login_page(
            request, 429, alert=t("login.throttled", seconds=error.retry_after), login=name
        )
        response.headers["Retry-After"] = str(error.retry_after)
        return response
    except ValidationFailed:
        await session.commit()
        return _login_page(request, 422, alert=t("login.failed"), login=name)
    target = form.get("next", "")
    safe = target.startswith(PREFIX + "/") and not target.startswith("//") and "\\" not in target
    signed_in = RedirectResponse(target if safe else PREFIX + "/fleet", status_code=303)
    set_cookie(request, signed_in, SESSION_COOKIE, issued.token, max_age=None)
    signed_in.delete_cookie(LOGIN_COOKIE, path=PREFIX)
    return signed_in


@router.post("/logout")
async def logout(operator: CurrentOperator, session: DbSession) -> Response:
    await accounts.console_logout(session, operator.principal)
    response = redirect("/login", m="out")
    response.delete_cookie(SESSION_COOKIE, path=PREFIX)
    return response


# -- fleet -------------------------------------------------------------------------------------------


@router.get("/fleet", response_class=HTMLResponse)
async def fleet(request: Request, operator: CurrentOperator, session: DbSession) -> HTMLResponse:
    errors: dict[str, list[str]] = {}
    filters = overview.FleetFilters(
        search=_query_text(request, "q"),
        group_id=_query_id(request, "group", errors),
        vendor=_query_choice(
            request, "vendor", {"": None, **{vendor.key: vendor.key for vendor in vocabulary.VENDORS}}, errors
        ),
        is_online=_query_choice(request, "online", {"": None, "online": True, "offline": False}, errors),
        alerting=_query_choice(request, "alert", {"": None, "open": True, "none": False}, errors),
    )
    found = await overview.fleet(session, filters, page_number(request), FLEET_PAGE)
    return render(
        request,
        "fleet.html",
        operator,
        status_code=422 if errors else 200,
        found=found,
        query=request.query_params,
        groups=await all_groups(request, operator, session),
        vendors=vocabulary.VENDORS,
        errors=errors,
    )


@router.websocket("/ws")
async def fleet_socket(websocket: WebSocket) -> None:
    """The admin channel (the pushes of /api/admin/v1/ws) for a signed-in console page."""
    context = get_context(websocket)  # type: ignore[arg-type]
    hub = hub_of(context)
    if hub is None:
        await websocket.close(code=CLOSE_UNAVAILABLE)
        return
    token = websocket.cookies.get(SESSION_COOKIE, "")
    origin = websocket.headers.get("origin")
    host = websocket.headers.get("host", "")
    # Cookies ride along on cross-site socket openings too: only the console's own pages may listen.
    if origin is not None and origin.split("://", 1)[-1] != host:
        await websocket.close(code=CLOSE_UNAUTHENTICATED, reason="Unauthenticated.")
        return
    try:
        if not token or len(token) > 512:
            raise Unauthenticated()
        idle = timedelta(seconds=context.settings.console_idle_seconds)
        async with context.sessions() as session, session.begin():
            principal = await accounts.console_session(session, token, idle)
    except Unauthenticated:
        await websocket.close(code=CLOSE_UNAUTHENTICATED, reason="Unauthenticated.")
        return
    await websocket.accept()
    connection = hub.connect(ADMINS, f"console-{principal.account_id}-{secrets.token_hex(4)}")
    try:
        await websocket.send_json({"event": "subscribed", "channel": "admins"})
        await pump(websocket, connection)
    finally:
        hub.disconnect(connection)


# -- groups ------------------------------------------------------------------------------------------

GROUP_NOTICES = {"created": "groups.created", "updated": "groups.updated", "deleted": "groups.deleted"}


async def _groups_page(
    request: Request,
    operator: CurrentOperator,
    session: DbSession,
    *,
    errors: dict[str, list[str]] | None = None,
    form_of: int | None = None,
    submitted: dict[str, Any] | None = None,
    alert: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    groups = await all_groups(request, operator, session)
    children: dict[int | None, list[Any]] = {}
    for group in sorted(groups, key=lambda item: item.name.lower()):
        children.setdefault(group.parent_id, []).append(group)
    notice_key = GROUP_NOTICES.get(request.query_params.get("done", ""))
    return render(
        request,
        "groups.html",
        operator,
        status_code=status_code,
        groups=groups,
        children=children,
        errors=errors or {},
        form_of=form_of,
        submitted=submitted or {},
        alert=alert,
        notice=t(notice_key) if notice_key else None,
    )


@router.get("/groups", response_class=HTMLResponse)
async def groups_page(request: Request, operator: CurrentOperator, session: DbSession) -> HTMLResponse:
    return await _groups_page(request, operator, session)


def _group_body(form: dict[str, str]) -> dict[str, Any]:
    return {
        "name": forms.text(form.get("name")) or "",
        "parent_id": forms.number(form.get("parent_id")),
        "is_house": forms.checked(form, "is_house"),  # type: ignore[arg-type]
    }


async def _group_write(
    request: Request,
    operator: CurrentOperator,
    session: DbSession,
    form_of: int,
    body: dict[str, Any],
    work: Any,
) -> Response | None:
    """Run a write through the admin API's group handler; None when it succeeded, else the page
    with the errors next to the form that was sent."""
    try:
        await work()
    except ValidationFailed as error:
        errors = error.errors
    except ValidationError as error:
        errors = errors_from_pydantic(error.errors())
    except Conflict as error:
        await session.rollback()
        return await _groups_page(request, operator, session, alert=error.message, status_code=409)
    else:
        return None
    await session.rollback()
    return await _groups_page(
        request,
        operator,
        session,
        errors=errors,
        form_of=form_of,
        submitted=body,
        alert=t("error.fix_below"),
        status_code=422,
    )


@router.post("/groups")
async def create_group(request: Request, operator: CurrentOperator, session: DbSession) -> Response:
    body = _group_body(await read_form(request))

    async def work() -> None:
        await admin_groups.create_group(
            admin_groups.GroupCreate.model_validate(body), operator.principal, session
        )

    reply = await _group_write(request, operator, session, 0, body, work)
    return reply or redirect("/groups", done="created")


@router.post("/groups/{group_id}")
async def update_group(
    request: Request, group_id: IdPath, operator: CurrentOperator, session: DbSession
) -> Response:
    body = _group_body(await read_form(request))

    async def work() -> None:
        changes = admin_groups.GroupUpdate.model_validate(body)
        await admin_groups.update_group(group_id, changes, operator.principal, session)

    reply = await _group_write(request, operator, session, group_id, body, work)
    return reply or redirect("/groups", done="updated")


@router.post("/groups/{group_id}/delete")
async def delete_group(
    request: Request, group_id: IdPath, operator: CurrentOperator, session: DbSession
) -> Response:
    async def work() -> None:
        await admin_groups.delete_group(group_id, operator.principal, session)

    reply = await _group_write(request, operator, session, group_id, {}, work)
    return reply or redirect("/groups", done="deleted")


# -- residents ---------------------------------------------------------------------------------------


@router.get("/residents", response_class=HTMLResponse)
async def residents(request: Request, operator: CurrentOperator, session: DbSession) -> HTMLResponse:
    search = _query_text(request, "q")
    found = await overview.residents(session, search, page_number(request), LIST_PAGE)
    return render(request, "residents.html", operator, found=found, query=request.query_params)


@router.get("/residents/{account_id}", response_class=HTMLResponse)
async def resident(
    request: Request, account_id: IdPath, operator: CurrentOperator, session: DbSession
) -> HTMLResponse:
    detail = await overview.resident(session, account_id)
    return render(request, "resident.html", operator, r=detail, now=datetime.now().astimezone())


# -- audit -------------------------------------------------------------------------------------------


@router.get("/audit", response_class=HTMLResponse)
async def audit(request: Request, operator: CurrentOperator, session: DbSession) -> HTMLResponse:
    errors: dict[str, list[str]] = {}
    filters = overview.AuditFilters(
        intercom_id=_query_id(request, "intercom", errors),
        action=_query_text(request, "action"),
        surface=_query_choice(
            request,
            "surface",
            {"": None, "admin": "admin", "billing": "billing", "resident": "resident"},
            errors,
        ),
        login=_query_text(request, "login"),
        since=_query_time(request, "from", errors),
        until=_query_time(request, "to", errors),
    )
    found = await overview.audit(session, filters, page_number(request), LIST_PAGE)
    return render(
        request,
        "audit.html",
        operator,
        status_code=422 if errors else 200,
        found=found,
        query=request.query_params,
        actions=await overview.audit_actions(session),
        errors=errors,
    )
