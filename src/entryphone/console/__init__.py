"""The operator's console (/console): server-rendered pages for administrators, built on the admin
API's handlers and the domain services behind them. `mount(app)` adds it to the application."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from entryphone.console.web import PREFIX

STATIC = Path(__file__).parent / "static"


def build_router() -> APIRouter:
    from entryphone.console import intercom, routes

    router = APIRouter(prefix=PREFIX, include_in_schema=False)
    router.include_router(routes.router)
    router.include_router(intercom.router)
    return router


def mount(app: FastAPI) -> None:
    app.include_router(build_router())
    app.mount(PREFIX + "/static", StaticFiles(directory=STATIC), name="console-static")
