"""Flats over HTTP: the platform's flat page shape, the range, line flags, users, keys, permissions."""

# ruff: noqa: E501 (the parametrised tables keep one case per line)

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from entryphone.config import Settings
from entryphone.models import Role
from tests.api.admin.helpers import BASE, errors, intercom, ok
from tests.support import seed
from tests.support.paths import SPEC as SPEC_DIR

SPEC = SPEC_DIR / "admin-intercom-flat.txt"
# The key sets of admin-intercom-flat.txt (read from the page when it is present).
FLAT_KEYS = {"id", "flat", "key_count", "users_count", "keys", "users", "properties"}
KEY_KEYS = {"id", "key", "user", "created_at", "updated_at"}
USER_KEYS = {
    "id", "name", "login", "created_at", "updated_at", "expired_at", "is_licence_limit_reached", "ptz_priority",
    "access_token_id",
}  # fmt: skip
PROPERTY_KEYS = {"is_analog_line_enable", "is_sip_line_enable", "is_can_manage_resistance"}


def test_constants_match_the_spec_page() -> None:
    if not SPEC.exists():
        pytest.skip("the spec page is not on this machine")
    import json

    text = SPEC.read_text()
    sample, _end = json.JSONDecoder().raw_decode(text[text.index("{", text.index("Successful response")) :])
    assert set(sample) == FLAT_KEYS
    assert set(sample["keys"][0]) == KEY_KEYS
    assert set(sample["users"][0]) == USER_KEYS
    assert set(sample["properties"]) == PROPERTY_KEYS


@pytest.fixture(scope="module")
def residents(settings: Settings) -> list[seed.SeededAccount]:
    return [seed.account(settings, Role.resident, name=f"Resident {index}") for index in range(2)]


def flat_id(client: httpx.Client, intercom_id: int, number: int) -> int:
    page = ok(client.get(f"{BASE}/intercoms/{intercom_id}/flats", params={"search": str(number)}))
    return next(item["id"] for item in page["data"] if item["flat"] == number)  # type: ignore[no-any-return]


def test_flat_reply_matches_the_spec_field_for_field(
    admin_client: httpx.Client, residents: list[seed.SeededAccount]
) -> None:
    panel = intercom(admin_client, flat_from=1, flat_to=5, connection_type="matrix_switching")
    target = flat_id(admin_client, panel["id"], 1)
    ok(
        admin_client.patch(
            f"{BASE}/intercoms/{panel['id']}/flats/{target}",
            json={"users_to_attach": [r.id for r in residents]},
        )
    )
    ok(
        admin_client.post(
            f"{BASE}/intercoms/{panel['id']}/keys",
            json={"keys": ["0000003042CAAC"], "flat": target, "user_id": residents[1].id},
        )
    )
    ok(
        admin_client.post(
            f"{BASE}/intercoms/{panel['id']}/keys", json={"keys": ["000000417EE9AA"], "flat": target}
        )
    )
    reply = ok(admin_client.get(f"{BASE}/intercoms/{panel['id']}/flats/{target}"))
    assert set(reply) == FLAT_KEYS
    assert reply["flat"] == 1 and reply["key_count"] == 2 and reply["users_count"] == 2
    assert all(set(key) == KEY_KEYS for key in reply["keys"])
    assert reply["keys"][0]["user"]["id"] == residents[1].id and reply["keys"][1]["user"] is None
    assert set(reply["keys"][0]["user"]) == USER_KEYS
    assert all(set(user) == USER_KEYS for user in reply["users"])
    assert set(reply["properties"]) >= PROPERTY_KEYS
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", reply["keys"][0]["created_at"])
    assert reply["properties"]["is_can_manage_resistance"] is True


def test_flat_is_addressed_by_record_id_of_its_intercom(admin_client: httpx.Client) -> None:
    first = intercom(admin_client, flat_from=1, flat_to=2)
    second = intercom(admin_client, flat_from=1, flat_to=2)
    foreign = flat_id(admin_client, second["id"], 1)
    assert admin_client.get(f"{BASE}/intercoms/{first['id']}/flats/{foreign}").status_code == 404


def test_range_changes_create_and_remove_flats(
    admin_client: httpx.Client, residents: list[seed.SeededAccount]
) -> None:
    panel = intercom(admin_client, flat_from=1, flat_to=3)
    url = f"{BASE}/intercoms/{panel['id']}"
    ok(admin_client.patch(url, json={"flat_to": 6}))
    numbers = [item["flat"] for item in ok(admin_client.get(f"{url}/flats"))["data"]]
    assert numbers == [1, 2, 3, 4, 5, 6]
    busy = flat_id(admin_client, panel["id"], 2)
    ok(admin_client.patch(f"{url}/flats/{busy}", json={"users_to_attach": [residents[0].id]}))
    assert "flat_from" in errors(admin_client.patch(url, json={"flat_from": 3}))
    ok(admin_client.patch(url, json={"flat_from": 2, "flat_to": 4}))
    assert "flat_to" in errors(admin_client.patch(url, json={"flat_from": 1, "flat_to": 1}))
    ok(admin_client.patch(url, json={"flat_from": 3, "flat_to": 4, "force_flats_removal": True}))
    numbers = [item["flat"] for item in ok(admin_client.get(f"{url}/flats"))["data"]]
    assert numbers == [3, 4]


def test_flat_list_search_and_pagination(
    admin_client: httpx.Client, residents: list[seed.SeededAccount]
) -> None:
    panel = intercom(admin_client, flat_from=1, flat_to=30)
    url = f"{BASE}/intercoms/{panel['id']}/flats"
    page = ok(admin_client.get(url, params={"per_page": 10, "page": 2}))
    assert page["meta"]["total"] == 30 and [item["flat"] for item in page["data"]] == list(range(11, 21))
    assert set(page["data"][0]) == {"id", "flat", "key_count", "users_count", "intercom_id", "properties"}
    target = flat_id(admin_client, panel["id"], 17)
    ok(admin_client.patch(f"{url}/{target}", json={"users_to_attach": [residents[0].id]}))
    by_user = ok(admin_client.get(url, params={"search": residents[0].login}))
    assert [item["flat"] for item in by_user["data"]] == [17]
    users = ok(admin_client.get(f"{BASE}/intercoms/{panel['id']}/get-users", params={"search": "resident"}))
    assert [user["id"] for user in users["data"]] == [residents[0].id]


def test_flat_patch_fields_and_validation(
    admin_client: httpx.Client, residents: list[seed.SeededAccount]
) -> None:
    panel = intercom(admin_client, flat_from=1, flat_to=2, connection_type="combined_2", vendor="2n")
    url = f"{BASE}/intercoms/{panel['id']}/flats/{flat_id(admin_client, panel['id'], 1)}"
    reply = ok(
        admin_client.patch(
            url,
            json={
                "is_smartphone_sip_line_available": False,
                "is_landline_sip_line_available": True,
                "is_analog_line_available": False,
                "number": "91201692@vgw1.vms.local",
                "landline_number": "+375292769284",
                "panel_system_volumes": 5,
            },
        )
    )
    props = reply["properties"]
    assert props["is_landline_sip_line_available"] is True and props["is_sip_line_enable"] is True
    assert props["is_analog_line_enable"] is False and props["number"] == "91201692@vgw1.vms.local"
    assert props["landline_number"] == "+375292769284" and props["panel_system_volumes"] == 5
    assert "answer_resistance" in errors(admin_client.patch(url, json={"answer_resistance": 100}))
    assert "users_to_attach.0" in errors(admin_client.patch(url, json={"users_to_attach": [999999]}))
    assert "keys_to_attach.0" in errors(admin_client.patch(url, json={"keys_to_attach": [999999]}))
    assert "number" in errors(admin_client.patch(url, json={"number": "bad number"}))
    assert "panel_system_volumes" in errors(admin_client.patch(url, json={"panel_system_volumes": -1}))


def test_keys_attach_detach_and_map_user_key(
    admin_client: httpx.Client, residents: list[seed.SeededAccount]
) -> None:
    panel = intercom(admin_client, flat_from=1, flat_to=2)
    flat = flat_id(admin_client, panel["id"], 1)
    url = f"{BASE}/intercoms/{panel['id']}"
    created = ok(admin_client.post(f"{url}/keys", json={"keys": ["AABBCC01", "AABBCC02"]}))
    ids = [key["id"] for key in created]
    reply = ok(
        admin_client.patch(
            f"{url}/flats/{flat}", json={"keys_to_attach": ids, "users_to_attach": [residents[0].id]}
        )
    )
    assert reply["key_count"] == 2
    reply = ok(
        admin_client.patch(
            f"{url}/flats/{flat}",
            json={"map_user_key": {"user": residents[0].id, "method": "select", "keys": [ids[0]]}},
        )
    )
    assert [key["user"]["id"] if key["user"] else None for key in reply["keys"]] == [residents[0].id, None]
    reply = ok(
        admin_client.patch(
            f"{url}/flats/{flat}", json={"map_user_key": {"user": residents[0].id, "method": "all"}}
        )
    )
    assert all(key["user"]["id"] == residents[0].id for key in reply["keys"])
    assert "map_user_key.method" in errors(
        admin_client.patch(
            f"{url}/flats/{flat}", json={"map_user_key": {"user": residents[0].id, "method": "x"}}
        )
    )
    assert "map_user_key.user" in errors(
        admin_client.patch(
            f"{url}/flats/{flat}", json={"map_user_key": {"user": residents[1].id, "method": "all"}}
        )
    )
    reply = ok(
        admin_client.patch(
            f"{url}/flats/{flat}", json={"keys_to_detach": [ids[1]], "users_to_detach": [residents[0].id]}
        )
    )
    assert reply["key_count"] == 1 and reply["users_count"] == 0
    assert "keys_to_detach.0" in errors(
        admin_client.patch(f"{url}/flats/{flat}", json={"keys_to_detach": [ids[1]]})
    )


def test_user_permissions(admin_client: httpx.Client, residents: list[seed.SeededAccount]) -> None:
    panel = intercom(admin_client, flat_from=1, flat_to=1)
    flat = flat_id(admin_client, panel["id"], 1)
    url = f"{BASE}/intercoms/{panel['id']}/flats/{flat}"
    ok(admin_client.patch(url, json={"users_to_attach": [residents[0].id]}))
    reply = ok(
        admin_client.patch(
            f"{url}/users/{residents[0].id}", json={"is_open_door_code": False, "is_restricted_live": True}
        )
    )
    user = reply["users"][0]
    assert (
        user["is_open_door_code"] is False
        and user["is_restricted_live"] is True
        and user["is_open_door_key"] is True
    )
    shown: dict[str, Any] = ok(admin_client.get(f"{url}/users"))
    assert shown["users"][0]["is_open_door_code"] is False
    assert (
        admin_client.patch(f"{url}/users/{residents[1].id}", json={"is_open_door_app": False}).status_code
        == 404
    )
    assert "is_open_door_app" in errors(
        admin_client.patch(f"{url}/users/{residents[0].id}", json={"is_open_door_app": "maybe"})
    )
