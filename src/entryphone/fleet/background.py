"""Device work an admin asked for and does not wait on (sync keys now, provision SIP now): run in
the background, logged if it fails before its own status is recorded, cancelled at shutdown."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

_running: set[asyncio.Task[None]] = set()  # the loop keeps only weak references to tasks


def spawn(name: str, work: Callable[[], Awaitable[object]]) -> None:
    """Run `work` in the background. Its outcome is recorded by `work` itself when it comes from
    the device; anything else is logged here."""

    async def run() -> None:
        try:
            await work()
        except Exception as exc:
            log.info("%s failed: %s", name, exc)

    task = asyncio.create_task(run(), name=name)
    _running.add(task)
    task.add_done_callback(_running.discard)


async def cancel_all() -> None:
    """At shutdown: background work still running holds database connections; end it."""
    pending = list(_running)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
