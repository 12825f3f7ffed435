"""Console sessions without a browser: the login throttle, idle expiry, cookie flags behind TLS,
and who may open the live socket."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from entryphone.accounts import service as accounts
from entryphone.config import Settings
from entryphone.context import AppContext
from entryphone.errors import Unauthenticated
from entryphone.models import Role
from tests.support import seed
from tests.support.server import RunningServer

POLICY = accounts.LoginPolicy(max_sessions=10, max_failures=5, lockout=timedelta(minutes=5))


def login_form(client: httpx.Client) -> str:
    page = client.get("/console/login")
    assert page.status_code == 200
    found = re.search(r'name="_csrf" value="([0-9a-f]{64})"', page.text)
    assert found is not None
    return found.group(1)


def sign_in(client: httpx.Client, login: str, password: str, **headers: str) -> httpx.Response:
    csrf = login_form(client)
    return client.post(
        "/console/login", data={"_csrf": csrf, "login": login, "password": password}, headers=headers
    )


def test_the_login_throttle_applies(console_server: RunningServer, settings: Settings) -> None:
    admin = seed.account(settings, Role.admin, password="right-password")
    with httpx.Client(base_url=console_server.url) as client:
        for _ in range(5):
            assert sign_in(client, admin.login, "wrong").status_code == 422
        refused = sign_in(client, admin.login, "wrong")
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
        assert sign_in(client, admin.login, admin.password).status_code == 429  # locked, even when right
        assert "ep_console" not in client.cookies


def test_signing_in_sets_a_guarded_cookie_and_secure_behind_tls(
    console_server: RunningServer, settings: Settings
) -> None:
    admin = seed.account(settings, Role.admin, password="right-password")
    with httpx.Client(base_url=console_server.url) as client:
        plain = sign_in(client, admin.login, admin.password)
        assert plain.status_code == 303 and plain.headers["location"] == "/console/fleet"
        cookie = plain.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie
        assert "Secure" not in cookie
        assert client.get("/console/fleet").status_code == 200
    with httpx.Client(base_url=console_server.url) as client:
        proxied = sign_in(client, admin.login, admin.password, **{"X-Forwarded-Proto": "https"})
        assert "Secure" in proxied.headers["set-cookie"]


def test_the_session_cookie_opens_no_api(console_server: RunningServer, settings: Settings) -> None:
    admin = seed.account(settings, Role.admin, password="right-password")
    with httpx.Client(base_url=console_server.url) as client:
        sign_in(client, admin.login, admin.password)
        session_token = client.cookies["ep_console"]
        reply = client.get("/api/admin/v1/intercoms", headers={"Authorization": f"Bearer {session_token}"})
        assert reply.status_code == 401


def test_an_idle_session_ends(settings: Settings) -> None:
    admin = seed.account(settings, Role.admin, password="right-password")

    async def work(session: AsyncSession, _context: AppContext) -> None:
        issued = await accounts.console_login(
            session, login=admin.login, password=admin.password, policy=POLICY
        )
        principal = await accounts.console_session(session, issued.token, timedelta(hours=1))
        assert principal.account_id == admin.id and principal.role is Role.admin
        with pytest.raises(Unauthenticated):
            await accounts.console_session(session, issued.token, timedelta(0))  # idle past the limit
        with pytest.raises(Unauthenticated):  # and it stays ended: the session was revoked
            await accounts.console_session(session, issued.token, timedelta(hours=1))

    seed.in_session(settings, work)


def test_the_live_socket_wants_a_session_from_the_console_itself(
    console_server: RunningServer, settings: Settings
) -> None:
    url = console_server.url.replace("http://", "ws://") + "/console/ws"
    with pytest.raises(InvalidStatus):
        connect(url).recv()
    admin = seed.account(settings, Role.admin, password="right-password")
    with httpx.Client(base_url=console_server.url) as client:
        sign_in(client, admin.login, admin.password)
        cookie = f"ep_console={client.cookies['ep_console']}"
    host = console_server.url.removeprefix("http://")
    with pytest.raises(InvalidStatus):
        connect(url, additional_headers={"Cookie": cookie, "Origin": "http://evil.example"}).recv()
    with connect(url, additional_headers={"Cookie": cookie, "Origin": f"http://{host}"}) as socket:
        assert '"subscribed"' in str(socket.recv(timeout=10))


def test_unknown_pages_and_bad_filters_answer_as_pages(
    console_server: RunningServer, settings: Settings
) -> None:
    admin = seed.account(settings, Role.admin, password="right-password")
    with httpx.Client(base_url=console_server.url) as client:
        assert client.get("/console/fleet").status_code == 303  # not signed in: to the sign-in page
        sign_in(client, admin.login, admin.password)
        missing = client.get("/console/intercoms/987654")
        assert missing.status_code == 404 and "Not found." in missing.text
        assert "text/html" in missing.headers["content-type"]
        assert "frame-ancestors 'none'" in missing.headers["content-security-policy"]
        assert client.get("/console/residents/987654").status_code == 404
        malformed = client.get("/console/intercoms/not-a-number")
        assert malformed.status_code == 404 and "text/html" in malformed.headers["content-type"]
        assert client.get("/console/audit?from=yesterday&intercom=-1").status_code == 422
        assert client.get("/console/fleet?vendor=nokia&group=x").status_code == 422
        assert client.get("/console/residents?q=" + "%00" * 10).status_code == 200
