"""My intercoms, the per-device schedule (the spec page's example), removal, over HTTP."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.calls import service as calls
from entryphone.config import Settings
from entryphone.context import AppContext
from entryphone.doors import service as doors
from entryphone.models import Role
from tests.api.client import helpers
from tests.conftest import Api
from tests.support import seed
from tests.support.server import RunningServer

SOON = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%d %H:%M")

SPEC_BODY = {
    "title": "My intercom",
    "is_enabled": "true",
    "timetable": {
        "days": [{"type": "monday", "from": "10:00+01:00", "to": "18:00+01:00"}],
        "intervals": [
            {"from": "2000-02-12T10:00:00+01:00", "to": "2000-12-01T09:00:00+01:00"},
            {"from": "2001-02-12T10:00:00:00+01:00", "to": "2001-12-01T09:00:00:00+01:00"},
        ],
    },
}


@pytest.fixture(scope="module")
def resident(settings: Settings) -> seed.SeededAccount:
    return seed.account(settings, Role.resident)


@pytest.fixture(scope="module")
def home(settings: Settings, resident: seed.SeededAccount) -> int:
    intercom_id = helpers.intercom(settings, title="Entrance 1")
    helpers.attach(settings, intercom_id, 7, resident.id)
    return intercom_id


def test_list_and_shows_answer_the_client_shape(api: Api, resident: seed.SeededAccount, home: int) -> None:
    with api.client(resident.token) as client:
        page = client.get("/api/v1/intercom")
        assert page.status_code == 200, page.text
        body = page.json()
        assert set(body) == {"data", "links", "meta"}
        assert [item["id"] for item in body["data"]] == [home]
        item = body["data"][0]
        assert set(item) == {
            "id", "title", "is_online", "is_enabled", "timetable", "department", "address",
            "camera", "status", "created_at", "updated_at",
        }  # fmt: skip
        assert item["status"] == "confirmed" and item["is_enabled"] is True
        assert item["timetable"] == {"days": [], "intervals": []}
        assert item["title"] == "Entrance 1" and item["department"] == 1
        assert item["camera"]["name"] == "Entrance 1 camera" and item["camera"]["type"] == "media_server_v2"

        shown = client.get("/api/v1/intercom/shows", params={"ids[]": [home, 999_999]})
        assert shown.status_code == 200
        assert [item["id"] for item in shown.json()] == [home]
        too_many = client.get("/api/v1/intercom/shows", params={"ids[]": list(range(1, 27))})
        assert too_many.status_code == 422 and "ids[]" in too_many.json()["errors"]


def test_spec_example_is_422_on_the_malformed_interval_then_200_when_corrected(
    api: Api, resident: seed.SeededAccount, home: int
) -> None:
    with (
        api.client(resident.token, x_uuid="phone-a") as phone_a,
        api.client(resident.token, x_uuid="phone-b") as phone_b,
    ):
        reply = phone_a.patch(f"/api/v1/intercom/{home}", json=SPEC_BODY)
        assert reply.status_code == 422, reply.text
        assert "timetable.intervals.1.from" in reply.json()["errors"]
        assert "timetable.intervals.0.from" not in reply.json()["errors"]

        corrected = copy.deepcopy(SPEC_BODY)
        corrected["timetable"]["intervals"][1] = {
            "from": "2001-02-12T10:00:00+01:00",
            "to": "2001-12-01T09:00:00+01:00",
        }  # type: ignore[index]
        reply = phone_a.patch(f"/api/v1/intercom/{home}", json=corrected)
        assert reply.status_code == 200, reply.text
        saved = reply.json()
        assert saved["title"] == "My intercom" and saved["is_enabled"] is True
        assert saved["timetable"]["days"] == [
            {"type": "monday", "from": "10:00:00+01:00", "to": "18:00:00+01:00"}
        ]
        assert len(saved["timetable"]["intervals"]) == 2

        other = {
            "is_enabled": False,
            "timetable": {"days": [{"type": "same_every_day", "from": "22:00+03:00", "to": "06:00+03:00"}]},
        }
        assert phone_b.patch(f"/api/v1/intercom/{home}", json=other).status_code == 200

        a = phone_a.get("/api/v1/intercom/shows", params={"ids[]": [home]}).json()[0]
        b = phone_b.get("/api/v1/intercom/shows", params={"ids[]": [home]}).json()[0]
        assert a["title"] == b["title"] == "My intercom"
        assert a["is_enabled"] is True and b["is_enabled"] is False
        assert a["timetable"] != b["timetable"]
        assert b["timetable"]["days"] == [
            {"type": "same_every_day", "from": "22:00:00+03:00", "to": "06:00:00+03:00"}
        ]
        assert b["timetable"]["intervals"] == []

        # null clears this device's schedule only.
        assert phone_b.patch(f"/api/v1/intercom/{home}", json={"timetable": None}).json()["timetable"] == {
            "days": [],
            "intervals": [],
        }
        assert (
            phone_a.get("/api/v1/intercom/shows", params={"ids[]": [home]}).json()[0]["timetable"]
            == a["timetable"]
        )


def day(kind: str = "monday", **times: object) -> dict[str, object]:
    return {"timetable": {"days": [{"type": kind, "from": "10:00+01:00", "to": "11:00+01:00", **times}]}}


def interval(start: str, end: str) -> dict[str, object]:
    return {"timetable": {"intervals": [{"from": start, "to": end}]}}


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 256}, "title"),
        ({"is_enabled": "yes"}, "is_enabled"),
        (day("someday"), "timetable.days.0.type"),
        (day(**{"from": "10:00"}), "timetable.days.0.from"),
        (day(**{"from": "24:00+01:00"}), "timetable.days.0.from"),
        (day(to="10:00:00+01:00"), "timetable.days.0.to"),
        (day(**{"from": 10}), "timetable.days.0.from"),
        ({"timetable": {"days": [{"type": "monday", "to": "11:00+01:00"}]}}, "timetable.days.0.from"),
        (interval("2001-02-12T10:00:00+01:00", "2001-02-12T09:00:00+01:00"), "timetable.intervals.0.to"),
        (interval("2001-02-12T10:00:00", "2001-02-13T09:00:00+01:00"), "timetable.intervals.0.from"),
        ({"timetable": {"intervals": "soon"}}, "timetable.intervals"),
        ({"timetable": {"days": [day()["timetable"]["days"][0]] * 51}}, "timetable.days"),  # type: ignore[index]
    ],
)
def test_patch_validation_is_keyed_by_dot_path(
    api: Api, resident: seed.SeededAccount, home: int, body: dict[str, object], path: str
) -> None:
    with api.client(resident.token) as client:
        reply = client.patch(f"/api/v1/intercom/{home}", json=body)
        assert reply.status_code == 422, reply.text
        assert path in reply.json()["errors"], reply.json()


def test_client_headers_are_required(api: Api, resident: seed.SeededAccount, home: int) -> None:
    with api.client(resident.token, x_uuid=None) as client:
        reply = client.get("/api/v1/intercom")
        assert reply.status_code == 422 and "X-UUID" in reply.json()["errors"]
    with api.client(None) as client:
        assert client.get("/api/v1/intercom").status_code == 401


def test_delete_detaches_and_removes_codes_and_calls(
    api: Api, settings: Settings, server: RunningServer
) -> None:
    leaving = seed.account(settings, Role.resident)
    intercom_id = helpers.intercom(settings, title="Back door")
    helpers.attach(settings, intercom_id, 3, leaving.id)
    with api.client(leaving.token) as client:
        client.get("/api/v1/intercom")  # the device becomes known, so the call is offered to it
        hub, flat_id = helpers.hub(server), helpers.flat_id(settings, intercom_id, 3)

        async def ring(session: AsyncSession, _context: AppContext) -> int:
            return (await calls.call_ringing(session, hub, intercom_id=intercom_id, flat_id=flat_id)).id

        call_id = seed.in_session(settings, ring)
        assert client.get(f"/api/v1/intercom/calls/{call_id}").status_code == 200
        code = client.post(
            f"/api/v1/intercom/{intercom_id}/codes", json={"title": "guest", "expired_at": SOON}
        )
        assert code.status_code == 200, code.text
        assert client.get("/api/v1/intercom/codes").json()["meta"]["total"] == 1
        assert client.request("DELETE", "/api/v1/intercom", json={"ids": []}).status_code == 422
        assert (
            client.request("DELETE", "/api/v1/intercom", json={"ids": list(range(1, 202))}).status_code == 422
        )
        assert client.request("DELETE", "/api/v1/intercom", json={"ids": [intercom_id]}).status_code == 204
        assert client.get("/api/v1/intercom").json()["data"] == []
        assert client.get("/api/v1/intercom/codes").json()["data"] == []
        assert client.get("/api/v1/intercom/calls").json()["data"] == []
        assert client.get(f"/api/v1/intercom/calls/{call_id}").status_code == 404
        assert client.patch(f"/api/v1/intercom/{intercom_id}", json={"title": "x"}).status_code == 404


def test_open_door_is_recorded_and_never_faked(
    api: Api, settings: Settings, resident: seed.SeededAccount, home: int
) -> None:
    # The seeded intercom has no device connection: the device layer refuses, the request is kept.
    with api.client(resident.token, x_uuid="door-phone") as client:
        reply = client.post(f"/api/v1/intercom/{home}/open-door")
        assert reply.status_code == 409, reply.text
        assert reply.json()["message"]

    async def latest(
        session: AsyncSession, _context: AppContext
    ) -> tuple[str, str | None, int | None, str | None]:
        request = await doors.latest(session, home)
        assert request is not None
        return request.status, request.device_uuid, request.account_id, request.error

    status, device, account_id, error = seed.in_session(settings, latest)
    assert status in {"failed", "no_driver"} and error == reply.json()["message"]
    assert (device, account_id) == ("door-phone", resident.id)
    barred = seed.account(settings, Role.resident)
    helpers.attach(settings, home, 9, barred.id, is_open_door_app=False)
    with api.client(barred.token) as client:
        reply = client.post(f"/api/v1/intercom/{home}/open-door")
        assert reply.status_code == 422 and "intercom" in reply.json()["errors"]
