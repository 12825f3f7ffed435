"""Keys and door codes over HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from entryphone.codes import service as codes
from entryphone.config import Settings
from entryphone.intercoms import service as intercoms
from entryphone.keys import service as keys
from entryphone.models import Role
from tests.api.admin.helpers import BASE, errors, intercom, ok
from tests.support import seed


@pytest.fixture(scope="module")
def resident(settings: Settings) -> seed.SeededAccount:
    return seed.account(settings, Role.resident, name="Key holder")


def first_flat(client: httpx.Client, intercom_id: int) -> dict[str, Any]:
    return ok(client.get(f"{BASE}/intercoms/{intercom_id}/flats"))["data"][0]  # type: ignore[no-any-return]


def test_create_list_filter_update_delete(admin_client: httpx.Client, resident: seed.SeededAccount) -> None:
    panel = intercom(admin_client, flat_from=7, flat_to=8)
    url = f"{BASE}/intercoms/{panel['id']}/keys"
    flat = first_flat(admin_client, panel["id"])
    created = ok(admin_client.post(url, json={"keys": ["0000003045caac", "14ec4e5b"], "flat": flat["id"]}))
    assert [key["key"] for key in created] == ["0000003045CAAC", "14EC4E5B"]
    assert created[0]["flat"]["flat"] == 7 and created[0]["user"] is None
    loose = ok(admin_client.post(url, json={"keys": ["AB12CD"], "user_id": resident.id}))[0]
    assert loose["user"]["id"] == resident.id and loose["flat"] is None

    assert ok(admin_client.get(url))["meta"]["total"] == 3
    assert [k["key"] for k in ok(admin_client.get(url, params={"unbound_flats": "true"}))["data"]] == [
        "AB12CD"
    ]
    assert ok(admin_client.get(url, params={"unbound_users": "true"}))["meta"]["total"] == 2
    assert ok(admin_client.get(url, params={"user_id": resident.id}))["meta"]["total"] == 1
    assert ok(admin_client.get(url, params={"intercom_flat_id": flat["id"]}))["meta"]["total"] == 2
    assert ok(admin_client.get(url, params={"search": "caac"}))["data"][0]["key"] == "0000003045CAAC"
    assert ok(admin_client.get(url, params={"search": "key holder"}))["data"][0]["key"] == "AB12CD"
    future = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    assert ok(admin_client.get(url, params={"from": future}))["meta"]["total"] == 0
    assert ok(admin_client.get(f"{BASE}/intercoms/{panel['id']}"))["key_count"] == 3

    moved = ok(admin_client.patch(f"{url}/{loose['id']}", json={"flat": flat["id"]}))
    assert moved["flat"]["id"] == flat["id"] and moved["user"]["id"] == resident.id
    unbound = ok(admin_client.patch(f"{url}/{loose['id']}", json={"flat": None, "user_id": None}))
    assert unbound["flat"] is None and unbound["user"] is None

    ok(admin_client.request("DELETE", url, json={"keys": ["14ec4e5b", "FFFFFF"]}), 204)
    assert [k["key"] for k in ok(admin_client.get(url))["data"]] == ["0000003045CAAC", "AB12CD"]


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"keys": []}, "keys"),
        ({"keys": ["12345"]}, "keys.0"),
        ({"keys": ["AABBCC", "aabbcc"]}, "keys.1"),
        ({"keys": ["GGGGGG"]}, "keys.0"),
        ({"keys": ["AABBCC"] * 101}, "keys"),
        ({"keys": ["AABBCC"], "flat": 999999}, "flat"),
        ({"keys": ["AABBCC"], "user_id": 999999}, "user_id"),
        ({"keys": "AABBCC"}, "keys"),
    ],
)
def test_create_validation(admin_client: httpx.Client, body: dict[str, Any], path: str) -> None:
    panel = intercom(admin_client)
    assert path in errors(admin_client.post(f"{BASE}/intercoms/{panel['id']}/keys", json=body))


def test_duplicate_on_the_same_intercom_only(admin_client: httpx.Client) -> None:
    first, second = intercom(admin_client), intercom(admin_client)
    ok(admin_client.post(f"{BASE}/intercoms/{first['id']}/keys", json={"keys": ["DEADBEEF"]}))
    again = admin_client.post(f"{BASE}/intercoms/{first['id']}/keys", json={"keys": ["AA0001", "deadbeef"]})
    assert "keys.1" in errors(again)
    ok(admin_client.post(f"{BASE}/intercoms/{second['id']}/keys", json={"keys": ["DEADBEEF"]}))


def test_main_key_stays_with_its_user(
    admin_client: httpx.Client, settings: Settings, resident: seed.SeededAccount
) -> None:
    panel = intercom(admin_client)

    async def register(session: Any, context: Any) -> int:
        record = await intercoms.get_live(session, panel["id"])
        added = await keys.add_keys(session, record, ["CAFE0001"], account_id=resident.id, key_type="main")
        return added[0].id

    key_id = seed.in_session(settings, register)
    url = f"{BASE}/intercoms/{panel['id']}/keys"
    assert "keys.0" in errors(admin_client.request("DELETE", url, json={"keys": ["cafe0001"]}))
    assert "user_id" in errors(admin_client.patch(f"{url}/{key_id}", json={"user_id": None}))


def test_collect_key_is_idempotent(admin_client: httpx.Client, settings: Settings) -> None:
    panel = intercom(admin_client)

    async def collect(session: Any, context: Any) -> tuple[int, int]:
        record = await intercoms.get_live(session, panel["id"])
        first = await keys.collect_key(session, record, "beef0001")
        second = await keys.collect_key(session, record, "BEEF0001")
        return first.id, second.id

    first, second = seed.in_session(settings, collect)
    assert first == second
    listed = ok(admin_client.get(f"{BASE}/intercoms/{panel['id']}/keys"))["data"]
    assert [(key["key"], key["source"]) for key in listed] == [("BEEF0001", "collected")]


def test_codes(admin_client: httpx.Client, settings: Settings) -> None:
    panel = intercom(admin_client, flat_from=2, flat_to=3)
    flat = first_flat(admin_client, panel["id"])
    url = f"{BASE}/intercom/{panel['id']}/codes"
    expiry = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%d %H:%M")
    code = ok(admin_client.post(url, json={"title": "Courier", "expired_at": expiry, "flat_id": flat["id"]}))
    assert len(code["code"]) == 5 and code["code"].isdigit() and code["is_expired"] is False
    assert code["intercom_flat"]["flat"] == 2 and code["title"] == "Courier"
    expires = datetime.strptime(code["expired_at"], "%Y-%m-%dT%H:%M:%S.%fZ")
    removal = datetime.strptime(code["will_deleted_at"], "%Y-%m-%dT%H:%M:%S.%fZ")
    assert removal - expires == timedelta(days=1)
    codes_made = {code["code"]} | {
        ok(admin_client.post(url, json={"title": str(i), "expired_at": expiry, "flat_id": flat["id"]}))[
            "code"
        ]
        for i in range(5)
    }
    assert len(codes_made) == 6  # unique per intercom
    listed = ok(admin_client.get(url))
    assert listed["meta"]["total"] == 6
    assert ok(admin_client.get(f"{BASE}/intercoms/{panel['id']}/codes"))["meta"]["total"] == 6

    async def validity(session: Any, context: Any) -> tuple[bool, bool, int, int]:
        later = datetime.now(UTC) + timedelta(days=2, hours=1)
        much_later = datetime.now(UTC) + timedelta(days=3, hours=1)
        now_valid = await codes.is_code_valid(session, panel["id"], code["code"]) is not None
        then_valid = await codes.is_code_valid(session, panel["id"], code["code"], later) is not None
        kept = await codes.purge_expired(session, later)
        purged = await codes.purge_expired(session, much_later)
        return now_valid, then_valid, kept, purged

    ids = [item["id"] for item in listed["data"]]
    ok(admin_client.request("DELETE", url, json={"ids": ids[:2]}), 204)
    assert ok(admin_client.get(url))["meta"]["total"] == 4
    assert "ids.0" in errors(admin_client.request("DELETE", url, json={"ids": [ids[0]]}))
    assert "ids" in errors(admin_client.request("DELETE", url, json={"ids": list(range(1, 202))}))
    assert seed.in_session(settings, validity) == (True, False, 0, 4)


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"title": "x", "expired_at": "2000-01-01 10:00"}, "expired_at"),
        ({"title": "x", "expired_at": "tomorrow"}, "expired_at"),
        ({"title": "x", "expired_at": "2999-01-01 10:00"}, "expired_at"),
        ({"title": "x"}, "expired_at"),
        ({"title": "x", "expired_at": "2099-01-01 10:00", "flat_id": 999999}, "flat_id"),
    ],
)
def test_code_validation(admin_client: httpx.Client, body: dict[str, Any], path: str) -> None:
    panel = intercom(admin_client, flat_from=1, flat_to=1)
    body = {"flat_id": first_flat(admin_client, panel["id"])["id"], **body}
    assert path in errors(admin_client.post(f"{BASE}/intercom/{panel['id']}/codes", json=body))
