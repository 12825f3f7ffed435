"""Camera replies shared by the admin and client surfaces: one JPEG, or the panel's MJPEG stream
proxied chunk by chunk (never buffered whole). The device stream closes when the client leaves or
after ENTRYPHONE_VIDEO_STREAM_MAX_SECONDS, whichever comes first."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Response
from fastapi.responses import StreamingResponse

from entryphone.context import AppContext
from entryphone.fleet.commands import Check
from entryphone.fleet.runtime import commands_of
from entryphone.observability.metrics import SERVICE_NAME as METRICS
from entryphone.observability.metrics import Metrics

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


async def camera_reply(
    context: AppContext, intercom_id: int, query: CameraQuery, check: Check | None = None
) -> Response:
    """width and height must be a size the panel's camera offers (else 422 on both). `check` runs in
    the command's read transaction, before the panel is asked (the caller holds no session)."""
    commands = commands_of(context)
    fps, width, height = query.fps, query.width, query.height
    if fps is None:
        frame = await commands.snapshot(intercom_id, width, height, check=check)
        return Response(
            content=frame.data, media_type=frame.content_type, headers={"Cache-Control": "no-store"}
        )
    opened = commands.video(intercom_id, fps, width, height, check=check)
    stream = await opened.__aenter__()  # errors (offline panel, no camera) surface before the 200

    metrics: Metrics | None = context.services.get(METRICS)
    longest = context.settings.video_stream_max_seconds

    async def body() -> AsyncIterator[bytes]:
        if metrics is not None:
            metrics.video_streams.inc()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + longest
        chunks = stream.chunks().__aiter__()
        try:
            # Each wait is bounded by what is left, so a silent panel cannot hold the stream open.
            while (left := deadline - loop.time()) > 0:
                try:
                    chunk = await asyncio.wait_for(anext(chunks), left)
                except (StopAsyncIteration, TimeoutError):
                    break
                yield chunk
        finally:
            # Also reached when the client goes away: the server cancels this body.
            if metrics is not None:
                metrics.video_streams.dec()
            await opened.__aexit__(None, None, None)

    return StreamingResponse(body(), media_type=stream.content_type, headers={"Cache-Control": "no-store"})
