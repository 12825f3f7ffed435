"""Billing input rules of issue #15: every fault of a body at once, in the platform's words, keyed by
the fields the client sent; integers as Laravel's rule; one null rule."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from entryphone.config import Settings
from tests.api.billing.conftest import BASE, make_house

URL = f"{BASE}/intercoms"
Create = Callable[..., dict[str, Any]]
PYDANTIC_WORDS = ("Input should", "json-or-python", "list[", "dict[", "= None", "validation error")


def errors_of(reply: httpx.Response) -> dict[str, list[str]]:
    assert reply.status_code == 422, reply.text
    found: dict[str, list[str]] = reply.json()["errors"]
    for messages in found.values():
        for message in messages:
            assert not any(words in message for words in PYDANTIC_WORDS), message
    return found


def test_the_spec_pages_placeholder_body_reports_every_fault(billing_client: httpx.Client) -> None:
    # The cURL sample of the billing update page, as written.
    placeholder = {
        "id": 0, "mac": "string", "title": "string", "flat_from": "integer", "flat_to": "integer",
        "group_id": "integer", "group_external_id": "string", "new_mac": "string",
        "new_serial_number": "string", "model": "string", "log_extra": "string|array",
        "onvif_credentials": [],
    }  # fmt: skip
    found = errors_of(billing_client.patch(URL, json=placeholder))
    assert set(found) == {"id", "mac", "flat_from", "flat_to", "group_id", "group_external_id", "new_mac"}
    assert any("at least 1" in message for message in found["id"])
    assert any("prohibits mac" in message for message in found["id"])
    assert any("AA:BB:CC:DD:EE:FF" in message for message in found["mac"])
    assert found["flat_from"] == ["The flat from field must be an integer."]
    assert found["new_mac"] == ["The new_mac must be a MAC address such as AA:BB:CC:DD:EE:FF."]


def test_a_wrong_log_extra_is_one_message_on_log_extra(
    billing_client: httpx.Client, create_intercom: Create
) -> None:
    intercom = create_intercom()
    for value in (5, True, 1.5):
        found = errors_of(billing_client.patch(URL, json={"id": intercom["id"], "log_extra": value}))
        assert found == {"log_extra": ["The log extra field must be a string, an array or an object."]}
    for value in ("note", ["a", 1], {"some": "information"}):
        reply = billing_client.patch(URL, json={"id": intercom["id"], "log_extra": value})
        assert reply.status_code == 200, reply.text


def test_numeric_strings_are_integers_and_null_is_refused(
    billing_client: httpx.Client, create_intercom: Create
) -> None:
    intercom = create_intercom()
    reply = billing_client.patch(
        URL, json={"id": str(intercom["id"]), "department": "2", "flat_from": "1", "flat_to": "12"}
    )
    assert reply.status_code == 200, reply.text
    assert (reply.json()["department"], reply.json()["flat_to"]) == (2, 12)
    found = errors_of(
        billing_client.patch(URL, json={"id": intercom["id"], "title": None, "department": None})
    )
    assert found == {
        "title": ["The title field cannot be null."],
        "department": ["The department field cannot be null."],
    }
    flats = f"{BASE}/intercom-flats"
    refused = billing_client.patch(
        flats, json={"intercom_id": intercom["id"], "flat": 1, "is_analog_line_available": None}
    )
    assert errors_of(refused) == {
        "is_analog_line_available": ["The is analog line available field cannot be null."]
    }


def test_a_group_move_onto_wired_flats_is_reported_on_the_group_field(
    billing_client: httpx.Client, admin_client: httpx.Client, create_intercom: Create, settings: Settings
) -> None:
    other_house = make_house(settings, "Other house")
    matrix = {"switch": "metakom", "commutators_count": 1,
              "matrix": [{"id": 1, "auto": True, "capacity": 20, "flat_from": 1}]}  # fmt: skip
    here = create_intercom()
    there = create_intercom(group_id=other_house["id"])
    for intercom in (here, there):
        reply = admin_client.patch(f"/api/admin/v1/intercoms/{intercom['id']}", json=matrix)
        assert reply.status_code == 200, reply.text
    found = errors_of(billing_client.patch(URL, json={"id": here["id"], "group_id": other_house["id"]}))
    assert list(found) == ["group_id"] and "already wired" in found["group_id"][0]
    by_external = {"id": here["id"], "group_external_id": other_house["external_id"]}
    assert list(errors_of(billing_client.patch(URL, json=by_external))) == ["group_external_id"]
