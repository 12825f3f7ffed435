from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from tests.helios.emulated import StartDevice, device_factory


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
async def start_device() -> AsyncIterator[StartDevice]:
    async with device_factory() as start:
        yield start
