"""Digest and Basic against the emulator's per-service authentication."""

from __future__ import annotations

import pytest
from aiohttp import web

from entryphone.emulator.config import AuthMethod, Service
from entryphone.helios import Credentials, HeliosApiError, HeliosAuthError, HeliosClient, InvalidParameter
from entryphone.helios.auth import parse_challenges
from tests.helios.emulated import RecordingProxy, Session, StartDevice, client_for, fast_timings, set_auth
from tests.support.clock import ManualClock


async def test_digest_authenticates_and_reuses_the_nonce(session: Session, start_device: StartDevice) -> None:
    device = await start_device()
    async with RecordingProxy(device.url) as proxy:
        client = HeliosClient(session, "127.0.0.1", port=proxy.port, credentials=Credentials("admin", "2n"))
        for _ in range(3):
            await client.switch.status()
    headers = [auth for _, auth in proxy.seen]
    # One challenge round, then the cached nonce with a growing nonce count.
    assert headers[0] is None
    assert all(h is not None and h.startswith("Digest ") for h in headers[1:])
    assert len(headers) == 4
    counts = [h.split("nc=")[1][:8] for h in headers[1:] if h]
    assert counts == ["00000001", "00000002", "00000003"]


async def test_stale_nonce_is_renegotiated_without_failing_the_call(
    session: Session, start_device: StartDevice
) -> None:
    clock = ManualClock()
    device = await start_device(timings=fast_timings(nonce_lifetime=300), clock=clock)
    client = client_for(session, device)
    await client.switch.status()
    clock.advance(300.001)
    assert len(await client.switch.status()) == 4  # the expired nonce got stale=true, then a retry


async def test_wrong_password_raises_auth_error_with_device_code(
    session: Session, start_device: StartDevice
) -> None:
    device = await start_device()
    client = client_for(session, device, password="wrong-secret")
    with pytest.raises(HeliosAuthError) as caught:
        await client.switch.status()
    assert caught.value.code == 9
    assert "wrong-secret" not in str(caught.value)
    assert "wrong-secret" not in repr(client.transport)


async def test_no_credentials_raises_auth_error(session: Session, start_device: StartDevice) -> None:
    device = await start_device()
    with pytest.raises(HeliosAuthError, match="no credentials"):
        await client_for(session, device, anonymous=True).switch.status()


async def test_basic_is_used_when_the_service_asks_for_it(
    session: Session, start_device: StartDevice
) -> None:
    device = await start_device()
    set_auth(device, Service.CAMERA, AuthMethod.BASIC)
    async with RecordingProxy(device.url) as proxy:
        client = HeliosClient(session, "127.0.0.1", port=proxy.port, credentials=Credentials("admin", "2n"))
        caps = await client.camera.caps()
        status = await client.switch.status()  # Digest service on the same device
    assert caps.jpeg_resolution and status
    schemes = [(path.split("?")[0], (auth or "-").split(" ")[0]) for path, auth in proxy.seen]
    assert schemes == [
        ("/api/camera/caps", "-"),
        ("/api/camera/caps", "Basic"),
        ("/api/switch/status", "-"),
        ("/api/switch/status", "Digest"),
    ]


async def test_basic_is_never_sent_unasked_over_http(session: Session, start_device: StartDevice) -> None:
    device = await start_device()
    set_auth(device, Service.SYSTEM, AuthMethod.NONE)
    async with RecordingProxy(device.url) as proxy:
        client = HeliosClient(session, "127.0.0.1", port=proxy.port, credentials=Credentials("admin", "2n"))
        await client.system.info()  # a service without authentication: no credentials at all
        await client.switch.caps()  # Digest service: challenge first, then Digest
        await client.io.caps()
    assert not any(auth and auth.startswith("Basic") for _, auth in proxy.seen)
    assert proxy.seen[0] == ("/api/system/info", None)


async def test_wrong_basic_password_raises(session: Session, start_device: StartDevice) -> None:
    device = await start_device()
    set_auth(device, Service.SWITCH, AuthMethod.BASIC)
    with pytest.raises(HeliosAuthError, match="Basic"):
        await client_for(session, device, password="nope").switch.caps()


async def test_device_errors_still_surface_after_authentication(
    session: Session, start_device: StartDevice
) -> None:
    device = await start_device()
    with pytest.raises(InvalidParameter) as caught:
        await client_for(session, device).switch.caps(switch=9)
    assert (caught.value.code, caught.value.param) == (12, "switch")


async def test_digest_signs_the_percent_encoded_request_target_sent(
    session: Session, start_device: StartDevice
) -> None:
    """The device checks Digest's uri against the request line as sent: reserved characters in
    the query must be signed encoded (aiohttp < 3.14 signed the decoded form and got 401)."""
    device = await start_device()
    with pytest.raises(HeliosApiError) as caught:
        # No SMTP server configured: the device's own error 14, once authentication has passed.
        await client_for(session, device).email.send("a@b.c", "Door [A] open: 50% & more?")
    assert caught.value.code == 14


@pytest.mark.parametrize(
    "challenge",
    [
        'Digest realm="HTTP API", qop="auth-conf", nonce="abc"',  # no qop we can answer
        'Digest realm="HTTP API", qop="auth", nonce="abc", algorithm=SHA3',
        'Digest realm="HTTP API", qop="auth"',  # no nonce
    ],
)
async def test_a_digest_challenge_that_cannot_be_answered_is_an_auth_error(
    session: Session, challenge: str
) -> None:
    async def refuse(request: web.Request) -> web.Response:  # a foreign device's odd challenge
        return web.Response(status=401, headers={"WWW-Authenticate": challenge})

    app = web.Application()
    app.router.add_get("/api/switch/status", refuse)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        client = HeliosClient(
            session, "127.0.0.1", port=runner.addresses[0][1], credentials=Credentials("a", "b")
        )
        with pytest.raises(HeliosAuthError):
            await client.switch.status()
    finally:
        await runner.cleanup()


def test_challenge_parser_handles_quoting_and_several_schemes() -> None:
    parsed = parse_challenges(
        ['Digest realm="HTTP \\"API\\"", qop="auth,auth-int", nonce="abc", stale=true, Basic realm="x"']
    )
    assert [c.scheme.value for c in parsed] == ["digest", "basic"]
    expected = {"realm": 'HTTP "API"', "qop": "auth,auth-int", "nonce": "abc", "stale": "true"}
    assert parsed[0].params == expected


def test_credentials_repr_hides_the_password() -> None:
    assert "s3cret" not in repr(Credentials("admin", "s3cret"))
