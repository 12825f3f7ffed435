"""Prometheus metrics of one process. One registry per app, so several apps in one process (tests)
never share counters."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SERVICE_NAME = "metrics"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.request_seconds = Histogram(
            "entryphone_http_request_duration_seconds",
            "HTTP request latency by route template and method.",
            ["method", "route", "status"],
            registry=self.registry,
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.devices_online = Gauge(
            "entryphone_devices_online", "Intercoms whose panel is online.", registry=self.registry
        )
        self.devices_total = Gauge(
            "entryphone_devices_total", "Intercoms that are not deleted.", registry=self.registry
        )
        self.events_ingested = Counter(
            "entryphone_events_ingested_total",
            "Device events stored in the journal by this node.",
            registry=self.registry,
        )
        self.pull_errors = Counter(
            "entryphone_event_pull_errors_total",
            "Failed event pulls (device unreachable, refused ...).",
            registry=self.registry,
        )
        self.video_streams = Gauge(
            "entryphone_video_streams_open",
            "MJPEG streams (snapshot?fps=) this node is proxying from panels to clients right now.",
            registry=self.registry,
        )
        self.leases_owned = Gauge(
            "entryphone_leases_owned",
            "Intercoms this node's supervisor holds a lease on.",
            registry=self.registry,
        )


class RequestMetricsMiddleware:
    """Latency per route template (`/api/admin/v1/intercoms/{intercom}`), never per concrete path,
    so ids do not explode the label space."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            template = route_template(scope)
            self.metrics.request_seconds.labels(scope.get("method", ""), template, str(status)).observe(
                time.perf_counter() - started
            )


def route_template(scope: Scope) -> str:
    """The full path template of the route that served the request. FastAPI keeps the route of an
    included router with its own relative path and records the full one in its effective context."""
    effective = scope.get("fastapi", {}).get("effective_route_context")
    # path_format: the template without convertors ({intercom}, not {intercom:int}).
    path = getattr(effective, "path_format", None) or getattr(scope.get("route"), "path_format", None)
    return str(path) if path else "unmatched"
