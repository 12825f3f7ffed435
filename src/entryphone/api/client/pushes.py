"""WebSocket /api/v1/ws: the resident's live pushes (channel `user.{ID}`).

Browsers cannot set headers on a WebSocket: they send the token in `Sec-WebSocket-Protocol`
(`entryphone.v1, bearer.<token>`) or as the first message `{"token": "..."}`, and the device id as
`?uuid=`. The old `?token=` still works but puts the token in URLs (it is redacted from our logs, not
from a proxy's). The first message is `{"event": "subscribed", "channel": "user.{ID}"}`;
every push then arrives as `{"channel", "event", "data"}`. A push is not echoed to the device (X-UUID)
whose request caused it.
"""

from __future__ import annotations

from fastapi import APIRouter, WebSocket

from entryphone.accounts import service as accounts
from entryphone.accounts.service import Principal
from entryphone.api.deps import MAX_UUID_LENGTH, get_context
from entryphone.api.websocket import CLOSE_BAD_REQUEST, CLOSE_UNAVAILABLE, accept_authenticated, pump
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
    if hub is None:
        await websocket.close(code=CLOSE_UNAVAILABLE)
        return
    if not uuid or len(uuid) > MAX_UUID_LENGTH or not uuid.isprintable():
        await websocket.close(code=CLOSE_BAD_REQUEST, reason="X-UUID (or ?uuid=) is required")
        return

    async def authenticate(token: str) -> Principal:
        async with context.sessions() as session, session.begin():
            principal = await accounts.authenticate(session, token, Role.resident)
            await residents.remember_device(session, principal.account_id, uuid, client[:32])
        return principal

    principal = await accept_authenticated(websocket, authenticate)
    if principal is None:
        return
    connection = hub.connect(principal.account_id, uuid)
    try:
        await websocket.send_json({"event": "subscribed", "channel": f"user.{principal.account_id}"})
        await pump(websocket, connection)
    finally:
        hub.disconnect(connection)
