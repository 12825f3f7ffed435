"""Switch service: caps, status, ctrl (with `response=`)."""

from __future__ import annotations

from aiohttp import web

from ..config import SWITCH_COUNT, Service
from ..envelope import success, text
from ..errors import invalid
from ..function import GET_POST, ApiCall, Function


def _switch(call: ApiCall) -> int | None:
    return call.params.integer("switch", low=1, high=SWITCH_COUNT)


async def caps(call: ApiCall) -> web.StreamResponse:
    return success({"switches": call.device.boot.switches.caps(_switch(call))})


async def status(call: ApiCall) -> web.StreamResponse:
    return success({"switches": call.device.boot.switches.status(_switch(call))})


async def ctrl(call: ApiCall) -> web.StreamResponse:
    switches = call.device.boot.switches
    number = call.params.required_integer("switch", low=1, high=SWITCH_COUNT)
    action = call.params.require("action")
    if action not in switches.actions():
        raise invalid("action")
    timeout = call.params.integer("timeout", low=1, high=86_400) if action == "hold" else None
    switches.control(number, action, timeout)
    reply = call.params.get("response")
    return success() if reply is None else text(reply)


FUNCTIONS = [
    Function("/api/switch/caps", GET_POST, Service.SWITCH, "switch:monitoring", True, caps),
    Function("/api/switch/status", GET_POST, Service.SWITCH, "switch:monitoring", True, status),
    Function("/api/switch/ctrl", GET_POST, Service.SWITCH, "switch:control", True, ctrl),
]
