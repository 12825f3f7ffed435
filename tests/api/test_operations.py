"""Operations endpoints: liveness, readiness (database and supervisor), Prometheus metrics."""

from __future__ import annotations

import httpx

from entryphone.config import Settings
from tests.conftest import Api
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
