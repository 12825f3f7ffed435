"""The SIP part of `entryphone demo`: Kamailio next to the demo API when it is installed, and a SIP
account a softphone can register with."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import aiohttp

from entryphone.config import Settings
from entryphone.sip import render, runner

SOFTPHONE = "demo-softphone"  # the X-UUID the printed account belongs to


async def start(
    settings: Settings, resident_token: str
) -> tuple[list[str], Callable[[], Awaitable[None]] | None]:
    """Lines for the demo's tour, and how to stop Kamailio (None when it was not started)."""
    problem = render.missing()
    if problem is not None:
        return [f"SIP server not started: {problem}"], None
    server = render.SipServer(
        host=settings.sip_host,
        port=settings.sip_port,
        api_url=render.api_url(settings),
        rundir=settings.data_dir / "kamailio",
        node=render.default_node(settings.sip_host, settings.sip_port),
        mpath=render.module_dir() or "",
    )
    process = await asyncio.to_thread(runner.start, settings, server)
    await asyncio.sleep(1.0)  # a port in use ends Kamailio at once
    if process.poll() is not None:
        return [f"SIP server not started (port {server.port} busy?): see {server.rundir}/kamailio.log"], None

    async def stop() -> None:
        # The API has stopped by then: the node's open calls are closed when it starts again.
        await asyncio.to_thread(runner.stop, settings, server, process, report=False)

    lines = [f"SIP server (Kamailio): {server.host}:{server.port} UDP/TCP, domain {settings.sip_domain}"]
    account = await _account(settings, resident_token)
    if account is not None:
        lines += [
            "A softphone can register as the demo resident's phone:",
            f"  SIP address sip:{account['login']}@{account['realm']}  password {account['password']}",
            f"  proxy/registrar {account['server']}:{account['port']} ({account['transport']})",
            "The demo panels register with their intercoms' sip_credentials and call a flat by "
            f"dialling sip:<flat>@{settings.sip_domain} through the same proxy (the tour below shows how).",
        ]
    return lines, stop


async def _account(settings: Settings, token: str) -> dict[str, str] | None:
    headers = {"Authorization": f"Bearer {token}", "X-Client": "web", "X-UUID": SOFTPHONE}
    try:
        async with (
            aiohttp.ClientSession() as client,
            client.get(f"{render.api_url(settings)}/api/v1/sip-account", headers=headers) as reply,
        ):
            if reply.status != 200:
                return None
            return {key: str(value) for key, value in (await reply.json()).items()}
    except aiohttp.ClientError:
        return None
