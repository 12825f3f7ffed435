"""Every request of a panel's listeners: /api functions, the /_emulator control API, else 404.

The /api pipeline checks, in order: path (2), method (3), service enabled (4), connection type
(7), authentication (401 / 8), licence (5), privilege (10); only then is the body read and the
parameters parsed (13 for a body or parameter too big, then the function's own 11, 12). Every
reply carries `Server: HIP<firmware version>` and, while a capture runs, is written to the
panel's pcap.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Final

from aiohttp import web

from . import control
from .auth import AuthChallenge
from .config import Account
from .envelope import failure
from .errors import CONNECTION_TYPE, DISABLED, INVALID_METHOD, INVALID_PATH, LICENSED, PRIVILEGES, ApiError
from .function import ApiCall, Function
from .params import JSON_BODY_LIMIT, SIMPLE_LIMIT, parse, read_body
from .services import FUNCTIONS

if TYPE_CHECKING:
    from .runtime import Device

_TABLE: Final[dict[str, Function]] = {f.path: f for f in FUNCTIONS}


async def handle(device: Device, request: web.BaseRequest) -> web.StreamResponse:
    body = b""
    after: list[Callable[[], None]] = []
    path = request.path
    if not device.running:
        # A request that raced a restart: the panel is gone.
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=503)
    if path.startswith("/api/") or path == "/api":
        try:
            function = _lookup(device, path)
            account = _admit(device, request, function)
            limit = sum(function.blob_limits.values()) + max(JSON_BODY_LIMIT, SIMPLE_LIMIT * 16)
            body = await read_body(request, limit, next(iter(function.blob_limits), None))
            params = parse(request, body, function.blob_limits)
            call = ApiCall(
                device=device, request=request, params=params, account=account, secure=request.secure
            )
            after = call.after
            response = await function.handler(call)
        except ApiError as error:
            response = failure(error)
        except AuthChallenge as challenge:
            response = challenge.response
    elif path.startswith("/_emulator/"):
        body = await request.read()
        response = await control.dispatch(device, request, body)
        if request.path.rstrip("/") == "/_emulator/restart" and response.status == 204:
            after.append(device.restart)
    else:
        response = web.Response(status=404, text="404 Not Found")
    if not response.prepared:
        response.headers["Server"] = device.server_header
        try:
            await response.prepare(request)
            await response.write_eof()
        except ConnectionResetError:
            return response  # the client (or a restart) closed the connection first
    _capture(device, request, body, response)
    for task in after:
        task()
    return response


def _lookup(device: Device, path: str) -> Function:
    function = _TABLE.get(path.rstrip("/") if path != "/" else path)
    if function is None or (function.directory and not device.profile.directory):
        raise ApiError(INVALID_PATH)
    return function


def _admit(device: Device, request: web.BaseRequest, function: Function) -> Account | None:
    """Checks 3, 4, 7, authentication, 5 and 10, before a byte of the body is read."""
    if request.method not in function.methods:
        raise ApiError(INVALID_METHOD)
    security = device.config.services[function.service]
    if not security.enabled or function.service not in device.profile.services:
        raise ApiError(DISABLED)
    if security.https_only and not request.secure:
        raise ApiError(CONNECTION_TYPE)
    account = device.boot.auth.authenticate(request, security.auth, device.config)
    if function.licensed and device.profile.licence_checks and not device.config.licence.enhanced_integration:
        raise ApiError(LICENSED)
    if function.privilege is not None and account is not None and not account.has(function.privilege):
        raise ApiError(PRIVILEGES)
    return account


def _capture(device: Device, request: web.BaseRequest, body: bytes, response: web.StreamResponse) -> None:
    recorder = device.boot.pcap if device.running else None
    if recorder is None or not recorder.running or request.transport is None:
        return
    peer = request.transport.get_extra_info("peername")
    local = request.transport.get_extra_info("sockname")
    if not peer or not local:
        return
    head = f"{request.method} {request.raw_path} HTTP/{request.version.major}.{request.version.minor}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in request.headers.items()) + "\r\n"
    status = f"HTTP/1.1 {response.status} {response.reason}\r\n"
    status += "".join(f"{k}: {v}\r\n" for k, v in response.headers.items()) + "\r\n"
    # Streams (MJPEG) and the capture itself are recorded without their bodies.
    payload = response.body if isinstance(response, web.Response) and request.path != "/api/pcap" else None
    reply = status.encode() + (payload if isinstance(payload, bytes) else b"")
    recorder.record((peer[0], peer[1]), (local[0], local[1]), head.encode() + body, reply)
