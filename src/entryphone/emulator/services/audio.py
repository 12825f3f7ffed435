"""Audio service: the automatic audio loop test, reported as an AudioLoopTest event."""

from __future__ import annotations

from aiohttp import web

from ..config import Service
from ..envelope import success
from ..errors import LICENSED, ApiError
from ..function import GET_POST, ApiCall, Function
from ..panel import Panel


async def test(call: ApiCall) -> web.StreamResponse:
    device = call.device
    # The manual: audio/test also needs the Enhanced Audio licence.
    if device.profile.licence_checks and not device.config.licence.enhanced_audio:
        raise ApiError(LICENSED)
    Panel(device).audio_test()
    return success()


FUNCTIONS = [Function("/api/audio/test", GET_POST, Service.AUDIO, "audio:control", True, test)]
