"""/api/firmware and /api/firmware/apply (manual 5.4-5.5)."""

from __future__ import annotations

from entryphone.helios.envelope import WireModel, parse_model, require_result
from entryphone.helios.transport import HeliosTransport, Upload

# Uploading tens of megabytes to a panel on a slow uplink takes far longer than a normal call.
UPLOAD_TIMEOUT = 300.0


class FirmwareCheck(WireModel):
    version: str
    downgrade: bool


class FirmwareApi:
    def __init__(self, transport: HeliosTransport) -> None:
        self._t = transport

    async def upload(self, image: bytes, *, call_timeout: float = UPLOAD_TIMEOUT) -> FirmwareCheck:
        """Upload a firmware file; the device checks it and reports its version. Apply to install."""
        result = await self._t.json(
            "PUT", "/api/firmware", upload=Upload("blob-fw", image, "firmware.bin"), call_timeout=call_timeout
        )
        return parse_model(FirmwareCheck, require_result(result, "firmware"), "firmware")

    async def apply(self) -> None:
        """Install the uploaded firmware; the device restarts."""
        await self._t.json("GET", "/api/firmware/apply")
