"""Item 12 of issue 15: the admin audit trail records admin changes too (creation, settings, matrix,
SIP, flats, keys), with the actor, and never a secret (only that a password changed)."""

from __future__ import annotations

import httpx

from entryphone.config import Settings
from entryphone.models import Role
from tests.api.admin.helpers import next_mac
from tests.support import seed

BASE = "/api/admin/v1/intercoms"
SIP_PASSWORD = "sip-Audit-s3cret-1"
NEW_SIP_PASSWORD = "sip-Audit-s3cret-2"
DEVICE_PASSWORD = "dev-Audit-s3cret-3"


def test_admin_changes_are_in_the_trail_with_the_actor_and_without_secrets(
    admin_client: httpx.Client, admin: seed.SeededAccount, settings: Settings
) -> None:
    created = admin_client.post(
        BASE,
        json={
            "title": "Audited door",
            "vendor": "beward",  # no driver: nothing is probed
            "mac": next_mac(),
            "ip": "192.0.2.30",
            "login": "admin",
            "password": DEVICE_PASSWORD,
            "flat_from": 1,
            "flat_to": 10,
            "sip_credentials": {
                "server": "sip.example.net",
                "port": 5060,
                "login": "7001",
                "password": SIP_PASSWORD,
            },
        },
    )
    assert created.status_code == 201, created.text
    intercom_id = created.json()["id"]
    url = f"{BASE}/{intercom_id}"
    changes = [
        {"title": "Audited door, renamed", "door_open_time_general": 7},
        {
            "sip_credentials": {
                "server": "sip.example.net",
                "port": 5060,
                "login": "7001",
                "password": NEW_SIP_PASSWORD,
            }
        },
        {"sip_options": {"dtmf": [{"id": 1, "value": "#"}]}},
    ]
    for body in changes:
        reply = admin_client.patch(url, json=body)
        assert reply.status_code == 200, reply.text
    resident = seed.account(settings, Role.resident)
    flat = admin_client.get(f"{url}/flats", params={"per_page": 1}).json()["data"][0]
    attached = admin_client.patch(
        f"{url}/flats/{flat['id']}",
        json={"users_to_attach": [resident.id], "is_analog_line_available": False},
    )
    assert attached.status_code == 200, attached.text
    keys = admin_client.post(f"{url}/keys", json={"keys": ["0A0B0C0D0E"], "flat": flat["id"]})
    assert keys.status_code == 200, keys.text
    assert admin_client.request("DELETE", f"{url}/keys", json={"keys": ["0A0B0C0D0E"]}).status_code == 204

    trail = admin_client.get(f"{url}/audit", params={"per_page": 100})
    assert trail.status_code == 200, trail.text
    for secret in (SIP_PASSWORD, NEW_SIP_PASSWORD, DEVICE_PASSWORD):
        assert secret not in trail.text
    entries = list(reversed(trail.json()["data"]))  # oldest first
    actions = [entry["action"] for entry in entries]
    assert actions == [
        "intercom.created",
        "intercom.updated",
        "intercom.updated",
        "intercom.updated",
        "intercom_flat.updated",
        "keys.added",
        "keys.deleted",
    ], actions
    for entry in entries:
        assert entry["actor"]["surface"] == "admin"
        assert entry["actor"]["login"] == admin.login and entry["actor"]["account_id"] == admin.id
        assert entry["intercom_id"] == intercom_id
    creation, rename, sip, options, flat_entry, added, deleted = (entry["changes"] for entry in entries)
    assert creation["title"] == {"before": None, "after": "Audited door"}
    # Secrets: only that they are there and that they changed.
    assert creation["sip_password"] == {"before": None, "after": "changed"}
    assert creation["password"] == {"before": None, "after": "changed"}
    assert rename == {
        "title": {"before": "Audited door", "after": "Audited door, renamed"},
        "door_open_time_general": {"before": rename["door_open_time_general"]["before"], "after": 7},
    }
    assert sip == {"sip_password": {"before": "installed", "after": "changed"}}
    assert set(options) == {"sip_options"}
    assert flat_entry["users_to_attach"] == {"before": None, "after": [resident.id]}
    assert flat_entry["is_analog_line_available"] == {"before": True, "after": False}
    assert added["keys"] == {"before": None, "after": ["0A0B0C0D0E"]}
    assert deleted["keys"] == {"before": ["0A0B0C0D0E"], "after": None}
    # A request that changed nothing leaves no entry.
    assert admin_client.patch(url, json={"title": "Audited door, renamed"}).status_code == 200
    assert admin_client.get(f"{url}/audit").json()["meta"]["total"] == len(entries)
