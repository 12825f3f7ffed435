"""Reads answered from the reply cache before routing (api/cached_reads.py) are the route's own
replies: same bytes and headers, same refusals, same token bookkeeping; anything unusual goes to
the route. Freshness after writes is tests/api/test_read_after_write.py."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
from fastapi.routing import APIRoute
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.api import admin
from entryphone.api.cached_reads import CachedRead
from entryphone.app import create_app
from entryphone.config import Settings
from entryphone.context import AppContext
from entryphone.models import Role
from entryphone.security.tokens import hash_token
from tests.conftest import Api
from tests.support import seed

BASE = "/api/admin/v1"


def _answered_early(api: Api) -> float:
    """entryphone_cached_reads_total for the admin intercom object, from /metrics."""
    with api.client() as client:
        metrics = client.get("/metrics").text
    sample = r'^entryphone_cached_reads_total\{route="[^"]*/intercoms/\{intercom\}"\} (\S+)$'
    found = re.search(sample, metrics, re.M)
    return float(found[1]) if found else 0.0


def _intercom(admin_client: httpx.Client) -> int:
    created = admin_client.post(
        f"{BASE}/intercoms",
        json={"title": seed.unique("cached"), "vendor": "beward", "flat_from": 1, "flat_to": 2},
    )
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


def _dependency_names(route: APIRoute) -> set[str]:
    names: set[str] = set()
    pending = list(route.dependant.dependencies)
    while pending:
        dependant = pending.pop()
        names.add(getattr(dependant.call, "__name__", ""))
        pending.extend(dependant.dependencies)
    return names


def test_each_cached_read_is_a_get_route_with_the_same_role_and_generation(settings: Settings) -> None:
    app = create_app(settings, startup_hooks=[])
    routes: dict[tuple[str, str], APIRoute] = {}
    for included in app.routes:  # FastAPI keeps included routers whole; each lists its routes
        for context in getattr(included, "effective_route_contexts", lambda: [])():
            route = context.original_route
            if isinstance(route, APIRoute):
                routes.update({(context.path_format, method): route for method in route.methods or ()})
    assert (f"{BASE}/intercoms", "GET") in routes
    assert admin.CACHED_READS
    for read in admin.CACHED_READS:
        assert isinstance(read, CachedRead)
        route = routes.get((read.template, "GET"))
        assert route is not None, f"{read.template} is not a GET route of the app"
        assert f"read_{read.generation}_as_{read.role.value}" in _dependency_names(route)


def test_a_hit_is_the_reply_the_route_stored(api: Api, admin_client: httpx.Client) -> None:
    intercom_id = _intercom(admin_client)
    before = _answered_early(api)
    first = admin_client.get(f"{BASE}/intercoms/{intercom_id}")  # built by the route, then kept
    second = admin_client.get(f"{BASE}/intercoms/{intercom_id}")
    assert _answered_early(api) == before + 1
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.content == first.content
    for header in ("content-type", "content-length"):
        assert second.headers[header] == first.headers[header]
    assert second.json()["id"] == intercom_id


def test_refusals_and_unusual_requests_are_the_routes(
    api: Api, admin_client: httpx.Client, settings: Settings
) -> None:
    intercom_id = _intercom(admin_client)
    path = f"{BASE}/intercoms/{intercom_id}"
    assert admin_client.get(path).status_code == 200  # now cached
    before = _answered_early(api)
    resident = seed.account(settings, Role.resident)
    anonymous, stranger, other = api.client(), api.client("not-a-token"), api.client(resident.token)
    with anonymous, stranger, other:
        for client, headers in (
            (anonymous, {}),
            (stranger, {}),
            (other, {}),  # a valid token of another surface
            (anonymous, {"Authorization": "Basic YWRtaW46YWRtaW4="}),
            (anonymous, {"Authorization": "Bearer " + "x" * 600}),
        ):
            refused = client.get(path, headers=headers)
            assert refused.status_code == 401, refused.text
            assert set(refused.json()) >= {"message"}
    # Served, but by the route: a query string, a padded id, a trailing slash, HEAD.
    assert admin_client.get(path, params={"fields": "all"}).json()["id"] == intercom_id
    assert admin_client.get(f"{BASE}/intercoms/0{intercom_id}").status_code in (200, 404, 422)
    assert admin_client.get(f"{path}/", follow_redirects=False).status_code in (307, 404)
    assert admin_client.head(path).status_code in (200, 405)
    assert _answered_early(api) == before


def test_a_token_due_for_its_last_use_goes_to_the_route(
    api: Api, admin_client: httpx.Client, settings: Settings
) -> None:
    intercom_id = _intercom(admin_client)
    owner = seed.account(settings, Role.admin)
    long_ago = datetime.now(UTC) - timedelta(days=30)

    async def age(session: AsyncSession, _context: AppContext) -> None:
        await session.execute(
            text("UPDATE api_tokens SET last_used_at = :at WHERE token_hash = :hash"),
            {"at": long_ago, "hash": hash_token(owner.token)},
        )

    async def last_used(session: AsyncSession, _context: AppContext) -> datetime:
        value = await session.scalar(
            text("SELECT last_used_at FROM api_tokens WHERE token_hash = :hash"),
            {"hash": hash_token(owner.token)},
        )
        return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))

    with api.client(owner.token) as client:
        assert client.get(f"{BASE}/intercoms/{intercom_id}").status_code == 200  # cached from here
        seed.in_session(settings, age)
        before = _answered_early(api)
        assert client.get(f"{BASE}/intercoms/{intercom_id}").status_code == 200
        assert _answered_early(api) == before  # the route answered, and wrote the last use
        used = seed.in_session(settings, last_used)
        assert used.replace(tzinfo=used.tzinfo or UTC) > long_ago + timedelta(days=29)
        assert client.get(f"{BASE}/intercoms/{intercom_id}").status_code == 200
        assert _answered_early(api) == before + 1
