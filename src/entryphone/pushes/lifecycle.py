"""Start and stop the push hub with the app (a startup hook); find it from anything holding the context."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from entryphone.context import AppContext
from entryphone.pushes.hub import PushHub, PushProvider
from entryphone.pushes.pg_fanout import PostgresFanOut
from entryphone.pushes.repository import device_directory
from entryphone.pushes.settings import PushSettings
from entryphone.pushes.webhook import WebhookProvider

SERVICE_NAME = "pushes"


def provider_from(settings: PushSettings) -> PushProvider | None:
    if not settings.webhook_url:
        return None
    return WebhookProvider(
        settings.webhook_url,
        secret=settings.webhook_secret.get_secret_value() if settings.webhook_secret else None,
        attempts=settings.webhook_attempts,
        backoff=settings.webhook_backoff_seconds,
        timeout=settings.webhook_timeout_seconds,
    )


async def start_push_hub(context: AppContext) -> Callable[[], Awaitable[None]]:
    """The app's startup hook: a hub fanning out in this process, with the configured provider."""
    # Several processes share a PostgreSQL database: pushes fan out through LISTEN/NOTIFY so a
    # resident connected to any API node receives them. SQLite means a single process.
    fanout = None if context.settings.is_sqlite else PostgresFanOut(context.settings.database_url)
    hub = PushHub(
        fanout=fanout, provider=provider_from(PushSettings()), devices=device_directory(context.sessions)
    )
    await hub.start()
    context.services[SERVICE_NAME] = hub

    async def stop() -> None:
        context.services.pop(SERVICE_NAME, None)
        await hub.stop()

    return stop


def hub_of(context: AppContext) -> PushHub | None:
    hub = context.services.get(SERVICE_NAME)
    return hub if isinstance(hub, PushHub) else None
