"""The residents' client surface, /api/v1 (X-Client and X-UUID on every call).

Routers with literal paths (/intercom/codes, /intercom/calls, /intercom/shows) come before
/intercom/{intercom}."""

from entryphone.api.client import auth, calls, codes, intercoms, pushes, sip_account

PREFIX = "/api/v1"
ROUTERS = [
    auth.router,
    calls.router,
    codes.router,
    intercoms.router,
    pushes.router,
    sip_account.router,
]  # app.py adds PREFIX
