"""Tokens open only their own surface, and every billing change lands in the audit trail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.config import Settings
from entryphone.context import AppContext
from entryphone.models import ApiToken, Role
from tests.api.billing.conftest import BASE, next_mac
from tests.conftest import Api
from tests.support import seed

URL = f"{BASE}/intercoms"
Create = Callable[..., dict[str, Any]]


def test_tokens_open_only_their_own_surface(
    api: Api, billing: seed.SeededAccount, settings: Settings
) -> None:
    admin = seed.account(settings, Role.admin)
    resident = seed.account(settings, Role.resident)
    billing_calls = [("GET", f"{URL}/show?id=1"), ("PATCH", URL), ("POST", f"{BASE}/user/manage/intercoms")]
    for token in (admin.token, resident.token, None, "ep_not-a-token"):
        with api.client(token) as client:
            for method, path in billing_calls:
                reply = client.request(method, path, json={})
                assert reply.status_code == 401, (method, path, reply.text)
                assert reply.json() == {"message": "Unauthenticated."}
    with api.client(billing.token) as client:
        assert client.get("/api/admin/v1/intercoms/groups").status_code == 401
        assert client.get("/api/admin/v1/intercoms/1/audit").status_code == 401
        # The client API (resident token plus X-Client / X-UUID) refuses a billing token too.
        client_paths = [route for route in _client_get_paths(api) if "{" not in route]
        assert client_paths, "the client API should expose parameterless GET routes"
        for path in client_paths:
            assert client.get(path).status_code == 401, path
    with api.client(admin.token) as client:
        assert client.get("/api/admin/v1/intercoms/groups").status_code == 200


def _token_id(settings: Settings, account_id: int) -> int:
    async def work(session: AsyncSession, _context: AppContext) -> int:
        result = await session.execute(select(ApiToken.id).where(ApiToken.account_id == account_id))
        return int(result.scalar_one())

    return seed.in_session(settings, work)


def _client_get_paths(api: Api) -> list[str]:
    with api.client() as client:
        schema = client.get("/openapi.json").json()
    return [
        path
        for path, methods in schema["paths"].items()
        if path.startswith("/api/v1/")
        and not path.startswith(("/api/v1/billing", "/api/v1/token"))
        and "get" in methods
    ]


def test_every_change_is_audited_with_who_what_and_log_extra(
    api: Api,
    billing: seed.SeededAccount,
    billing_client: httpx.Client,
    create_intercom: Create,
    settings: Settings,
) -> None:
    intercom = create_intercom(log_extra="created by CRM")
    old_mac, old_serial = intercom["mac"], intercom["serial_number"]
    billing_client.patch(
        URL, json={"id": intercom["id"], "title": "Renamed", "log_extra": {"b": 1, "a": [2, 3]}}
    )
    billing_client.patch(URL, json={"id": intercom["id"], "title": "Renamed"})  # no change: no entry
    new_mac = next_mac()
    billing_client.patch(URL, json={"id": intercom["id"], "new_mac": new_mac, "new_serial_number": "REPL-1",
                                    "model": "3516EV200"})  # fmt: skip
    billing_client.patch(
        URL, json={"id": intercom["id"], "onvif_credentials": {"login": "u", "password": "very-secret"}}
    )
    billing_client.patch(
        f"{BASE}/intercom-flats",
        json={"intercom_id": intercom["id"], "flat": 2, "is_analog_line_available": False},
    )
    login = seed.unique("carol")
    billing_client.post(
        f"{BASE}/user/manage/intercoms",
        json={"login": login, "sync": [{"intercom_id": intercom["id"], "flat": 2}]},
    )
    assert (
        billing_client.request(
            "DELETE", URL, json={"id": intercom["id"], "log_extra": ["end", 1]}
        ).status_code
        == 204
    )

    admin = seed.account(settings, Role.admin)
    with api.client(admin.token) as client:
        reply = client.get(f"/api/admin/v1/intercoms/{intercom['id']}/audit", params={"per_page": 3})
        assert reply.status_code == 200, reply.text
        page = reply.json()
        assert page["meta"]["total"] == 7 and len(page["data"]) == 3
        entries = page["data"] + client.get(
            f"/api/admin/v1/intercoms/{intercom['id']}/audit", params={"per_page": 3, "page": 2}
        ).json()["data"] + client.get(
            f"/api/admin/v1/intercoms/{intercom['id']}/audit", params={"per_page": 3, "page": 3}
        ).json()["data"]  # fmt: skip
        assert client.get("/api/admin/v1/intercoms/999999/audit").status_code == 404

    actions = [entry["action"] for entry in reversed(entries)]
    assert actions == [
        "intercom.created", "intercom.updated", "intercom.replaced", "intercom.updated",
        "intercom_flat.updated", "resident.attached", "intercom.deleted",
    ]  # fmt: skip
    created, renamed, replaced, onvif, flat, attached, deleted = reversed(entries)
    token_id = _token_id(settings, billing.id)
    for entry in entries:
        assert entry["actor"] == {
            "surface": "billing", "account_id": billing.id, "login": billing.login, "token_id": token_id
        }  # fmt: skip
    assert created["log_extra"] == "created by CRM"
    assert created["changes"]["mac"] == {"before": None, "after": old_mac}
    assert renamed["changes"] == {"title": {"before": "intercom name", "after": "Renamed"}}
    assert list(renamed["log_extra"]) == ["b", "a"]  # verbatim, key order included
    assert replaced["changes"]["mac"] == {"before": old_mac, "after": new_mac}
    assert replaced["changes"]["serial_number"] == {"before": old_serial, "after": "REPL-1"}
    assert replaced["changes"]["source"] == {"before": "auto", "after": "auto-replace"}
    assert onvif["changes"]["onvif_credentials"] == {"before": None, "after": "installed"}
    assert "very-secret" not in str(entries)
    assert flat["changes"] == {"is_analog_line_available": {"before": True, "after": False}}
    assert flat["subject_label"] == "flat 2"
    assert attached["changes"]["attached"] == {"before": False, "after": True}
    assert login in attached["subject_label"]
    assert deleted["changes"]["status"]["after"] == "deleted" and deleted["log_extra"] == ["end", 1]
