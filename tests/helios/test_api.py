"""Every HeliosClient method against an emulated panel over loopback HTTP."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from entryphone.emulator.firmware import build_image
from entryphone.helios import (
    HeliosClient,
    HeliosProtocolError,
    InvalidParameter,
    InvalidRequestPath,
    NoDataAvailable,
    ProcessingError,
    SwitchAction,
)
from entryphone.helios.api.directory import parse_page, parse_write
from tests.emulator.conftest import pulling
from tests.helios.emulated import Session, StartDevice, client_for
from tests.support.clock import ManualClock, until

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=10,
)


@pytest.fixture
async def client(session: Session, start_device: StartDevice) -> HeliosClient:
    return client_for(session, await start_device("2.4x"))


async def test_system(session: Session, start_device: StartDevice) -> None:
    device = await start_device("2.21")
    client = client_for(session, device)
    info = await client.system.info()
    assert (info.serial_number, info.sw_version, info.mac_addr) == (device.serial, device.sw_version, None)
    status = await client.system.status()
    assert status.system_time > 1_600_000_000 and status.up_time >= 0
    await client.system.restart()
    await device.wait_until_up()
    assert (await client.system.status()).up_time < 5


async def test_newer_profile_reports_mac(client: HeliosClient) -> None:
    assert (await client.system.info()).mac_addr


async def test_firmware_upload_and_apply(session: Session, start_device: StartDevice) -> None:
    device = await start_device("2.4x")
    client = client_for(session, device)
    check = await client.firmware.upload(build_image("2.46.0.1.1"))
    assert (check.version, check.downgrade) == ("2.46.0.1.1", False)
    with pytest.raises(InvalidParameter):
        await client.firmware.upload(b"definitely not firmware")
    await client.firmware.upload(build_image("2.46.0.1.1"))
    await client.firmware.apply()
    await device.wait_until_up()
    assert (await client.system.info()).sw_version == "2.46.0.1.1"


async def test_config_download_upload_and_factory_reset(session: Session, start_device: StartDevice) -> None:
    device = await start_device("2.4x")
    client = client_for(session, device)
    xml = await client.config.download()
    assert xml.lstrip().startswith(b"<?xml")
    await client.config.upload(xml)
    await client.config.factory_reset()
    await device.wait_until_up()
    assert (await client.system.info()).serial_number == device.serial


async def test_switches(client: HeliosClient) -> None:
    caps = await client.switch.caps()
    assert [c.switch for c in caps] == [1, 2, 3, 4]
    assert caps[0].mode == "monostable" and caps[2].enabled is False and caps[2].mode is None
    await client.switch.ctrl(1, SwitchAction.ON)
    assert (await client.switch.status(1))[0].active is True
    await client.switch.ctrl(1, SwitchAction.OFF)
    assert (await client.switch.status(1))[0].active is False
    await client.switch.ctrl(2, SwitchAction.HOLD, hold_timeout=5)
    held = (await client.switch.status(2))[0]
    assert held.held is True and held.active is True
    await client.switch.ctrl(2, SwitchAction.RELEASE)


async def test_io(client: HeliosClient) -> None:
    ports = await client.io.caps()
    outputs = [p.port for p in ports if p.type == "output"]
    assert outputs
    await client.io.ctrl(outputs[0], "on")
    assert (await client.io.status(outputs[0]))[0].state == 1
    inputs = [p.port for p in ports if p.type == "input"]
    if inputs:
        with pytest.raises(InvalidParameter):
            await client.io.ctrl(inputs[0], "on")


async def test_phone_and_calls(client: HeliosClient) -> None:
    accounts = await client.phone.status()
    assert accounts[0].account == 1 and accounts[0].sip_number == "5046"
    assert await client.call.status() == []
    session = await client.call.dial("sip:1234@127.0.0.1")
    assert [s.session for s in await client.call.status()] == [session]
    await client.call.hangup(session, "normal")
    assert await client.call.status() == []
    with pytest.raises(ProcessingError):
        await client.call.hangup(session)


async def test_camera_snapshot(client: HeliosClient) -> None:
    caps = await client.camera.caps()
    size = caps.jpeg_resolution[0]
    snapshot = await client.camera.snapshot(size.width, size.height)
    assert snapshot.content_type.startswith("image/jpeg") and snapshot.data[:2] == b"\xff\xd8"
    assert (await client.camera.snapshot(size.width, size.height, time=0)).data[:2] == b"\xff\xd8"
    with pytest.raises(NoDataAvailable):  # the panel has not been up for 30 s: nothing buffered
        await client.camera.snapshot(size.width, size.height, time=-30)
    # A JSON error where a JPEG was expected is detected and raised as the device's error.
    with pytest.raises(InvalidParameter) as caught:
        await client.camera.snapshot(1, 1)
    assert caught.value.param in ("width", "height")


async def test_display(client: HeliosClient) -> None:
    displays = await client.display.caps()
    if not displays:
        pytest.skip("emulated model has no display")
    from io import BytesIO

    from PIL import Image

    display = displays[0]
    assert display.resolution is not None
    buffer = BytesIO()
    Image.new("RGB", (display.resolution.width, display.resolution.height)).save(buffer, "JPEG")
    await client.display.put_image(display.display, buffer.getvalue(), duration_ms=1000)
    await client.display.delete_image(display.display)


async def test_log_subscribe_pull_unsubscribe(session: Session, start_device: StartDevice) -> None:
    device = await start_device("2.4x", clock=ManualClock())
    client = client_for(session, device)
    assert "DeviceState" in await client.log.caps()
    channel = await client.log.subscribe("all")
    events = await client.log.pull(channel)
    assert events[0].event == "DeviceState" and events[0].params == {"state": "startup"}
    waiting = asyncio.create_task(client.log.pull(channel, wait=5))
    await until(lambda: pulling(device), "the long-poll never reached the device")
    await client.switch.ctrl(1, SwitchAction.ON)
    pulled = await waiting  # the device's clock stands still: only the event can end the pull
    assert any(e.event == "SwitchStateChanged" for e in pulled)
    await client.log.unsubscribe(channel)
    with pytest.raises(InvalidParameter):
        await client.log.pull(channel)


async def test_log_subscribe_filter_and_history_window(client: HeliosClient) -> None:
    await client.switch.ctrl(1, SwitchAction.ON)
    channel = await client.log.subscribe(60, events=["SwitchStateChanged"], duration=30)
    events = await client.log.pull(channel)
    assert events and {e.event for e in events} == {"SwitchStateChanged"}


async def test_audio_test_emits_its_event(client: HeliosClient) -> None:
    channel = await client.log.subscribe("new", events=["AudioLoopTest"])
    await client.audio.test()
    events = await client.log.pull(channel, wait=3)
    assert events[0].event == "AudioLoopTest"


async def test_email_without_smtp_is_a_device_error(client: HeliosClient) -> None:
    from entryphone.helios import HeliosApiError

    with pytest.raises(HeliosApiError):
        await client.email.send("someone@example.org", "Hello", body="Hi", picture_count=1)


async def test_pcap(client: HeliosClient) -> None:
    await client.pcap.restart()
    await client.system.info()
    capture = await client.pcap.download()
    assert capture[:4] in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    await client.pcap.stop()


async def test_directory(client: HeliosClient) -> None:
    template = await client.dir.template()
    assert template.users[0].access is not None
    access = {"card": ["01045E31BB"], "code": ["5864"]}
    created = await client.dir.create([{"name": "Flat 12", "access": access}])
    uuid = created.users[0].uuid
    assert uuid and not created.users[0].errors
    again = await client.dir.create([{"uuid": uuid, "name": "dup"}])
    assert again.users[0].errors[0]["code"] == "EDIR_UUID_ALREADY_EXISTS"
    await client.dir.update([{"uuid": uuid, "name": "Flat 12A"}])
    [user] = await client.dir.get([uuid])
    assert user.name == "Flat 12A" and user.access and user.access.card[0] == "01045E31BB"
    page = await client.dir.query(series=template.series)
    assert page.series == template.series and [u.uuid for u in page.users] == [uuid]
    since = page.iterator.timestamp
    assert (await client.dir.query(series=template.series, timestamp=since)).users == []
    await client.dir.delete([uuid])
    tombstones = (await client.dir.query(series=template.series, timestamp=since)).users
    assert tombstones[0].deleted is True
    stale = await client.dir.query(series="1", timestamp=since)
    assert stale.series == template.series and stale.iterator.timestamp == 0


async def test_directory_pages_for_bulk_reads(client: HeliosClient) -> None:
    created = await client.dir.create([{"name": "Flat 1"}, {"name": "Flat 2", "email": "x@example.org"}])
    pages = [page async for page in client.dir.iterate(fields=["name"])]
    users = [user for page in pages for user in page.users]
    assert [u["uuid"] for u in users] == [u.uuid for u in created.users]
    assert [set(u) for u in users] == [{"uuid", "timestamp", "name"}] * 2  # only the fields asked for
    assert pages[-1].timestamp == max(u.timestamp or 0 for u in created.users)


@pytest.mark.parametrize(
    "result",
    [
        {"iterator": {"timestamp": 1}},
        {"series": 5, "iterator": {"timestamp": 1}},
        {"series": "5", "iterator": {"timestamp": "1"}},
        {"series": "5", "iterator": 1},
        {"series": "5", "iterator": {"timestamp": True}},
        {"series": "5", "iterator": {"timestamp": 1}, "users": {}},
        {"series": "5", "iterator": {"timestamp": 1}, "users": ["abc"]},
    ],
)
def test_malformed_query_page_is_a_protocol_error(result: dict[str, Any]) -> None:
    with pytest.raises(HeliosProtocolError, match="dir/query"):
        parse_page(result)


@pytest.mark.parametrize(
    "result",
    [
        {"series": 5},
        {"users": {}},
        {"users": [7]},
        {"users": [{"uuid": 7}]},
        {"users": [{"timestamp": "3"}]},
        {"users": [{"timestamp": False}]},
        {"users": [{"errors": "EDIR"}]},
        {"users": [{"errors": ["EDIR"]}]},
    ],
)
def test_malformed_write_reply_is_a_protocol_error(result: dict[str, Any]) -> None:
    with pytest.raises(HeliosProtocolError, match="dir/create"):
        parse_write(result, "dir/create")


_OUTCOME = st.dictionaries(st.sampled_from(["uuid", "timestamp", "errors", "x"]), _JSON, max_size=4)


@given(st.fixed_dictionaries({}, optional={"series": _JSON, "users": st.lists(_OUTCOME, max_size=3) | _JSON}))
def test_any_write_reply_gives_outcomes_or_a_protocol_error(result: dict[str, Any]) -> None:
    try:
        written = parse_write(result, "dir/update")
    except HeliosProtocolError:
        return
    assert all(isinstance(outcome.errors, tuple) for outcome in written.users)


async def test_grant_access(client: HeliosClient) -> None:
    created = await client.dir.create([{"name": "Resident"}])
    uuid = created.users[0].uuid
    granted = await client.accesspoint.grant_access(0, uuid)
    assert granted.access_granted is True
    refused = await client.accesspoint.grant_access(0, "00000000-0000-0000-0000-0000000000ff")
    assert refused.access_granted is False and refused.reason


async def test_directory_is_absent_on_2_21(session: Session, start_device: StartDevice) -> None:
    client = client_for(session, await start_device("2.21"))
    with pytest.raises(InvalidRequestPath):
        await client.dir.template()
