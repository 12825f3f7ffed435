"""The 2N driver against emulated panels: capabilities per profile, actions, error mapping."""

from __future__ import annotations

import aiohttp
import pytest

from entryphone.devices import (
    CallNotFound,
    Capability,
    CapabilityMissing,
    DeviceAuthFailed,
    DeviceRejected,
    DeviceUnreachable,
)
from entryphone.devices.errors import ResolutionNotOffered
from entryphone.emulator.config import Service
from tests.devices.drivers import driver_for
from tests.helios.emulated import StartDevice, client_for

Session = aiohttp.ClientSession


async def test_probe_2_21_has_no_directory(session: Session, start_device: StartDevice) -> None:
    device = await start_device("2.21")
    info = await driver_for(session, device).probe()
    assert (info.vendor, info.serial, info.profile, info.mac) == ("2n", device.serial, "2.21", None)
    assert info.capabilities == frozenset(Capability) - {Capability.KEYS, Capability.CODES}
    assert "no directory" in info.unavailable[Capability.KEYS]


async def test_probe_2_4x_has_everything(session: Session, start_device: StartDevice) -> None:
    device = await start_device("2.4x")
    info = await driver_for(session, device).probe()
    assert info.profile == "2.4x" and info.mac == device.mac and info.firmware == device.sw_version
    assert info.capabilities == frozenset(Capability)


async def test_disabled_service_is_a_missing_capability_with_reason(
    session: Session, start_device: StartDevice
) -> None:
    device = await start_device("2.4x")
    device.config.services[Service.CAMERA].enabled = False
    driver = driver_for(session, device)
    info = await driver.probe()
    assert Capability.SNAPSHOT not in info.capabilities
    with pytest.raises(CapabilityMissing, match="disabled") as caught:
        await driver.snapshot()
    assert caught.value.capability is Capability.SNAPSHOT


async def test_open_door_on_2_21_uses_device_duration(session: Session, start_device: StartDevice) -> None:
    device = await start_device("2.21")
    result = await driver_for(session, device).open_door(1)
    assert (result.switch, result.duration) == (1, 5.0)
    assert (await client_for(session, device).switch.status(1))[0].active is True


async def test_open_door_with_duration_on_newer_firmware(session: Session, start_device: StartDevice) -> None:
    device = await start_device("2.4x")
    result = await driver_for(session, device).open_door(2, duration=2.5)
    assert result.duration == 3.0
    assert (await client_for(session, device).switch.status(2))[0].active is True


async def test_open_door_on_a_disabled_switch(session: Session, start_device: StartDevice) -> None:
    driver = driver_for(session, await start_device("2.21"))
    with pytest.raises(CapabilityMissing, match="switch 3"):
        await driver.open_door(3)


async def test_snapshot_and_stream(session: Session, start_device: StartDevice) -> None:
    driver = driver_for(session, await start_device("2.21"))
    snapshot = await driver.snapshot()
    assert snapshot.data[:2] == b"\xff\xd8" and (snapshot.width, snapshot.height) == (640, 480)
    async with driver.stream_video(fps=10) as stream:
        assert stream.content_type.startswith("multipart/x-mixed-replace")
        async for frame in stream.frames():
            assert frame[:2] == b"\xff\xd8"
            break


async def test_device_rejection_keeps_code_and_param(session: Session, start_device: StartDevice) -> None:
    driver = driver_for(session, await start_device("2.21"))
    with pytest.raises(DeviceRejected) as caught:
        async with driver.stream_video(fps=99):
            pass
    assert caught.value.code == 12 and caught.value.param == "fps"
    assert caught.value.description == "invalid parameter value"
    # A size the camera does not offer is refused before the device is asked (a 422 in the API).
    with pytest.raises(ResolutionNotOffered) as refused:
        await driver.snapshot(width=1, height=1)
    assert (640, 480) in refused.value.offered


async def test_wrong_password_is_auth_failed(session: Session, start_device: StartDevice) -> None:
    driver = driver_for(session, await start_device("2.21"), password="letmein-9")
    with pytest.raises(DeviceAuthFailed) as caught:
        await driver.probe()
    assert "letmein-9" not in str(caught.value) and "letmein-9" not in repr(driver)


async def test_unreachable_device(session: Session, start_device: StartDevice) -> None:
    device = await start_device("2.21")
    driver = driver_for(session, device)
    await device.stop()
    with pytest.raises(DeviceUnreachable):
        await driver.probe()


async def test_restart_and_config_backup(session: Session, start_device: StartDevice) -> None:
    device = await start_device("2.21")
    driver = driver_for(session, device)
    assert (await driver.config_backup()).lstrip().startswith(b"<?xml")
    await driver.restart()
    await device.wait_until_up()
    assert (await driver.probe()).serial == device.serial


async def test_firmware_update(session: Session, start_device: StartDevice) -> None:
    from entryphone.emulator.firmware import build_image

    device = await start_device("2.4x")
    driver = driver_for(session, device)
    assert await driver.update_firmware(build_image("2.47.0.1.1")) == "2.47.0.1.1"
    await device.wait_until_up()
    assert (await driver.probe()).firmware == "2.47.0.1.1"


async def test_calls(session: Session, start_device: StartDevice) -> None:
    device = await start_device("2.21")
    driver = driver_for(session, device)
    with pytest.raises(CallNotFound):
        await driver.answer_call()
    await client_for(session, device).call.dial("sip:100@127.0.0.1")
    assert await driver.hangup_call() == 1
    assert await driver.hangup_call() == 0
