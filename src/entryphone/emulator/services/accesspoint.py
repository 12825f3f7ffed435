"""Access points (firmware 2.37+, 2.4x profile): grantaccess on behalf of a directory user."""

from __future__ import annotations

from aiohttp import web

from ..config import Service
from ..envelope import success
from ..function import GET_POST, ApiCall, Function
from ..panel import Panel


async def grant_access(call: ApiCall) -> web.StreamResponse:
    point = call.params.integer("id", 0, low=0, high=0xFFFFFFFF)
    assert point is not None
    user = call.params.get("user")
    refusal = Panel(call.device).grant_access(point, user)
    if refusal is not None:
        return success({"accessGranted": False, "reason": refusal})
    return success({"accessGranted": True})


FUNCTIONS = [
    Function(
        "/api/accesspoint/grantaccess",
        GET_POST,
        Service.ACCESS,
        "access:control",
        False,
        grant_access,
        directory=True,
    ),
]
