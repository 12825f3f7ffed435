"""`entryphone sip`: run Kamailio with the rendered configuration; `entryphone sip config` prints it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from entryphone.cli.runtime import fail, load_settings
from entryphone.config import Settings
from entryphone.sip import render as rendering
from entryphone.sip import runner

sip_app = typer.Typer(
    help="The SIP server (Kamailio): panels and residents' phones register, calls ring phones.",
    invoke_without_command=True,
)

Host = Annotated[
    str | None, typer.Option(help="SIP address to listen on (default ENTRYPHONE_SIP_HOST, 127.0.0.1).")
]
Port = Annotated[int | None, typer.Option(min=1, max=65535, help="SIP port, UDP and TCP (default 5060).")]
Node = Annotated[str | None, typer.Option(help="This node's name in call records (default host:port).")]


def _server(
    settings: Settings, host: str | None, port: int | None, node: str | None, *, rundir: str
) -> rendering.SipServer:
    if host is not None:
        settings.sip_host = host
    if port is not None:
        settings.sip_port = port
    return rendering.SipServer(
        host=settings.sip_host,
        port=settings.sip_port,
        api_url=rendering.api_url(settings),
        rundir=runner.new_rundir() if not rundir else Path(rundir),
        node=(node or rendering.default_node(settings.sip_host, settings.sip_port))[:64],
        mpath=rendering.module_dir() or "/usr/lib/x86_64-linux-gnu/kamailio/modules",
    )


@sip_app.callback()
def sip(ctx: typer.Context, host: Host = None, port: Port = None, node: Node = None) -> None:
    """Run Kamailio in the foreground until Ctrl-C / SIGTERM (the API must be running: `entryphone serve`)."""
    if ctx.invoked_subcommand is not None:
        return
    problem = rendering.missing()
    if problem is not None:
        fail(problem)
    settings = load_settings()
    try:
        server = _server(settings, host, port, node, rundir="")
        status = runner.run(settings, server, remove_rundir=True)
    except rendering.RenderError as exc:
        fail(str(exc))
    raise typer.Exit(status)


@sip_app.command("config")
def config(
    host: Host = None,
    port: Port = None,
    node: Node = None,
    rundir: Annotated[str, typer.Option(help="Kamailio's runtime directory.")] = "/run/kamailio",
    show_secret: Annotated[
        bool, typer.Option("--show-secret", help="Print the platform secret instead of a placeholder.")
    ] = False,
) -> None:
    """Print the rendered configuration, for operators who run Kamailio themselves."""
    settings = load_settings()
    try:
        text = rendering.render(
            settings, _server(settings, host, port, node, rundir=rundir), show_secret=show_secret
        )
    except rendering.RenderError as exc:
        fail(str(exc))
    typer.echo(text, nl=False)
