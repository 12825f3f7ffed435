"""Logging service: caps, subscribe, unsubscribe, pull (long-poll)."""

from __future__ import annotations

import re

from aiohttp import web

from ..config import Service
from ..envelope import success
from ..errors import invalid
from ..eventlog import DEFAULT_DURATION, MAX_DURATION
from ..function import GET_POST, ApiCall, Function

_INCLUDE = re.compile(r"^(new|all|-[0-9]{1,10})$")
MAX_ID = 0xFFFFFFFF


async def caps(call: ApiCall) -> web.StreamResponse:
    return success({"events": list(call.device.profile.events)})


async def subscribe(call: ApiCall) -> web.StreamResponse:
    params = call.params
    include = params.get("include") or "new"
    if not _INCLUDE.match(include):
        raise invalid("include")
    raw_filter = params.get("filter")
    event_filter = None
    if raw_filter:
        names = frozenset(name.strip() for name in raw_filter.split(",") if name.strip())
        if not names <= set(call.device.profile.events):
            raise invalid("filter")
        event_filter = names
    duration = params.integer("duration", DEFAULT_DURATION, low=1, high=MAX_DURATION)
    assert duration is not None
    privileges = None if call.account is None else call.account.privileges
    subscription = call.device.boot.log.subscribe(include, event_filter, duration, privileges)
    return success({"id": subscription.id})


async def unsubscribe(call: ApiCall) -> web.StreamResponse:
    call.device.boot.log.unsubscribe(call.params.required_integer("id", low=0, high=MAX_ID))
    return success()


async def pull(call: ApiCall) -> web.StreamResponse:
    channel = call.params.required_integer("id", low=0, high=MAX_ID)
    timeout = call.params.integer("timeout", 0, low=0, high=MAX_ID)
    assert timeout is not None
    events = await call.device.boot.log.pull(channel, wait_for=timeout)
    return success({"events": [event.as_dict() for event in events]})


FUNCTIONS = [
    Function("/api/log/caps", GET_POST, Service.LOGGING, None, False, caps),
    Function("/api/log/subscribe", GET_POST, Service.LOGGING, None, False, subscribe),
    Function("/api/log/unsubscribe", GET_POST, Service.LOGGING, None, False, unsubscribe),
    Function("/api/log/pull", GET_POST, Service.LOGGING, None, False, pull),
]
