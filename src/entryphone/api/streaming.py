"""Camera replies shared by the admin and client surfaces: one JPEG, or the panel's MJPEG stream
proxied chunk by chunk (never buffered whole; the device stream closes when the client leaves)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Response
from fastapi.responses import StreamingResponse

from entryphone.fleet.commands import FleetCommands

IMAGE_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"content": {"image/jpeg": {}, "multipart/x-mixed-replace": {}}}
}


@dataclass(frozen=True)
class CameraQuery:
    fps: int | None
    width: int | None
    height: int | None


async def _camera_query(
    fps: Annotated[int | None, Query(ge=1, le=15, description="Frames per second: an MJPEG stream")] = None,
    width: Annotated[int | None, Query(ge=16, le=4096)] = None,
    height: Annotated[int | None, Query(ge=16, le=4096)] = None,
) -> CameraQuery:
    return CameraQuery(fps=fps, width=width, height=height)


CameraParams = Annotated[CameraQuery, Depends(_camera_query)]


async def camera_reply(commands: FleetCommands, intercom_id: int, query: CameraQuery) -> Response:
    fps, width, height = query.fps, query.width, query.height
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
