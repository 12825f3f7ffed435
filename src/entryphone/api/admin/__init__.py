"""The admin surface, /api/admin/v1. Routers with literal paths come before parameterised ones."""

from fastapi import APIRouter

from entryphone.api.admin import groups

router = APIRouter(prefix="/api/admin/v1")
router.include_router(groups.router)
