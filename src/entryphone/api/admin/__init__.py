"""The admin surface, /api/admin/v1. Routers with literal paths come before parameterised ones:
groups (`/intercoms/groups`) must be included before any router with `/intercoms/{intercom}`.

The app includes these routers itself, under PREFIX (app.py): FastAPI matches a request level by
level, and a surface router around them cost a quarter of a millisecond per request."""

from entryphone.api.admin import (
    audit,
    calls,
    cameras,
    codes,
    configurations,
    devices,
    flats,
    groups,
    intercoms,
    keys,
    pushes,
)

PREFIX = "/api/admin/v1"
ROUTERS = [
    groups.router,
    intercoms.router,  # right after groups: the most read paths are matched early
    configurations.router,
    cameras.router,
    flats.router,
    keys.router,
    codes.router,
    audit.router,
    calls.router,
    devices.router,
    pushes.router,
]
