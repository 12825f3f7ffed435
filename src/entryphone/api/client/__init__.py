"""The residents' client surface, /api/v1 (X-Client and X-UUID on every call).

Routers with literal paths (/intercom/codes, /intercom/calls, /intercom/shows) come before
/intercom/{intercom}."""

from fastapi import APIRouter

from entryphone.api.client import auth, calls, codes, intercoms, pushes

router = APIRouter(prefix="/api/v1")
router.include_router(auth.router)
router.include_router(calls.router)
router.include_router(codes.router)
router.include_router(intercoms.router)
router.include_router(pushes.router)
