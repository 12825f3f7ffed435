"""Network capture of the System service: download, restart, stop."""

from __future__ import annotations

from aiohttp import web

from ..config import Service
from ..envelope import success
from ..function import GET_POST, ApiCall, Function

# The manual (5.29) gives application/json as the reply format of the pcap download; we follow it.
PCAP_CONTENT_TYPE = "application/json"


async def download(call: ApiCall) -> web.StreamResponse:
    return web.Response(
        body=call.device.boot.pcap.file(),
        content_type=PCAP_CONTENT_TYPE,
        headers={"Content-Disposition": 'attachment; filename="capture.pcap"'},
    )


async def restart(call: ApiCall) -> web.StreamResponse:
    call.device.boot.pcap.restart()
    return success()


async def stop(call: ApiCall) -> web.StreamResponse:
    call.device.boot.pcap.stop()
    return success()


FUNCTIONS = [
    Function("/api/pcap", GET_POST, Service.SYSTEM, "system:control", True, download),
    Function("/api/pcap/restart", GET_POST, Service.SYSTEM, "system:control", True, restart),
    Function("/api/pcap/stop", GET_POST, Service.SYSTEM, "system:control", True, stop),
]
