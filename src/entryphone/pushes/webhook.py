"""A push provider that POSTs each push as JSON to a configured URL, retried with the product's
back-off (exponential, full jitter: `fleet/backoff.py`), so receivers that failed together are not
retried in step.

The receiver (the operator's gateway to APNs / FCM / HMS, or any integration) gets:
    {"id": "<uuid>", "channel": "user.3", "event": "...", "data": {...}, "devices": ["<X-UUID>", ...]}
with `X-Entryphone-Signature: sha256=<hex HMAC of the body>` when a secret is configured. The same
`id` is sent on every retry so the receiver can drop duplicates.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import random
import uuid
from collections.abc import Awaitable, Callable

import aiohttp

from entryphone.fleet.backoff import Backoff
from entryphone.pushes.events import Push

log = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class WebhookProvider:
    def __init__(
        self,
        url: str,
        *,
        secret: str | None = None,
        attempts: int = 5,
        backoff: float = 1.0,
        max_backoff: float = 60.0,
        timeout: float = 10.0,
        rng: random.Random | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        """`backoff`: the longest wait after the first failure, doubling up to `max_backoff`.
        `rng` and `sleep` let a test draw the delays and wait on its own clock."""
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self.url = url
        self._secret = secret.encode() if secret else None
        self.attempts = attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._rng = rng or random.Random()
        self._sleep = sleep
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def send(self, push: Push, devices: list[str]) -> bool:
        """True when the receiver accepted the push (2xx); False after the last attempt or a refusal."""
        body = json.dumps({"id": str(uuid.uuid4()), **push.message(), "devices": devices}).encode()
        headers = {"Content-Type": "application/json"}
        if self._secret is not None:
            digest = hmac.new(self._secret, body, hashlib.sha256).hexdigest()
            headers["X-Entryphone-Signature"] = f"sha256={digest}"
        backoff = Backoff(self.backoff, self.max_backoff, self._rng)
        for attempt in range(1, self.attempts + 1):
            try:
                async with self._client().post(self.url, data=body, headers=headers) as reply:
                    if 200 <= reply.status < 300:
                        return True
                    if reply.status not in RETRYABLE_STATUSES:
                        log.warning("push webhook refused %s with HTTP %d", push.event, reply.status)
                        return False
                    reason = f"HTTP {reply.status}"
            except (aiohttp.ClientError, TimeoutError) as exc:
                reason = type(exc).__name__
            if attempt < self.attempts:
                log.info("push webhook attempt %d failed (%s); retrying", attempt, reason)
                await self._sleep(backoff.next_delay())
        log.warning("push webhook gave up on %s after %d attempts", push.event, self.attempts)
        return False

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
