"""The residents' home screen (GET /api/v1/intercom, every app launch): the page, its count and
each intercom's per-resident fields come from a fixed number of statements, however many intercoms
the resident has (no statement per intercom), and the pages add up."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from entryphone.config import Settings
from entryphone.models import Role
from tests.api.client import helpers
from tests.conftest import Api
from tests.support import seed


class Statements:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *_args: Any) -> None:
        self.count += 1


@pytest.fixture
def statements() -> Iterator[Statements]:
    """Every statement any engine of this process sends (the app runs in this process)."""
    counter = Statements()
    event.listen(Engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        event.remove(Engine, "before_cursor_execute", counter)


def _home(api: Api, token: str, statements: Statements, **params: object) -> tuple[dict[str, Any], int]:
    with api.client(token, x_uuid="home-phone") as app:
        app.get("/api/v1/intercom")  # the phone is written down once; count what follows
        before = statements.count
        reply = app.get("/api/v1/intercom", params=params)
        assert reply.status_code == 200, reply.text
        return reply.json(), statements.count - before


def test_the_home_screen_costs_the_same_statements_for_one_intercom_or_six(
    api: Api, settings: Settings, statements: Statements
) -> None:
    one, six = seed.account(settings, Role.resident), seed.account(settings, Role.resident)
    first = helpers.intercom(settings, title="Home 1")
    helpers.attach(settings, first, 1, one.id)
    for number in range(1, 7):
        helpers.attach(settings, helpers.intercom(settings, title=f"Home of six {number}"), 2, six.id)

    page_one, spent_one = _home(api, one.token, statements)
    page_six, spent_six = _home(api, six.token, statements)
    assert [item["title"] for item in page_one["data"]] == ["Home 1"]
    assert [item["title"] for item in page_six["data"]] == [f"Home of six {n}" for n in range(1, 7)]
    assert all(item["camera"] is not None for item in page_six["data"])
    assert page_six["meta"]["total"] == 6
    # The token, the phone, and the page with its count: three statements.
    assert spent_one == spent_six == 3

    second, _ = _home(api, six.token, statements, per_page=4, page=2)
    assert [item["title"] for item in second["data"]] == ["Home of six 5", "Home of six 6"]
    assert second["meta"]["total"] == 6
    past, _ = _home(api, six.token, statements, per_page=4, page=3)
    assert past["data"] == []
    assert past["meta"]["total"] == 6
