"""Live pushes over a real WebSocket to the really started server; not echoed to the causing device."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from entryphone.calls import service as calls
from entryphone.config import Settings
from entryphone.context import AppContext
from entryphone.models import Role
from tests.api.client import helpers
from tests.conftest import Api
from tests.support import seed
from tests.support.server import RunningServer

SOON = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%d %H:%M")


def ws_url(server: RunningServer) -> str:
    return server.url.replace("http://", "ws://") + "/api/v1/ws"


def open_socket(server: RunningServer, token: str, uuid: str) -> Any:
    return connect(
        ws_url(server),
        additional_headers={"Authorization": f"Bearer {token}", "X-UUID": uuid, "X-Client": "ios-cctv"},
    )


async def next_message(socket: ClientConnection, timeout: float = 5) -> dict[str, Any]:
    return json.loads(await asyncio.wait_for(socket.recv(), timeout))  # type: ignore[no-any-return]


async def nothing_within(socket: ClientConnection, seconds: float = 0.3) -> bool:
    try:
        await asyncio.wait_for(socket.recv(), seconds)
    except TimeoutError:
        return True
    return False


async def test_pushes_reach_other_devices_not_the_one_that_caused_them(
    server: RunningServer, api: Api, settings: Settings
) -> None:
    ann = seed.account(settings, Role.resident)
    intercom_id = helpers.intercom(settings)
    helpers.attach(settings, intercom_id, 2, ann.id)
    async with (
        open_socket(server, ann.token, "phone-a") as phone_a,
        open_socket(server, ann.token, "phone-b") as phone_b,
    ):
        assert await next_message(phone_a) == {"event": "subscribed", "channel": f"user.{ann.id}"}
        assert (await next_message(phone_b))["channel"] == f"user.{ann.id}"

        async with httpx.AsyncClient(
            base_url=api.url,
            headers={"Authorization": f"Bearer {ann.token}", "X-Client": "web", "X-UUID": "phone-b"},
        ) as client:
            reply = await client.post(
                f"/api/v1/intercom/{intercom_id}/codes", json={"title": "Courier", "expired_at": SOON}
            )
            assert reply.status_code == 200, reply.text
        push = await next_message(phone_a)
        assert push["channel"] == f"user.{ann.id}" and push["event"] == "intercom_code_created"
        assert push["data"]["code"]["code"] == reply.json()["code"]
        assert await nothing_within(phone_b)

        # The supervisor's side: a call rings from another thread, through the server's hub.
        hub = helpers.hub(server)
        flat_id = helpers.flat_id(settings, intercom_id, 2)

        async def ring(session: AsyncSession, _context: AppContext) -> int:
            return (await calls.call_ringing(session, hub, intercom_id=intercom_id, flat_id=flat_id)).id

        call_id = seed.in_session(settings, ring)
        for socket in (phone_a, phone_b):
            message = await next_message(socket)
            assert message["event"] == "intercom_call_ringing" and message["data"]["call"]["id"] == call_id

        async with httpx.AsyncClient(
            base_url=api.url,
            headers={"Authorization": f"Bearer {ann.token}", "X-Client": "web", "X-UUID": "phone-a"},
        ) as client:
            assert (await client.post(f"/api/v1/intercom/calls/{call_id}/start")).status_code == 200
        taken = await next_message(phone_b)
        assert taken["event"] == "intercom_call_taken" and taken["data"]["call"]["status"] == "answered"
        assert await nothing_within(phone_a)


async def test_other_residents_do_not_receive_and_bad_credentials_are_refused(
    server: RunningServer, api: Api, settings: Settings
) -> None:
    ann = seed.account(settings, Role.resident)
    eve = seed.account(settings, Role.resident)
    admin = seed.account(settings, Role.admin)
    intercom_id = helpers.intercom(settings)
    helpers.attach(settings, intercom_id, 3, ann.id)
    async with open_socket(server, eve.token, "eve-phone") as eve_phone:
        await next_message(eve_phone)
        with api.client(ann.token, x_uuid="ann-phone") as client:
            assert (
                client.post(
                    f"/api/v1/intercom/{intercom_id}/codes", json={"title": "x", "expired_at": SOON}
                ).status_code
                == 200
            )
        assert await nothing_within(eve_phone)

    for token, uuid in (("not-a-token", "p"), (admin.token, "p"), (ann.token, "")):
        with pytest.raises(InvalidStatus):
            async with open_socket(server, token, uuid):
                pass
    # Browsers cannot set headers: the token and device may come in the query.
    async with connect(f"{ws_url(server)}?token={ann.token}&uuid=browser-1") as browser:
        assert (await next_message(browser))["channel"] == f"user.{ann.id}"
