"""Pushes from the fleet to administrators (channel `admins`): online changes, key sync results,
alerts. Best effort and non-blocking: a process without a push hub announces nothing."""

from __future__ import annotations

from typing import Any

from entryphone.pushes import ADMINS, SERVICE_NAME, Push, PushEvent


def announce(services: dict[str, Any], event: PushEvent, data: dict[str, Any]) -> None:
    hub = services.get(SERVICE_NAME)
    if hub is not None:
        hub.publish_nowait(Push(ADMINS, event.value, data))


def online_changed(services: dict[str, Any], intercom_id: int, online: bool) -> None:
    announce(
        services, PushEvent.intercom_online_changed, {"intercom": {"id": intercom_id, "is_online": online}}
    )
