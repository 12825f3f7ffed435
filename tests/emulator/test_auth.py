"""Security per service: Digest, Basic, None, nonce expiry, replay, privileges, licence, HTTPS-only."""

from __future__ import annotations

import base64
import hashlib
import re
import ssl

import aiohttp

from entryphone.emulator import Account, AuthMethod, DeviceConfig, EmulatedDevice, Service
from tests.support.clock import ManualClock

from .conftest import StartDevice, api


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def _digest_header(challenge: str, path: str, nc: int, user: str = "admin", password: str = "2n") -> str:
    fields = dict(re.findall(r'(\w+)="?([^",]+)"?', challenge))
    md5 = lambda text: hashlib.md5(text.encode()).hexdigest()  # noqa: E731, S324
    ha1, ha2 = md5(f"{user}:{fields['realm']}:{password}"), md5(f"GET:{path}")
    count = f"{nc:08x}"
    response = md5(f"{ha1}:{fields['nonce']}:{count}:abc:auth:{ha2}")
    return (
        f'Digest username="{user}", realm="{fields["realm"]}", nonce="{fields["nonce"]}", uri="{path}", '
        f'qop=auth, nc={count}, cnonce="abc", response="{response}", opaque="{fields["opaque"]}"'
    )


async def test_digest_challenge_then_success(http: aiohttp.ClientSession, device: EmulatedDevice) -> None:
    async with http.get(device.url + "/api/switch/caps") as response:
        assert response.status == 401
        challenge = response.headers["WWW-Authenticate"]
        assert (await response.json())["error"] == {"code": 9, "description": "authorisation required"}
    assert challenge.startswith('Digest realm="HTTP API", qop="auth"')
    headers = {"Authorization": _digest_header(challenge, "/api/switch/caps", 1)}
    assert (await api(http, device, "/api/switch/caps", headers=headers))["success"] is True


async def test_nonce_count_replay_is_refused(http: aiohttp.ClientSession, device: EmulatedDevice) -> None:
    async with http.get(device.url + "/api/system/status") as response:
        challenge = response.headers["WWW-Authenticate"]
    headers = {"Authorization": _digest_header(challenge, "/api/system/status", 1)}
    await api(http, device, "/api/system/status", headers=headers)
    async with http.get(device.url + "/api/system/status", headers=headers) as response:
        assert response.status == 401
        assert "stale" not in response.headers["WWW-Authenticate"]


async def test_expired_nonce_is_stale(http: aiohttp.ClientSession, start_device: StartDevice) -> None:
    clock = ManualClock()
    device = await start_device(nonce_lifetime=300, clock=clock)
    async with http.get(device.url + "/api/system/status") as response:
        challenge = response.headers["WWW-Authenticate"]
    clock.advance(300.001)
    headers = {"Authorization": _digest_header(challenge, "/api/system/status", 1)}
    async with http.get(device.url + "/api/system/status", headers=headers) as response:
        assert response.status == 401
        assert response.headers["WWW-Authenticate"].endswith("stale=true")


async def test_wrong_password_is_401(http: aiohttp.ClientSession, device: EmulatedDevice) -> None:
    async with http.get(device.url + "/api/system/status") as response:
        challenge = response.headers["WWW-Authenticate"]
    headers = {"Authorization": _digest_header(challenge, "/api/system/status", 1, password="bad")}
    async with http.get(device.url + "/api/system/status", headers=headers) as response:
        assert response.status == 401


async def test_basic_to_digest_service_is_code_8(http: aiohttp.ClientSession, device: EmulatedDevice) -> None:
    doc = await api(http, device, "/api/switch/status", headers=_basic("admin", "2n"))
    assert doc["error"] == {"code": 8, "description": "invalid authentication method"}


async def test_basic_service(http: aiohttp.ClientSession, device: EmulatedDevice) -> None:
    device.config.services[Service.SWITCH].auth = AuthMethod.BASIC
    assert (await api(http, device, "/api/switch/status", headers=_basic("admin", "2n")))["success"]
    async with http.get(device.url + "/api/switch/status", headers=_basic("admin", "nope")) as response:
        assert response.status == 401
        assert response.headers["WWW-Authenticate"] == 'Basic realm="HTTP API"'


async def test_none_service_needs_no_credentials(http: aiohttp.ClientSession, device: EmulatedDevice) -> None:
    device.config.services[Service.CAMERA].auth = AuthMethod.NONE
    assert (await api(http, device, "/api/camera/caps"))["success"] is True


async def test_disabled_service_is_code_4(digest: aiohttp.ClientSession, device: EmulatedDevice) -> None:
    device.config.services[Service.IO].enabled = False
    assert (await api(digest, device, "/api/io/caps"))["error"]["code"] == 4


async def test_missing_privilege_is_code_10(http: aiohttp.ClientSession, start_device: StartDevice) -> None:
    config = DeviceConfig(accounts=[Account("vms", "secret", privileges=frozenset({"switch:control"}))])
    device = await start_device(config=config)
    async with aiohttp.ClientSession(middlewares=(aiohttp.DigestAuthMiddleware("vms", "secret"),)) as vms:
        assert await api(vms, device, "/api/switch/ctrl?switch=1&action=on") == {"success": True}
        doc = await api(vms, device, "/api/switch/status")
        assert doc["error"] == {"code": 10, "description": "insufficient user privileges"}
        assert (await api(vms, device, "/api/system/info"))["success"] is True  # regardless of rights


async def test_licence_missing_is_code_5(digest: aiohttp.ClientSession, start_device: StartDevice) -> None:
    config = DeviceConfig()
    config.licence.enhanced_integration = False
    device = await start_device(config=config)
    assert (await api(digest, device, "/api/switch/status"))["error"] == {
        "code": 5,
        "description": "function is licensed",
    }
    assert (await api(digest, device, "/api/camera/caps"))["success"] is True  # "No" in the licence column
    newer = await start_device("2.4x", config=config)
    async with aiohttp.ClientSession(middlewares=(aiohttp.DigestAuthMiddleware("admin", "2n"),)) as other:
        assert (await api(other, newer, "/api/switch/status"))["success"] is True  # no licences after 2.35


async def test_https_only_service(digest: aiohttp.ClientSession, start_device: StartDevice) -> None:
    device = await start_device(https=True)
    device.config.services[Service.SYSTEM].https_only = True
    doc = await api(digest, device, "/api/system/status")
    assert doc["error"] == {"code": 7, "description": "invalid connection type"}
    context = ssl.create_default_context(
        cadata=device.certificate_pem.decode() if device.certificate_pem else None
    )
    secure = aiohttp.ClientSession(middlewares=(aiohttp.DigestAuthMiddleware("admin", "2n"),))
    async with secure, secure.get(f"{device.https_url}/api/system/status", ssl=context) as response:
        assert (await response.json())["success"] is True
