"""Billing intercoms over HTTP: every rule of the spec page, and the happy paths."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from entryphone.config import Settings
from tests.api.billing.conftest import BASE, make_house, next_mac

URL = f"{BASE}/intercoms"
Create = Callable[..., dict[str, Any]]


def errors_of(reply: httpx.Response) -> dict[str, list[str]]:
    assert reply.status_code == 422, reply.text
    body = reply.json()
    assert set(body) == {"message", "errors"}
    return body["errors"]  # type: ignore[no-any-return]


def test_create_answers_the_billing_object(create_intercom: Create) -> None:
    created = create_intercom(mac="aa-bb-cc-00-00-01", flat_from=1, flat_to=15, department=3)
    assert set(created) == {
        "id", "external_id", "department", "title", "mac", "model", "serial_number", "status",
        "flat_from", "flat_to", "source",
    }  # fmt: skip
    assert created["mac"] == "AA:BB:CC:00:00:01"
    assert created["status"] == "empty" and created["source"] == "auto"
    assert created["title"] == "intercom name" and created["department"] == 3
    assert (created["flat_from"], created["flat_to"]) == (1, 15)


def test_create_by_group_external_id_and_model_must_belong_to_vendor(
    billing_client: httpx.Client, create_intercom: Create, settings: Settings
) -> None:
    house = make_house(settings, "By external id", external_id="00000000-0000-0000-0000-000000000001")
    created = create_intercom(group_id=None, group_external_id=house["external_id"])
    shown = billing_client.get(f"{URL}/show", params={"id": created["id"]}).json()
    assert shown["group"]["id"] == house["id"]

    body = {
        "group_id": house["id"], "serial_number": "X1", "mac": next_mac(), "vendor": "interconnection",
        "model": "DKS20211", "name": "n", "department": 1,
    }  # fmt: skip
    assert "model" in errors_of(billing_client.post(URL, json=body))
    assert "department" in errors_of(
        billing_client.post(URL, json={**body, "model": "3516EV200", "department": 0})
    )
    assert "department" in errors_of(
        billing_client.post(URL, json={**body, "model": "3516EV200", "department": 10_001})
    )
    no_group = {key: value for key, value in body.items() if key != "group_id"}
    assert set(errors_of(billing_client.post(URL, json={**no_group, "model": "3516EV200"}))) >= {
        "group_id",
        "group_external_id",
    }


def test_create_refuses_malformed_and_duplicate_mac(
    billing_client: httpx.Client, create_intercom: Create
) -> None:
    first = create_intercom()
    body = {
        "group_id": None, "serial_number": "DUP-1", "mac": "AA:BB:CC:DD:EE", "vendor": "interconnection",
        "model": "3516EV200", "name": "n", "department": 1,
    }  # fmt: skip
    shown = billing_client.get(f"{URL}/show", params={"id": first["id"]}).json()
    body["group_id"] = shown["group"]["id"]
    assert "mac" in errors_of(billing_client.post(URL, json=body))
    same_mac_other_spelling = first["mac"].replace(":", "").lower()
    assert "mac" in errors_of(billing_client.post(URL, json={**body, "mac": same_mac_other_spelling}))
    duplicate_serial = {**body, "mac": next_mac(), "serial_number": first["serial_number"]}
    assert "serial_number" in errors_of(billing_client.post(URL, json=duplicate_serial))


def test_patch_identification_rules(billing_client: httpx.Client, create_intercom: Create) -> None:
    intercom = create_intercom()
    both = errors_of(
        billing_client.patch(URL, json={"id": intercom["id"], "mac": intercom["mac"], "title": "x"})
    )
    assert set(both) == {"id", "mac"} and "prohibits" in both["mac"][0]
    neither = errors_of(billing_client.patch(URL, json={"title": "x"}))
    assert set(neither) == {"id", "mac"}
    assert "mac" in errors_of(billing_client.patch(URL, json={"mac": "not-a-mac", "title": "x"}))
    # Unknown identifiers: 422 on the key for PATCH/DELETE (documented: 422 only), 404 for show.
    unknown_mac = errors_of(billing_client.patch(URL, json={"mac": "0E:0E:0E:0E:0E:0E", "title": "x"}))
    assert unknown_mac == {"mac": ["The selected mac is invalid."]}
    assert set(errors_of(billing_client.patch(URL, json={"id": 999_999, "title": "x"}))) == {"id"}
    assert "mac" in errors_of(billing_client.request("DELETE", URL, json={"mac": "0E:0E:0E:0E:0E:0E"}))
    show = billing_client.get(f"{URL}/show", params={"mac": "0E:0E:0E:0E:0E:0E"})
    assert show.status_code == 404 and show.json() == {"message": "Not found"}


def test_patch_updates_by_mac_with_name_alias(billing_client: httpx.Client, create_intercom: Create) -> None:
    intercom = create_intercom()
    mac_other_spelling = intercom["mac"].replace(":", "-").lower()
    reply = billing_client.patch(
        URL,
        json={
            "mac": mac_other_spelling,
            "name": "Entrance 1",
            "flat_from": 1,
            "flat_to": 30,
            "department": 2,
        },
    )
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["title"] == "Entrance 1" and body["flat_to"] == 30 and body["department"] == 2
    assert body["source"] == "auto"
    assert set(body["group"]) == {"id", "name", "external_id", "has_items"}
    assert body["group"]["has_items"] is False
    titled = billing_client.patch(URL, json={"id": intercom["id"], "title": "Entrance 2"}).json()
    assert titled["title"] == "Entrance 2"
    assert "name" in errors_of(
        billing_client.patch(URL, json={"id": intercom["id"], "title": "a", "name": "b"})
    )


def test_replace_panel_needs_model_and_becomes_auto_replace(
    billing_client: httpx.Client, create_intercom: Create
) -> None:
    intercom = create_intercom()
    new_mac = next_mac()
    missing_model = billing_client.patch(URL, json={"id": intercom["id"], "new_mac": new_mac})
    assert set(errors_of(missing_model)) == {"model"}
    missing_model = billing_client.patch(URL, json={"id": intercom["id"], "new_serial_number": "S-NEW"})
    assert set(errors_of(missing_model)) == {"model"}
    malformed = billing_client.patch(URL, json={"id": intercom["id"], "new_mac": "zz", "model": "3516EV200"})
    assert set(errors_of(malformed)) == {"new_mac"}
    other = create_intercom()
    taken = billing_client.patch(
        URL, json={"id": intercom["id"], "new_mac": other["mac"], "model": "3516EV200"}
    )
    assert set(errors_of(taken)) == {"new_mac"}

    replaced = billing_client.patch(
        URL,
        json={"mac": intercom["mac"], "new_mac": new_mac.lower(), "new_serial_number": "NEW_SERIAL_123",
              "model": "sokol"},
    )  # fmt: skip
    assert replaced.status_code == 200, replaced.text
    body = replaced.json()
    assert body["mac"] == new_mac and body["serial_number"] == "NEW_SERIAL_123"
    assert body["model"] == "Sokol" and body["source"] == "auto-replace"
    # The old MAC no longer names a live intercom; the new one does.
    assert billing_client.get(f"{URL}/show", params={"mac": intercom["mac"]}).status_code == 404
    assert billing_client.get(f"{URL}/show", params={"mac": new_mac}).json()["id"] == intercom["id"]


def test_move_to_another_group(
    billing_client: httpx.Client, create_intercom: Create, settings: Settings
) -> None:
    intercom = create_intercom()
    target = make_house(settings, "Target house")
    both = billing_client.patch(
        URL, json={"id": intercom["id"], "group_id": target["id"], "group_external_id": target["external_id"]}
    )
    assert set(errors_of(both)) == {"group_id", "group_external_id"}
    unknown = billing_client.patch(URL, json={"id": intercom["id"], "group_external_id": "no-such-house"})
    assert errors_of(unknown) == {"group_external_id": ["The selected group_external_id is invalid."]}
    assert "group_id" in errors_of(
        billing_client.patch(URL, json={"id": intercom["id"], "group_id": 999_999})
    )

    moved = billing_client.patch(URL, json={"id": intercom["id"], "group_external_id": target["external_id"]})
    assert moved.status_code == 200, moved.text
    assert moved.json()["group"] == {
        "id": target["id"],
        "name": "Target house",
        "external_id": target["external_id"],
        "has_items": False,
    }
    back = billing_client.patch(URL, json={"id": intercom["id"], "group_id": target["id"]})
    assert back.json()["group"]["id"] == target["id"]


def test_onvif_credentials_are_stored_but_never_echoed(
    billing_client: httpx.Client, create_intercom: Create
) -> None:
    intercom = create_intercom()
    secret = "onvif-s3cret-password"
    reply = billing_client.patch(
        URL, json={"id": intercom["id"], "onvif_credentials": {"login": "admin", "password": secret}}
    )
    assert reply.status_code == 200, reply.text
    assert secret not in reply.text
    assert reply.json()["camera"]["is_onvif_credentials_installed"] is True
    unchanged = billing_client.patch(URL, json={"id": intercom["id"], "onvif_credentials": []}).json()
    assert unchanged["camera"]["is_onvif_credentials_installed"] is True
    shown = billing_client.get(f"{URL}/show", params={"id": intercom["id"]})
    assert secret not in shown.text
    cleared = billing_client.patch(URL, json={"id": intercom["id"], "onvif_credentials": None}).json()
    assert cleared["camera"]["is_onvif_credentials_installed"] is False
    assert "onvif_credentials.login" in errors_of(
        billing_client.patch(URL, json={"id": intercom["id"], "onvif_credentials": {"password": "x"}})
    )


def test_onvif_credentials_in_the_documented_array_form(
    billing_client: httpx.Client, create_intercom: Create
) -> None:
    """The billing page documents `onvif_credentials` as an array: one set of credentials in it."""
    intercom = create_intercom()
    secret = "onvif-array-s3cret"
    body = {"id": intercom["id"], "onvif_credentials": [{"login": "admin", "password": secret, "port": 80}]}
    reply = billing_client.patch(URL, json=body)
    assert reply.status_code == 200, reply.text
    assert secret not in reply.text
    assert reply.json()["camera"]["is_onvif_credentials_installed"] is True
    two = [{"login": "a", "password": "b"}, {"login": "c", "password": "d"}]
    refused = billing_client.patch(URL, json={"id": intercom["id"], "onvif_credentials": two})
    assert refused.status_code == 422 and "onvif_credentials" in errors_of(refused)
    missing = billing_client.patch(URL, json={"id": intercom["id"], "onvif_credentials": [{"password": "x"}]})
    assert missing.status_code == 422 and any(
        key.startswith("onvif_credentials") for key in errors_of(missing)
    )
    # Nothing of the refused requests was stored: the first set is still installed.
    shown = billing_client.get(f"{URL}/show", params={"id": intercom["id"]}).json()
    assert shown["camera"]["is_onvif_credentials_installed"] is True


@pytest.mark.parametrize("log_extra", ["free text from CRM", {"some": "information", "n": [1, 2]}, [1, "a"]])
def test_log_extra_accepts_string_object_array(
    billing_client: httpx.Client, create_intercom: Create, log_extra: object
) -> None:
    intercom = create_intercom()
    reply = billing_client.patch(URL, json={"id": intercom["id"], "title": "t", "log_extra": log_extra})
    assert reply.status_code == 200, reply.text
    assert "log_extra" in errors_of(billing_client.patch(URL, json={"id": intercom["id"], "log_extra": 5}))


def test_show_needs_exactly_one_identifier(billing_client: httpx.Client, create_intercom: Create) -> None:
    intercom = create_intercom(external_id="EXT_123")
    assert set(errors_of(billing_client.get(f"{URL}/show"))) == {"id", "mac", "external_id"}
    two = billing_client.get(f"{URL}/show", params={"id": intercom["id"], "external_id": "EXT_123"})
    assert set(errors_of(two)) == {"id", "external_id"}
    by_external = billing_client.get(f"{URL}/show", params={"external_id": "EXT_123"})
    assert by_external.status_code == 200 and by_external.json()["id"] == intercom["id"]
    # The platform's sample sends the identifier as a JSON body on a GET.
    by_body = billing_client.request("GET", f"{URL}/show", json={"mac": intercom["mac"].lower()})
    assert by_body.status_code == 200 and by_body.json()["id"] == intercom["id"]
    assert set(by_body.json()) >= {"group", "camera", "source", "status"}
    assert billing_client.get(f"{URL}/show", params={"external_id": "nope"}).status_code == 404


def test_delete_is_soft_and_final(billing_client: httpx.Client, create_intercom: Create) -> None:
    intercom = create_intercom()
    both = billing_client.request("DELETE", URL, json={"id": intercom["id"], "mac": intercom["mac"]})
    assert set(errors_of(both)) == {"id", "mac"}
    deleted = billing_client.request(
        "DELETE", URL, json={"mac": intercom["mac"], "log_extra": "contract ended"}
    )
    assert deleted.status_code == 204, deleted.text
    assert billing_client.get(f"{URL}/show", params={"id": intercom["id"]}).status_code == 404
    patched = billing_client.patch(URL, json={"id": intercom["id"], "title": "back?"})
    assert patched.status_code == 404 and patched.json() == {"message": "Not found"}
    assert billing_client.patch(URL, json={"mac": intercom["mac"], "title": "x"}).status_code == 404
    assert billing_client.request("DELETE", URL, json={"id": intercom["id"]}).status_code == 404
    # Its MAC is free again for a new panel.
    group_id = billing_client.get(f"{URL}/show", params={"id": create_intercom()["id"]}).json()["group"]["id"]
    reused = billing_client.post(
        URL,
        json={"group_id": group_id, "serial_number": intercom["serial_number"], "mac": intercom["mac"],
              "vendor": "interconnection", "model": "3516EV200", "name": "successor", "department": 1},
    )  # fmt: skip
    assert reused.status_code == 200, reused.text
