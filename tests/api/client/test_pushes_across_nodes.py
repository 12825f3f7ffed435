"""Several API processes on one PostgreSQL: a push caused on one node reaches a resident connected
to another (LISTEN/NOTIFY)."""

from __future__ import annotations

import httpx

from entryphone.config import Settings
from entryphone.models import Role
from tests.api.client import helpers
from tests.api.client.test_pushes import SOON, next_message, open_socket
from tests.support import seed
from tests.support.server import RunningServer


async def test_a_push_caused_on_one_node_reaches_a_socket_on_another(
    server: RunningServer, second_node: RunningServer, settings: Settings
) -> None:
    ann = seed.account(settings, Role.resident)
    intercom_id = helpers.intercom(settings)
    helpers.attach(settings, intercom_id, 3, ann.id)
    async with open_socket(server, ann.token, "phone-on-node-1") as phone:
        assert (await next_message(phone))["event"] == "subscribed"
        async with httpx.AsyncClient(
            base_url=second_node.url,
            headers={"Authorization": f"Bearer {ann.token}", "X-Client": "web", "X-UUID": "tablet-on-node-2"},
        ) as client:
            reply = await client.post(
                f"/api/v1/intercom/{intercom_id}/codes", json={"title": "Plumber", "expired_at": SOON}
            )
            assert reply.status_code == 200, reply.text
        push = await next_message(phone)
        assert push["event"] == "intercom_code_created"
        assert push["data"]["code"]["code"] == reply.json()["code"]
