"""Refuse oversized request bodies before anything parses them (pure ASGI: no per-request overhead)."""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = scope_header(scope, b"content-length")
        if declared is not None:
            if not declared.isdigit():
                await _reply(send, 400, "Invalid Content-Length header.")
                return
            if int(declared) > self.max_bytes:
                await _reply(send, 413, f"Request body too large: at most {self.max_bytes} bytes.")
                return
            await self.app(scope, receive, send)
            return

        # No declared length (chunked): count as the body arrives and stop at the limit.
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge()
            return message

        try:
            await self.app(scope, counting_receive, send)
        except _BodyTooLarge:
            await _reply(send, 413, f"Request body too large: at most {self.max_bytes} bytes.")


class _BodyTooLarge(HTTPException):
    """An HTTPException, so FastAPI's body parsing passes it through to the 413 handler."""

    def __init__(self) -> None:
        super().__init__(status_code=413)


def scope_header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1").strip()
    return None


async def _reply(send: Send, status: int, message: str) -> None:
    body = json.dumps({"message": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
