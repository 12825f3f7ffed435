"""Reply-cache hits answered before routing.

Declaring the hottest read as a FastAPI route costs more CPU than answering it from the reply cache
(api/reply_cache.py): FastAPI's routing walks the included routers and resolves the dependencies
for every request, about twice the cost of the lookup itself (bench/api_read.py). This middleware
answers a request for a registered read from the cache when it can and hands *everything else* to
the app unchanged: a miss, a stale entry, a bad or expired token, a token whose last use is due to
be written, a query string, any method but GET, any error while reading the token. Every refusal and
every first read is therefore the route's own, and a hit sends the bytes the route stored, after
the same token check (accounts.service.authenticate_directly) in the same single statement that
reads the generation, so it is exactly as fresh as the route (tests/api/test_read_after_write.py).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from entryphone.accounts import service as accounts
from entryphone.api.deps import CHECKED_TOKEN_KEY, CheckedToken, bearer_token
from entryphone.api.limits import scope_header
from entryphone.api.reply_cache import ReplyCache
from entryphone.errors import Unauthenticated
from entryphone.models import Role
from entryphone.observability.metrics import ROUTE_TEMPLATE_KEY, Metrics

log = logging.getLogger(__name__)

_ID = r"([1-9][0-9]{0,17})"  # what IdPath accepts, written the one way a client sends it


@dataclass(frozen=True)
class CachedRead:
    """One read the middleware may answer: `GET {template}` with the id in place of `{param}`."""

    template: str  # the full route template, e.g. /api/admin/v1/intercoms/{intercom}
    param: str
    role: Role
    generation: str  # db/generations.py
    key: Callable[[int], Hashable]  # the reply-cache key the route stores under

    def pattern(self) -> re.Pattern[str]:
        prefix, _, suffix = self.template.partition("{" + self.param + "}")
        return re.compile(re.escape(prefix) + _ID + re.escape(suffix))


class CachedReadsMiddleware:
    def __init__(self, app: ASGIApp, reads: list[CachedRead], metrics: Metrics) -> None:
        self.app = app
        self.reads = [(read.pattern(), read) for read in reads]
        self.answered = {read.template: metrics.cached_reads.labels(read.template) for read in reads}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and not scope["query_string"]:
            for pattern, read in self.reads:
                match = pattern.fullmatch(scope["path"])
                if match is not None:
                    body = await self._cached(scope, read, int(match[1]))
                    if body is not None:
                        scope[ROUTE_TEMPLATE_KEY] = read.template  # observability/metrics.py
                        self.answered[read.template].inc()
                        await _send_json(send, body)
                        return
                    break
        await self.app(scope, receive, send)

    async def _cached(self, scope: Scope, read: CachedRead, ident: int) -> bytes | None:
        state = scope["app"].state
        cache: ReplyCache | None = getattr(state, "reply_cache", None)  # None: not started yet
        key = read.key(ident)
        if cache is None or not cache.holds(key):
            return None  # a first read: the route reads the token itself
        try:
            token = bearer_token(scope_header(scope, b"authorization"))
            principal, value, due = await accounts.authenticate_directly(
                state.context.rows, token, read.role, read.generation
            )
        except Unauthenticated:
            return None  # the route answers the 401
        except Exception as error:  # the route meets the same failure and answers it (503 ...)
            log.debug("cached read skipped: %s", type(error).__name__)
            return None
        if due:
            return None  # the route writes last_used_at
        body = cache.get(key, value)
        if body is None:
            scope[CHECKED_TOKEN_KEY] = CheckedToken(token, read.role, read.generation, principal, value)
        return body


async def _send_json(send: Send, body: bytes) -> None:
    # The headers starlette's Response(body, media_type="application/json") sends.
    headers = [(b"content-length", str(len(body)).encode()), (b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
