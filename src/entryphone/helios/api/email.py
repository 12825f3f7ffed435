"""/api/email/send (manual 5.28)."""

from __future__ import annotations

from entryphone.helios.transport import HeliosTransport


class EmailApi:
    def __init__(self, transport: HeliosTransport) -> None:
        self._t = transport

    async def send(
        self,
        to: str,
        subject: str,
        *,
        body: str | None = None,
        picture_count: int | None = None,
        time_span: int | None = None,
        width: int | None = None,
        height: int | None = None,
    ) -> None:
        """Have the device e-mail `to`, optionally with 0-5 camera pictures."""
        params = {
            "to": to,
            "subject": subject,
            "body": body,
            "pictureCount": picture_count,
            "timeSpan": time_span,
            "width": width,
            "height": height,
        }
        await self._t.json("GET", "/api/email/send", params=params)
