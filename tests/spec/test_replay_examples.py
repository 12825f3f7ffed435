"""Every example request of the four platform spec pages (verbatim copies in tests/spec/pages/),
replayed exactly as written against the really started app, with its documented outcome checked, or
where the page's own example cannot have that outcome, the deviation docs/api/spec-examples.md gives
with its reason."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.config import Settings
from entryphone.context import AppContext
from entryphone.groups import service as groups
from entryphone.intercoms import service as intercoms
from entryphone.intercoms.changes import IntercomChanges
from entryphone.models import Camera, IntercomGroup, Role
from tests.api.client import helpers
from tests.conftest import Api
from tests.spec import examples
from tests.spec.test_camera_keys import assert_shape, camera_intercom
from tests.support import seed

# The ids the admin page's body names: made to exist, so the example means what it says.
PAGE_CAMERA_ID = 6180
PAGE_GROUP_ID = 217498
CLIENT_KINDS = ("ios-cctv", "android-cctv", "thick-legal", "web")


def send(api: Api, method: str, path: str, headers: dict[str, str], body: str) -> httpx.Response:
    with httpx.Client(base_url=api.url, timeout=30) as client:
        return client.request(method, path, headers=headers, content=body.encode())


def page_headers(curl: examples.Curl, token: str) -> dict[str, str]:
    """The example's headers as written, with a real token for the page's "Bearer token"."""
    headers = dict(curl.headers)
    if "Authorization" in headers or token:
        headers["Authorization"] = f"Bearer {token}"
    if headers.get("Content-Type", "").startswith("application/json"):
        # Two pages write `'Content-Type: application/json \` (an unterminated quote): the evident intent.
        headers["Content-Type"] = "application/json"
    return headers


def without(documented: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {key: value for key, value in documented.items() if key not in keys}


def is_error_shape(reply: httpx.Response) -> bool:
    body = reply.json()
    return (
        isinstance(body.get("message"), str)
        and isinstance(body.get("errors"), dict)
        and all(isinstance(messages, list) and messages for messages in body["errors"].values())
    )


# -- PATCH /api/admin/v1/intercoms/{intercom} ---------------------------------------------------------


def page_objects(settings: Settings) -> None:
    async def work(session: AsyncSession, _context: AppContext) -> None:
        parent = await groups.create(session, name="Spec page city")
        session.add(
            IntercomGroup(id=PAGE_GROUP_ID, name="Spec page group", is_house=True, parent_id=parent.id)
        )
        session.add(Camera(id=PAGE_CAMERA_ID, name="Spec page camera", group_id=parent.id))
        await session.flush()

    seed.in_session(settings, work)


def test_admin_update_page(
    api: Api, settings: Settings, admin: seed.SeededAccount, admin_client: httpx.Client
) -> None:
    page_objects(settings)
    body = examples.block_after(examples.ADMIN_UPDATE, "Body")
    documented = examples.block_after(examples.ADMIN_UPDATE, "200")
    (curl,) = examples.curls(examples.ADMIN_UPDATE)
    assert json.loads(curl.body) == body  # the cURL example sends the body the page shows
    # The intercom the page updates: its device connection and MAC as the page's reply shows them.
    created = admin_client.post(
        "/api/admin/v1/intercoms",
        json={
            "title": "interconnection",
            "vendor": "interconnection",
            "mac": "08:13:c0:00:00:82",
            "schema": "http",
            "ip": "192.168.18.207",
            "port": 8080,
            "login": "root",
            "password": "123456",
        },
    )
    assert created.status_code == 201, created.text
    path = curl.path.replace("{intercom}", str(created.json()["id"]))
    reply = send(api, curl.method, path, page_headers(curl, admin.token), curl.body)
    assert reply.status_code == 200, reply.text
    got = reply.json()
    # Every key of the page's reply, with its type; deliberately not the device `password`, which is
    # never echoed (is_password_installed says whether one is stored).
    assert_shape(got, without(documented, "password", "sip_options", "group", "sip_credentials"), "intercom")
    assert "password" not in got and got["is_password_installed"] is True
    assert "123456" not in reply.text
    assert_shape(got["group"], documented["group"], "intercom.group")
    assert_shape(got["sip_credentials"], documented["sip_credentials"], "intercom.sip_credentials")
    assert set(documented["sip_options"]) <= set(got["sip_options"])
    assert_shape(got["camera"], documented["camera"], "intercom.camera")
    # What the body said is what the intercom now is; the SIP password is write-only.
    for key in ("title", "department", "camera_id", "group_id", "switch", "department_type", "address"):
        assert got[key] == body[key], key
    assert (got["flat_from"], got["flat_to"], got["flat_offset"]) == (10, 15, 1)
    assert got["door_open_time_general"] == 500 and got["collecting_keys"] is True
    assert got["sip_credentials"] == {
        "server": "televoip-core.is74.ru",
        "port": 7777,
        "login": "0813c0000082",
        "is_sip_password_installed": True,
    }
    assert got["sip_options"]["dtmf"] == [{"id": 1, "value": "/"}]
    assert got["matrix"][0]["items"] == body["matrix"][0]["items"]
    assert "5eh2270j4fb0d" not in reply.text


# -- GET /api/admin/v1/intercoms/{intercom}/flats/{flat} --------------------------------------------


def test_admin_flat_page(api: Api, settings: Settings, admin: seed.SeededAccount) -> None:
    documented = examples.block_after(examples.ADMIN_FLAT, "Successful response")
    (curl,) = examples.curls(examples.ADMIN_FLAT)
    intercom_id = helpers.intercom(settings, vendor="interconnection", with_camera=False)
    flat_id = helpers.flat_id(settings, intercom_id, 1)
    path = curl.path.replace("{intercom}", str(intercom_id)).replace("{flat}", str(flat_id))
    # The cURL example says POST (the page's title and PHP example say GET): not a method of the flat.
    posted = send(api, curl.method, path, page_headers(curl, admin.token), curl.body)
    assert (curl.method, posted.status_code) == ("POST", 405)
    assert "GET" in posted.headers["Allow"] and posted.json() == {"message": "Method not allowed"}
    # The PHP example: GET with the same headers and body `[]` (json_encode(array())).
    php = examples.text(examples.ADMIN_FLAT)
    assert "'method' => 'GET'" in php and "$data = array (\n);" in php
    shown = send(api, "GET", path, page_headers(curl, admin.token), "[]")
    assert shown.status_code == 200, shown.text
    got = shown.json()
    assert_shape(got, without(documented, "keys", "users", "properties"), "flat")
    assert got["id"] == flat_id and got["flat"] == 1
    assert isinstance(got["keys"], list) and isinstance(got["users"], list)
    assert_shape(got["properties"], documented["properties"], "flat.properties")


# -- PATCH /api/v1/billing/intercoms ----------------------------------------------------------------


def billing_page_intercom(settings: Settings) -> int:
    """The intercom the billing page's body names: MAC AA:BB:CC:DD:EE:FF, in the group whose external
    id the body gives, of the vendor that makes model 3516EV200."""

    async def work(session: AsyncSession, context: AppContext) -> int:
        group = await groups.create(
            session, name="Spec page house", is_house=True, external_id="00000000-0000-0000-0000-000000000001"
        )
        fields = {
            "title": "Spec page intercom",
            "vendor": "interconnection",
            "model": "3516EV200",
            "mac": "AA:BB:CC:DD:EE:FF",
            "serial_number": "old_serial_number",
            "external_id": "EXT_123",
            "group_id": group.id,
            "department": 1,
        }
        return (await intercoms.create(session, context.secrets, IntercomChanges.model_validate(fields))).id

    return seed.in_session(settings, work)


def test_billing_update_page(api: Api, settings: Settings) -> None:
    billing = seed.account(settings, Role.billing)
    intercom_id = billing_page_intercom(settings)
    body = examples.json_blocks(examples.BILLING_UPDATE)[0]
    documented = examples.block_after(
        examples.BILLING_UPDATE, "A successful response with updated intercom details."
    )
    (curl,) = examples.curls(examples.BILLING_UPDATE)
    headers = page_headers(curl, billing.token)

    # The page's request body: a panel replacement (new MAC and serial number, with its model).
    reply = send(api, "PATCH", curl.path, headers, json.dumps(body))
    assert reply.status_code == 200, reply.text
    got = reply.json()
    # department: the integer sent, where the page's reply shows "main" (docs/api/billing.md).
    assert_shape(got, without(documented, "department", "group"), "intercom")
    assert_shape(got["group"], documented["group"], "intercom.group")
    assert got["id"] == intercom_id and got["department"] == 1
    assert (got["mac"], got["serial_number"], got["model"]) == (
        "22:0D:CE:38:E7:15",
        "new_serial_number",
        "3516EV200",
    )
    assert (got["title"], got["source"], got["flat_from"], got["flat_to"]) == (
        "intercom name",
        "auto-replace",
        1,
        15,
    )
    assert got["group"]["external_id"] == body["group_external_id"]

    # The cURL example's body is the page's field list with type names for values ("integer",
    # "string|array"): the documented 422, in the documented shape, and nothing changes.
    refused = send(api, curl.method, curl.path, headers, curl.body)
    assert refused.status_code == 422, refused.text
    assert is_error_shape(refused)
    assert {"flat_from", "flat_to", "group_id"} <= set(refused.json()["errors"])
    # The PHP example sends the same fields.
    php_data = examples.text(examples.BILLING_UPDATE).split("$data = array (", 1)[1].split(");", 1)[0]
    php_keys = re.findall(r"^\s+'(\w+)' =>", php_data, re.MULTILINE)
    assert php_keys == list(json.loads(curl.body))
    shown = send(api, "GET", f"/api/v1/billing/intercoms/show?id={intercom_id}", headers, "")
    assert shown.json()["mac"] == "22:0D:CE:38:E7:15"


# -- PATCH /api/v1/intercom/{intercom} --------------------------------------------------------------


def test_resident_update_page(api: Api, settings: Settings, admin_client: httpx.Client) -> None:
    resident = seed.account(settings, Role.resident)
    intercom_id = camera_intercom(settings, admin_client)  # a camera in a group, as on the page
    assert (
        admin_client.patch(
            f"/api/admin/v1/intercoms/{intercom_id}", json={"title": "Spec page door"}
        ).status_code
        == 200
    )
    helpers.attach(settings, intercom_id, 2, resident.id)
    body = examples.block_after(examples.RESIDENT_UPDATE, "Body")
    documented = examples.block_after(examples.RESIDENT_UPDATE, "200")
    (curl,) = examples.curls(examples.RESIDENT_UPDATE)
    assert json.loads(curl.body) == body
    path = curl.path.replace("{intercom}", str(intercom_id))

    # As written, X-Client is the list of its four values: one of them is required.
    as_written = send(api, curl.method, path, page_headers(curl, resident.token), curl.body)
    assert as_written.status_code == 422 and set(as_written.json()["errors"]) == {"X-Client"}

    # With each of the four values, the body as written is a template ("monday|tuesday|...", a
    # date-time with four time parts): the documented 422 names exactly those fields.
    for kind in CLIENT_KINDS:
        headers = {**page_headers(curl, resident.token), "X-Client": kind}
        reply = send(api, curl.method, path, headers, curl.body)
        assert reply.status_code == 422, reply.text
        assert is_error_shape(reply)
        assert set(reply.json()["errors"]) == {
            "timetable.days.0.type",
            "timetable.intervals.1.from",
            "timetable.intervals.1.to",
        }
    with api.client(resident.token) as client:
        assert client.get("/api/v1/intercom").json()["data"][0]["title"] == "Spec page door"  # unchanged

    # The template filled in as the page describes it: the documented 200 and reply.
    filled = json.loads(curl.body)
    filled["timetable"]["days"][0]["type"] = "monday"
    for interval in filled["timetable"]["intervals"]:
        for end in ("from", "to"):
            interval[end] = interval[end].replace(":00:00:00+", ":00:00+")
    headers = {**page_headers(curl, resident.token), "X-Client": "ios-cctv"}
    reply = send(api, curl.method, path, headers, json.dumps(filled))
    assert reply.status_code == 200, reply.text
    got = reply.json()
    assert_shape(got, without(documented, "camera", "timetable", "created_at"), "intercom")
    assert_shape(got["camera"], documented["camera"], "intercom.camera")
    assert set(got["timetable"]) == {"days", "intervals"}
    assert (got["title"], got["is_enabled"]) == ("My intercom", True)
    assert got["timetable"]["days"] == [{"type": "monday", "from": "10:00:00+01:00", "to": "18:00:00+01:00"}]
    assert len(got["timetable"]["intervals"]) == 2
