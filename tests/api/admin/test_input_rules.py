# ruff: noqa: E501 (the parametrised tables keep one case per line)
"""Input rules of issue #15 over HTTP on the admin surface: unique rules whatever field is sent, date
filters, vendor changes, sip_options merge, integers and nulls, connection types and flat lines,
flat ids never reused, Content-Type, 405 and Allow, non-UTF-8 bodies."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.admin.helpers import BASE, errors, intercom, ok
from tests.support import seed


def flats(client: httpx.Client, intercom_id: int) -> dict[int, dict[str, Any]]:
    page = ok(client.get(f"{BASE}/intercoms/{intercom_id}/flats", params={"per_page": 100}))
    return {item["flat"]: item for item in page["data"]}


# -- item 1: every unique rule, whichever of its fields the body sends ------------------------------


def test_a_vendor_change_onto_a_taken_serial_is_422_on_vendor_not_a_500(admin_client: httpx.Client) -> None:
    serial = seed.unique("SN")
    intercom(admin_client, vendor="sputnik", serial_number=serial)
    other = intercom(admin_client, vendor="interconnection", serial_number=serial, model="3516EV200")
    url = f"{BASE}/intercoms/{other['id']}"
    assert "vendor" in errors(admin_client.patch(url, json={"vendor": "sputnik", "model": None}))
    found = errors(admin_client.patch(url, json={"vendor": "sputnik", "model": "Sputnik"}))
    assert list(found) == ["vendor"] and "already been taken" in found["vendor"][0]
    # the serial sent with the vendor: the clash is reported on the serial
    assert "serial_number" in errors(
        admin_client.patch(url, json={"vendor": "sputnik", "serial_number": serial})
    )
    assert ok(admin_client.get(url))["vendor"] == "interconnection"  # nothing changed
    # a free serial with the vendor change goes through
    moved = ok(
        admin_client.patch(
            url, json={"vendor": "sputnik", "model": "Sputnik", "serial_number": seed.unique("SN")}
        )
    )
    assert (moved["vendor"], moved["model"]) == ("sputnik", "Sputnik")


# -- item 5: a vendor change leaves the intercom consistent -----------------------------------------


def test_a_vendor_change_needs_a_model_of_the_new_vendor(admin_client: httpx.Client) -> None:
    created = intercom(admin_client, vendor="interconnection", model="3516EV200")
    url = f"{BASE}/intercoms/{created['id']}"
    assert list(errors(admin_client.patch(url, json={"vendor": "beward"}))) == ["model"]
    assert "model" in errors(admin_client.patch(url, json={"vendor": "beward", "model": "3516EV200"}))
    changed = ok(admin_client.patch(url, json={"vendor": "beward", "model": "DKS20211"}))
    assert (changed["vendor"], changed["model"]) == ("beward", "DKS20211")
    cleared = ok(admin_client.patch(url, json={"vendor": "sputnik", "model": None}))
    assert (cleared["vendor"], cleared["model"]) == ("sputnik", None)
    # no model stored: the vendor alone may change
    assert ok(admin_client.patch(url, json={"vendor": "2n"}))["vendor"] == "2n"


# -- item 6: sip_options merge -----------------------------------------------------------------------


def test_sip_options_merge_and_null_clears_one_key(admin_client: httpx.Client) -> None:
    created = intercom(admin_client)
    url = f"{BASE}/intercoms/{created['id']}"
    body = {"sip_options": {"talk_duration": 180, "ring_duration": 61, "dtmf": [{"id": 1, "value": "/"}]}}
    ok(admin_client.patch(url, json=body))
    assert ok(admin_client.patch(url, json={"sip_options": {}}))["sip_options"] == body["sip_options"]
    merged = ok(admin_client.patch(url, json={"sip_options": {"talk_duration": 90}}))["sip_options"]
    assert merged == {"talk_duration": 90, "ring_duration": 61, "dtmf": [{"id": 1, "value": "/"}]}
    cleared = ok(admin_client.patch(url, json={"sip_options": {"ring_duration": None}}))["sip_options"]
    assert cleared == {"talk_duration": 90, "ring_duration": None, "dtmf": [{"id": 1, "value": "/"}]}
    emptied = ok(admin_client.patch(url, json={"sip_options": None}))["sip_options"]
    assert emptied == {"talk_duration": None, "ring_duration": None, "dtmf": []}


# -- item 2 (and 11's date-time part): date filters ------------------------------------------------


@pytest.mark.parametrize("resource", ["logs", "keys"])
def test_date_filters_take_dates_and_naive_times_as_utc_and_refuse_the_rest(
    admin_client: httpx.Client, resource: str
) -> None:
    created = intercom(admin_client, flat_from=1, flat_to=2)
    url = f"{BASE}/intercoms/{created['id']}/{resource}"
    if resource == "keys":
        ok(admin_client.post(url, json={"keys": ["0000003042CAAC"]}))
    for value in (
        "2024-01-01",
        "2024-01-01T10:00:00",
        "2024-01-01 10:00",
        "2024-01-01T10:00:00+01:00",
        "2024-01-01T10:00:00Z",
    ):
        reply = admin_client.get(url, params={"from": value, "to": "9999-12-31"})
        assert reply.status_code == 200, (value, reply.text)
    if resource == "keys":  # a bare `to` date is the whole day (UTC): today's key is found with today
        today = ok(admin_client.get(url))["data"][0]["created_at"][:10]
        assert ok(admin_client.get(url, params={"from": today, "to": today}))["meta"]["total"] == 1
        assert ok(admin_client.get(url, params={"to": "2000-01-01"}))["meta"]["total"] == 0
    for name in ("from", "to"):
        for value in (
            "9999-12-31T23:59:59-01:00",
            "0001-01-01T00:00:00+01:00",
            "0.5",
            "1700000000",
            "2024-13-01",
            "yesterday",
        ):
            reply = admin_client.get(url, params={name: value})
            assert reply.status_code == 422, (name, value, reply.text)
            assert list(reply.json()["errors"]) == [name]


# -- item 9: integers as Laravel's rule, nulls by field kind ----------------------------------------


def test_numeric_strings_are_integers_on_every_integer_field(admin_client: httpx.Client) -> None:
    created = intercom(admin_client)
    url = f"{BASE}/intercoms/{created['id']}"
    body = {
        "flat_from": "10",
        "flat_to": "12",
        "department": "2",
        "door_open_time_general": "500",
        "flat_offset": "1",
    }
    reply = ok(admin_client.patch(url, json=body))
    assert [reply[name] for name in body] == [10, 12, 2, 500, 1]
    for name, value in (
        ("department", "2.5"),
        ("department", True),
        ("flat_from", 1.5),
        ("flat_from", "1.0"),
        ("door_open_time_general", "ten"),
    ):
        assert list(errors(admin_client.patch(url, json={name: value}))) == [name]
    # a number without a fraction is an integer (JSON Schema's and PHP's FILTER_VALIDATE_INT)
    assert ok(admin_client.patch(url, json={"department": 3.0}))["department"] == 3


def test_null_follows_the_field_kind(admin_client: httpx.Client) -> None:
    created = intercom(admin_client, department=3, collecting_keys=True, is_crossbar_switchers_enabled=True)
    url = f"{BASE}/intercoms/{created['id']}"
    # a value the object may lack: null clears it
    assert ok(admin_client.patch(url, json={"department": None}))["department"] is None
    # a boolean or the title always has a value: null is refused, and nothing changes
    for name in ("collecting_keys", "is_crossbar_switchers_enabled", "title"):
        found = errors(admin_client.patch(url, json={name: None}))
        assert found == {name: [f"The {name.replace('_', ' ')} field cannot be null."]}
    after = ok(admin_client.get(url))
    assert (after["collecting_keys"], after["is_crossbar_switchers_enabled"]) == (True, True)


# -- item 11 (bounds, keywords, booleans) ------------------------------------------------------------


def test_openapi_declares_the_bounds_that_are_enforced(api: Any) -> None:
    with api.client() as client:
        schemas = client.get("/openapi.json").json()["components"]["schemas"]
    fields = schemas["IntercomFieldsIn"]["properties"]

    def integer(name: str) -> dict[str, Any]:
        return next(option for option in fields[name]["anyOf"] if option.get("type") == "integer")

    assert (integer("department")["minimum"], integer("department")["maximum"]) == (1, 10_000)
    assert (integer("door_open_time_general")["minimum"], integer("door_open_time_general")["maximum"]) == (
        1,
        3600,
    )
    assert (integer("flat_offset")["minimum"], integer("flat_offset")["maximum"]) == (0, 99_999)
    text = str(schemas)
    assert "'ge'" not in text and "'le'" not in text
    # booleans refuse null (not declared nullable) and take Laravel's 0/1 forms (declared so)
    assert {"type": "integer", "enum": [0, 1]} in fields["collecting_keys"]["anyOf"]
    assert {"type": "null"} not in fields["collecting_keys"]["anyOf"]
    assert {"type": "null"} in fields["department"]["anyOf"]  # null clears it


def test_out_of_declared_bounds_is_422(admin_client: httpx.Client) -> None:
    url = f"{BASE}/intercoms/{intercom(admin_client)['id']}"
    for name, value in (
        ("department", 0),
        ("department", 10_001),
        ("door_open_time_general", 3601),
        ("door_open_time_general", 0),
    ):
        found = errors(admin_client.patch(url, json={name: value}))
        assert list(found) == [name] and "Input should" not in found[name][0]


# -- item 14: connection types set the flats' lines --------------------------------------------------


def test_the_connection_type_sets_every_flats_lines(admin_client: httpx.Client) -> None:
    created = intercom(admin_client, flat_from=1, flat_to=3, connection_type="smart")
    url = f"{BASE}/intercoms/{created['id']}"
    expected = {"is_analog_line_enable": False, "is_sip_line_enable": True, "is_smartphone_sip_line_available": True,
                "is_landline_sip_line_available": False, "is_analog_line_available": False}  # fmt: skip
    for flat in flats(admin_client, created["id"]).values():
        assert {name: flat["properties"][name] for name in expected} == expected
    ok(admin_client.patch(url, json={"connection_type": "matrix_switching", "flat_to": 4}))
    for flat in flats(admin_client, created["id"]).values():
        props = flat["properties"]
        assert (props["is_analog_line_enable"], props["is_smartphone_sip_line_available"]) == (True, False)
    ok(admin_client.patch(url, json={"connection_type": "combined_2"}))
    flat_one = flats(admin_client, created["id"])[1]
    props = flat_one["properties"]
    assert (
        props["is_analog_line_enable"],
        props["is_landline_sip_line_available"],
        props["is_smartphone_sip_line_available"],
    ) == (False, True, True)
    flat_url = f"{url}/flats/{flat_one['id']}"
    assert list(errors(admin_client.patch(flat_url, json={"is_analog_line_available": True}))) == [
        "is_analog_line_available"
    ]
    off = ok(admin_client.patch(flat_url, json={"is_smartphone_sip_line_available": False}))["properties"]
    assert (off["is_smartphone_sip_line_available"], off["is_landline_sip_line_available"]) == (False, True)


# -- item 13: flat ids are never reused ---------------------------------------------------------------


def test_flat_ids_are_not_reused_after_the_range_shrinks_and_grows(admin_client: httpx.Client) -> None:
    created = intercom(admin_client, flat_from=1, flat_to=5)
    url = f"{BASE}/intercoms/{created['id']}"
    before = flats(admin_client, created["id"])
    ok(admin_client.patch(url, json={"flat_to": 3}))
    ok(admin_client.patch(url, json={"flat_to": 5}))
    after = flats(admin_client, created["id"])
    assert after[5]["id"] > max(flat["id"] for flat in before.values())
    assert after[4]["id"] not in {flat["id"] for flat in before.values()}
    gone = before[5]["id"]
    assert admin_client.get(f"{url}/flats/{gone}").status_code == 404


# -- item 15: JSON whatever the Content-Type ----------------------------------------------------------


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_a_json_body_is_read_whatever_its_content_type(
    admin_client: httpx.Client, content_type: str | None
) -> None:
    url = f"{BASE}/intercoms/{intercom(admin_client)['id']}"
    headers = {"Content-Type": content_type} if content_type else {}
    request = admin_client.build_request("PATCH", url, content=b'{"title": "Renamed"}', headers=headers)
    if content_type is None:
        request.headers.pop("Content-Type", None)
    assert ok(admin_client.send(request))["title"] == "Renamed"
    refused = admin_client.patch(url, content=b"title=Renamed", headers=headers)
    assert errors(refused) == {"body": ["The request body is not valid JSON."]}


# -- item 16: 405 with Allow, literal paths, non-UTF-8 bodies ------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/cameras", "GET, POST"),
        ("PATCH", "/intercoms/groups", "GET, POST"),
        ("DELETE", "/intercoms/groups", "GET, POST"),
        ("PUT", "/intercoms/1", "GET, PATCH, DELETE"),
        ("PATCH", "/api/v1/intercom/calls", "GET"),
        ("PATCH", "/api/v1/intercom/codes", "GET"),
        ("PATCH", "/api/v1/intercom/shows", "GET"),
        ("DELETE", "/api/v1/billing/intercoms/show", "GET"),
    ],
)
def test_a_405_lists_every_method_of_the_resource(
    admin_client: httpx.Client, method: str, path: str, allow: str
) -> None:
    url = path if path.startswith("/api/v1") else f"{BASE}{path}"
    reply = admin_client.request(method, url, json={})
    assert reply.status_code == 405, reply.text
    assert reply.headers["allow"] == allow
    assert reply.json() == {"message": "Method not allowed"}


def test_a_path_segment_that_is_not_an_id_is_not_found(admin_client: httpx.Client) -> None:
    for path in ("/intercoms/abc", "/intercoms/-1", "/cameras/x1"):
        assert admin_client.get(f"{BASE}{path}").status_code == 404
    assert list(errors(admin_client.get(f"{BASE}/intercoms/0"))) == ["intercom"]


def test_a_body_that_is_not_utf8_is_the_documented_422(admin_client: httpx.Client) -> None:
    url = f"{BASE}/intercoms/{intercom(admin_client)['id']}"
    reply = admin_client.patch(
        url, content=b'{"title": "\xff\xfe"}', headers={"Content-Type": "application/json"}
    )
    assert errors(reply) == {"body": ["The request body must be UTF-8 encoded JSON."]}
    lone = admin_client.patch(
        url, content=b'{"title": "\\ud800"}', headers={"Content-Type": "application/json"}
    )
    assert errors(lone) == {"title": ["The title field must be valid UTF-8 text."]}


# -- item 10: every fault at once, in the platform's words -------------------------------------------


def test_a_matrix_reports_a_repeated_flat_and_a_malformed_cell_together(admin_client: httpx.Client) -> None:
    url = f"{BASE}/intercoms/{intercom(admin_client, switch='metakom')['id']}"
    items = [[1, 1, 2, 3, 4, 5, 6, 7, 8, 9], [10, 11, 12, 13, 14, 15, 16, 17, 18, "x"]]
    found = errors(
        admin_client.patch(
            url, json={"commutators_count": 1, "matrix": [{"id": 1, "capacity": 20, "items": items}]}
        )
    )
    assert found == {
        "matrix.0.items.0.1": ["The flat 1 is wired twice (also at matrix.0.items.0.0)."],
        "matrix.0.items.1.9": ["The matrix.0.items.1.9 field must be an integer."],
    }
    without_count = errors(
        admin_client.patch(url, json={"matrix": [{"id": 1, "capacity": 20, "auto": True, "flat_from": 1}]})
    )
    assert without_count == {"matrix": ["The matrix needs commutators_count: one element per switch."]}


def test_no_message_is_in_the_validation_librarys_words(admin_client: httpx.Client) -> None:
    url = f"{BASE}/intercoms/{intercom(admin_client)['id']}"
    bodies = [
        {"department": -1}, {"flat_offset": 10**6}, {"title": ""}, {"title": "x" * 300}, {"sip_options": []},
        {"matrix": "all"}, {"collecting_keys": "maybe"}, {"sip_credentials": {"server": "s"}},
        {"connection_type": 5}, {"door_open_time_general": 1.5}, {"sip_options": {"dtmf": [{"id": 99, "value": "?"}]}},
    ]  # fmt: skip
    for body in bodies:
        for messages in errors(admin_client.patch(url, json=body)).values():
            for message in messages:
                assert "Input should" not in message and "Value error" not in message, (body, message)
                assert message.startswith("The "), (body, message)
