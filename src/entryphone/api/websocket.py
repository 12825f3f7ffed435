"""Forwarding a push hub connection to a WebSocket: shared by the client and admin channels."""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import WebSocket, WebSocketDisconnect

from entryphone.pushes import Connection

# Close codes (RFC 6455 leaves 4000-4999 to applications).
CLOSE_UNAUTHENTICATED = 4401
CLOSE_BAD_REQUEST = 4422
CLOSE_UNAVAILABLE = 1013
CLOSE_TOO_SLOW = 1008


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
