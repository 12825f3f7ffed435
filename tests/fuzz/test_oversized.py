"""Oversized bodies and arrays are refused (413 / 422) and nothing of them is processed.

The admin surface's >1 MiB body (declared and chunked) is tests/api/test_conventions.py; here the
other surfaces' bodies, and each array one element past its documented maximum.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from entryphone.api.billing.schemas import MAX_DELETE_IDS, MAX_SYNC_ITEMS
from entryphone.codes.service import MAX_IDS_PER_DELETE
from entryphone.config import Settings
from entryphone.keys.service import MAX_KEYS_PER_DELETE, MAX_KEYS_PER_REQUEST
from entryphone.models import Role
from entryphone.residents.service import MAX_SHOWS
from tests.api.client import helpers
from tests.conftest import Api
from tests.support import seed

MIB = 1024 * 1024
SOON = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%d %H:%M:%S")


@pytest.fixture(scope="module")
def intercom_id(settings: Settings) -> int:
    return helpers.intercom(settings, title="Oversized door", vendor="beward", with_camera=False)


@pytest.mark.parametrize(
    ("role", "method", "path"),
    [
        (Role.billing, "POST", "/api/v1/billing/intercoms"),
        (Role.billing, "POST", "/api/v1/billing/user/manage/intercoms"),
        (Role.resident, "PATCH", "/api/v1/intercom/1"),
        (Role.resident, "POST", "/api/v1/token"),
    ],
)
def test_a_body_over_a_mebibyte_is_413_on_every_surface(
    api: Api, settings: Settings, role: Role, method: str, path: str
) -> None:
    account = seed.account(settings, role)
    big = b'{"title": "' + b"x" * (MIB + 1) + b'"}'
    with api.client(account.token) as client:
        reply = client.request(method, path, content=big, headers={"Content-Type": "application/json"})
    assert reply.status_code == 413, reply.text
    assert "too large" in reply.json()["message"]


def test_a_body_of_exactly_the_limit_is_parsed(
    api: Api, admin_client: httpx.Client, settings: Settings
) -> None:
    """The limit is the configured byte count, not less: a body of exactly that size gets past it."""
    padding = settings.max_body_bytes - len(b'{"name": ""}')
    body = b'{"name": "' + b"x" * padding + b'"}'
    assert len(body) == settings.max_body_bytes
    reply = admin_client.post(
        "/api/admin/v1/intercoms/groups", content=body, headers={"Content-Type": "application/json"}
    )
    assert reply.status_code == 422 and "name" in reply.json()["errors"]  # too long a name, not 413


def test_keys_past_their_maximum_are_refused_and_none_stored(
    admin_client: httpx.Client, intercom_id: int
) -> None:
    keys = [f"{number:08X}" for number in range(MAX_KEYS_PER_REQUEST + 1)]
    reply = admin_client.post(f"/api/admin/v1/intercoms/{intercom_id}/keys", json={"keys": keys})
    assert reply.status_code == 422 and "keys" in reply.json()["errors"], reply.text
    listed = admin_client.get(f"/api/admin/v1/intercoms/{intercom_id}/keys")
    assert listed.json()["meta"]["total"] == 0

    stored = admin_client.post(f"/api/admin/v1/intercoms/{intercom_id}/keys", json={"keys": keys[:2]})
    assert stored.status_code == 200, stored.text
    too_many = [f"{number:08X}" for number in range(MAX_KEYS_PER_DELETE + 1)]
    reply = admin_client.request(
        "DELETE", f"/api/admin/v1/intercoms/{intercom_id}/keys", json={"keys": too_many}
    )
    assert reply.status_code == 422 and "keys" in reply.json()["errors"], reply.text
    assert admin_client.get(f"/api/admin/v1/intercoms/{intercom_id}/keys").json()["meta"]["total"] == 2


def test_codes_delete_past_its_maximum_is_refused_and_nothing_deleted(
    admin_client: httpx.Client, settings: Settings, intercom_id: int
) -> None:
    created = admin_client.post(
        f"/api/admin/v1/intercom/{intercom_id}/codes",
        json={"flat_id": helpers.flat_id(settings, intercom_id, 1), "expired_at": SOON},
    )
    assert created.status_code == 200, created.text
    code_id = created.json()["id"]
    ids = [code_id, *range(10_000, 10_000 + MAX_IDS_PER_DELETE)]
    reply = admin_client.request("DELETE", f"/api/admin/v1/intercom/{intercom_id}/codes", json={"ids": ids})
    assert reply.status_code == 422 and "ids" in reply.json()["errors"], reply.text
    listed = admin_client.get(f"/api/admin/v1/intercom/{intercom_id}/codes").json()["data"]
    assert code_id in [item["id"] for item in listed]


def test_shows_past_its_maximum_is_refused(api: Api, settings: Settings, intercom_id: int) -> None:
    resident = seed.account(settings, Role.resident)
    helpers.attach(settings, intercom_id, 2, resident.id)
    with api.client(resident.token) as client:
        at_limit = client.get("/api/v1/intercom/shows", params={"ids[]": [intercom_id] * MAX_SHOWS})
        assert at_limit.status_code == 200, at_limit.text
        reply = client.get("/api/v1/intercom/shows", params={"ids[]": [intercom_id] * (MAX_SHOWS + 1)})
    assert reply.status_code == 422, reply.text
    assert "ids[]" in reply.json()["errors"] or "ids" in reply.json()["errors"], reply.text


def test_billing_arrays_past_their_maximum_are_refused(api: Api, settings: Settings) -> None:
    billing = seed.account(settings, Role.billing)
    resident = seed.account(settings, Role.resident)
    with api.client(billing.token, x_client=None, x_uuid=None) as client:
        manage = client.post(
            "/api/v1/billing/user/manage/intercoms",
            json={"login": resident.login, "delete": list(range(1, MAX_DELETE_IDS + 2))},
        )
        assert manage.status_code == 422 and "delete" in manage.json()["errors"], manage.text
        sync = client.post(
            "/api/v1/billing/user/manage/intercoms",
            json={"login": resident.login, "sync": [{"intercom_id": 1, "flat": 1}] * (MAX_SYNC_ITEMS + 1)},
        )
        assert sync.status_code == 422 and "sync" in sync.json()["errors"], sync.text
