"""Operations endpoints: liveness, readiness (database and supervisor), Prometheus metrics."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.config import Settings
from entryphone.context import AppContext
from tests.conftest import Api
from tests.support import seed
from tests.support.server import start_server
from tests.support.wait import until


def test_liveness_and_readiness_without_supervisor(api: Api) -> None:
    with api.client() as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["database"] == "ok" and ready.json()["supervisor"] == {"enabled": False}


def test_metrics_expose_route_latency_and_fleet_gauges(api: Api, admin_client: httpx.Client) -> None:
    admin_client.get("/api/admin/v1/intercoms/groups/12345")
    label = 'route="/api/admin/v1/intercoms/groups/{group}"'

    def scrape() -> str | None:
        with api.client() as client:
            text = client.get("/metrics").text
        return text if label in text else None

    # The latency is observed once the reply is out, so the scrape may have to look twice.
    text = until(scrape)
    assert "/groups/12345" not in text  # templates, never concrete paths
    for name in (
        "entryphone_http_request_duration_seconds_bucket",
        "entryphone_devices_online",
        "entryphone_events_ingested_total",
        "entryphone_event_pull_errors_total",
        "entryphone_leases_owned",
    ):
        assert name in text


def test_readiness_reports_the_running_supervisor(settings: Settings) -> None:
    running = start_server(settings.model_copy(update={"supervisor_enabled": True, "lease_seconds": 3.0}))
    try:
        with httpx.Client(base_url=running.url) as client:
            body = until(lambda: (r := client.get("/readyz")).status_code == 200 and r.json(), timeout=20)
        supervisor = body["supervisor"]
        assert supervisor["enabled"] and supervisor["running"] and supervisor["ticks"] >= 1
        assert supervisor["node_id"] == settings.node_id
    finally:
        running.stop()


def test_a_lost_database_connection_answers_503_and_the_pool_recovers(
    admin_client: httpx.Client, settings: Settings, backend: str
) -> None:
    """Pooled connections are not pinged before use (a round trip each): when the database drops
    them (restart, failover), the request that finds one dead answers 503 with Retry-After, never
    500, and the next requests reconnect."""
    if backend != "postgresql":
        pytest.skip("SQLite connections are files: nothing to lose")
    for _ in range(3):  # leave idle connections in the server's pool
        assert admin_client.get("/api/admin/v1/intercoms/groups").status_code == 200

    async def kill(session: AsyncSession, _context: AppContext) -> None:
        await session.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )

    seed.in_session(settings, kill)
    statuses = [admin_client.get("/api/admin/v1/intercoms/groups") for _ in range(3)]
    # Every idle pooled connection was killed: the first request checks out a dead one.
    assert statuses[0].status_code == 503, statuses[0].text
    assert statuses[0].headers["Retry-After"] == "1" and set(statuses[0].json()) == {"message"}
    assert [reply.status_code for reply in statuses[1:]] == [200, 200]
