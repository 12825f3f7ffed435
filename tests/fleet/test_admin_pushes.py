"""Administrators' live channel: a panel coming online, a key sync result and a tamper alert arrive
on /api/admin/v1/ws."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from entryphone.config import Settings
from entryphone.models import Role
from tests.fleet.conftest import add_intercom
from tests.support import seed
from tests.support.emulators import BackgroundEmulators
from tests.support.server import RunningServer

ADMIN = "/api/admin/v1/intercoms"


def ws_url(server: RunningServer) -> str:
    return server.url.replace("http://", "ws://") + "/api/admin/v1/ws"


async def until_event(socket: ClientConnection, event: str, timeout: float = 30) -> dict[str, Any]:
    async def wait() -> dict[str, Any]:
        while True:
            message: dict[str, Any] = json.loads(await socket.recv())
            if message.get("event") == event:
                return message

    return await asyncio.wait_for(wait(), timeout)


async def test_admins_hear_online_sync_and_alerts(
    supervised: RunningServer, settings: Settings, emulators: BackgroundEmulators
) -> None:
    admin = seed.account(settings, Role.admin)
    headers = {"Authorization": f"Bearer {admin.token}"}
    async with connect(ws_url(supervised), additional_headers=headers) as socket:
        assert json.loads(await socket.recv()) == {"event": "subscribed", "channel": "admins"}
        device = emulators.devices[0]
        intercom_id = add_intercom(settings, device)
        online = await until_event(socket, "intercom_online_changed")
        assert online["channel"] == "admins"
        assert online["data"]["intercom"] == {"id": intercom_id, "is_online": True}
        async with httpx.AsyncClient(base_url=supervised.url, headers=headers) as client:
            assert (await client.post(f"{ADMIN}/{intercom_id}/sync-keys")).status_code == 204
        synced = await until_event(socket, "intercom_sync_keys")
        assert synced["data"]["intercom_id"] == intercom_id and synced["data"]["status"] == "ok"
        emulators.control(device, "tamper", {"state": "in"})
        alert = await until_event(socket, "intercom_alert")
        assert alert["data"]["intercom_id"] == intercom_id and alert["data"]["alert"]["kind"] == "tamper"


async def test_only_admin_tokens_open_the_channel(supervised: RunningServer, settings: Settings) -> None:
    resident = seed.account(settings, Role.resident)
    with pytest.raises(InvalidStatus):
        async with connect(
            ws_url(supervised), additional_headers={"Authorization": f"Bearer {resident.token}"}
        ) as socket:
            await socket.recv()
    # Without credentials in the handshake the token is expected as the first message.
    async with connect(ws_url(supervised)) as socket:
        await socket.send(json.dumps({"token": resident.token}))
        with pytest.raises(ConnectionClosed) as closed:
            await socket.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
