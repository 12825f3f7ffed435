"""The billing surface, /api/v1/billing."""

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1/billing")
