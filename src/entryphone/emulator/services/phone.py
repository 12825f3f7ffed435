"""Phone/Call service: SIP account status and call control."""

from __future__ import annotations

from aiohttp import web

from ..calls import HANGUP_REASONS
from ..config import Service
from ..envelope import success
from ..errors import invalid
from ..function import GET_POST, ApiCall, Function

MAX_SESSION = 0xFFFFFFFF


async def phone_status(call: ApiCall) -> web.StreamResponse:
    device = call.device
    account = call.params.integer("account", low=1, high=len(device.config.sip))
    accounts = []
    for number, (sip, state) in enumerate(zip(device.config.sip, device.boot.sip, strict=True), start=1):
        if account is not None and number != account:
            continue
        item: dict[str, object] = {"account": number, "sipNumber": sip.number, "registered": state.registered}
        if state.registered:
            item["registerTime"] = state.register_time
        accounts.append(item)
    return success({"accounts": accounts})


async def call_status(call: ApiCall) -> web.StreamResponse:
    session = call.params.integer("session", low=1, high=MAX_SESSION)
    return success({"sessions": call.device.boot.calls.status(session)})


async def dial(call: ApiCall) -> web.StreamResponse:
    number = call.params.require("number").strip()
    if not number:
        raise invalid("number")
    return success({"session": call.device.boot.calls.dial(number)})


async def answer(call: ApiCall) -> web.StreamResponse:
    call.device.boot.calls.answer(call.params.required_integer("session", low=1, high=MAX_SESSION))
    return success()


async def hangup(call: ApiCall) -> web.StreamResponse:
    session = call.params.required_integer("session", low=1, high=MAX_SESSION)
    reason = call.params.choice("reason", HANGUP_REASONS, "normal")
    assert reason is not None
    call.device.boot.calls.hangup(session, reason)
    return success()


FUNCTIONS = [
    Function("/api/phone/status", GET_POST, Service.PHONE, "call:monitoring", True, phone_status),
    Function("/api/call/status", GET_POST, Service.PHONE, "call:monitoring", True, call_status),
    Function("/api/call/dial", GET_POST, Service.PHONE, "call:control", True, dial),
    Function("/api/call/answer", GET_POST, Service.PHONE, "call:control", True, answer),
    Function("/api/call/hangup", GET_POST, Service.PHONE, "call:control", True, hangup),
]
