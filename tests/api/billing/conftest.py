"""Fixtures of the billing API tests: a billing token, house groups, intercoms created over HTTP."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.config import Settings
from entryphone.context import AppContext
from entryphone.groups import service as groups
from entryphone.models import Role
from tests.conftest import Api
from tests.support import seed

BASE = "/api/v1/billing"
_macs = itertools.count(1)


@pytest.fixture(scope="module")
def billing(settings: Settings) -> seed.SeededAccount:
    return seed.account(settings, Role.billing)


@pytest.fixture(scope="module")
def billing_client(api: Api, billing: seed.SeededAccount) -> Iterator[httpx.Client]:
    with api.client(billing.token, x_client=None, x_uuid=None) as client:
        yield client


def make_house(settings: Settings, name: str = "House", external_id: str | None = None) -> dict[str, Any]:
    async def work(session: AsyncSession, _context: AppContext) -> dict[str, Any]:
        group = await groups.create(
            session, name=name, is_house=True, external_id=external_id or seed.unique("house")
        )
        return {"id": group.id, "name": group.name, "external_id": group.external_id}

    return seed.in_session(settings, work)


@pytest.fixture(scope="module")
def house(settings: Settings) -> dict[str, Any]:
    return make_house(settings, "Evergreen Terrace 742")


def next_mac() -> str:
    number = next(_macs)
    return "02:00:00:00:" + f"{number // 256:02X}:{number % 256:02X}"


@pytest.fixture(scope="module")
def create_intercom(billing_client: httpx.Client, house: dict[str, Any]) -> Callable[..., dict[str, Any]]:
    def create(**overrides: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "group_id": house["id"],
            "flat_from": 1,
            "flat_to": 15,
            "serial_number": seed.unique("SN"),
            "mac": next_mac(),
            "vendor": "interconnection",
            "model": "3516EV200",
            "name": "intercom name",
            "department": 1,
        }
        body.update(overrides)
        body = {key: value for key, value in body.items() if value is not None}
        reply = billing_client.post(f"{BASE}/intercoms", json=body)
        assert reply.status_code == 200, reply.text
        return reply.json()  # type: ignore[no-any-return]

    return create
