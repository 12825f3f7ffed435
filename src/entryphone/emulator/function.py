"""What every /api function declares (the rows of the manual's section 5 table) and receives."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from aiohttp import web

from .config import Account, Service
from .params import Params

if TYPE_CHECKING:
    from .runtime import Device


@dataclass(slots=True)
class ApiCall:
    device: Device
    request: web.BaseRequest
    params: Params
    account: Account | None  # None: the service needs no authentication
    secure: bool
    # Work for after the reply has gone out (a restart must not cut its own reply).
    after: list[Callable[[], None]] = field(default_factory=list)


Handler = Callable[[ApiCall], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class Function:
    path: str
    methods: frozenset[str]
    service: Service
    privilege: str | None  # None: no privilege needed (log functions, system/info)
    licensed: bool  # "Yes" in the manual's Licence column
    handler: Handler
    blob_limits: Mapping[str, int] = field(default_factory=dict)
    directory: bool = False  # exists only on firmware with the directory (2.4x profile)


GET_POST = frozenset({"GET", "POST"})
