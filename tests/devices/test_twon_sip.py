"""Provisioning the panel's phone through /api/config: only what differs is written, everything
else in the file (device accounts, directory) stays, and a refusal keeps the device's message."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from entryphone.devices import DeviceRejected
from entryphone.devices.models import SipAccountSettings, SipSettings
from entryphone.helios import ConfigFile, HeliosProtocolError
from tests.devices.drivers import driver_for
from tests.helios.emulated import StartDevice, client_for, fast_timings

Session = aiohttp.ClientSession

ACCOUNT = SipAccountSettings(
    registrar="127.0.0.1:5070", number="panel-1", domain="intercom.test", auth_id="panel-1", password="s3cret"
)


async def until_applied(device: object, check: object) -> None:
    """The panel applies an upload after its configuration delay (short in tests)."""
    for _ in range(200):
        if check():  # type: ignore[operator]
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the configuration was not applied")


@pytest.mark.parametrize("profile", ["2.21", "2.4x"])
async def test_settings_are_written_once_and_the_rest_is_kept(
    session: Session, start_device: StartDevice, profile: str
) -> None:
    device = await start_device(profile)
    client = client_for(session, device)
    if profile == "2.4x":
        await client.dir.create([{"name": "Janitor", "access": {"card": ["AABBCCDDEE"]}}])
    driver = driver_for(session, device)
    wanted = SipSettings(account=ACCOUNT, dtmf={1: "12#", 2: "7"}, ring_duration=25, talk_duration=90)
    report = await driver.provision_sip(wanted)
    assert report.changed == ["sip_account", "dtmf_code.1", "dtmf_code.2", "ring_duration", "talk_duration"]
    await until_applied(device, lambda: device.config.ring_duration == 25)
    account = device.config.sip[0]
    assert (account.enabled, account.registrar, account.number, account.password) == (
        True,
        "127.0.0.1:5070",
        "panel-1",
        "s3cret",
    )
    assert [s.dtmf_code for s in device.config.switches] == ["12#", "7", "", ""]
    assert device.config.talk_duration == 90
    assert device.config.accounts[0].username == device.login  # the device's own accounts survive
    if profile == "2.4x":
        assert any(user.fields.get("name") == "Janitor" for user in device.directory.users())
    assert (await driver.provision_sip(wanted)).changed == []  # nothing differs: nothing written

    off = SipSettings(account=None, dtmf={}, ring_duration=25, talk_duration=90)
    assert (await driver.provision_sip(off)).changed == ["sip_account", "dtmf_code.1", "dtmf_code.2"]
    await until_applied(device, lambda: not device.config.sip[0].enabled)
    assert device.config.sip[0].password == "" and device.config.switches[0].dtmf_code == ""


async def test_the_device_refusal_keeps_its_message(session: Session, start_device: StartDevice) -> None:
    device = await start_device("2.4x")
    driver = driver_for(session, device)
    with pytest.raises(DeviceRejected) as refused:
        await driver.provision_sip(SipSettings(account=ACCOUNT, ring_duration=900, talk_duration=60))
    assert refused.value.param == "blob-cfg" and refused.value.code == 12
    with pytest.raises(DeviceRejected, match="no switch 5"):
        await driver.provision_sip(
            SipSettings(account=ACCOUNT, dtmf={5: "1"}, ring_duration=9, talk_duration=9)
        )
    assert device.config.ring_duration == 0  # untouched


@pytest.mark.parametrize(
    "data",
    [b"not xml", b"<Other/>", b"<DeviceDatabase/>", b'<!DOCTYPE x [<!ENTITY a "b">]><DeviceDatabase/>'],
)
def test_a_malformed_configuration_file_is_a_protocol_error(data: bytes) -> None:
    with pytest.raises(HeliosProtocolError):
        ConfigFile(data)


async def test_a_key_change_while_the_upload_is_pending_is_not_undone(
    session: Session, start_device: StartDevice
) -> None:
    """The device applies an upload after a delay: the upload carries no directory, so a card
    added meanwhile (a key sync) survives it."""
    device = await start_device("2.4x", timings=fast_timings(config_delay=0.5))
    driver = driver_for(session, device)
    await driver.provision_sip(SipSettings(account=ACCOUNT, ring_duration=30, talk_duration=60))
    await client_for(session, device).dir.create([{"name": "Late", "access": {"card": ["0102030405"]}}])
    await until_applied(device, lambda: device.config.ring_duration == 30)
    assert any(user.fields.get("name") == "Late" for user in device.directory.users())
