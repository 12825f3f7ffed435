"""The groups API: the first resource, proving the stack end to end over HTTP."""

from __future__ import annotations

import httpx
import pytest

from entryphone.models import Role
from tests.conftest import Api
from tests.support import seed

BASE = "/api/admin/v1/intercoms/groups"


def create(client: httpx.Client, **body: object) -> dict[str, object]:
    reply = client.post(BASE, json=body)
    assert reply.status_code == 201, reply.text
    return reply.json()  # type: ignore[no-any-return]


def test_create_answers_the_documented_shape(admin_client: httpx.Client) -> None:
    group = create(admin_client, name="Source cameras")
    assert set(group) >= {
        "id",
        "name",
        "full_pretty",
        "is_house",
        "cameras_count",
        "parent_id",
        "csa_id",
        "intercoms_count",
    }
    assert group["is_house"] == 0
    assert group["parent_id"] is None
    assert group["cameras_count"] == 0 and group["intercoms_count"] == 0


def test_tree_full_pretty_show_update(admin_client: httpx.Client) -> None:
    city = create(admin_client, name="Springfield")
    street = create(admin_client, name="Evergreen Terrace", parent_id=city["id"])
    house = create(admin_client, name="742", parent_id=street["id"], is_house=True, external_id="house-742")
    assert house["full_pretty"] == "Springfield, Evergreen Terrace, 742"
    assert house["is_house"] == 1

    shown = admin_client.get(f"{BASE}/{house['id']}").json()
    assert shown == house

    renamed = admin_client.patch(f"{BASE}/{street['id']}", json={"name": "Evergreen Tce"}).json()
    assert renamed["name"] == "Evergreen Tce"
    assert (
        admin_client.get(f"{BASE}/{house['id']}").json()["full_pretty"] == "Springfield, Evergreen Tce, 742"
    )


def test_list_is_a_laravel_paginator_with_search(admin_client: httpx.Client) -> None:
    for index in range(3):
        create(admin_client, name=f"Paged street {index}")
    reply = admin_client.get(BASE, params={"search": "paged street", "per_page": 2})
    assert reply.status_code == 200
    body = reply.json()
    assert set(body) == {"data", "links", "meta"}
    assert len(body["data"]) == 2
    assert body["meta"]["total"] == 3 and body["meta"]["per_page"] == 2 and body["meta"]["last_page"] == 2
    assert body["meta"]["from"] == 1 and body["meta"]["to"] == 2
    assert body["links"]["next"] is not None and body["links"]["prev"] is None
    labels = [link["label"] for link in body["meta"]["links"]]
    assert labels[0] == "pagination.previous" and labels[-1] == "pagination.next"
    second = admin_client.get(BASE, params={"search": "paged street", "per_page": 2, "page": 2}).json()
    assert len(second["data"]) == 1 and second["links"]["next"] is None


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": 5}, "name"),
        ({"name": "x" * 256}, "name"),
        ({"name": "a\x00b"}, "name"),
        ({"name": "ok", "parent_id": "abc"}, "parent_id"),
        ({"name": "ok", "parent_id": 10**30}, "parent_id"),
        ({"name": "ok", "parent_id": 0}, "parent_id"),
        ({"name": "ok", "parent_id": 999999}, "parent_id"),
        ({"name": "ok", "is_house": "maybe"}, "is_house"),
        ({"name": "ok", "is_house": [1]}, "is_house"),
    ],
)
def test_create_validation_errors_are_422_keyed_by_path(
    admin_client: httpx.Client, body: dict[str, object], path: str
) -> None:
    reply = admin_client.post(BASE, json=body)
    assert reply.status_code == 422, reply.text
    payload = reply.json()
    assert isinstance(payload["message"], str) and payload["message"]
    assert path in payload["errors"], payload
    assert all(isinstance(message, str) for message in payload["errors"][path])


def test_malformed_json_and_wrong_body_type_are_422(admin_client: httpx.Client) -> None:
    reply = admin_client.post(BASE, content=b'{"name": ', headers={"Content-Type": "application/json"})
    assert reply.status_code == 422
    assert "body" in reply.json()["errors"]
    reply = admin_client.post(BASE, json=["not", "an", "object"])
    assert reply.status_code == 422


def test_cycles_are_refused(admin_client: httpx.Client) -> None:
    top = create(admin_client, name="Cycle top")
    middle = create(admin_client, name="Cycle middle", parent_id=top["id"])
    bottom = create(admin_client, name="Cycle bottom", parent_id=middle["id"])
    for parent in (top["id"], bottom["id"]):
        reply = admin_client.patch(f"{BASE}/{top['id']}", json={"parent_id": parent})
        assert reply.status_code == 422
        assert "parent_id" in reply.json()["errors"]
    # Nothing changed.
    assert admin_client.get(f"{BASE}/{top['id']}").json()["parent_id"] is None


def test_external_id_is_unique(admin_client: httpx.Client) -> None:
    create(admin_client, name="Ext A", external_id="ext-unique-1")
    reply = admin_client.post(BASE, json={"name": "Ext B", "external_id": "ext-unique-1"})
    assert reply.status_code == 422 and "external_id" in reply.json()["errors"]


def test_delete_refuses_groups_with_children_and_removes_empty_ones(admin_client: httpx.Client) -> None:
    parent = create(admin_client, name="Parent to delete")
    child = create(admin_client, name="Child", parent_id=parent["id"])
    reply = admin_client.delete(f"{BASE}/{parent['id']}")
    assert reply.status_code == 422 and reply.json()["errors"]
    assert admin_client.delete(f"{BASE}/{child['id']}").status_code == 204
    assert admin_client.delete(f"{BASE}/{parent['id']}").status_code == 204
    assert admin_client.get(f"{BASE}/{parent['id']}").status_code == 404
    assert admin_client.get(f"{BASE}/{parent['id']}").json() == {"message": "Not found"}


def test_unknown_ids_are_404_and_bad_ids_422(admin_client: httpx.Client) -> None:
    assert admin_client.get(f"{BASE}/987654").json() == {"message": "Not found"}
    assert admin_client.patch(f"{BASE}/987654", json={"name": "x"}).status_code == 404
    assert admin_client.get(f"{BASE}/abc").status_code == 404  # not a group id: no such resource
    assert admin_client.get(f"{BASE}/{10**40}").status_code == 422


def test_tokens_are_bound_to_the_admin_surface(api: Api, settings: object) -> None:
    from entryphone.config import Settings

    assert isinstance(settings, Settings)
    with api.client() as anonymous:
        assert anonymous.get(BASE).status_code == 401
    with api.client("ep_not-a-real-token") as bogus:
        assert bogus.get(BASE).status_code == 401
    for role in (Role.resident, Role.billing):
        other = seed.account(settings, role)
        with api.client(other.token) as client:
            assert client.get(BASE).status_code == 401
    with httpx.Client(base_url=api.url, headers={"Authorization": "Basic abc"}) as basic:
        assert basic.get(BASE).status_code == 401
