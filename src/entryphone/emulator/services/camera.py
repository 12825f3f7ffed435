"""Camera service: caps, and snapshot as one JPEG, a past frame, or an MJPEG stream (fps >= 1)."""

from __future__ import annotations

import asyncio

from aiohttp import web

from ..camera import BUFFER_SECONDS, FRAME_RATE, RESOLUTIONS, SOURCES, FrameBuffer
from ..config import Service
from ..envelope import success
from ..errors import NO_DATA, ApiError, invalid
from ..function import GET_POST, ApiCall, Function

BOUNDARY = "2NFrameBoundary"


def resolution(call: ApiCall) -> tuple[int, int]:
    """Mandatory width and height that must be one of the advertised pairs."""
    width = call.params.required_integer("width", low=1, high=10_000)
    height = call.params.required_integer("height", low=1, high=10_000)
    if width not in {w for w, _ in RESOLUTIONS}:
        raise invalid("width")
    if (width, height) not in RESOLUTIONS:
        raise invalid("height")
    return width, height


async def caps(call: ApiCall) -> web.StreamResponse:
    return success(
        {
            "jpegResolution": [{"width": w, "height": h} for w, h in RESOLUTIONS],
            "sources": [{"source": s} for s in SOURCES],
        }
    )


async def snapshot(call: ApiCall) -> web.StreamResponse:
    device = call.device
    width, height = resolution(call)
    source = call.params.choice("source", SOURCES, device.config.camera_source)
    assert source is not None
    offset = call.params.integer("time", low=-BUFFER_SECONDS, high=0)
    fps = call.params.integer("fps", 0, low=0, high=FRAME_RATE)
    assert fps is not None
    buffer = device.boot.frames
    name = device.config.device_name
    if offset is not None or fps == 0:
        back = -(offset or 0)
        if back > device.boot.uptime():
            raise ApiError(NO_DATA)  # the buffer only holds frames since power-on
        jpeg = buffer.frame(name, source, width, height, device.clock.time() - back)
        return web.Response(body=jpeg, content_type="image/jpeg")
    return await _stream(call, buffer, name, source, width, height, fps)


async def _stream(
    call: ApiCall, buffer: FrameBuffer, name: str, source: str, width: int, height: int, fps: int
) -> web.StreamResponse:
    device = call.device
    boot = device.boot
    response = web.StreamResponse(
        headers={
            "Content-Type": f"multipart/x-mixed-replace; boundary={BOUNDARY}",
            "Cache-Control": "no-cache",
            "Server": device.server_header,
        }
    )
    await response.prepare(call.request)
    interval = 1 / fps
    try:
        # Until the client goes away or the panel restarts.
        while device.running and device.boot is boot:
            # Paced on the real loop (bytes on a socket), stamped with the device's clock.
            jpeg = buffer.frame(name, source, width, height, device.clock.time())
            part = (
                f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n".encode()
                + jpeg
                + b"\r\n"
            )
            await response.write(part)
            await asyncio.sleep(interval)
    except (ConnectionResetError, RuntimeError):
        pass
    return response


FUNCTIONS = [
    Function("/api/camera/caps", GET_POST, Service.CAMERA, "camera:monitoring", False, caps),
    Function("/api/camera/snapshot", GET_POST, Service.CAMERA, "camera:monitoring", False, snapshot),
]
