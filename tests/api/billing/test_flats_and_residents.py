"""Billing: flat line flags and the resident sync, over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.config import Settings
from entryphone.context import AppContext
from entryphone.models import Account, FlatResident, IntercomFlat, Role
from tests.api.billing.conftest import BASE
from tests.conftest import Api
from tests.support import seed

FLATS = f"{BASE}/intercom-flats"
MANAGE = f"{BASE}/user/manage/intercoms"
Create = Callable[..., dict[str, Any]]


def errors_of(reply: httpx.Response) -> dict[str, list[str]]:
    assert reply.status_code == 422, reply.text
    return reply.json()["errors"]  # type: ignore[no-any-return]


def attachments(settings: Settings, login: str) -> list[tuple[int, int, dict[str, Any]]]:
    """(intercom id, flat number, permissions) of every flat the login is attached to."""

    async def work(session: AsyncSession, _context: AppContext) -> list[tuple[int, int, dict[str, Any]]]:
        rows = await session.execute(
            select(IntercomFlat.intercom_id, IntercomFlat.flat, FlatResident)
            .join(FlatResident, FlatResident.flat_id == IntercomFlat.id)
            .join(Account, Account.id == FlatResident.account_id)
            .where(Account.login == login)
            .order_by(IntercomFlat.intercom_id, IntercomFlat.flat)
        )
        return [
            (
                intercom_id,
                flat,
                {
                    "is_open_door_app": resident.is_open_door_app,
                    "is_restricted_live": resident.is_restricted_live,
                    "landline_number": resident.landline_number,
                },
            )
            for intercom_id, flat, resident in rows.all()
        ]

    return seed.in_session(settings, work)


def test_flat_line_flags_by_number_or_id(billing_client: httpx.Client, create_intercom: Create) -> None:
    intercom = create_intercom(flat_from=1, flat_to=20)
    reply = billing_client.patch(
        FLATS,
        json={"intercom_id": intercom["id"], "flat": 12, "is_smartphone_sip_line_available": True,
              "is_landline_sip_line_available": True, "is_analog_line_available": False},
    )  # fmt: skip
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["flat"] == 12 and body["intercom_id"] == intercom["id"]
    assert body["key_count"] == 0 and body["users_count"] == 0
    assert body["properties"] == {
        "is_smartphone_sip_line_available": True,
        "is_landline_sip_line_available": True,
        "is_analog_line_available": False,
    }
    by_id = billing_client.patch(
        FLATS, json={"intercom_id": intercom["id"], "flat_id": body["id"], "is_analog_line_available": True}
    ).json()
    assert by_id["properties"]["is_analog_line_available"] is True
    assert by_id["properties"]["is_landline_sip_line_available"] is True  # untouched

    both = billing_client.patch(
        FLATS, json={"intercom_id": intercom["id"], "flat": 12, "flat_id": body["id"]}
    )
    assert set(errors_of(both)) == {"flat", "flat_id"}
    assert set(errors_of(billing_client.patch(FLATS, json={"intercom_id": intercom["id"]}))) == {
        "flat",
        "flat_id",
    }
    assert "flat" in errors_of(billing_client.patch(FLATS, json={"intercom_id": intercom["id"], "flat": 99}))
    assert "intercom_id" in errors_of(billing_client.patch(FLATS, json={"intercom_id": 999_999, "flat": 1}))
    other = create_intercom()
    foreign = billing_client.patch(FLATS, json={"intercom_id": other["id"], "flat_id": body["id"]})
    assert "flat_id" in errors_of(foreign)


def test_user_sync_creates_the_resident_and_is_idempotent(
    billing_client: httpx.Client, create_intercom: Create, settings: Settings
) -> None:
    first = create_intercom(flat_from=1, flat_to=10)
    second = create_intercom(flat_from=1, flat_to=10, external_id="sync-ext-2")
    login = seed.unique("ann")
    body = {
        "login": login,
        "sync": [
            {
                "intercom_id": first["id"],
                "flat": 3,
                "is_open_door_app": False,
                "landline_number": "+15550001",
            },
            {"intercom_external_id": "sync-ext-2", "flat": 7, "is_restricted_live": True},
        ],
        "log_extra": {"ticket": 42},
    }
    reply = billing_client.post(MANAGE, json=body)
    assert reply.status_code == 204, reply.text
    expected = [
        (
            first["id"],
            3,
            {"is_open_door_app": False, "is_restricted_live": False, "landline_number": "+15550001"},
        ),
        (second["id"], 7, {"is_open_door_app": True, "is_restricted_live": True, "landline_number": None}),
    ]
    assert attachments(settings, login) == expected
    assert billing_client.post(MANAGE, json=body).status_code == 204
    assert attachments(settings, login) == expected

    # Permissions change in place; delete detaches every flat of the listed intercoms.
    update = {"login": login, "sync": [{"intercom_id": first["id"], "flat": 3, "is_open_door_app": True}]}
    assert billing_client.post(MANAGE, json=update).status_code == 204
    assert attachments(settings, login)[0][2]["is_open_door_app"] is True
    assert billing_client.post(MANAGE, json={"login": login, "delete": [second["id"]]}).status_code == 204
    assert [row[:2] for row in attachments(settings, login)] == [(first["id"], 3)]


def test_user_sync_is_all_or_nothing(
    billing_client: httpx.Client, create_intercom: Create, settings: Settings
) -> None:
    intercom = create_intercom(flat_from=1, flat_to=5)
    login = seed.unique("bob")
    body = {
        "login": login,
        "sync": [
            {"intercom_id": intercom["id"], "flat": 1},
            {"intercom_id": intercom["id"], "flat": 50},
            {"intercom_id": 999_999, "flat": 1},
            {"intercom_external_id": "nope", "flat": 1},
            {"flat": 2},
            {"intercom_id": intercom["id"], "flat": 1},
        ],
        "delete": [888_888],
    }
    errors = errors_of(billing_client.post(MANAGE, json=body))
    assert set(errors) == {
        "sync.1.flat",
        "sync.2.intercom_id",
        "sync.3.intercom_external_id",
        "sync.4.intercom_id",
        "sync.5",
        "delete.0",
    }
    assert attachments(settings, login) == []

    # Nothing applied: not even the resident account was created.
    async def exists(session: AsyncSession, _context: AppContext) -> bool:
        return (await session.execute(select(Account.id).where(Account.login == login))).first() is not None

    assert seed.in_session(settings, exists) is False
    # An admin or billing login cannot be turned into a resident.
    staff = seed.account(settings, Role.billing)
    assert set(errors_of(billing_client.post(MANAGE, json={"login": staff.login, "sync": []}))) == {"login"}


def test_a_deleted_intercom_disappears_from_the_residents_app(
    api: Api, billing_client: httpx.Client, create_intercom: Create, settings: Settings
) -> None:
    intercom = create_intercom(flat_from=1, flat_to=5)
    resident = seed.account(settings, Role.resident)
    sync = {"login": resident.login, "sync": [{"intercom_id": intercom["id"], "flat": 4}]}
    assert billing_client.post(MANAGE, json=sync).status_code == 204
    with api.client(resident.token) as app:
        listed = app.get("/api/v1/intercom")
        assert listed.status_code == 200, listed.text
        assert [item["id"] for item in listed.json()["data"]] == [intercom["id"]]
        deleted = billing_client.request("DELETE", f"{BASE}/intercoms", json={"id": intercom["id"]})
        assert deleted.status_code == 204
        assert app.get("/api/v1/intercom").json()["data"] == []
