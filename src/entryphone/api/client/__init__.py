"""The residents' client surface, /api/v1 (X-Client and X-UUID on every call)."""

from fastapi import APIRouter

from entryphone.api.client import auth

router = APIRouter(prefix="/api/v1")
router.include_router(auth.router)
