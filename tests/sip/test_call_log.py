"""The admin's call log of an intercom, fed here by Kamailio's routing queries and reports (sent over
HTTP as Kamailio sends them), read over HTTP by an admin; and the client's call reply."""

from __future__ import annotations

from typing import Any, get_args

import pytest

from entryphone.api.admin.calls import CallStatus, EndReason
from entryphone.calls import service as calls
from entryphone.config import Settings
from entryphone.models import Role
from tests.conftest import Api
from tests.sip import helpers
from tests.sip.test_internal_api import event, internal, route
from tests.support import seed

PANEL = "panel-log-1"


@pytest.fixture(scope="module")
def resident(settings: Settings) -> seed.SeededAccount:
    return seed.account(settings, Role.resident)


@pytest.fixture(scope="module")
def panel(settings: Settings, resident: seed.SeededAccount) -> int:
    intercom_id = helpers.intercom(settings, PANEL, "panel-log-pw")
    helpers.attach(settings, intercom_id, 4, resident.id)
    return intercom_id


def calls_of(api: Api, token: str, intercom: int, **params: Any) -> Any:
    with api.client(token) as client:
        reply = client.get(f"/api/admin/v1/intercoms/{intercom}/calls", params=params)
        assert reply.status_code == 200, reply.text
        return reply.json()


def test_the_filters_accept_exactly_the_states_the_calls_take() -> None:
    assert set(get_args(EndReason)) == set(calls.END_REASONS)
    assert set(get_args(CallStatus)) == set(calls.CALL_STATUSES)


def test_the_admin_call_log_shows_who_rang_who_answered_and_how_it_ended(
    api: Api, settings: Settings, admin: seed.SeededAccount, resident: seed.SeededAccount, panel: int
) -> None:
    with (
        api.client(resident.token, x_uuid="log-phone") as phone,
        api.client(resident.token, x_uuid="log-off") as off,
    ):
        login = phone.get("/api/v1/sip-account").json()["login"]
        off.get("/api/v1/sip-account")
        assert off.patch(f"/api/v1/intercom/{panel}", json={"is_enabled": False}).status_code == 200
    with internal(api, settings) as kamailio:
        answered = route(kamailio, PANEL, "4")
        assert answered["code"] == 200 and answered["phones"] == [login]
        event(kamailio, event="answered", call_id=answered["call_id"], user=login)
        event(kamailio, event="finished", call_id=answered["call_id"], code=200)
        cancelled = route(kamailio, PANEL, "4")
        event(kamailio, event="finished", call_id=cancelled["call_id"], code=487, canceled=1)
        unknown = route(kamailio, PANEL, "999")
        assert unknown["code"] == 404

    page = calls_of(api, admin.token, panel)
    assert page["meta"]["total"] == 3 and page["meta"]["current_page"] == 1
    newest, middle, oldest = page["data"]
    assert [newest["id"], middle["id"], oldest["id"]] == [
        unknown["call"],
        cancelled["call"],
        answered["call"],
    ]

    assert oldest["flat"] == 4 and oldest["intercom_id"] == panel
    assert (oldest["status"], oldest["end_reason"], oldest["sip_call_id"]) == (
        "ended",
        "answered",
        answered["call_id"],
    )
    targets = {target["device_uuid"]: target for target in oldest["targets"]}
    assert {uuid: target["state"] for uuid, target in targets.items()} == {
        "log-phone": "answered",
        "log-off": "silent",
    }
    assert targets["log-phone"]["resident"]["id"] == resident.id
    assert oldest["answered_by"]["resident"]["id"] == resident.id
    assert oldest["answered_by"]["device_uuid"] == "log-phone"
    assert oldest["answered_by"]["sip_login"] == login
    assert oldest["rang_at"] <= oldest["answered_at"] <= oldest["ended_at"]
    assert isinstance(oldest["duration"], int) and oldest["duration"] >= 0

    assert (middle["status"], middle["end_reason"], middle["answered_by"]) == ("missed", "cancelled", None)
    assert middle["answered_at"] is None and middle["duration"] is None and middle["ended_at"] is not None
    assert {target["state"] for target in middle["targets"]} == {"ringing", "silent"}
    assert (newest["flat"], newest["flat_id"], newest["end_reason"], newest["targets"]) == (
        None,
        None,
        "unknown_flat",
        [],
    )

    # Filters: flat, status, end reason and the rang_at window (the shared date formats).
    assert [c["id"] for c in calls_of(api, admin.token, panel, flat=4)["data"]] == [
        middle["id"],
        oldest["id"],
    ]
    assert calls_of(api, admin.token, panel, flat=5)["meta"]["total"] == 0
    assert [c["id"] for c in calls_of(api, admin.token, panel, status="ended")["data"]] == [oldest["id"]]
    assert [c["id"] for c in calls_of(api, admin.token, panel, end_reason="cancelled")["data"]] == [
        middle["id"]
    ]
    day = oldest["rang_at"][:10]
    assert calls_of(api, admin.token, panel, **{"from": day, "to": day})["meta"]["total"] == 3
    assert calls_of(api, admin.token, panel, **{"from": "2999-01-01"})["meta"]["total"] == 0
    assert calls_of(api, admin.token, panel, to="2000-01-01 00:00")["meta"]["total"] == 0
    assert calls_of(api, admin.token, panel, per_page=1)["meta"]["last_page"] == 3

    # The resident's own call reply carries the end reason too.
    with api.client(resident.token, x_uuid="log-phone") as phone:
        shown = phone.get(f"/api/v1/intercom/calls/{answered['call']}").json()
        assert (shown["status"], shown["end_reason"]) == ("ended", "answered")


def test_the_admin_call_log_refuses_bad_filters_strangers_and_unknown_intercoms(
    api: Api, settings: Settings, admin: seed.SeededAccount, resident: seed.SeededAccount, panel: int
) -> None:
    with api.client(admin.token) as client:
        base = f"/api/admin/v1/intercoms/{panel}/calls"
        for params, field in (
            ({"status": "exploded"}, "status"),
            ({"end_reason": "bored"}, "end_reason"),
            ({"from": "yesterday"}, "from"),
            ({"to": "2024-13-01"}, "to"),
            ({"flat": "four"}, "flat"),
        ):
            reply = client.get(base, params=params)
            assert reply.status_code == 422, (params, reply.text)
            assert field in reply.json()["errors"], reply.json()
        assert client.get("/api/admin/v1/intercoms/999999/calls").status_code == 404
    with api.client(resident.token) as stranger:
        assert stranger.get(f"/api/admin/v1/intercoms/{panel}/calls").status_code in (401, 403)
    with api.client() as anonymous:
        assert anonymous.get(f"/api/admin/v1/intercoms/{panel}/calls").status_code == 401
