"""Liveness, readiness and the Prometheus endpoint: /healthz, /readyz, /metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import func, select, text

from entryphone.context import AppContext
from entryphone.models import Intercom
from entryphone.observability.metrics import SERVICE_NAME, Metrics

router = APIRouter(tags=["operations"])


class Liveness(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    database: str
    supervisor: dict[str, Any]


@router.get("/healthz", response_model=Liveness, summary="Liveness: the process answers")
async def healthz() -> Liveness:
    return Liveness(status="ok")


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness}},
    summary="Readiness: the database answers and the supervisor (when enabled) runs",
)
async def readyz(request: Request) -> Response:
    context: AppContext = request.app.state.context
    ready = True
    try:
        async with context.sessions() as session:
            await session.execute(text("SELECT 1"))
        database = "ok"
    except Exception as exc:  # any driver error means "not ready"; the type says which
        database = f"error: {type(exc).__name__}"
        ready = False
    supervisor = context.services.get("supervisor")
    if supervisor is None:
        state: dict[str, Any] = {"enabled": False}
    else:
        running = supervisor.is_running
        state = {
            "enabled": True,
            "running": running,
            "node_id": supervisor.node_id,
            "ticks": supervisor.ticks,
            "owned": len(supervisor.owned),
            "last_error": supervisor.last_tick_error,
        }
        ready = ready and running and supervisor.ticks > 0 and supervisor.last_tick_error is None
    body = Readiness(status="ok" if ready else "unavailable", database=database, supervisor=state)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}}},
    summary="Prometheus metrics",
)
async def metrics(request: Request) -> Response:
    context: AppContext = request.app.state.context
    collected: Metrics = context.services[SERVICE_NAME]
    async with context.sessions() as session:
        row = (
            await session.execute(
                select(func.count(), func.count().filter(Intercom.is_online.is_(True))).where(
                    Intercom.status != "deleted"
                )
            )
        ).one()
    collected.devices_total.set(row[0])
    collected.devices_online.set(row[1])
    supervisor = context.services.get("supervisor")
    if supervisor is not None:
        collected.leases_owned.set(len(supervisor.owned))
    return Response(generate_latest(collected.registry), media_type=CONTENT_TYPE_LATEST)
