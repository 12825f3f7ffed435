"""WebSocket /api/admin/v1/ws: live pushes to administrators (channel `admins`): intercoms going
online or offline, key sync results, alerts (tamper, door forced or held open).

The admin token comes in the Authorization header or, for browsers, as `?token=`. The first message
is `{"event": "subscribed", "channel": "admins"}`; every push then arrives as `{"channel", "event",
"data"}`.
"""

from __future__ import annotations

import secrets

from fastapi import APIRouter, WebSocket

from entryphone.accounts import service as accounts
from entryphone.api.deps import bearer_token, get_context
from entryphone.api.websocket import CLOSE_UNAUTHENTICATED, CLOSE_UNAVAILABLE, pump
from entryphone.errors import Unauthenticated
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
    token = websocket.query_params.get("token")
    try:
        raw = bearer_token(websocket.headers.get("authorization")) if token is None else token
        async with context.sessions() as session, session.begin():
            principal = await accounts.authenticate(session, raw, Role.admin)
    except Unauthenticated:
        await websocket.close(code=CLOSE_UNAUTHENTICATED, reason="Unauthenticated.")
        return
    await websocket.accept()
    # Each admin socket is its own "device" of the admins audience.
    connection = hub.connect(ADMINS, f"admin-{principal.account_id}-{secrets.token_hex(4)}")
    try:
        await websocket.send_json({"event": "subscribed", "channel": "admins"})
        await pump(websocket, connection)
    finally:
        hub.disconnect(connection)
