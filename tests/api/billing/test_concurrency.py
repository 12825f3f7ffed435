"""Concurrent PATCHes of one intercom never lose an update (really concurrent HTTP requests): a row lock
on PostgreSQL, the database write lock taken before the read on SQLite."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier
from typing import Any

import httpx

from entryphone.config import Settings
from entryphone.models import Role
from tests.api.billing.conftest import BASE
from tests.conftest import Api
from tests.support import seed

WRITERS = 8


def test_concurrent_patches_apply_one_after_the_other(
    api: Api, billing: seed.SeededAccount, create_intercom: Callable[..., dict[str, Any]],
    settings: Settings,
) -> None:  # fmt: skip
    intercom = create_intercom(flat_from=1, flat_to=10)
    barrier = Barrier(WRITERS)

    def patch(index: int) -> httpx.Response:
        with api.client(billing.token) as client:
            barrier.wait()
            return client.patch(
                f"{BASE}/intercoms",
                json={"mac": intercom["mac"], "title": f"writer {index}", "department": index + 1,
                      "flat_to": 10 + index},
            )  # fmt: skip

    with ThreadPoolExecutor(WRITERS) as pool:
        replies = list(pool.map(patch, range(WRITERS)))
    assert [reply.status_code for reply in replies] == [200] * WRITERS, [reply.text for reply in replies]

    admin = seed.account(settings, Role.admin)
    with api.client(admin.token) as client:
        trail = client.get(f"/api/admin/v1/intercoms/{intercom['id']}/audit", params={"per_page": 100}).json()
        final = client.get("/api/v1/billing/intercoms/show", params={"id": intercom["id"]})
    updates = [entry for entry in reversed(trail["data"]) if entry["action"] == "intercom.updated"]
    assert len(updates) == WRITERS
    # Each writer saw what the previous one committed: the before/after values form one chain.
    title = "intercom name"
    for entry in updates:
        assert entry["changes"]["title"]["before"] == title
        title = entry["changes"]["title"]["after"]
    last = int(title.removeprefix("writer "))
    with api.client(billing.token) as client:
        shown = client.get(f"{BASE}/intercoms/show", params={"id": intercom["id"]}).json()
    assert final.status_code == 401  # an admin token does not open the billing surface
    assert (shown["title"], shown["department"], shown["flat_to"]) == (title, last + 1, 10 + last)


def test_concurrent_syncs_of_a_new_login_create_one_resident(
    api: Api, billing: seed.SeededAccount, create_intercom: Callable[..., dict[str, Any]]
) -> None:
    intercom = create_intercom(flat_from=1, flat_to=10)
    login = seed.unique("racer")
    barrier = Barrier(4)

    def sync(flat: int) -> httpx.Response:
        with api.client(billing.token) as client:
            barrier.wait()
            return client.post(
                f"{BASE}/user/manage/intercoms",
                json={"login": login, "sync": [{"intercom_id": intercom["id"], "flat": flat}]},
            )

    with ThreadPoolExecutor(4) as pool:
        replies = list(pool.map(sync, [1, 2, 3, 4]))
    assert [reply.status_code for reply in replies] == [204] * 4, [reply.text for reply in replies]
