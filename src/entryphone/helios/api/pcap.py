"""/api/pcap, /api/pcap/restart, /api/pcap/stop (manual 5.29-5.31): network capture."""

from __future__ import annotations

from entryphone.helios.transport import HeliosTransport

# The manual does not name the media type; accept the registered and the common ones.
_PCAP = ("application/vnd.tcpdump.pcap", "application/pcap", "application/octet-stream")


class PcapApi:
    def __init__(self, transport: HeliosTransport) -> None:
        self._t = transport

    async def download(self) -> bytes:
        return (await self._t.binary("GET", "/api/pcap", accept=_PCAP)).data

    async def restart(self) -> None:
        """Discard the capture so far and start recording again."""
        await self._t.json("GET", "/api/pcap/restart")

    async def stop(self) -> None:
        await self._t.json("GET", "/api/pcap/stop")
