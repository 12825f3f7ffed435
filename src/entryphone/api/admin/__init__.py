"""The admin surface, /api/admin/v1. Routers with literal paths come before parameterised ones:
groups (`/intercoms/groups`) must be included before any router with `/intercoms/{intercom}`."""

from fastapi import APIRouter

from entryphone.api.admin import (
    audit,
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

router = APIRouter(prefix="/api/admin/v1")
router.include_router(groups.router)
router.include_router(configurations.router)
router.include_router(cameras.router)
router.include_router(intercoms.router)
router.include_router(flats.router)
router.include_router(keys.router)
router.include_router(codes.router)
router.include_router(audit.router)
router.include_router(devices.router)
router.include_router(pushes.router)
