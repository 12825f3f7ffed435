"""Forwarding a push hub connection to a WebSocket: shared by the client and admin channels."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import TypeVar

from fastapi import WebSocket, WebSocketDisconnect

from entryphone.api.deps import bearer_token
from entryphone.errors import Unauthenticated
from entryphone.pushes import Connection

T = TypeVar("T")

# Credentials without the token in the URL (docs/api/client.md, "Live pushes"): a browser offers
# `Sec-WebSocket-Protocol: entryphone.v1, bearer.<token>` and the server selects `entryphone.v1`
# (never the protocol carrying the token); or it connects without credentials and sends
# `{"token": "..."}` as its first message within FIRST_MESSAGE_SECONDS.
SUBPROTOCOL = "entryphone.v1"
BEARER_SUBPROTOCOL_PREFIX = "bearer."
FIRST_MESSAGE_SECONDS = 10.0
MAX_TOKEN_LENGTH = 512

# Close codes (RFC 6455 leaves 4000-4999 to applications).
CLOSE_UNAUTHENTICATED = 4401
CLOSE_BAD_REQUEST = 4422
CLOSE_UNAVAILABLE = 1013
CLOSE_TOO_SLOW = 1008


async def accept_authenticated(websocket: WebSocket, authenticate: Callable[[str], Awaitable[T]]) -> T | None:
    """Authenticate the socket by the first credential it offers (Authorization header, `bearer.`
    subprotocol, the deprecated `?token=`, else a first message) and accept it; None once closed.

    `authenticate` raises Unauthenticated for a token it refuses. Credentials in the handshake are
    checked before accepting (a refusal is an HTTP 403); a first-message credential after (4401)."""
    offered = [item.strip() for item in websocket.headers.get("sec-websocket-protocol", "").split(",")]
    subprotocol = SUBPROTOCOL if SUBPROTOCOL in offered else None
    in_protocol = next(
        (
            item[len(BEARER_SUBPROTOCOL_PREFIX) :]
            for item in offered
            if item.startswith(BEARER_SUBPROTOCOL_PREFIX)
        ),
        None,
    )
    header = websocket.headers.get("authorization")
    in_query = websocket.query_params.get("token")
    try:
        if header is not None:
            principal = await authenticate(bearer_token(header))
        elif in_protocol is not None:
            principal = await authenticate(_checked(in_protocol))
        elif in_query is not None:
            principal = await authenticate(_checked(in_query))
        else:
            await websocket.accept(subprotocol=subprotocol)
            principal = await authenticate(await _first_message_token(websocket))
            return principal
    except Unauthenticated:
        # A client that left while we waited for its first message cannot be told.
        with contextlib.suppress(RuntimeError, OSError):
            await websocket.close(code=CLOSE_UNAUTHENTICATED, reason="Unauthenticated.")
        return None
    await websocket.accept(subprotocol=subprotocol)
    return principal


def _checked(token: str) -> str:
    token = token.strip()
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise Unauthenticated()
    return token


async def _first_message_token(websocket: WebSocket) -> str:
    """The token of the first message `{"token": "..."}`; anything else (or silence) is refused."""
    try:
        message = await asyncio.wait_for(websocket.receive(), FIRST_MESSAGE_SECONDS)
    except TimeoutError:
        raise Unauthenticated() from None
    text = message.get("text")
    if message.get("type") != "websocket.receive" or not isinstance(text, str) or len(text) > 4096:
        raise Unauthenticated()
    try:
        body = json.loads(text)
    except ValueError:
        raise Unauthenticated() from None
    token = body.get("token") if isinstance(body, dict) else None
    if not isinstance(token, str):
        raise Unauthenticated()
    return _checked(token)


async def pump(websocket: WebSocket, connection: Connection) -> None:
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
