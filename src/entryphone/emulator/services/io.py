"""I/O service: caps, status, ctrl (outputs only, with `response=`)."""

from __future__ import annotations

from aiohttp import web

from ..config import Service
from ..envelope import success, text
from ..function import GET_POST, ApiCall, Function


async def caps(call: ApiCall) -> web.StreamResponse:
    return success({"ports": call.device.boot.ports.caps(call.params.get("port"))})


async def status(call: ApiCall) -> web.StreamResponse:
    return success({"ports": call.device.boot.ports.status(call.params.get("port"))})


async def ctrl(call: ApiCall) -> web.StreamResponse:
    port = call.params.require("port")
    call.params.require("action")
    on = call.params.choice("action", ("on", "off")) == "on"
    call.device.boot.ports.control(port, on)
    reply = call.params.get("response")
    return success() if reply is None else text(reply)


FUNCTIONS = [
    Function("/api/io/caps", GET_POST, Service.IO, "io:monitoring", True, caps),
    Function("/api/io/status", GET_POST, Service.IO, "io:monitoring", True, status),
    Function("/api/io/ctrl", GET_POST, Service.IO, "io:control", True, ctrl),
]
