"""The billing surface, /api/v1/billing: an operator's billing/CRM system drives intercoms and flats."""

from fastapi import APIRouter

from entryphone.api.billing import flats, intercoms, users

router = APIRouter(prefix="/api/v1/billing")
router.include_router(intercoms.router)
router.include_router(flats.router)
router.include_router(users.router)
