"""Schemathesis against the app's own OpenAPI, every surface, over HTTP to the really started server.

Each operation gets a bounded, derandomized hypothesis run with a token of its surface, so requests
get past authentication; the checks are: no 5xx, and every reply matches the schema the operation
declares. Objects with small ids exist (the module's database is fresh), so generated ids reach the
handlers instead of stopping at 404. No vendor has a device driver in this server, so nothing the
fuzzer sends can make the app contact a device (the only traffic is loopback HTTP to the app).
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok

from entryphone.app import create_app
from entryphone.config import Settings
from entryphone.context import AppContext
from entryphone.devices.registry import DriverRegistry
from entryphone.fleet.runtime import access_of, start_fleet
from entryphone.models import Role
from entryphone.pushes import start_push_hub
from tests.api.client import helpers
from tests.support import seed
from tests.support.server import RunningServer, start_server

# Bounded for CI (both backends in about a minute each); raise it for a deeper local run.
MAX_EXAMPLES = int(os.environ.get("ENTRYPHONE_FUZZ_EXAMPLES", "8"))
SOON = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%d %H:%M:%S")

# Device-backed or streaming operations: they would talk to panels or hold the connection open.
DEVICE_OR_STREAM = r"/snapshot$|/open-door$|/restart$|/config-backup$|/sync-keys$"

# The app's own OpenAPI document (the served /openapi.json is checked to be this very document).
OPENAPI = create_app(Settings(secret_key="openapi-only-" + "x" * 32), startup_hooks=[]).openapi()  # type: ignore[arg-type]
schema = schemathesis.openapi.from_dict(OPENAPI).exclude(path_regex=DEVICE_OR_STREAM)
response_schema_conformance = schemathesis.checks.response_schema_conformance  # type: ignore[attr-defined]

CHECKS = [not_a_server_error, response_schema_conformance]


async def _fleet_without_drivers(context: AppContext) -> Callable[[], Awaitable[None]]:
    """The fleet's device access, with an empty driver registry: every vendor is a stored record."""
    stop = await start_fleet(context, supervise=False)
    access_of(context).registry = DriverRegistry()
    return stop


@pytest.fixture(scope="module")
def fuzz_server(settings: Settings) -> Iterator[RunningServer]:
    running = start_server(settings, startup_hooks=[start_push_hub, _fleet_without_drivers])
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def tokens(settings: Settings, fuzz_server: RunningServer) -> dict[str, str]:
    """A token per surface, and objects with small ids for the generated ids to find."""
    admin = seed.account(settings, Role.admin)
    billing = seed.account(settings, Role.billing)
    resident = seed.account(settings, Role.resident)
    for title in ("Fuzz door 1", "Fuzz door 2"):
        intercom_id = helpers.intercom(settings, title=title, vendor="beward")
        helpers.attach(settings, intercom_id, 1, resident.id)
    with httpx.Client(base_url=fuzz_server.url, headers={"Authorization": f"Bearer {admin.token}"}) as client:
        keys = client.post("/api/admin/v1/intercoms/1/keys", json={"keys": ["0A0B0C0D", "0A0B0C0E"]})
        assert keys.status_code == 200, keys.text
        code = client.post(
            "/api/admin/v1/intercom/1/codes",
            json={"flat_id": helpers.flat_id(settings, 1, 1), "expired_at": SOON},
        )
        assert code.status_code == 200, code.text
    return {"admin": admin.token, "billing": billing.token, "resident": resident.token}


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def surface_headers(path: str, tokens: dict[str, str]) -> dict[str, str]:
    if path.startswith("/api/admin/"):
        return {"Authorization": f"Bearer {tokens['admin']}"}
    if path.startswith("/api/v1/billing"):
        return {"Authorization": f"Bearer {tokens['billing']}"}
    if path.startswith("/api/v1/"):
        # Valid client headers: header fuzzing is tests/api/test_token_login.py's job; here the
        # generated bodies, paths and queries must reach the handlers.
        return {
            "Authorization": f"Bearer {tokens['resident']}",
            "X-Client": "web",
            "X-UUID": "fuzz-phone",
        }
    return {}


def test_the_served_openapi_is_the_fuzzed_one(fuzz_server: RunningServer) -> None:
    served = httpx.get(f"{fuzz_server.url}/openapi.json", timeout=30).json()
    assert served == OPENAPI
    operations = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
    fuzzed = {(operation.method.upper(), operation.path) for operation in operations}
    # Every surface is covered, and only the device/stream operations are left out.
    assert {path.split("/")[2] for _, path in fuzzed if path.startswith("/api/")} >= {"admin", "v1"}
    assert any(path.startswith("/api/v1/billing") for _, path in fuzzed)
    left_out = {(method.upper(), path) for path, ops in OPENAPI["paths"].items() for method in ops} - fuzzed
    assert left_out and all(
        path.rsplit("/", 1)[-1] in {"snapshot", "open-door", "restart", "config-backup", "sync-keys"}
        for _, path in left_out
    ), left_out


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    # Generated cases only: schemathesis' coverage phase alone takes minutes on this API.
    phases=[Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_no_server_error_and_replies_match_their_schema(
    case: schemathesis.Case[Any],
    fuzz_server: RunningServer,
    tokens: dict[str, str],
    http: requests.Session,
) -> None:
    headers = surface_headers(case.path, tokens)
    response = case.call(base_url=fuzz_server.url, session=http, headers=headers, timeout=30)
    case.validate_response(response, checks=CHECKS, headers=headers)
