"""The 2.4x profile: /api/dir incremental sync, grantaccess, cards valid from the directory."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

import aiohttp

from entryphone.emulator import EmulatedDevice, config_xml
from entryphone.emulator.directory import Directory

from .conftest import api, control

USER = "4c957905-5d3f-479b-839a-c7d5b2ae2db5"


async def _dir(
    session: aiohttp.ClientSession, device: EmulatedDevice, name: str, body: Any, method: str
) -> Any:
    doc = await api(session, device, f"/api/dir/{name}", method=method, json=body)
    assert doc["success"] is True, doc
    return doc["result"]


async def test_dir_is_absent_on_2_21(digest: aiohttp.ClientSession, device: EmulatedDevice) -> None:
    assert (await api(digest, device, "/api/dir/template"))["error"]["code"] == 2
    assert "macAddr" not in (await api(digest, device, "/api/system/info"))["result"]


async def test_incremental_sync(digest: aiohttp.ClientSession, device_4x: EmulatedDevice) -> None:
    device = device_4x
    template = await _dir(digest, device, "template", None, "GET")
    series = template["series"]
    assert "access" in template["users"][0]
    created = await _dir(
        digest,
        device,
        "create",
        {"users": [{"uuid": USER, "name": "Flat 12", "access": {"card": ["0104AB12CD"]}}]},
        "PUT",
    )
    assert created["users"] == [{"uuid": USER, "timestamp": 1}]
    again = await _dir(digest, device, "create", {"users": [{"uuid": USER}]}, "PUT")
    assert again["users"][0]["errors"][0]["code"] == "EDIR_UUID_ALREADY_EXISTS"
    first = await _dir(digest, device, "query", {"series": series, "iterator": {"timestamp": 0}}, "POST")
    assert [u["name"] for u in first["users"]] == ["Flat 12"] and first["iterator"] == {"timestamp": 1}
    await _dir(digest, device, "update", {"users": [{"uuid": USER, "access": {"pin": "4321"}}]}, "PUT")
    bad = await _dir(digest, device, "update", {"users": [{"uuid": USER, "junk": 1}]}, "PUT")
    assert bad["users"][0]["errors"][0]["code"] == "EDIR_FIELD_NAME_UNKNOWN"
    changed = await _dir(digest, device, "query", {"series": series, "iterator": {"timestamp": 1}}, "POST")
    assert [(u["uuid"], u["timestamp"], u["access"]["pin"]) for u in changed["users"]] == [(USER, 2, "4321")]
    await _dir(digest, device, "delete", {"users": [{"uuid": USER}]}, "PUT")
    gone = await _dir(digest, device, "query", {"series": series, "iterator": {"timestamp": 2}}, "POST")
    assert gone["users"] == [{"uuid": USER, "timestamp": 3, "deleted": True}]
    missing = await _dir(digest, device, "get", {"users": [{"uuid": USER}]}, "POST")
    assert missing["users"][0]["errors"][0]["code"] == "EDIR_UUID_DOES_NOT_EXIST"
    other = await _dir(digest, device, "query", {"series": "1", "iterator": {"timestamp": 3}}, "POST")
    assert other["series"] == series and other["iterator"] == {"timestamp": 0} and other["users"] == []


async def test_cards_and_grantaccess(
    digest: aiohttp.ClientSession, http: aiohttp.ClientSession, device_4x: EmulatedDevice
) -> None:
    device = device_4x
    await _dir(
        digest,
        device,
        "create",
        {"users": [{"uuid": USER, "name": "Flat 12", "access": {"card": ["AB12CD34"]}}]},
        "PUT",
    )
    channel = (await api(digest, device, "/api/log/subscribe"))["result"]["id"]
    assert await control(http, device, "card", {"uid": "0104AB12CD34"}) == 204  # matched from the end
    assert await control(http, device, "card", {"uid": "FFFFFFFF"}) == 204
    granted = await api(digest, device, f"/api/accesspoint/grantaccess?id=0&user={USER}")
    assert granted == {"success": True, "result": {"accessGranted": True}}
    refused = await api(digest, device, "/api/accesspoint/grantaccess?id=5")
    assert refused["result"] == {"accessGranted": False, "reason": "invalidAp"}
    events = (await api(digest, device, f"/api/log/pull?id={channel}"))["result"]["events"]
    cards = [e["params"]["valid"] for e in events if e["event"] == "CardEntered"]
    assert cards == [True, False]
    assert any(e["event"] == "UserAuthenticated" and e["params"]["uuid"] == USER for e in events)
    assert [e["params"]["valid"] for e in events if e["event"] == "ApiAccessRequested"] == [True, False]
    status = (await api(digest, device, "/api/switch/status?switch=1"))["result"]["switches"][0]
    assert status == {"switch": 1, "active": True, "locked": False, "held": False}
    assert (await api(digest, device, "/api/system/info"))["result"]["macAddr"] == device.mac


def test_directory_survives_its_state_file_and_config_backup() -> None:
    directory = Directory()
    user = {"uuid": USER, "name": "Flat 12", "access": {"card": ["0104ab12cd"], "code": ["5864"]}}
    assert "errors" not in directory.create([user], force=False)[0]
    state = directory.to_dict()
    assert state["records"][0]["fields"]["access"]["card"] == ["0104AB12CD", ""]  # plain JSON
    for restored in (Directory.from_dict(state), Directory.from_dict(json.loads(json.dumps(state)))):
        assert restored.get([{"uuid": USER}], None) == directory.get([{"uuid": USER}], None)
        assert restored.find_card("0104AB12CD") is not None and restored.find_code("5864") is not None
    nodes = ET.Element("root")
    config_xml._encode(nodes, "Directory", state)
    decoded = Directory.from_dict(config_xml._decode(nodes[0]))
    assert decoded.get([{"uuid": USER}], None) == directory.get([{"uuid": USER}], None)
