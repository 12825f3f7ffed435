"""The control API of a panel (/_emulator/...): the physical world, for tests, demos, operators.

Loopback callers only, optionally with a token (X-Emulator-Token or Bearer). JSON bodies;
204 on success, 422 {"message"} on bad input, 200 with JSON for GET /_emulator/state.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .calls import END_REASONS
from .errors import ApiError
from .panel import CARD, CODE, KEY, READER_DIRECTIONS, SENSORS, Panel

if TYPE_CHECKING:
    from .runtime import Device


class Invalid(Exception):
    pass


Action = Callable[["Device", dict[str, Any]], Awaitable[web.Response]]


def _no_content(headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=204, headers=headers)


def _field(body: dict[str, Any], name: str, kind: type, default: Any = ...) -> Any:
    if name not in body:
        if default is ...:
            raise Invalid(f"{name} is required")
        return default
    value = body[name]
    if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise Invalid(f"{name} must be an integer")
    if not isinstance(value, kind):
        raise Invalid(f"{name} must be a {kind.__name__}")
    return value


async def card(device: Device, body: dict[str, Any]) -> web.Response:
    uid = _field(body, "uid", str)
    if not CARD.match(uid):
        raise Invalid("uid must be 6 to 16 hexadecimal characters")
    reader = _field(body, "reader", str, "internal")
    direction = _field(body, "direction", str, None)
    if direction is not None and direction not in READER_DIRECTIONS:
        raise Invalid("direction must be in, out or any")
    Panel(device).card(uid, reader, direction)
    return _no_content()


async def key(device: Device, body: dict[str, Any]) -> web.Response:
    pressed = _field(body, "key", str)
    if not KEY.match(pressed):
        raise Invalid("key must be 0-9, *, # or %1-%150")
    Panel(device).key(pressed)
    return _no_content()


async def code(device: Device, body: dict[str, Any]) -> web.Response:
    typed = _field(body, "code", str)
    if not CODE.match(typed) or typed == "00":
        raise Invalid("code must be 2 to 16 digits, not 00")
    Panel(device).code(typed)
    return _no_content()


async def call(device: Device, body: dict[str, Any]) -> web.Response:
    flat = _field(body, "flat", int)
    if flat < 0:
        raise Invalid("flat must not be negative")
    session = Panel(device).call_flat(flat)
    return _no_content({"X-Emulator-Session": str(session)})


async def call_incoming(device: Device, body: dict[str, Any]) -> web.Response:
    peer = _field(body, "peer", str)
    if not peer.startswith(("sip:", "sips:")):
        raise Invalid("peer must be a SIP URI")
    session = device.boot.calls.incoming(peer)
    return _no_content({"X-Emulator-Session": str(session)})


async def call_answer(device: Device, body: dict[str, Any]) -> web.Response:
    session = _field(body, "session", int)
    try:
        device.boot.calls.remote_answer(session)
    except ApiError:
        raise Invalid(f"no outgoing call {session} is waiting for an answer") from None
    return _no_content()


async def call_hangup(device: Device, body: dict[str, Any]) -> web.Response:
    session = _field(body, "session", int)
    reason = _field(body, "reason", str, "normal")
    if reason not in END_REASONS:
        raise Invalid(f"reason must be one of {', '.join(END_REASONS)}")
    try:
        device.boot.calls.hangup(session, reason)
    except ApiError:
        raise Invalid(f"no call {session}") from None
    return _no_content()


async def input_(device: Device, body: dict[str, Any]) -> web.Response:
    port = _field(body, "port", str)
    state = _field(body, "state", bool)
    if not Panel(device).input(port, state):
        raise Invalid(f"{port} is not an input")
    return _no_content()


def _sensor(kind: str) -> Action:
    async def action(device: Device, body: dict[str, Any]) -> web.Response:
        state = _field(body, "state", str)
        if state not in ("in", "out"):
            raise Invalid("state must be in or out")
        Panel(device).sensor(kind, state)
        return _no_content()

    return action


async def sip(device: Device, body: dict[str, Any]) -> web.Response:
    account = _field(body, "account", int)
    registered = _field(body, "registered", bool)
    if not 1 <= account <= len(device.config.sip):
        raise Invalid(f"account must be 1 to {len(device.config.sip)}")
    if device.boot.phone.registers(account):
        raise Invalid(f"account {account} registers with its SIP server; its state is the network's")
    Panel(device).sip(account, registered)
    return _no_content()


async def restart(device: Device, body: dict[str, Any]) -> web.Response:
    return _no_content()  # the restart itself runs once this reply is out


async def state(device: Device, body: dict[str, Any]) -> web.Response:
    boot = device.boot
    document = {
        **device.describe(),
        "swVersion": device.sw_version,
        "upTime": int(boot.uptime()),
        "switches": boot.switches.states(),
        "io": boot.ports.states(),
        "sip": [
            {"account": n, "registered": s.registered, "state": s.state}
            for n, s in enumerate(boot.sip, start=1)
        ],
        "calls": boot.calls.snapshot(),
        "subscriptions": [
            {"id": s.id, "queued": len(s.queue), "duration": s.duration, "filter": sorted(s.filter or ())}
            for s in boot.log.subscriptions
        ],
        "lastEventId": boot.log.last_id,
        "display": {d: c.kind for d, c in boot.display.items()},
        "directory": {
            "series": device.directory.series,
            "timestamp": device.directory.timestamp,
            "users": [
                {"uuid": r.uuid, "name": r.fields["name"], "access": r.fields["access"]}
                for r in device.directory.users()
            ],
        },
    }
    return web.json_response(document)


POST_ACTIONS: dict[str, Action] = {
    "card": card,
    "key": key,
    "code": code,
    "call": call,
    "call/incoming": call_incoming,
    "call/answer": call_answer,
    "call/hangup": call_hangup,
    "input": input_,
    "sip": sip,
    "restart": restart,
    **{name: _sensor(name) for name in SENSORS},
}


async def dispatch(device: Device, request: web.BaseRequest, raw: bytes) -> web.Response:
    if not _loopback(request):
        return web.json_response({"message": "the control API answers loopback callers only"}, status=403)
    if device.control_token is not None and not _token_ok(request, device.control_token):
        return web.json_response({"message": "a valid control token is required"}, status=401)
    name = request.path.removeprefix("/_emulator/").rstrip("/")
    if name == "state":
        if request.method != "GET":
            return web.json_response({"message": "use GET"}, status=405)
        return await state(device, {})
    action = POST_ACTIONS.get(name)
    if action is None:
        return web.json_response({"message": f"unknown control action {name!r}"}, status=404)
    if request.method != "POST":
        return web.json_response({"message": "use POST"}, status=405)
    try:
        body = json.loads(raw) if raw.strip() else {}
        if not isinstance(body, dict):
            raise Invalid("the body must be a JSON object")
        response = await action(device, body)
    except ValueError as error:
        return web.json_response({"message": f"invalid JSON: {error}"}, status=422)
    except Invalid as error:
        return web.json_response({"message": str(error)}, status=422)
    return response


def _loopback(request: web.BaseRequest) -> bool:
    try:
        return request.remote is not None and ipaddress.ip_address(request.remote).is_loopback
    except ValueError:
        return False


def _token_ok(request: web.BaseRequest, token: str) -> bool:
    supplied = request.headers.get("X-Emulator-Token") or request.headers.get(
        "Authorization", ""
    ).removeprefix("Bearer ")
    return hmac.compare_digest(supplied.encode(), token.encode())
