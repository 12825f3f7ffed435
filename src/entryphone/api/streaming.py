"""Camera replies shared by the admin and client surfaces: one JPEG, or the panel's MJPEG stream
proxied chunk by chunk (never buffered whole; the device stream closes when the client leaves)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import Response
from fastapi.responses import StreamingResponse

from entryphone.fleet.commands import FleetCommands

IMAGE_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": {"image/jpeg": {}, "multipart/x-mixed-replace": {}}}
}


async def camera_reply(
    commands: FleetCommands, intercom_id: int, fps: int | None, width: int | None, height: int | None
) -> Response:
    if fps is None:
        frame = await commands.snapshot(intercom_id, width, height)
        return Response(
            content=frame.data, media_type=frame.content_type, headers={"Cache-Control": "no-store"}
        )
    opened = commands.video(intercom_id, fps, width, height)
    stream = await opened.__aenter__()  # errors (offline panel, no camera) surface before the 200

    async def body() -> AsyncIterator[bytes]:
        try:
            async for chunk in stream.chunks():
                yield chunk
        finally:
            await opened.__aexit__(None, None, None)

    return StreamingResponse(body(), media_type=stream.content_type, headers={"Cache-Control": "no-store"})
