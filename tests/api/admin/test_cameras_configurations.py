"""Cameras registry and the main configurations over HTTP."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.admin.helpers import BASE, camera, errors, house, ok


def test_main_configurations(admin_client: httpx.Client) -> None:
    reply = ok(admin_client.get(f"{BASE}/main-configurations"))
    vendors = {vendor["key"]: vendor for vendor in reply["intercom_vendors"]}
    assert set(vendors) == {"2n", "interconnection", "sputnik", "beward"}
    assert vendors["2n"]["has_driver"] is True
    assert not any(vendors[key]["has_driver"] for key in ("sputnik", "interconnection", "beward"))
    switches = {switch["key"]: switch for switch in reply["intercom_switches"]}
    assert {"metakom", "vizit", "cyfral", "eltis", "factorial"} <= set(switches)
    assert switches["factorial"]["units"] == 8 and switches["factorial"]["max_capacity"] == 64
    assert switches["com-220u"]["max_capacity"] == 220
    assert 20 in switches["metakom"]["capacities"] and 20 in reply["intercom_flat_capacity"]
    assert [item["key"] for item in reply["intercom_connection_types"]] == [
        "matrix_switching", "fixed", "smart", "combined_1", "combined_2",
    ]  # fmt: skip
    assert {"key": "main", "label": "Entrance"} in reply["intercom_department_types"]
    assert "select" in [item["key"] for item in reply["intercom_flat_available_management_methods"]]


def test_camera_crud_and_streams(admin_client: httpx.Client) -> None:
    group = house(admin_client, "Camera house")
    created = camera(
        admin_client,
        group_id=group["id"],
        streams=[
            {"type": "low", "url": "rtsp://admin:pw@192.0.2.1:554/Streaming/Channels/102"},
            {
                "type": "high",
                "url": "rtsp://admin:pw@192.0.2.1:554/Streaming/Channels/101",
                "status": "inactive",
            },
        ],
    )
    assert created["group_id"] == group["id"] and created["status"] == "active"
    assert [(s["type"], s["status"]) for s in created["streams"]] == [("low", "active"), ("high", "inactive")]
    assert created["streams"][0]["url"].endswith("/102") and created["is_intercom"] is False
    url = f"{BASE}/cameras/{created['id']}"
    updated = ok(
        admin_client.patch(url, json={"name": "Renamed", "streams": [{"type": "high", "url": "rtsp://h/1"}]})
    )
    assert updated["name"] == "Renamed" and [s["type"] for s in updated["streams"]] == ["high"]
    assert ok(admin_client.get(url)) == updated
    listed = ok(admin_client.get(f"{BASE}/cameras", params={"search": "renamed"}))
    assert [item["id"] for item in listed["data"]] == [created["id"]]
    ok(admin_client.delete(url), 204)
    assert admin_client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({}, "name"),
        ({"name": "c", "group_id": 999999}, "group_id"),
        ({"name": "c", "status": "deleted"}, "status"),
        ({"name": "c", "streams": [{"type": "mid", "url": "rtsp://h/1"}]}, "streams.0.type"),
        ({"name": "c", "streams": [{"type": "low", "url": "ftp://h/1"}]}, "streams.0.url"),
        ({"name": "c", "streams": [{"type": "low", "url": "rtsp://h:99999/1"}]}, "streams.0.url"),
        ({"name": "c", "streams": [{"type": "low", "url": "rtsp://h/1"}, {"type": "low", "url": "rtsp://h/2"}]},
         "streams.1.type"),
        ({"name": "c", "streams": [{"type": "low"}]}, "streams.0.url"),
    ],
)  # fmt: skip
def test_camera_validation(admin_client: httpx.Client, body: dict[str, Any], path: str) -> None:
    assert path in errors(admin_client.post(f"{BASE}/cameras", json=body))
