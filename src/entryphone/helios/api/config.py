"""/api/config and /api/config/factoryreset (manual 5.6-5.7)."""

from __future__ import annotations

from entryphone.helios.transport import HeliosTransport, Upload

_XML = ("application/xml", "text/xml")


class ConfigApi:
    def __init__(self, transport: HeliosTransport) -> None:
        self._t = transport

    async def download(self) -> bytes:
        """The complete device configuration (XML)."""
        return (await self._t.binary("GET", "/api/config", accept=_XML)).data

    async def upload(self, xml: bytes) -> None:
        """Replace the configuration; the device applies it after about 15 s."""
        await self._t.json(
            "PUT", "/api/config", upload=Upload("blob-cfg", xml, "config.xml", "application/xml")
        )

    async def factory_reset(self) -> None:
        await self._t.json("GET", "/api/config/factoryreset")
