"""Network capture of the System service: download, restart, stop."""

from __future__ import annotations

from aiohttp import web

from ..config import Service
from ..envelope import success
from ..function import GET_POST, ApiCall, Function

# The manual (5.29) says "application/json" and, in the same sentence, that the file opens in
# Wireshark; on the device JSON marks an error reply of a binary function, so a pcap labelled JSON
# could not be told from a failure. 2N's own test tooling sees application/pcap: we send that.
PCAP_CONTENT_TYPE = "application/pcap"


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
