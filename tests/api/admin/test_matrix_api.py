"""The matrix over HTTP: the calculator and the matrix rules of PATCH, each with its dot path."""

# ruff: noqa: E501 (the parametrised tables keep one case per line)

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.api.admin.helpers import BASE, errors, house, intercom, ok


def grid(start: int, rows: int = 2, units: int = 10) -> list[list[int]]:
    return [list(range(start + row * units, start + (row + 1) * units)) for row in range(rows)]


@pytest.fixture(scope="module")
def panel(admin_client: httpx.Client) -> dict[str, Any]:
    return intercom(admin_client, switch="metakom", connection_type="matrix_switching")


@pytest.mark.parametrize(
    ("body", "items"),
    [
        ({"switch": "metakom", "capacity": 20, "flat_from": 1, "is_last_item_first": True},
         [[20, 1, 2, 3, 4, 5, 6, 7, 8, 9], [10, 11, 12, 13, 14, 15, 16, 17, 18, 19]]),
        ({"switch": "metakom", "capacity": 20, "flat_from": 1, "is_last_item_first": False}, grid(1)),
        ({"switch": "factorial", "capacity": 64, "flat_from": 1, "is_last_item_first": False}, grid(1, 8, 8)),
    ],
)  # fmt: skip
def test_common_matrix(
    admin_client: httpx.Client, panel: dict[str, Any], body: dict[str, Any], items: Any
) -> None:
    reply = ok(admin_client.post(f"{BASE}/intercoms/{panel['id']}/common-matrix", json=body))
    assert reply == {"capacity": body["capacity"], "items": items}


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"switch": "nope", "capacity": 20, "flat_from": 1, "is_last_item_first": True}, "switch"),
        ({"switch": "metakom", "capacity": 25, "flat_from": 1, "is_last_item_first": True}, "capacity"),
        ({"switch": "factorial", "capacity": 70, "flat_from": 1}, "capacity"),
        ({"switch": "metakom", "capacity": 20}, "flat_from"),
        ({"switch": "metakom", "capacity": "twenty", "flat_from": 1}, "capacity"),
    ],
)
def test_common_matrix_validation(
    admin_client: httpx.Client, panel: dict[str, Any], body: dict[str, Any], path: str
) -> None:
    assert path in errors(admin_client.post(f"{BASE}/intercoms/{panel['id']}/common-matrix", json=body))


def test_common_matrix_of_unknown_intercom(admin_client: httpx.Client) -> None:
    body = {"switch": "metakom", "capacity": 20, "flat_from": 1}
    assert admin_client.post(f"{BASE}/intercoms/999999/common-matrix", json=body).status_code == 404


def test_auto_elements_are_generated_and_two_switches_read_back(admin_client: httpx.Client) -> None:
    created = intercom(admin_client, switch="metakom")
    body = {
        "commutators_count": 2,
        "matrix": [
            {"id": 1, "auto": False, "capacity": 20, "flat_from": 1, "items": grid(1)},
            {"id": 2, "auto": True, "capacity": 20, "flat_from": 21, "is_last_item_first": True},
        ],
    }
    reply = ok(admin_client.patch(f"{BASE}/intercoms/{created['id']}", json=body))
    assert reply["matrix"][1]["items"] == [[40, *range(21, 30)], list(range(30, 40))]
    assert reply["matrix"][0]["items"] == grid(1)
    assert ok(admin_client.get(f"{BASE}/intercoms/{created['id']}"))["matrix"] == reply["matrix"]


@pytest.mark.parametrize(
    ("matrix", "count", "path"),
    [
        ([{"id": 1, "auto": False, "capacity": 20, "items": grid(1)}], 2, "matrix"),
        ([{"id": 1, "auto": False, "capacity": 20, "items": grid(1)},
          {"id": 1, "auto": False, "capacity": 20, "items": grid(21)}], 2, "matrix.1.id"),
        ([{"id": 1, "auto": False, "capacity": 25, "items": grid(1)}], 1, "matrix.0.capacity"),
        ([{"id": 1, "auto": False, "capacity": 20, "items": grid(1, 1)}], 1, "matrix.0.items"),
        ([{"id": 1, "auto": False, "capacity": 20, "items": [list(range(1, 11)), list(range(11, 20))]}], 1,
         "matrix.0.items.1"),
        ([{"id": 1, "auto": False, "capacity": 20, "items": [list(range(1, 11)), [11, 12, "x13", *range(14, 21)]]}],
         1, "matrix.0.items.1.2"),
        ([{"id": 1, "auto": False, "capacity": 20, "items": [list(range(1, 11)), [11, 12, 1.5, *range(14, 21)]]}],
         1, "matrix.0.items.1.2"),
        ([{"id": 1, "auto": False, "capacity": 20, "items": [list(range(1, 11)), [11, 12, 2, *range(14, 21)]]}],
         1, "matrix.0.items.1.2"),
        ([{"id": 1, "auto": False, "capacity": 20, "items": grid(1)},
          {"id": 2, "auto": False, "capacity": 20, "items": [[21, 22, 23, 5, *range(25, 31)], grid(31, 1)[0]]}],
         2, "matrix.1.items.0.3"),
        ([{"id": 1, "auto": False, "capacity": 20}], 1, "matrix.0.items"),
        ([{"id": 1, "auto": True, "capacity": 20}], 1, "matrix.0.flat_from"),
    ],
)  # fmt: skip
def test_matrix_rules(admin_client: httpx.Client, matrix: list[Any], count: int, path: str) -> None:
    created = intercom(admin_client, switch="metakom")
    reply = admin_client.patch(
        f"{BASE}/intercoms/{created['id']}", json={"commutators_count": count, "matrix": matrix}
    )
    assert path in errors(reply)


def test_flat_wired_on_another_intercom_of_the_house(admin_client: httpx.Client) -> None:
    group = house(admin_client, "Matrix house")
    first = intercom(admin_client, switch="metakom", group_id=group["id"])
    second = intercom(admin_client, switch="metakom", group_id=group["id"])
    elsewhere = intercom(admin_client, switch="metakom")
    one = {"commutators_count": 1, "matrix": [{"id": 1, "auto": False, "capacity": 20, "items": grid(1)}]}
    ok(admin_client.patch(f"{BASE}/intercoms/{first['id']}", json=one))
    ok(admin_client.patch(f"{BASE}/intercoms/{elsewhere['id']}", json=one))  # another house: fine
    overlapping = {
        "commutators_count": 2,
        "matrix": [
            {"id": 1, "auto": False, "capacity": 20, "items": grid(21)},
            {
                "id": 2,
                "auto": False,
                "capacity": 20,
                "items": [[41, 42, 43, 4, *range(45, 51)], grid(51, 1)[0]],
            },
        ],
    }
    found = errors(admin_client.patch(f"{BASE}/intercoms/{second['id']}", json=overlapping))
    assert list(found) == ["matrix.1.items.0.3"]
    assert "intercom" in found["matrix.1.items.0.3"][0]


def test_switch_change_revalidates_the_stored_matrix(admin_client: httpx.Client) -> None:
    created = intercom(admin_client, switch="metakom")
    body = {"commutators_count": 1, "matrix": [{"id": 1, "auto": False, "capacity": 20, "items": grid(1)}]}
    ok(admin_client.patch(f"{BASE}/intercoms/{created['id']}", json=body))
    # the faults of the stored matrix are reported on the field that was sent (issue #15 item 10)
    found = errors(admin_client.patch(f"{BASE}/intercoms/{created['id']}", json={"switch": "factorial"}))
    assert list(found) == ["switch"] and "capacity must be one of 8, 16" in found["switch"][0]
    assert list(
        errors(admin_client.patch(f"{BASE}/intercoms/{created['id']}", json={"commutators_count": 2}))
    ) == ["commutators_count"]
