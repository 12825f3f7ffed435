"""WebSocket /api/v1/ws: the resident's live pushes (channel `user.{ID}`).

Browsers cannot set headers on a WebSocket, so the token and the device id may also come as query
parameters: `?token=...&uuid=...`. The first message is `{"event": "subscribed", "channel": "user.{ID}"}`;
every push then arrives as `{"channel", "event", "data"}`. A push is not echoed to the device (X-UUID)
whose request caused it.
"""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from entryphone.accounts import service as accounts
from entryphone.api.deps import MAX_UUID_LENGTH, bearer_token, get_context
from entryphone.errors import Unauthenticated
from entryphone.models import Role
from entryphone.pushes import Connection, hub_of
from entryphone.residents import service as residents

router = APIRouter(tags=["client: pushes"])

# Close codes (RFC 6455 leaves 4000-4999 to applications).
CLOSE_UNAUTHENTICATED = 4401
CLOSE_BAD_REQUEST = 4422
CLOSE_UNAVAILABLE = 1013
CLOSE_TOO_SLOW = 1008


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
        await _pump(websocket, connection)
    finally:
        hub.disconnect(connection)


async def _pump(websocket: WebSocket, connection: Connection) -> None:
    """Forward pushes until the client leaves (its messages are read and ignored) or falls behind."""

    async def forward() -> None:
        while True:
            push = await connection.queue.get()
            await websocket.send_json(push.message())

    async def listen() -> None:
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                await websocket.receive_text()

    tasks = [
        asyncio.ensure_future(forward()),
        asyncio.ensure_future(listen()),
        asyncio.ensure_future(connection.overflowed.wait()),
    ]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    if tasks[2] in done:
        await websocket.close(code=CLOSE_TOO_SLOW, reason="too many pushes pending")
