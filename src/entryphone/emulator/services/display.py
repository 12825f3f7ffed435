"""Display service: caps, and image (or video) PUT/DELETE on the Verso's 214x240 module."""

from __future__ import annotations

import io

from aiohttp import web
from PIL import Image, UnidentifiedImageError

from ..boot import DisplayContent
from ..config import Service
from ..envelope import success
from ..errors import invalid, missing
from ..function import ApiCall, Function

DISPLAYS = {"ext1": (214, 240)}
IMAGE_FORMATS = ("JPEG", "BMP", "PNG", "GIF")
MAX_VIDEO = 16 * 1024 * 1024


async def caps(call: ApiCall) -> web.StreamResponse:
    return success(
        {
            "displays": [
                {"display": d, "resolution": {"width": w, "height": h}} for d, (w, h) in DISPLAYS.items()
            ]
        }
    )


def _display(call: ApiCall) -> str:
    display = call.params.require("display")
    if display not in DISPLAYS:
        raise invalid("display")
    return display


async def image(call: ApiCall) -> web.StreamResponse:
    display = _display(call)
    boot = call.device.boot
    if call.request.method == "DELETE":
        boot.display.pop(display, None)
        return success()
    picture, video = call.params.blob("blob-image"), call.params.blob("blob-video")
    if picture is not None and video is not None:
        raise invalid("blob-video")  # "The request may contain just one parameter"
    duration = call.params.integer("duration", low=1, high=0x7FFFFFFF)
    if picture is not None:
        width, height = DISPLAYS[display]
        try:
            with Image.open(io.BytesIO(picture)) as decoded:
                if decoded.format not in IMAGE_FORMATS or decoded.size != (width, height):
                    raise invalid("blob-image")
                decoded.verify()
        except (UnidentifiedImageError, OSError, SyntaxError):
            raise invalid("blob-image") from None
        boot.display[display] = DisplayContent("image", len(picture), width, height, duration)
        return success()
    if video is not None:
        if not _looks_like_video(video):
            raise invalid("blob-video")
        repeat = call.params.integer("repeat", low=1, high=0xFFFF)
        boot.display[display] = DisplayContent("video", len(video), duration_ms=duration, repeat=repeat)
        return success()
    raise missing("blob-image")


def _looks_like_video(data: bytes) -> bool:
    """An MP4 container (ftyp box) or an H.264 Annex B stream (start code)."""
    if len(data) >= 12 and data[4:8] == b"ftyp":
        return True
    return data.startswith((b"\x00\x00\x00\x01", b"\x00\x00\x01"))


FUNCTIONS = [
    Function("/api/display/caps", frozenset({"GET", "POST"}), Service.DISPLAY, "display:control", True, caps),
    Function(
        "/api/display/image",
        frozenset({"PUT", "DELETE"}),
        Service.DISPLAY,
        "display:control",
        True,
        image,
        {"blob-image": 2 * 1024 * 1024, "blob-video": MAX_VIDEO},
    ),
]
