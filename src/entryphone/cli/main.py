"""`entryphone`: serve the API, manage the database, accounts and tokens."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated

import typer
import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.accounts import service as accounts
from entryphone.cli.demo import demo
from entryphone.cli.runtime import err_console, fail, load_settings, run_in_session
from entryphone.cli.sip import sip_app
from entryphone.context import AppContext
from entryphone.db import migrate
from entryphone.emulator.cli import app as emulator_app
from entryphone.models import Role

app = typer.Typer(help="entryphone: intercom platform for operators.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="Accounts: admins, billing systems, residents.", no_args_is_help=True)
tokens_app = typer.Typer(help="Bearer tokens for the APIs.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
app.add_typer(emulator_app, name="emulator")
app.add_typer(sip_app, name="sip")
app.command(name="demo")(demo)


class RoleChoice(StrEnum):
    admin = "admin"
    billing = "billing"
    resident = "resident"


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="Port (default 8000).")] = None,
) -> None:
    """Run the API (and the fleet supervisor) on the configured database."""
    from entryphone.app import create_app

    settings = load_settings()
    if host is not None:
        settings.host = host
    if port is not None:
        settings.port = port
    if settings.is_sqlite:
        migrate.upgrade(settings)  # the embedded default migrates itself; PostgreSQL is upgraded explicitly
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level=settings.log_level)


@app.command()
def supervisor() -> None:
    """Run the fleet supervisor alone (no API): watch every intercom this node holds a lease on."""
    import asyncio
    import signal

    from entryphone.fleet.runtime import start_fleet
    from entryphone.pushes import start_push_hub

    settings = load_settings()
    if settings.is_sqlite:
        migrate.upgrade(settings)

    async def run() -> None:
        context = AppContext.build(settings)
        # Pushes caused by panel events (calls ringing, registrations) leave through the hub; on
        # PostgreSQL it notifies the API nodes that hold the residents' connections.
        stop_pushes = await start_push_hub(context)
        stop = await start_fleet(context, supervise=True)
        done = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, done.set)
        err_console.print(f"supervisor {settings.node_id} running; Ctrl-C stops it")
        try:
            await done.wait()
        finally:
            await stop()
            await stop_pushes()
            await context.close()

    asyncio.run(run())


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Apply the migrations to the configured database."""
    settings = load_settings()
    try:
        migrate.upgrade(settings, revision)
    except Exception as exc:  # alembic and drivers raise many types; the user needs the message
        fail(f"Migration failed: {type(exc).__name__}: {exc}. Check ENTRYPHONE_DATABASE_URL.")
    typer.echo(f"Database at revision {revision}.")


@users_app.command("create")
def users_create(
    login: Annotated[str, typer.Option(help="Login name (unique).")],
    role: Annotated[RoleChoice, typer.Option(help="admin, billing or resident.")],
    password: Annotated[
        str | None, typer.Option(help="Password (residents log in with it). Prompted when omitted.")
    ] = None,
    name: Annotated[str, typer.Option(help="Display name.")] = "",
) -> None:
    """Create an account and print it as JSON."""
    login = login.strip()
    if not login or len(login) > 191 or not login.isprintable():
        fail("--login must be 1 to 191 printable characters.")
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not password:
        fail("--password must not be empty.")

    async def work(session: AsyncSession, _context: AppContext) -> dict[str, object]:
        account = await accounts.create_account(
            session, login=login, password=password, role=Role(role.value), name=name
        )
        return {"id": account.id, "login": account.login, "name": account.name, "role": account.role}

    typer.echo(json.dumps(run_in_session(load_settings(), work)))


@tokens_app.command("create")
def tokens_create(
    login: Annotated[str, typer.Option(help="The account that will own the token.")],
    name: Annotated[str, typer.Option(help="A label to recognise the token later.")] = "cli",
) -> None:
    """Issue a bearer token and print it alone on stdout (it is shown only once)."""

    async def work(session: AsyncSession, _context: AppContext) -> str:
        account = await accounts.require_account(session, login)
        return (await accounts.issue_token(session, account, name=name)).token

    typer.echo(run_in_session(load_settings(), work))


@tokens_app.command("revoke")
def tokens_revoke(
    login: Annotated[str, typer.Option(help="The account whose tokens to revoke.")],
    token: Annotated[str | None, typer.Option(help="Revoke only this token (default: all of them).")] = None,
) -> None:
    """Revoke one token or every token of an account."""

    async def work(session: AsyncSession, _context: AppContext) -> int:
        account = await accounts.require_account(session, login)
        return await accounts.revoke(session, account, token)

    count = run_in_session(load_settings(), work)
    typer.echo(f"Revoked {count} token(s).")


def main() -> None:
    app()
