"""The camera: JPEG frames rendered with Pillow, showing the device name, source and time.

Frames are a function of their capture time, so a frame from the last 30 seconds (`time=-5`)
is rendered on demand instead of being kept; a small cache holds the few frames being asked for.
"""

from __future__ import annotations

import datetime
import io
from collections import OrderedDict
from functools import lru_cache
from typing import Final

from PIL import Image, ImageDraw, ImageFont

RESOLUTIONS: Final = ((160, 120), (176, 144), (320, 240), (352, 272), (352, 288), (640, 480))
SOURCES: Final = ("internal", "external")
FRAME_RATE: Final = 15  # the buffer's granularity and the highest fps a stream may ask for
BUFFER_SECONDS: Final = 30
CACHE_FRAMES: Final = 4


@lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=size)


def render(device_name: str, source: str, width: int, height: int, at: float) -> bytes:
    tint = (40, 70, 110) if source == "internal" else (90, 60, 40)
    image = Image.new("RGB", (width, height), tint)
    draw = ImageDraw.Draw(image)
    # A moving bar makes consecutive frames of a stream visibly different.
    frame = int(at * FRAME_RATE)
    x = frame * 4 % width
    draw.rectangle((x, height - height // 8, x + width // 6, height - 1), fill=(200, 200, 60))
    size = max(8, height // 14)
    stamp = datetime.datetime.fromtimestamp(at, datetime.UTC)
    lines = (
        device_name,
        f"{source} {width}x{height}",
        stamp.strftime("%Y-%m-%d %H:%M:%S.") + f"{stamp.microsecond // 100000}" + " UTC",
    )
    for row, text in enumerate(lines):
        draw.text(
            (size // 2, size // 2 + row * (size + size // 3)), text, fill=(255, 255, 255), font=_font(size)
        )
    out = io.BytesIO()
    image.save(out, "JPEG", quality=75)
    return out.getvalue()


class FrameBuffer:
    def __init__(self) -> None:
        self._frames: OrderedDict[tuple[str, str, int, int, int], bytes] = OrderedDict()

    def frame(self, device_name: str, source: str, width: int, height: int, at: float) -> bytes:
        slot = int(at * FRAME_RATE)
        key = (device_name, source, width, height, slot)
        jpeg = self._frames.get(key)
        if jpeg is None:
            jpeg = render(device_name, source, width, height, slot / FRAME_RATE)
            self._frames[key] = jpeg
            while len(self._frames) > CACHE_FRAMES:
                self._frames.popitem(last=False)
        else:
            self._frames.move_to_end(key)
        return jpeg

    def clear(self) -> None:
        self._frames.clear()
