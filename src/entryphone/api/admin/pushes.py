"""WebSocket /api/admin/v1/ws: live pushes to administrators (channel `admins`): intercoms going
online or offline, key sync results, alerts (tamper, door forced or held open).

The admin token comes in the Authorization header or, for browsers, in `Sec-WebSocket-Protocol`
(`entryphone.v1, bearer.<token>`) or as the first message `{"token": "..."}` (`?token=` still works).
The first message is `{"event": "subscribed", "channel": "admins"}`; every push then arrives as
`{"channel", "event", "data"}`.
"""

from __future__ import annotations

import secrets

from fastapi import APIRouter, WebSocket

from entryphone.accounts import service as accounts
from entryphone.accounts.service import Principal
from entryphone.api.deps import get_context
from entryphone.api.websocket import CLOSE_UNAVAILABLE, accept_authenticated, pump
from entryphone.models import Role
from entryphone.pushes import ADMINS, hub_of

router = APIRouter(tags=["admin: pushes"])


@router.websocket("/ws")
async def admin_pushes(websocket: WebSocket) -> None:
    context = get_context(websocket)  # type: ignore[arg-type]
    hub = hub_of(context)
    if hub is None:
        await websocket.close(code=CLOSE_UNAVAILABLE)
        return

    async def authenticate(token: str) -> Principal:
        async with context.sessions() as session, session.begin():
            return await accounts.authenticate(session, token, Role.admin)

    principal = await accept_authenticated(websocket, authenticate)
    if principal is None:
        return
    # Each admin socket is its own "device" of the admins audience.
    connection = hub.connect(ADMINS, f"admin-{principal.account_id}-{secrets.token_hex(4)}")
    try:
        await websocket.send_json({"event": "subscribed", "channel": "admins"})
        await pump(websocket, connection)
    finally:
        hub.disconnect(connection)
