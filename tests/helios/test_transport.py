"""TLS policy, timeouts, connection failures, and reply validation."""

from __future__ import annotations

import asyncio
import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from entryphone.emulator.config import Service
from entryphone.helios import (
    FunctionDisabled,
    HeliosConnectionError,
    HeliosError,
    HeliosProtocolError,
    HeliosTimeout,
    HeliosTLSError,
    InvalidConnectionType,
    MissingParameter,
    TlsPolicy,
    api_error,
)
from entryphone.helios.api.system import SystemInfo
from entryphone.helios.envelope import decode_envelope, parse_model
from entryphone.helios.tls import normalise_fingerprint
from tests.helios.emulated import Session, StartDevice, client_for, fingerprint, silent_server


async def test_https_with_pinned_fingerprint_is_accepted(session: Session, start_device: StartDevice) -> None:
    device = await start_device(https=True)
    pin = ":".join(f"{b:02X}" for b in bytes.fromhex(fingerprint(device)))  # the openssl spelling
    client = client_for(session, device, https=True, tls=TlsPolicy(fingerprint_sha256=pin))
    assert (await client.system.info()).serial_number == device.serial


async def test_unpinned_self_signed_certificate_is_refused(
    session: Session, start_device: StartDevice
) -> None:
    device = await start_device(https=True)
    with pytest.raises(HeliosTLSError):
        await client_for(session, device, https=True).system.info()


async def test_wrong_pin_is_refused(session: Session, start_device: StartDevice) -> None:
    device = await start_device(https=True)
    client = client_for(session, device, https=True, tls=TlsPolicy(fingerprint_sha256="00" * 32))
    with pytest.raises(HeliosTLSError, match="pinned"):
        await client.system.info()


async def test_self_signed_allowed_explicitly(session: Session, start_device: StartDevice) -> None:
    device = await start_device(https=True)
    client = client_for(session, device, https=True, tls=TlsPolicy(allow_self_signed=True))
    assert (await client.switch.caps())[0].switch == 1


def test_fingerprint_must_be_sha256() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        TlsPolicy(fingerprint_sha256="abcd")
    assert normalise_fingerprint("AB:" * 31 + "AB") == "ab" * 32


async def test_https_only_service_over_http_gives_code_7(session: Session, start_device: StartDevice) -> None:
    device = await start_device(https=True)
    device.config.services[Service.SWITCH].https_only = True
    with pytest.raises(InvalidConnectionType) as caught:
        await client_for(session, device).switch.caps()
    assert caught.value.code == 7 and caught.value.description == "invalid connection type"
    pinned = TlsPolicy(fingerprint_sha256=fingerprint(device))
    assert await client_for(session, device, https=True, tls=pinned).switch.caps()


async def test_disabled_service_gives_code_4(session: Session, start_device: StartDevice) -> None:
    device = await start_device()
    device.config.services[Service.IO].enabled = False
    with pytest.raises(FunctionDisabled) as caught:
        await client_for(session, device).io.caps()
    assert (caught.value.code, caught.value.description) == (4, "function is disabled")


async def test_missing_parameter_keeps_param(session: Session, start_device: StartDevice) -> None:
    device = await start_device()
    client = client_for(session, device)
    with pytest.raises(MissingParameter) as caught:
        await client.transport.json("GET", "/api/switch/ctrl", params={"action": "on"})
    assert (caught.value.code, caught.value.param, caught.value.description) == (
        11,
        "switch",
        "missing mandatory parameter",
    )


async def test_a_device_that_never_answers_times_out(session: Session) -> None:
    from entryphone.helios import HeliosClient

    async with silent_server() as port:
        client = HeliosClient(session, "127.0.0.1", port=port, timeout=0.3)
        started = asyncio.get_running_loop().time()
        with pytest.raises(HeliosTimeout):
            await client.system.info()
        assert asyncio.get_running_loop().time() - started < 2


async def test_connection_refused(session: Session, start_device: StartDevice) -> None:
    from entryphone.helios import HeliosClient

    device = await start_device()
    port = device.port
    await device.stop()
    with pytest.raises(HeliosConnectionError):
        await HeliosClient(session, "127.0.0.1", port=port, timeout=2).system.info()


def test_envelope_errors_are_typed() -> None:
    body = json.dumps({"success": False, "error": {"code": 12, "param": "port", "description": "x"}})
    with pytest.raises(HeliosError) as caught:
        decode_envelope(body.encode())
    assert type(caught.value) is type(api_error(12))
    assert type(api_error(42)).__name__ == "HeliosApiError"


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[]", b'{"result": {}}', b'{"success": false}', b'{"success": true, "result": 5}'],
)
def test_malformed_envelopes_raise_protocol_error(body: bytes) -> None:
    with pytest.raises(HeliosProtocolError):
        decode_envelope(body)


def test_malformed_result_raises_protocol_error_not_key_error() -> None:
    with pytest.raises(HeliosProtocolError, match=r"serialNumber|serial_number"):
        parse_model(SystemInfo, {"variant": "x", "swVersion": "1"}, "system/info")


@given(st.binary(max_size=200))
def test_any_bytes_give_a_result_or_a_helios_error(body: bytes) -> None:
    with contextlib.suppress(HeliosError):
        decode_envelope(body)
