"""Shared fixtures: every API test runs against a really started app, on SQLite and on PostgreSQL.

ENTRYPHONE_TEST_BACKENDS (default "sqlite,postgresql") narrows the backends for a quick local run.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from entryphone.config import Settings
from entryphone.db import migrate
from entryphone.models import Role
from tests.support import seed
from tests.support.postgres import PostgresCluster
from tests.support.server import RunningServer, start_server

BACKENDS = [
    name.strip()
    for name in os.environ.get("ENTRYPHONE_TEST_BACKENDS", "sqlite,postgresql").split(",")
    if name.strip()
]
TEST_SECRET_KEY = "test-secret-key-not-for-production"


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Migrate once per backend; every module then gets a copy (fast, and each module starts empty)."""
    return {}


def _settings(database_url: str, data_dir: Path, **overrides: object) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        secret_key=TEST_SECRET_KEY,  # type: ignore[arg-type]
        supervisor_enabled=False,
        **overrides,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def database_url(
    backend: str,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    migrated_templates: dict[str, object],
) -> str:
    """A freshly migrated, empty database of the module's backend."""
    name = (
        "m_" + "".join(ch if ch.isalnum() else "_" for ch in request.module.__name__.rsplit(".", 1)[-1])[:40]
    )
    if backend == "sqlite":
        template = migrated_templates.get("sqlite")
        if template is None:
            path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
            migrate.upgrade(_settings(f"sqlite+aiosqlite:///{path}", path.parent))
            migrated_templates["sqlite"] = template = path
        assert isinstance(template, Path)
        target = tmp_path_factory.mktemp(name) / "entryphone.sqlite3"
        shutil.copyfile(template, target)
        return f"sqlite+aiosqlite:///{target}"
    if backend == "postgresql":
        cluster: PostgresCluster = request.getfixturevalue("pg_cluster")
        if "postgresql" not in migrated_templates:
            url = cluster.create_database("entryphone_template")
            migrate.upgrade(_settings(url, tmp_path_factory.mktemp("pg-template")))
            migrated_templates["postgresql"] = True
        counter = int(migrated_templates.get("pg_count", 0)) + 1  # type: ignore[call-overload]
        migrated_templates["pg_count"] = counter
        return cluster.create_database(f"{name}_{counter}", template="entryphone_template")
    raise ValueError(f"unknown backend {backend!r}")


@pytest.fixture(scope="module")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return _settings(database_url, tmp_path_factory.mktemp("data"))


@pytest.fixture(scope="module")
def server(settings: Settings) -> Iterator[RunningServer]:
    running = start_server(settings)
    try:
        yield running
    finally:
        running.stop()


class Api:
    """httpx clients for the running app, with the headers each surface expects."""

    def __init__(self, url: str) -> None:
        self.url = url

    def client(
        self, token: str | None = None, *, x_client: str | None = "web", x_uuid: str | None = "test-device-1"
    ) -> httpx.Client:
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if x_client:
            headers["X-Client"] = x_client
        if x_uuid:
            headers["X-UUID"] = x_uuid
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


@pytest.fixture(scope="module")
def second_node(backend: str, settings: Settings, server: RunningServer) -> Iterator[RunningServer]:
    """A second API process on the same database: only PostgreSQL is shared between processes."""
    if backend != "postgresql":
        pytest.skip("several API nodes share one PostgreSQL; SQLite is a single process")
    running = start_server(settings.model_copy(update={"node_id": "api-node-2"}))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def api(server: RunningServer) -> Api:
    return Api(server.url)


@pytest.fixture(scope="module")
def admin(settings: Settings) -> seed.SeededAccount:
    return seed.account(settings, Role.admin)


@pytest.fixture(scope="module")
def admin_client(api: Api, admin: seed.SeededAccount) -> Iterator[httpx.Client]:
    with api.client(admin.token) as client:
        yield client
