"""/api/camera/caps|snapshot (manual 5.19-5.20), including the fps >= 1 server-push stream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal

from pydantic import Field

from entryphone.helios.envelope import WireModel, parse_model, require_result
from entryphone.helios.stream import HeliosStream
from entryphone.helios.transport import BinaryReply, HeliosTransport

_JPEG = ("image/jpeg",)
_PUSH = ("multipart/x-mixed-replace",)


class Resolution(WireModel):
    width: int
    height: int


class CameraSource(WireModel):
    source: str


class CameraCaps(WireModel):
    jpeg_resolution: list[Resolution]
    sources: list[CameraSource] = Field(default_factory=list)


class CameraApi:
    def __init__(self, transport: HeliosTransport) -> None:
        self._t = transport

    async def caps(self) -> CameraCaps:
        result = await self._t.json("GET", "/api/camera/caps")
        return parse_model(CameraCaps, require_result(result, "camera/caps"), "camera/caps")

    async def snapshot(
        self,
        width: int,
        height: int,
        *,
        source: Literal["internal", "external"] | None = None,
        time: int | None = None,
    ) -> BinaryReply:
        """One JPEG frame; `time` in <-30, 0> picks a frame from the device's buffer."""
        params = {"width": width, "height": height, "source": source, "time": time}
        return await self._t.binary("GET", "/api/camera/snapshot", params=params, accept=_JPEG)

    @asynccontextmanager
    async def stream(
        self,
        width: int,
        height: int,
        fps: int,
        *,
        source: Literal["internal", "external"] | None = None,
        read_timeout: float | None = None,
    ) -> AsyncIterator[HeliosStream]:
        """The MJPEG server push. Read `frames()` or proxy `chunks()` inside the `async with`."""
        if fps < 1:
            raise ValueError("fps must be >= 1 for a stream; use snapshot() for one frame")
        params = {"width": width, "height": height, "fps": fps, "source": source}
        limit = read_timeout if read_timeout is not None else self._t.timeout
        async with self._t.stream(
            "GET", "/api/camera/snapshot", params=params, accept=_PUSH, read_timeout=limit
        ) as r:
            yield HeliosStream(r, limit)
