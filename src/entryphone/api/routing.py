"""HTTP semantics the framework leaves out: a 405 lists every method of the resource in `Allow`, and
every body is read as JSON whatever its Content-Type. (Numeric path parameters are declared
`{intercom:int}` in the routers, so a method a literal path lacks, PATCH /intercoms/groups, is that
path's 405 and not a 422 from `/intercoms/{intercom}`.)"""

from __future__ import annotations

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(routes: list[BaseRoute], scope: Scope) -> list[str]:
    """Every method some route answers at this path, for a 405's Allow header (Starlette names only
    the first route's: FastAPI declares one route per method)."""
    allowed = []
    for method in _METHODS:
        probe = {**scope, "method": method}
        if any(route.matches(probe)[0] == Match.FULL for route in routes):
            allowed.append(method)
    return allowed


class JsonBodyMiddleware:
    """Every body of this API is JSON: it is read as JSON whatever Content-Type says (curl's `-d`
    sends application/x-www-form-urlencoded, some clients text/plain or nothing), so such a body is
    accepted, and a body that is not JSON gets the usual 422 on `body`. Pure ASGI: no overhead.
    Only the three API surfaces (`/api/...`): the console's HTML forms keep their form encoding."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in _BODY_METHODS and scope["path"].startswith("/api/"):
            headers = [(name, value) for name, value in scope["headers"] if name != b"content-type"]
            headers.append((b"content-type", b"application/json"))
            scope = {**scope, "headers": headers}
        await self.app(scope, receive, send)


_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
