"""email/send delivered through a real local SMTP server (aiosmtpd)."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from email.message import Message

import aiohttp
import pytest
from aiosmtpd.controller import Controller

from entryphone.emulator import DeviceConfig

from .conftest import StartDevice, api


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))  # type: ignore[attr-defined]
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[_Inbox, int]]:
    inbox = _Inbox()
    with socket.socket() as probe:  # aiosmtpd's controller cannot start on port 0
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


async def test_email_with_snapshots(
    digest: aiohttp.ClientSession, start_device: StartDevice, smtp: tuple[_Inbox, int]
) -> None:
    inbox, port = smtp
    config = DeviceConfig()
    config.smtp.host, config.smtp.port, config.smtp.sender = "127.0.0.1", port, "panel@example.com"
    device = await start_device(config=config)
    doc = await api(
        digest,
        device,
        "/api/email/send?to=somebody@email.com&subject=Hello&body=Hello&pictureCount=2&width=320&height=240",
    )
    assert doc == {"success": True}
    [message] = inbox.messages
    assert (message["To"], message["Subject"]) == ("somebody@email.com", "Hello")
    images = [p for p in message.walk() if p.get_content_type() == "image/jpeg"]
    assert len(images) == 2


async def test_email_time_span_has_no_upper_bound_but_the_manuals(
    digest: aiohttp.ClientSession, start_device: StartDevice, smtp: tuple[_Inbox, int]
) -> None:
    """The manual states no maximum for timeSpan (only a default of 0): a minute is accepted."""
    inbox, port = smtp
    config = DeviceConfig()
    config.smtp.host, config.smtp.port = "127.0.0.1", port
    device = await start_device(config=config)
    path = "/api/email/send?to=somebody@email.com&subject=Hi&pictureCount=3&timeSpan=60"
    assert await api(digest, device, path) == {"success": True}
    [message] = inbox.messages
    assert len([p for p in message.walk() if p.get_content_type() == "image/jpeg"]) == 3
    refused = await api(digest, device, path.replace("timeSpan=60", "timeSpan=-1"))
    assert refused["error"] == {"code": 12, "param": "timeSpan", "description": "invalid parameter value"}


async def test_email_without_smtp_or_recipient(
    digest: aiohttp.ClientSession, start_device: StartDevice
) -> None:
    device = await start_device()
    assert (await api(digest, device, "/api/email/send?subject=x"))["error"]["param"] == "to"
    assert (await api(digest, device, "/api/email/send?to=a@b.c&subject=x"))["error"]["code"] == 14
