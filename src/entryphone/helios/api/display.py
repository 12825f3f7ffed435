"""/api/display/caps|image (manual 5.21-5.22)."""

from __future__ import annotations

from entryphone.helios.api.camera import Resolution
from entryphone.helios.envelope import WireModel, parse_model, require_result
from entryphone.helios.transport import HeliosTransport, Upload


class DisplayCaps(WireModel):
    display: str
    resolution: Resolution | None = None


class _Displays(WireModel):
    displays: list[DisplayCaps]


class DisplayApi:
    def __init__(self, transport: HeliosTransport) -> None:
        self._t = transport

    async def caps(self) -> list[DisplayCaps]:
        result = await self._t.json("GET", "/api/display/caps")
        return parse_model(_Displays, require_result(result, "display/caps"), "display/caps").displays

    async def put_image(
        self, display: str, image: bytes, *, content_type: str = "image/jpeg", duration_ms: int | None = None
    ) -> None:
        """Show an image (works only while the standard display UI is disabled on the device)."""
        await self._t.json(
            "PUT",
            "/api/display/image",
            params={"display": display, "duration": duration_ms},
            upload=Upload("blob-image", image, "image", content_type),
        )

    async def put_video(
        self,
        display: str,
        video: bytes,
        *,
        content_type: str = "video/mp4",
        duration_ms: int | None = None,
        repeat: int | None = None,
    ) -> None:
        """Play a short video (Verso, manual 5.22)."""
        await self._t.json(
            "PUT",
            "/api/display/image",
            params={"display": display, "duration": duration_ms, "repeat": repeat},
            upload=Upload("blob-video", video, "video", content_type),
        )

    async def delete_image(self, display: str) -> None:
        await self._t.json("DELETE", "/api/display/image", params={"display": display})
