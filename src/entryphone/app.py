"""create_app(settings): the ASGI application. Everything that connects is built in the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from entryphone import __version__
from entryphone.api import admin, billing, client, internal
from entryphone.api.docs import install_docs
from entryphone.api.errors import document_error_shapes, install_error_handlers
from entryphone.api.limits import BodyLimitMiddleware
from entryphone.api.openapi import document_statuses
from entryphone.api.routing import JsonBodyMiddleware
from entryphone.config import Settings
from entryphone.console import mount as mount_console
from entryphone.context import AppContext
from entryphone.observability import health
from entryphone.observability.metrics import SERVICE_NAME as METRICS
from entryphone.observability.metrics import Metrics, RequestMetricsMiddleware

# Hooks run after the context is built and before the app serves (supervisor, push hub, ...).
StartupHook = Callable[[AppContext], Awaitable[Callable[[], Awaitable[None]] | None]]


def default_startup_hooks() -> list[StartupHook]:
    from entryphone.fleet.runtime import fleet_hook
    from entryphone.pushes import start_push_hub

    # The push hub first: the supervisor publishes pushes (calls, registrations) through it.
    return [start_push_hub, fleet_hook]


def create_app(
    settings: Settings | None = None, *, startup_hooks: list[StartupHook] | None = None
) -> FastAPI:
    settings = settings or Settings()
    hooks = list(startup_hooks) if startup_hooks is not None else default_startup_hooks()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        context = AppContext.build(settings)
        context.services[METRICS] = metrics
        app.state.context = context
        stoppers: list[Callable[[], Awaitable[None]]] = []
        try:
            for hook in hooks:
                stop = await hook(context)
                if stop is not None:
                    stoppers.append(stop)
            yield
        finally:
            for stop in reversed(stoppers):
                await stop()
            await context.close()

    app = FastAPI(
        title="entryphone",
        version=__version__,
        description="Intercom platform API: admin (/api/admin/v1), billing (/api/v1/billing), "
        "residents' apps (/api/v1).",
        lifespan=lifespan,
        docs_url=None,  # api/docs.py serves Swagger UI from the package (works offline)
        redoc_url=None,  # ReDoc would load from a CDN too; Swagger UI covers the same need
    )
    install_docs(app)
    install_error_handlers(app)
    document_error_shapes(app)
    document_statuses(app)
    metrics = Metrics()
    app.add_middleware(JsonBodyMiddleware)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RequestMetricsMiddleware, metrics=metrics)
    app.include_router(health.router)
    for surface in (admin, billing, client, internal):
        for router in surface.ROUTERS:
            app.include_router(router, prefix=surface.PREFIX)
    mount_console(app)  # the operator's console, /console (console/)
    return app
