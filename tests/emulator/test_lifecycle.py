"""Restart is a restart; config upload and factory reset change behaviour; persistence; fleets."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from entryphone.emulator import EmulatedDevice, EmulatorFleet, Timings
from tests.support.clock import until

from .conftest import api, control, pulling


async def test_restart_takes_the_device_away(
    digest: aiohttp.ClientSession, http: aiohttp.ClientSession, device: EmulatedDevice
) -> None:
    await control(http, device, "key", {"key": "1"})
    channel = (await api(digest, device, "/api/log/subscribe"))["result"]["id"]
    pending = asyncio.ensure_future(digest.get(device.url + f"/api/log/pull?id={channel}&timeout=10"))
    await until(lambda: pulling(device), "the long-poll never reached the device")
    assert await control(http, device, "restart") == 204
    with pytest.raises(aiohttp.ClientError):
        response = await pending  # the long-poll's connection drops
        await response.read()
    with pytest.raises(aiohttp.ClientConnectionError):
        async with http.get(device.url + "/api/system/info"):
            pass
    await device.wait_until_up()
    async with aiohttp.ClientSession(middlewares=(aiohttp.DigestAuthMiddleware("admin", "2n"),)) as fresh:
        assert (await api(fresh, device, "/api/system/status"))["result"]["upTime"] == 0
        assert (await api(fresh, device, f"/api/log/pull?id={channel}"))["error"]["code"] == 12
        new = (await api(fresh, device, "/api/log/subscribe?include=all"))["result"]["id"]
        events = (await api(fresh, device, f"/api/log/pull?id={new}"))["result"]["events"]
    assert events[0]["id"] == 1 and events[0]["event"] == "DeviceState"


async def test_digest_client_recovers_after_restart(
    digest: aiohttp.ClientSession, device: EmulatedDevice
) -> None:
    await api(digest, device, "/api/system/status")
    await api(digest, device, "/api/system/restart")
    await device.wait_until_up()
    # The old nonce is unknown to the new boot: stale=true, and aiohttp's middleware re-authenticates.
    assert (await api(digest, device, "/api/system/status"))["success"] is True


async def test_config_upload_changes_accounts(digest: aiohttp.ClientSession, device: EmulatedDevice) -> None:
    async with digest.get(device.url + "/api/config") as response:
        xml = (await response.read()).replace(
            b'<password type="str">2n</password>', b'<password type="str">new</password>'
        )
    form = aiohttp.FormData()
    form.add_field("blob-cfg", xml, filename="c.xml")
    assert await api(digest, device, "/api/config", method="PUT", data=form) == {"success": True}
    await device.wait_until_up()  # the upload takes effect after timings.config_delay
    async with aiohttp.ClientSession(middlewares=(aiohttp.DigestAuthMiddleware("admin", "new"),)) as renewed:
        assert (await api(renewed, device, "/api/system/status"))["success"] is True
    form = aiohttp.FormData()
    form.add_field("blob-cfg", b"<not-a-config/>", filename="c.xml")
    async with aiohttp.ClientSession(middlewares=(aiohttp.DigestAuthMiddleware("admin", "new"),)) as renewed:
        doc = await api(renewed, device, "/api/config", method="PUT", data=form)
    assert doc["error"] == {"code": 12, "param": "blob-cfg", "description": "invalid parameter value"}


async def test_state_dir_persists_configuration(tmp_path: Path) -> None:
    timings = Timings(restart_downtime=0.1)
    async with EmulatorFleet(2, state_dir=tmp_path, timings=timings, https_port=None, seed=5) as fleet:
        fleet.devices[0].config.device_name = "Entrance 1"
        fleet.devices[0].save()
        serials = [d.serial for d in fleet.devices]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["device-00001.json", "device-00002.json"]
    async with EmulatorFleet(2, state_dir=tmp_path, timings=timings, https_port=None, seed=9) as again:
        assert [d.serial for d in again.devices] == serials
        assert again.devices[0].config.device_name == "Entrance 1"


async def test_fleet_devices_are_distinct(http: aiohttp.ClientSession) -> None:
    async with EmulatorFleet(5, https_port=None) as fleet:
        assert len({d.serial for d in fleet.devices}) == 5
        assert len({d.mac for d in fleet.devices}) == 5
        assert len({d.port for d in fleet.devices}) == 5
        for device in fleet.devices:
            async with http.get(device.control_url + "/state") as response:
                assert (await response.json())["serial"] == device.serial


def test_cli_prints_one_json_line_per_device(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "entryphone.emulator.cli", "--count", "2", "--port", "0", "--no-https"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        lines = [json.loads(process.stdout.readline()) for _ in range(2)]
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert {"url", "login", "password", "serial", "mac"} <= set(lines[0])
    assert lines[0]["serial"] != lines[1]["serial"]
    assert process.returncode == 0
