"""/api/audio/test (manual 5.27)."""

from __future__ import annotations

from entryphone.helios.transport import HeliosTransport


class AudioApi:
    def __init__(self, transport: HeliosTransport) -> None:
        self._t = transport

    async def test(self) -> None:
        """Start the loudspeaker/microphone self-test; the outcome arrives as an AudioLoopTest event."""
        await self._t.json("GET", "/api/audio/test")
