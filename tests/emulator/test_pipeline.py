"""The order in which the panel checks a request (path, method, service, transport, authentication,
licence, privilege, then parameters), size limits, and requests aiohttp itself would refuse."""

from __future__ import annotations

import asyncio

import aiohttp

from entryphone.emulator import EmulatedDevice, Service
from entryphone.emulator.params import SIMPLE_LIMIT

from .conftest import api

NINE_MB = b"a=" + b"x" * (9 * 1024 * 1024)
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def test_an_unauthenticated_oversized_request_is_challenged_not_refused_as_too_big(
    http: aiohttp.ClientSession, device: EmulatedDevice
) -> None:
    for path in ("/api/system/info", "/api/switch/ctrl"):
        async with http.post(device.url + path, data=NINE_MB, headers=FORM) as response:
            assert response.status == 401
            assert response.headers["WWW-Authenticate"].startswith("Digest ")
            assert (await response.json())["error"] == {"code": 9, "description": "authorisation required"}


async def test_an_oversized_request_with_a_wrong_method_gets_3(
    http: aiohttp.ClientSession, device: EmulatedDevice
) -> None:
    doc = await api(http, device, "/api/system/info", method="PUT", data=NINE_MB, headers=FORM)
    assert doc["error"] == {"code": 3, "description": "invalid request method"}


async def test_an_oversized_post_to_a_disabled_service_gets_4(
    http: aiohttp.ClientSession, device: EmulatedDevice
) -> None:
    device.config.services[Service.SWITCH].enabled = False
    doc = await api(http, device, "/api/switch/ctrl", method="POST", data=NINE_MB, headers=FORM)
    assert doc["error"] == {"code": 4, "description": "function is disabled"}


async def test_an_authenticated_oversized_body_gets_13(
    digest: aiohttp.ClientSession, device: EmulatedDevice
) -> None:
    doc = await api(digest, device, "/api/switch/ctrl", method="POST", data=NINE_MB, headers=FORM)
    assert doc["error"]["code"] == 13


async def test_one_size_limit_for_a_simple_parameter_however_it_arrives(
    digest: aiohttp.ClientSession, device: EmulatedDevice
) -> None:
    too_long = "1" * (SIMPLE_LIMIT + 1)
    urlencoded = await api(
        digest, device, "/api/switch/ctrl", method="POST", data={"switch": too_long, "action": "on"}
    )
    form = aiohttp.FormData()
    form.add_field("switch", too_long)
    form.add_field("action", "on")
    multipart = await api(digest, device, "/api/switch/ctrl", method="POST", data=form)
    expected = {"code": 13, "param": "switch", "description": "parameter data too big"}
    assert urlencoded["error"] == multipart["error"] == expected
    # At the limit the value is parsed, and judged on its content (12), not its size.
    at_limit = await api(
        digest, device, "/api/switch/ctrl", method="POST", data={"switch": "1" * SIMPLE_LIMIT, "action": "on"}
    )
    assert at_limit["error"]["code"] == 12


async def _raw(device: EmulatedDevice, request: bytes) -> tuple[str, dict[str, str], bytes]:
    reader, writer = await asyncio.open_connection(device.host, device.port)
    try:
        writer.write(request)
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
        body = await reader.readexactly(int(headers["content-length"]))
        return lines[0], headers, body
    finally:
        writer.close()


async def test_a_request_without_host_is_answered_in_the_device_envelope(device: EmulatedDevice) -> None:
    status, headers, body = await _raw(device, b"GET /api/system/info HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert status.split()[1] == "400"
    assert headers["server"] == device.server_header
    assert headers["content-type"].startswith("application/json")
    assert body.decode().startswith('{\n  "success" : false')
    assert '"code" : 14' in body.decode()


async def test_a_malformed_request_line_is_answered_by_the_device(device: EmulatedDevice) -> None:
    status, headers, body = await _raw(
        device, b"GET /api/system/info HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n"
    )
    assert status.split()[1] == "400"
    assert headers["server"] == device.server_header
    assert headers["content-type"].startswith("application/json")
    assert b'"success" : false' in body
