"""Admin intercoms over HTTP: the spec's PATCH body, validation rules, list, soft delete."""

# ruff: noqa: E501 (the parametrised tables keep one case per line)

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.admin.helpers import BASE, camera, errors, house, intercom, next_mac, ok
from tests.support.emulators import BackgroundEmulators
from tests.support.paths import SPEC as SPEC_DIR

SPEC = SPEC_DIR / "admin-intercom-update.txt"
SPEC_RESPONSE_KEYS = {
    "id", "title", "is_online", "group_id", "camera_id", "flat_from", "flat_to", "flat_offset", "department",
    "department_name", "department_type", "department_type_pretty", "uuid", "address", "group", "camera",
    "collecting_keys", "door_open_time_general", "sip_credentials", "sip_options", "is_crossbar_switchers_enabled",
    "is_can_manage_matrix", "matrix", "created_at", "updated_at", "mac", "vendor", "vendor_pretty", "status",
    "status_pretty", "switch", "switch_pretty", "schema", "ip", "port", "login", "commutators_count",
    "connection_type", "connection_type_pretty", "key_count",
}  # fmt: skip


def spec_body() -> dict[str, Any]:
    """The PATCH example body of the platform's page, as written (first JSON block after "Body")."""
    if SPEC.exists():
        text = SPEC.read_text()
        start = text.index("{", text.index("JSON"))
        body, _end = json.JSONDecoder().raw_decode(text[start:])
        return body  # type: ignore[no-any-return]
    return json.loads(Path(__file__).with_name("spec_patch_body.json").read_text())  # type: ignore[no-any-return]


def test_spec_patch_body_is_accepted_as_written(admin_client: httpx.Client) -> None:
    group = house(admin_client)
    cam = camera(admin_client, streams=[{"type": "low", "url": "rtsp://admin:cam-pass@10.0.0.5:554/1"}])
    created = intercom(admin_client, password="device-secret-1")
    body = spec_body()
    body["camera_id"] = cam["id"]
    body["group_id"] = group["id"]
    reply = ok(admin_client.patch(f"{BASE}/intercoms/{created['id']}", json=body))
    assert set(reply) >= SPEC_RESPONSE_KEYS
    assert "password" not in reply  # deliberate: is_password_installed instead
    assert reply["is_password_installed"] is True
    assert reply["sip_credentials"] == {
        "server": "televoip-core.is74.ru",
        "port": 7777,
        "login": "0813c0000082",
        "is_sip_password_installed": True,
    }
    assert reply["sip_options"]["dtmf"] == [{"id": 1, "value": "/"}]
    assert (reply["flat_from"], reply["flat_to"], reply["flat_offset"]) == (10, 15, 1)
    assert reply["matrix"] == [
        {
            "id": 1,
            "capacity": 20,
            "items": [list(range(1, 11)), list(range(11, 21))],
            "auto": False,
            "is_last_item_first": False,
            "flat_from": 1,
        }
    ]
    assert reply["camera"]["id"] == cam["id"] and reply["group"]["id"] == group["id"]
    assert reply["switch_pretty"] == "Metakom" and reply["connection_type_pretty"] == "Matrix-switching"
    assert reply["department_type_pretty"] == "Entrance" and reply["vendor_pretty"] == "Intersvyaz"
    text = json.dumps(reply) + json.dumps(ok(admin_client.get(f"{BASE}/intercoms/{created['id']}")))
    assert "5eh2270j4fb0d" not in text and "device-secret-1" not in text
    flats = ok(admin_client.get(f"{BASE}/intercoms/{created['id']}/flats", params={"per_page": 100}))
    assert [flat["flat"] for flat in flats["data"]] == list(range(10, 16))


def test_create_with_billing_fields_and_2n_connection(admin_client: httpx.Client) -> None:
    # A 2n connection is probed on create: the panel here is an emulated one on loopback.
    panels = BackgroundEmulators(count=1, profile="2.4x", password="panel-Secret-42").start()
    try:
        device = panels.devices[0]
        group = house(admin_client)
        created = ok(
            admin_client.post(
                f"{BASE}/intercoms",
                json={
                    "name": "Gate",
                    "vendor": "2n",
                    "model": "2n ip verso",
                    "serial_number": "54-1234-5678",
                    "mac": "0c-11-05-aa-bb-cc",
                    "group_id": group["id"],
                    "department": 3,
                    "flat_from": 1,
                    "flat_to": 4,
                    "schema": "http",
                    "ip": "127.0.0.1",
                    "port": device.port,
                    "login": device.login,
                    "password": device.password,
                },
            ),
            201,
        )
    finally:
        panels.stop()
    assert created["title"] == "Gate" and created["model"] == "2N IP Verso"
    # What the caller sent wins over what the panel reports.
    assert created["mac"] == "0C:11:05:AA:BB:CC" and created["status"] == "empty"
    assert created["schema"] == "http" and created["is_password_installed"] is True
    assert device.password not in json.dumps(created)
    shown = ok(admin_client.get(f"{BASE}/intercoms/{created['id']}"))
    assert shown == created


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"vendor": "interconnection"}, "title"),
        ({"title": "x"}, "vendor"),
        ({"title": "x", "vendor": "acme"}, "vendor"),
        ({"title": "x", "vendor": "2n", "model": "DKS20211"}, "model"),
        ({"title": "x", "vendor": "2n", "mac": "zz:zz"}, "mac"),
        ({"title": "x", "vendor": "2n", "department": 10001}, "department"),
        ({"title": "x", "vendor": "2n", "department_type": "attic"}, "department_type"),
        ({"title": "x", "vendor": "2n", "switch": "nope"}, "switch"),
        ({"title": "x", "vendor": "2n", "connection_type": "wireless"}, "connection_type"),
        ({"title": "x", "vendor": "2n", "schema": "ftp"}, "schema"),
        ({"title": "x", "vendor": "2n", "port": 70000}, "port"),
        ({"title": "x", "vendor": "2n", "flat_from": 5}, "flat_to"),
        ({"title": "x", "vendor": "2n", "flat_from": 5, "flat_to": 4}, "flat_to"),
        ({"title": "x", "vendor": "2n", "flat_from": 1, "flat_to": 5000}, "flat_to"),
        ({"title": "x", "vendor": "2n", "flat_offset": "one"}, "flat_offset"),
        ({"title": "x", "vendor": "2n", "group_id": 999999}, "group_id"),
        ({"title": "x", "vendor": "2n", "camera_id": 999999}, "camera_id"),
        ({"title": "x", "vendor": "2n", "status": "deleted"}, "status"),
        ({"title": "x", "vendor": "2n", "sip_credentials": {"server": "s", "port": 5060, "login": "l"}},
         "sip_credentials.password"),
        ({"title": "x", "vendor": "2n", "sip_options": {"dtmf": [{"id": 1, "value": "1"}, {"id": 1, "value": "2"}]}},
         "sip_options.dtmf.1.id"),
        ({"title": "x", "vendor": "2n", "sip_options": {"dtmf": [{"id": 1, "value": "a b"}]}},
         "sip_options.dtmf.0.value"),
        ({"title": "x\x00", "vendor": "2n"}, "title"),
        ({"title": "x", "vendor": "2n", "door_open_time_general": 2**40}, "door_open_time_general"),
    ],
)  # fmt: skip
def test_create_validation(admin_client: httpx.Client, body: dict[str, Any], path: str) -> None:
    assert path in errors(admin_client.post(f"{BASE}/intercoms", json=body))


def test_group_must_be_a_house(admin_client: httpx.Client) -> None:
    street = ok(admin_client.post(f"{BASE}/intercoms/groups", json={"name": "Street"}), 201)
    reply = admin_client.post(
        f"{BASE}/intercoms", json={"title": "x", "vendor": "2n", "group_id": street["id"]}
    )
    assert "group_id" in errors(reply)


def test_mac_and_serial_unique_among_live_intercoms(admin_client: httpx.Client) -> None:
    mac = next_mac()
    first = intercom(admin_client, mac=mac.lower().replace(":", "-"), vendor="beward", serial_number="SER-1")
    assert "mac" in errors(
        admin_client.post(f"{BASE}/intercoms", json={"title": "y", "vendor": "2n", "mac": mac})
    )
    other = intercom(admin_client, vendor="beward")
    patch = admin_client.patch(f"{BASE}/intercoms/{other['id']}", json={"serial_number": "SER-1", "mac": mac})
    assert set(errors(patch)) == {"mac", "serial_number"}
    ok(admin_client.delete(f"{BASE}/intercoms/{first['id']}"), 204)
    ok(admin_client.patch(f"{BASE}/intercoms/{other['id']}", json={"serial_number": "SER-1", "mac": mac}))


def test_camera_belongs_to_one_intercom(admin_client: httpx.Client) -> None:
    cam = camera(admin_client)
    intercom(admin_client, camera_id=cam["id"])
    reply = admin_client.post(
        f"{BASE}/intercoms", json={"title": "y", "vendor": "2n", "camera_id": cam["id"]}
    )
    assert "camera_id" in errors(reply)


def test_patch_is_partial_and_sip_options_merge(admin_client: httpx.Client) -> None:
    created = intercom(
        admin_client, address="Main st 1", sip_options={"talk_duration": 180, "ring_duration": 61}
    )
    reply = ok(
        admin_client.patch(
            f"{BASE}/intercoms/{created['id']}", json={"sip_options": {"dtmf": [{"id": 2, "value": "#"}]}}
        )
    )
    assert reply["address"] == "Main st 1"
    assert reply["sip_options"] == {
        "talk_duration": 180,
        "ring_duration": 61,
        "dtmf": [{"id": 2, "value": "#"}],
    }
    assert errors(admin_client.patch(f"{BASE}/intercoms/{created['id']}", json={"title": None})) == {
        "title": ["The title field cannot be null."]
    }


def test_list_search_and_filters(admin_client: httpx.Client) -> None:
    group = house(admin_client, "Filter house")
    mac = next_mac()
    target = intercom(admin_client, title="Searchable panel", group_id=group["id"], mac=mac, vendor="sputnik")
    intercom(admin_client, title="Other panel", group_id=group["id"])
    by_title = ok(admin_client.get(f"{BASE}/intercoms", params={"search": "searchable"}))
    assert [item["id"] for item in by_title["data"]] == [target["id"]]
    by_mac = ok(admin_client.get(f"{BASE}/intercoms", params={"search": mac.replace(":", "").lower()}))
    assert [item["id"] for item in by_mac["data"]] == [target["id"]]
    by_group = ok(
        admin_client.get(f"{BASE}/intercoms", params={"group_id": group["id"], "vendor": "sputnik"})
    )
    assert [item["id"] for item in by_group["data"]] == [target["id"]]
    offline = ok(
        admin_client.get(f"{BASE}/intercoms", params={"group_id": group["id"], "is_online": "false"})
    )
    assert offline["meta"]["total"] == 2
    online = ok(admin_client.get(f"{BASE}/intercoms", params={"group_id": group["id"], "is_online": "true"}))
    assert online["meta"]["total"] == 0


def test_soft_delete(admin_client: httpx.Client) -> None:
    cam = camera(admin_client)
    created = intercom(admin_client, camera_id=cam["id"], flat_from=1, flat_to=3)
    ok(admin_client.delete(f"{BASE}/intercoms/{created['id']}"), 204)
    assert admin_client.get(f"{BASE}/intercoms/{created['id']}").status_code == 404
    assert admin_client.patch(f"{BASE}/intercoms/{created['id']}", json={"title": "x"}).status_code == 404
    assert admin_client.get(f"{BASE}/intercoms/{created['id']}/flats").status_code == 404
    deleted = ok(admin_client.get(f"{BASE}/intercoms", params={"status": "deleted"}))
    assert created["id"] in [item["id"] for item in deleted["data"]]
    assert admin_client.get(f"{BASE}/cameras/{cam['id']}").status_code == 404
    cameras = ok(admin_client.get(f"{BASE}/cameras", params={"status": "deleted"}))
    assert cam["id"] in [item["id"] for item in cameras["data"]]


def test_unknown_and_unauthenticated(admin_client: httpx.Client, api: Any) -> None:
    assert admin_client.get(f"{BASE}/intercoms/999999").json() == {"message": "Not found"}
    with api.client(None) as anonymous:
        assert anonymous.get(f"{BASE}/intercoms").status_code == 401


def test_concurrent_patches_never_lose_an_update(admin_client: httpx.Client) -> None:
    """Two PATCHes merging different sip_options keys at once: both survive, round after round."""
    from concurrent.futures import ThreadPoolExecutor

    created = intercom(admin_client)
    url = f"{BASE}/intercoms/{created['id']}"

    def send(body: dict[str, Any]) -> int:
        return admin_client.patch(url, json=body).status_code

    with ThreadPoolExecutor(max_workers=2) as pool:
        for round_number in range(6):
            ok(admin_client.patch(url, json={"sip_options": None}))
            bodies = [
                {"sip_options": {"talk_duration": 100 + round_number}},
                {"sip_options": {"ring_duration": 10}},
            ]
            assert list(pool.map(send, bodies)) == [200, 200]
            options = ok(admin_client.get(url))["sip_options"]
            assert (options["talk_duration"], options["ring_duration"]) == (100 + round_number, 10)
