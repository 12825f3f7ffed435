"""A running push hub in the test's own loop, so domain functions' pushes are really delivered."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from entryphone.pushes import Connection, Push, PushHub


@pytest.fixture
async def hub() -> AsyncIterator[PushHub]:
    running = PushHub()
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


async def settle(hub: PushHub) -> None:
    """Let pushes handed over from the seeding thread be delivered."""
    for _ in range(3):
        await asyncio.sleep(0)
        await hub.drain()


def received(connection: Connection) -> list[Push]:
    pushes = []
    while not connection.queue.empty():
        pushes.append(connection.queue.get_nowait())
    return pushes
