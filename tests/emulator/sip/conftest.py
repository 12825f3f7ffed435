"""A Kamailio per test module and baresip phones per test, on loopback ports of their own."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from .lab import Baresip, Kamailio

PANEL = ("5046", "panel-secret")
PHONE = ("101", "phone-secret")
USERS = dict([PANEL, PHONE, ("102", "other-secret")])


@pytest.fixture
async def kamailio(tmp_path: Path) -> AsyncIterator[Kamailio]:
    server = Kamailio(tmp_path / "kamailio", USERS, ring_timeout=30)
    await server.start()
    yield server
    await server.stop()


StartPhone = Callable[..., Awaitable[Baresip]]


@pytest.fixture
async def phone(tmp_path: Path, kamailio: Kamailio) -> AsyncIterator[StartPhone]:
    phones: list[Baresip] = []

    async def start(user: str = PHONE[0], answermode: str = "manual") -> Baresip:
        baresip = Baresip(tmp_path / f"baresip-{user}", user, USERS[user], kamailio.address)
        phones.append(baresip)
        await baresip.start(answermode)
        for _ in range(200):  # registered: its binding is in Kamailio's location table
            if await kamailio.contacts(user):
                break
            await asyncio.sleep(0.05)
        return baresip

    yield start
    await asyncio.gather(*(p.stop() for p in phones))
