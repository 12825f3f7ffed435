"""Every request/response example of the 2N Helios IP HTTP API manual 2.21, replayed.

Each test names the manual section it reproduces and checks the reply's shape, content type and
error codes, not the example's literal values (serial numbers, times).
"""

from __future__ import annotations

import io
import struct

import aiohttp
from PIL import Image

from entryphone.emulator import EmulatedDevice, Timings, build_image
from tests.support.clock import ManualClock, until

from .conftest import StartDevice, api, control

JPEG = "image/jpeg"


async def test_5_1_system_info(digest: aiohttp.ClientSession, device: EmulatedDevice) -> None:
    doc = await api(digest, device, "/api/system/info")
    assert doc["success"] is True
    assert set(doc["result"]) == {
        "variant",
        "serialNumber",
        "hwVersion",
        "swVersion",
        "buildType",
        "deviceName",
    }
    assert doc["result"]["serialNumber"] == device.serial


async def test_5_2_system_status(digest: aiohttp.ClientSession, device: EmulatedDevice) -> None:
    result = (await api(digest, device, "/api/system/status", method="POST"))["result"]
    assert set(result) == {"systemTime", "upTime"}
    assert isinstance(result["systemTime"], int) and result["upTime"] >= 0


async def test_5_3_system_restart(digest: aiohttp.ClientSession, device: EmulatedDevice) -> None:
    assert await api(digest, device, "/api/system/restart") == {"success": True}
    await device.wait_until_up()


async def test_5_4_5_5_firmware_upload_and_apply(
    digest: aiohttp.ClientSession, device: EmulatedDevice
) -> None:
    form = aiohttp.FormData()
    form.add_field("blob-fw", build_image("2.22.0.1.1"), filename="fw.bin")
    doc = await api(digest, device, "/api/firmware", method="PUT", data=form)
    assert doc == {"success": True, "result": {"version": "2.22.0.1.1", "downgrade": False}}
    assert await api(digest, device, "/api/firmware/apply") == {"success": True}
    await device.wait_until_up()
    assert device.sw_version == "2.22.0.1.1"


async def test_5_4_corrupted_firmware_is_code_12(
    digest: aiohttp.ClientSession, device: EmulatedDevice
) -> None:
    form = aiohttp.FormData()
    form.add_field("blob-fw", build_image("2.22.0.1.1")[:-1] + b"x", filename="fw.bin")
    doc = await api(digest, device, "/api/firmware", method="PUT", data=form)
    assert doc["error"] == {"code": 12, "param": "blob-fw", "description": "invalid parameter value"}


async def test_5_4_firmware_is_put_only(digest: aiohttp.ClientSession, device: EmulatedDevice) -> None:
    doc = await api(digest, device, "/api/firmware")
    assert doc["error"]["code"] == 3


async def test_5_6_config_download_is_xml(digest: aiohttp.ClientSession, device: EmulatedDevice) -> None:
    async with digest.get(device.url + "/api/config") as response:
        assert response.content_type == "application/xml"
        text = await response.text()
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert f"Serial number: {device.serial}" in text
    assert '<DeviceDatabase Version="4">' in text


async def test_5_6_config_upload(digest: aiohttp.ClientSession, device: EmulatedDevice) -> None:
    async with digest.get(device.url + "/api/config") as response:
        xml = (await response.read()).replace(b">2N Helios IP Verso<", b">Staircase A<")
    form = aiohttp.FormData()
    form.add_field("blob-cfg", xml, filename="config.xml", content_type="application/xml")
    assert await api(digest, device, "/api/config", method="PUT", data=form) == {"success": True}
    await device.wait_until_up()  # the test timings shorten the manual's 15 s delay
    assert (await api(digest, device, "/api/system/info"))["result"]["deviceName"] == "Staircase A"


async def test_5_6_config_upload_takes_effect_after_the_manuals_delay(
    digest: aiohttp.ClientSession, start_device: StartDevice
) -> None:
    assert Timings().config_delay == 15.0  # "with a delay of approx. 15 s" is the default
    clock = ManualClock()
    device = await start_device(config_delay=Timings().config_delay, clock=clock)
    async with digest.get(device.url + "/api/config") as response:
        xml = (await response.read()).replace(b">2N Helios IP Verso<", b">Staircase A<")
    form = aiohttp.FormData()
    form.add_field("blob-cfg", xml, filename="config.xml", content_type="application/xml")
    assert await api(digest, device, "/api/config", method="PUT", data=form) == {"success": True}
    clock.advance(14.999)
    assert (await api(digest, device, "/api/system/info"))["result"]["deviceName"] == "2N Helios IP Verso"
    clock.advance(0.001)
    await device.wait_until_up()
    assert (await api(digest, device, "/api/system/info"))["result"]["deviceName"] == "Staircase A"
    assert device.running  # an upload needs no restart


async def test_5_6_a_restart_within_the_delay_loses_the_upload(
    digest: aiohttp.ClientSession, http: aiohttp.ClientSession, start_device: StartDevice
) -> None:
    clock = ManualClock()
    device = await start_device(config_delay=15, restart_downtime=1, clock=clock)
    async with digest.get(device.url + "/api/config") as response:
        xml = (await response.read()).replace(b">2N Helios IP Verso<", b">Staircase A<")
    form = aiohttp.FormData()
    form.add_field("blob-cfg", xml, filename="config.xml", content_type="application/xml")
    assert await api(digest, device, "/api/config", method="PUT", data=form) == {"success": True}
    assert await control(http, device, "restart") == 204  # the manual: do not reset in the interval
    await until(lambda: not device.running, "the panel never went down")
    clock.advance(1)
    await device.wait_until_up()
    clock.advance(15)
    assert device.config.device_name == "2N Helios IP Verso"


async def test_5_6_a_corrupt_config_is_refused_at_once(
    digest: aiohttp.ClientSession, start_device: StartDevice
) -> None:
    device = await start_device(config_delay=Timings().config_delay)
    form = aiohttp.FormData()
    form.add_field("blob-cfg", b"<not xml", filename="config.xml", content_type="application/xml")
    doc = await api(digest, device, "/api/config", method="PUT", data=form)
    assert doc["error"] == {"code": 12, "param": "blob-cfg", "description": "invalid parameter value"}


async def test_5_7_factory_reset(digest: aiohttp.ClientSession, device: EmulatedDevice) -> None:
    device.config.device_name = "changed"
    assert await api(digest, device, "/api/config/factoryreset") == {"success": True}
    await device.wait_until_up()
    assert device.config.device_name == "2N Helios IP Verso"


async def test_5_7_factory_reset_waits_the_manuals_delay(
    digest: aiohttp.ClientSession, start_device: StartDevice
) -> None:
    clock = ManualClock()
    device = await start_device(config_delay=Timings().config_delay, restart_downtime=3, clock=clock)
    device.config.device_name = "changed"
    assert await api(digest, device, "/api/config/factoryreset") == {"success": True}
    clock.advance(14.999)
    # Still up, still configured, within the interval the manual asks not to power off in.
    assert (await api(digest, device, "/api/system/info"))["result"]["deviceName"] == "changed"
    clock.advance(0.001)
    await until(lambda: not device.running, "the reset never restarted the panel")
    clock.advance(3)
    await device.wait_until_up()
    assert device.config.device_name == "2N Helios IP Verso"


async def test_5_8_switch_caps(digest: aiohttp.ClientSession, device: EmulatedDevice) -> None:
    switches = (await api(digest, device, "/api/switch/caps"))["result"]["switches"]
    assert switches[0] == {
        "switch": 1,
        "enabled": True,
        "mode": "monostable",
        "switchOnDuration": 5,
        "type": "normal",
    }
    assert switches[2] == {"switch": 3, "enabled": False}
    one = (await api(digest, device, "/api/switch/caps?switch=2"))["result"]["switches"]
    assert [s["switch"] for s in one] == [2]


async def test_5_9_switch_status(digest: aiohttp.ClientSession, device: EmulatedDevice) -> None:
    switches = (await api(digest, device, "/api/switch/status"))["result"]["switches"]
    assert switches[0] == {"switch": 1, "active": False}
    assert len(switches) == 4


async def test_5_10_switch_ctrl_and_response_text(
    digest: aiohttp.ClientSession, device: EmulatedDevice
) -> None:
    assert await api(digest, device, "/api/switch/ctrl?switch=1&action=trigger") == {"success": True}
    assert (await api(digest, device, "/api/switch/status?switch=1"))["result"]["switches"][0][
        "active"
    ] is True
    for text in ("text", ""):
        async with digest.get(
            device.url + f"/api/switch/ctrl?switch=1&action=on&response={text}"
        ) as response:
            assert response.content_type == "text/plain"
            assert await response.text() == text


async def test_5_11_to_5_13_io(digest: aiohttp.ClientSession, device: EmulatedDevice) -> None:
    ports = (await api(digest, device, "/api/io/caps"))["result"]["ports"]
    assert {"port": "relay1", "type": "output"} in ports
    statuses = (await api(digest, device, "/api/io/status"))["result"]["ports"]
    assert {"port": "relay1", "state": 0} in statuses
    assert await api(digest, device, "/api/io/ctrl?port=relay1&action=on") == {"success": True}
    assert (await api(digest, device, "/api/io/status?port=relay1"))["result"]["ports"] == [
        {"port": "relay1", "state": 1}
    ]
    async with digest.get(device.url + "/api/io/ctrl?port=relay1&action=off&response=text") as response:
        assert (response.content_type, await response.text()) == ("text/plain", "text")


async def test_2_3_error_example_invalid_port(digest: aiohttp.ClientSession, device: EmulatedDevice) -> None:
    doc = await api(digest, device, "/api/io/ctrl?port=nope&action=on")
    assert doc == {
        "success": False,
        "error": {"code": 12, "param": "port", "description": "invalid parameter value"},
    }


async def test_5_14_phone_status(digest: aiohttp.ClientSession, device: EmulatedDevice) -> None:
    accounts = (await api(digest, device, "/api/phone/status"))["result"]["accounts"]
    assert accounts[0]["account"] == 1 and accounts[0]["registered"] is True
    assert set(accounts[0]) == {"account", "sipNumber", "registered", "registerTime"}
    assert accounts[1] == {"account": 2, "sipNumber": "", "registered": False}


async def test_5_15_to_5_18_calls(digest: aiohttp.ClientSession, device: EmulatedDevice) -> None:
    assert (await api(digest, device, "/api/call/status"))["result"] == {"sessions": []}
    dialled = await api(digest, device, "/api/call/dial?number=sip:1234@10.0.23.194")
    session = dialled["result"]["session"]
    sessions = (await api(digest, device, f"/api/call/status?session={session}"))["result"]["sessions"]
    assert sessions == [{"session": session, "direction": "outgoing", "state": "connecting"}]
    assert await api(digest, device, f"/api/call/hangup?session={session}") == {"success": True}
    async with (
        aiohttp.ClientSession() as plain,
        plain.post(device.control_url + "/call/incoming", json={"peer": "sip:2229@10.0.97.150"}) as r,
    ):
        incoming = int(r.headers["X-Emulator-Session"])
    assert await api(digest, device, f"/api/call/answer?session={incoming}") == {"success": True}
    sessions = (await api(digest, device, "/api/call/status"))["result"]["sessions"]
    assert sessions == [{"session": incoming, "direction": "incoming", "state": "connected"}]
    assert await api(digest, device, f"/api/call/hangup?session={incoming}&reason=busy") == {"success": True}


async def test_5_19_camera_caps(digest: aiohttp.ClientSession, device: EmulatedDevice) -> None:
    result = (await api(digest, device, "/api/camera/caps"))["result"]
    assert {"width": 640, "height": 480} in result["jpegResolution"]
    assert result["sources"] == [{"source": "internal"}, {"source": "external"}]


async def test_5_20_camera_snapshot(digest: aiohttp.ClientSession, device: EmulatedDevice) -> None:
    async with digest.get(
        device.url + "/api/camera/snapshot?width=640&height=480&source=internal"
    ) as response:
        assert response.content_type == JPEG
        image = Image.open(io.BytesIO(await response.read()))
    assert (image.format, image.size) == ("JPEG", (640, 480))
    doc = await api(digest, device, "/api/camera/snapshot?width=641&height=480")
    assert doc["error"] == {"code": 12, "param": "width", "description": "invalid parameter value"}
    doc = await api(digest, device, "/api/camera/snapshot?height=480")
    assert doc["error"] == {"code": 11, "param": "width", "description": "missing mandatory parameter"}


async def test_5_20_snapshot_from_the_past(digest: aiohttp.ClientSession, start_device: StartDevice) -> None:
    device = await start_device()
    doc = await api(digest, device, "/api/camera/snapshot?width=320&height=240&time=-5")
    assert doc["error"]["code"] == 15  # the panel has not been up for 5 s yet
    doc = await api(digest, device, "/api/camera/snapshot?width=320&height=240&time=-31")
    assert doc["error"]["param"] == "time"
    async with digest.get(device.url + "/api/camera/snapshot?width=320&height=240&time=0&fps=5") as response:
        assert response.content_type == JPEG  # time wins over fps: a single frame


async def test_5_20_mjpeg_stream(digest: aiohttp.ClientSession, device: EmulatedDevice) -> None:
    async with digest.get(device.url + "/api/camera/snapshot?width=160&height=120&fps=10") as response:
        assert response.content_type == "multipart/x-mixed-replace"
        reader = aiohttp.MultipartReader.from_response(response)
        frames = []
        for _ in range(3):
            part = await reader.next()
            assert isinstance(part, aiohttp.BodyPartReader)
            assert part.headers["Content-Type"] == JPEG
            frames.append(await part.read())
    assert all(Image.open(io.BytesIO(f)).size == (160, 120) for f in frames)


async def test_5_21_5_22_display(digest: aiohttp.ClientSession, device: EmulatedDevice) -> None:
    displays = (await api(digest, device, "/api/display/caps"))["result"]["displays"]
    assert displays == [{"display": "ext1", "resolution": {"width": 214, "height": 240}}]
    picture = io.BytesIO()
    Image.new("RGB", (214, 240)).save(picture, "JPEG")
    form = aiohttp.FormData()
    form.add_field("blob-image", picture.getvalue(), filename="a.jpg", content_type=JPEG)
    doc = await api(digest, device, "/api/display/image?display=ext1&duration=30000", method="PUT", data=form)
    assert doc == {"success": True}
    assert await api(digest, device, "/api/display/image?display=ext1", method="DELETE") == {"success": True}
    wrong = io.BytesIO()
    Image.new("RGB", (100, 100)).save(wrong, "PNG")
    form = aiohttp.FormData()
    form.add_field("blob-image", wrong.getvalue(), filename="b.png")
    doc = await api(digest, device, "/api/display/image?display=ext1", method="PUT", data=form)
    assert doc["error"]["param"] == "blob-image"


async def test_5_23_log_caps(digest: aiohttp.ClientSession, device: EmulatedDevice) -> None:
    events = (await api(digest, device, "/api/log/caps"))["result"]["events"]
    for name in ("KeyPressed", "CardEntered", "CallStateChanged", "DeviceState", "RegistrationStateChanged"):
        assert name in events


async def test_5_24_to_5_26_log(digest: aiohttp.ClientSession, device: EmulatedDevice) -> None:
    doc = await api(digest, device, "/api/log/subscribe?filter=KeyPressed,InputChanged")
    channel = doc["result"]["id"]
    assert 0 < channel < 2**32
    all_events = (await api(digest, device, "/api/log/subscribe?include=all"))["result"]["id"]
    pulled = (await api(digest, device, f"/api/log/pull?id={all_events}"))["result"]["events"]
    assert pulled[0]["id"] == 1 and pulled[0]["event"] == "DeviceState"
    assert pulled[0]["params"] == {"state": "startup"}
    assert set(pulled[0]) == {"id", "tzShift", "utcTime", "upTime", "event", "params"}
    assert pulled[1]["event"] == "RegistrationStateChanged"
    assert pulled[1]["params"] == {"sipAccount": 1, "state": "registered"}
    assert await api(digest, device, f"/api/log/unsubscribe?id={channel}") == {"success": True}
    doc = await api(digest, device, f"/api/log/pull?id={channel}")
    assert doc["error"] == {"code": 12, "param": "id", "description": "invalid parameter value"}


async def test_5_27_audio_test(digest: aiohttp.ClientSession, start_device: StartDevice) -> None:
    clock = ManualClock()
    device = await start_device(clock=clock, audio_test_duration=5)
    channel = (await api(digest, device, "/api/log/subscribe?filter=AudioLoopTest"))["result"]["id"]
    assert await api(digest, device, "/api/audio/test") == {"success": True}
    assert (await api(digest, device, f"/api/log/pull?id={channel}"))["result"]["events"] == []
    clock.advance(5)  # the test plays for audio_test_duration
    events = (await api(digest, device, f"/api/log/pull?id={channel}&timeout=60"))["result"]["events"]
    assert [e["params"] for e in events] == [{"result": "passed"}]


async def test_5_29_to_5_31_pcap(digest: aiohttp.ClientSession, device: EmulatedDevice) -> None:
    assert await api(digest, device, "/api/pcap/restart") == {"success": True}
    await api(digest, device, "/api/system/info")
    assert await api(digest, device, "/api/pcap/stop") == {"success": True}
    async with digest.get(device.url + "/api/pcap") as response:
        assert response.content_type == "application/pcap"
        capture = await response.read()
    magic, major, minor, _, _, _, linktype = struct.unpack("<IHHiIII", capture[:24])
    assert (magic, major, minor, linktype) == (0xA1B2C3D4, 2, 4, 1)
    assert b"GET /api/system/info HTTP/1.1" in capture
    assert device.serial.encode() in capture  # the reply body is in the capture too


async def test_unknown_path_and_control_api(http: aiohttp.ClientSession, device: EmulatedDevice) -> None:
    doc = await api(http, device, "/api/nothing/here")
    assert doc["error"] == {"code": 2, "description": "invalid request path"}
    assert await control(http, device, "key", {"key": "5"}) == 204
    assert await control(http, device, "key", {"key": "x"}) == 422
