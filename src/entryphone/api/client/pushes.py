"""WebSocket /api/v1/ws: the resident's live pushes (channel `user.{ID}`).

Browsers cannot set headers on a WebSocket, so the token and the device id may also come as query
parameters: `?token=...&uuid=...`. The first message is `{"event": "subscribed", "channel": "user.{ID}"}`;
every push then arrives as `{"channel", "event", "data"}`. A push is not echoed to the device (X-UUID)
whose request caused it.
"""

from __future__ import annotations

from fastapi import APIRouter, WebSocket

from entryphone.accounts import service as accounts
from entryphone.api.deps import MAX_UUID_LENGTH, bearer_token, get_context
from entryphone.api.websocket import CLOSE_BAD_REQUEST, CLOSE_UNAUTHENTICATED, CLOSE_UNAVAILABLE, pump
from entryphone.errors import Unauthenticated
from entryphone.models import Role
from entryphone.pushes import hub_of
from entryphone.residents import service as residents

router = APIRouter(tags=["client: pushes"])


@router.websocket("/ws")
async def pushes(websocket: WebSocket) -> None:
    context = get_context(websocket)  # type: ignore[arg-type]
    hub = hub_of(context)
    uuid = (websocket.headers.get("x-uuid") or websocket.query_params.get("uuid") or "").strip()
    client = websocket.headers.get("x-client") or websocket.query_params.get("client") or "web"
    token = websocket.query_params.get("token")
    if hub is None:
        await websocket.close(code=CLOSE_UNAVAILABLE)
        return
    if not uuid or len(uuid) > MAX_UUID_LENGTH or not uuid.isprintable():
        await websocket.close(code=CLOSE_BAD_REQUEST, reason="X-UUID (or ?uuid=) is required")
        return
    try:
        raw = bearer_token(websocket.headers.get("authorization")) if token is None else token
        async with context.sessions() as session, session.begin():
            principal = await accounts.authenticate(session, raw, Role.resident)
            await residents.remember_device(session, principal.account_id, uuid, client[:32])
    except Unauthenticated:
        await websocket.close(code=CLOSE_UNAUTHENTICATED, reason="Unauthenticated.")
        return
    await websocket.accept()
    connection = hub.connect(principal.account_id, uuid)
    try:
        await websocket.send_json({"event": "subscribed", "channel": f"user.{principal.account_id}"})
        await pump(websocket, connection)
    finally:
        hub.disconnect(connection)
