"""What every console page shares: templates, the session cookie, CSRF tokens, form bodies."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl, quote

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from entryphone import vocabulary
from entryphone.accounts import service as accounts
from entryphone.accounts.service import Principal
from entryphone.api.deps import DbSession, get_context
from entryphone.console.texts import t
from entryphone.errors import Conflict, DeviceError, NotFound, Unauthenticated

PREFIX = "/console"
SESSION_COOKIE = "ep_console"
LOGIN_COOKIE = "ep_console_login"  # binds the sign-in form's CSRF token before a session exists
CSRF_FIELD = "_csrf"
CSRF_HEADER = "x-csrf-token"
MAX_FIELDS = 4000  # a matrix of 8 switches x 220 cells and its settings fit comfortably

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.globals["t"] = t
templates.env.globals["prefix"] = PREFIX


def _when(value: datetime | str | None) -> str:
    """A moment for people: local to the server, to the second; "never" when there is none."""
    if value is None or value == "":
        return t("never")
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    else:
        moment = value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


templates.env.filters["when"] = _when
templates.env.filters["vendor_label"] = lambda key: vocabulary.vendor_label(key) or key
templates.env.filters["group_pairs"] = lambda groups: [(g.id, g.full_pretty or g.name) for g in groups]
templates.env.filters["camera_pairs"] = lambda cameras: [(c.id, f"{c.name} (#{c.id})") for c in cameras]
templates.env.filters["choice_pairs"] = lambda choices: [(c.key, c.label) for c in choices]
templates.env.filters["switch_pairs"] = lambda switches: [(s.key, s.label) for s in switches]


class SignInRequired(Exception):
    """No valid console session: the browser is sent to the sign-in page."""

    def __init__(self, expired: bool = False) -> None:
        super().__init__("sign-in required")
        self.expired = expired


class CsrfRefused(Exception):
    """A state-changing request without the CSRF token of its session."""


def _key(request: Request) -> bytes:
    context = get_context(request)
    return hashlib.sha256(b"console-csrf:" + context.settings.resolved_secret_key().encode()).digest()


def csrf_token(request: Request, bound_to: str) -> str:
    """The CSRF token bound to a session (or to the sign-in form's cookie): an HMAC of it, so a
    page of another site can neither read nor compute it."""
    return hmac.new(_key(request), bound_to.encode(), hashlib.sha256).hexdigest()


def check_csrf(request: Request, bound_to: str, sent: str | None) -> None:
    if not sent or not hmac.compare_digest(csrf_token(request, bound_to), sent):
        raise CsrfRefused()


def secure_cookies(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return (
        get_context(request).settings.console_secure_cookie
        or request.url.scheme == "https"
        or (forwarded == "https")
    )


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request),
    )


def idle_limit(request: Request) -> timedelta:
    return timedelta(seconds=get_context(request).settings.console_idle_seconds)


class Operator:
    """The signed-in administrator of a console request, with the CSRF token of their session."""

    def __init__(self, principal: Principal, csrf: str, session_token: str) -> None:
        self.principal = principal
        self.csrf = csrf
        self.session_token = session_token

    @property
    def login(self) -> str:
        return self.principal.login


async def _operator(request: Request, session: DbSession) -> Operator:
    token = request.cookies.get(SESSION_COOKIE)
    if not token or len(token) > 512:
        raise SignInRequired()
    try:
        principal = await accounts.console_session(session, token, idle_limit(request))
    except Unauthenticated as error:
        # The revocation of an idle session is committed even though this request ends here.
        await session.commit()
        raise SignInRequired(expired=error.message != Unauthenticated.message) from None
    operator = Operator(principal, csrf_token(request, token), token)
    if request.method not in {"GET", "HEAD", "OPTIONS"}:
        sent = request.headers.get(CSRF_HEADER)
        if sent is None:
            sent = (await read_form(request)).get(CSRF_FIELD)
        check_csrf(request, token, sent)
    return operator


CurrentOperator = Annotated[Operator, Depends(_operator)]


class Form(dict[str, str]):
    """A urlencoded form body; repeated names keep the last value (the console never repeats one)."""


FORM_KEY = "entryphone.console.form"


async def read_form(request: Request) -> Form:
    cached = request.scope.get(FORM_KEY)
    if isinstance(cached, Form):
        return cached
    form = Form()
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/x-www-form-urlencoded":
        body = (await request.body()).decode("utf-8", errors="replace")
        try:
            pairs = parse_qsl(body, keep_blank_values=True, max_num_fields=MAX_FIELDS)
        except ValueError:
            pairs = []
        for name, value in pairs:
            form[name[:200]] = value
    request.scope[FORM_KEY] = form
    return form


def render(
    request: Request,
    template: str,
    operator: Operator | None,
    status_code: int = 200,
    **values: Any,
) -> HTMLResponse:
    values.setdefault("errors", {})
    values.setdefault("notice", None)
    values.setdefault("alert", None)
    response = templates.TemplateResponse(
        request, template, {"operator": operator, **values}, status_code=status_code
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def redirect(path: str, **query: str) -> RedirectResponse:
    suffix = "&".join(f"{name}={quote(value, safe='/')}" for name, value in query.items())
    return RedirectResponse(PREFIX + path + (f"?{suffix}" if suffix else ""), status_code=303)


def new_login_nonce() -> str:
    return secrets.token_urlsafe(24)


# Scripts and styles come from the product itself (no CDN, no inline code); pages cannot be framed.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class ConsoleRoute(APIRoute):
    """Renders the console's refusals as pages (or a redirect to sign in) instead of the APIs' JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def console_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except SignInRequired as refusal:
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                if request.method == "GET" and refusal.expired:
                    response = redirect("/login", m="expired", next=target)
                elif request.method == "GET":
                    response = redirect("/login", next=target)
                else:
                    response = redirect("/login", m="expired")
            except CsrfRefused:
                response = _error_page(request, 403, t("error.csrf"))
            except (NotFound, RequestValidationError):
                # A malformed id in a console address names nothing: the same page as a missing one.
                response = _error_page(request, 404, t("error.not_found"))
            except DeviceError as error:
                response = _error_page(request, 502, t("error.device", message=error.message))
            except Conflict as error:
                response = _error_page(request, 409, t("error.conflict", message=error.message))
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
            return response

        return console_handler


def _error_page(request: Request, status: int, message: str) -> Response:
    return render(request, "error.html", None, status_code=status, message=message)
