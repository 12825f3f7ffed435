"""The billing surface, /api/v1/billing: an operator's billing/CRM system drives intercoms and flats."""

from entryphone.api.billing import flats, intercoms, users

PREFIX = "/api/v1/billing"
ROUTERS = [intercoms.router, flats.router, users.router]  # included by app.py under PREFIX
