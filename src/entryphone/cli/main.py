"""`entryphone`: serve the API, manage the database, accounts and tokens."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone import __version__
from entryphone.accounts import service as accounts
from entryphone.cli.demo import demo
from entryphone.cli.runtime import (
    configure_logging,
    err_console,
    fail,
    hide_flag_types,
    load_settings,
    read_password,
    run_in_session,
)
from entryphone.cli.serving import uvicorn_options
from entryphone.cli.sip import sip_app
from entryphone.context import AppContext
from entryphone.db import migrate
from entryphone.emulator.cli import app as emulator_app
from entryphone.emulator.cli import emulator as emulator_command
from entryphone.models import Account, ApiToken, Role

hide_flag_types()
app = typer.Typer(help="entryphone: intercom platform for operators.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
users_app = typer.Typer(help="Accounts: admins, billing systems, residents.", no_args_is_help=True)
tokens_app = typer.Typer(help="Bearer tokens for the APIs.", no_args_is_help=True)
secrets_app = typer.Typer(help="Secrets at rest (device, SIP, camera credentials).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
app.add_typer(secrets_app, name="secrets")
# The emulator is one command with options, not a group: registered as a command, its help shows
# no COMMAND it does not have.
app.command(name="emulator", help=emulator_app.info.help)(emulator_command)
app.add_typer(sip_app, name="sip")
app.command(name="demo")(demo)


def _version(shown: bool) -> None:
    if shown:
        typer.echo(f"entryphone {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """entryphone: intercom platform for operators."""


class RoleChoice(StrEnum):
    admin = "admin"
    billing = "billing"
    resident = "resident"


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (default 127.0.0.1).")] = None,
    port: Annotated[
        int | None, typer.Option(min=0, max=65535, help="Port (default 8000; 0: any free).")
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="API processes sharing the port: one per core. With more than one, the fleet "
            "supervisor runs once beside them, not in each.",
        ),
    ] = 1,
) -> None:
    """Run the API (and the fleet supervisor) on the configured database."""
    from entryphone.app import create_app

    settings = load_settings()
    configure_logging(settings)
    if host is not None:
        settings.host = host
    if port is not None:
        settings.port = port
    if settings.is_sqlite:
        migrate.upgrade(settings)  # the embedded default migrates itself; PostgreSQL is upgraded explicitly
    if workers > 1:
        from entryphone.cli.workers import serve_workers

        serve_workers(settings, workers)
        return
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level,
        **uvicorn_options(settings),
    )


@app.command()
def supervisor() -> None:
    """Run the fleet supervisor alone (no API): watch every intercom this node holds a lease on."""
    import asyncio
    import signal

    from entryphone.fleet.runtime import start_fleet
    from entryphone.heap import HeapSettler, tune_collector
    from entryphone.pushes import start_push_hub

    settings = load_settings()
    configure_logging(settings)
    if settings.is_sqlite:
        migrate.upgrade(settings)

    async def run() -> None:
        context = AppContext.build(settings)
        # Pushes caused by panel events (calls ringing, registrations) leave through the hub; on
        # PostgreSQL it notifies the API nodes that hold the residents' connections.
        stop_pushes = await start_push_hub(context)
        # This process holds a fleet: short collector pauses (entryphone/heap.py).
        tune_collector()
        stop = await start_fleet(context, supervise=True, on_population=HeapSettler().observe)
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


class SettingsFormat(StrEnum):
    markdown = "markdown"
    env = "env"


@app.command(name="settings")
def settings_command(
    output: Annotated[
        SettingsFormat, typer.Option("--format", help="markdown (a table) or env (an environment file).")
    ] = SettingsFormat.env,
) -> None:
    """Print every setting with its default and what it does (an environment file to start from)."""
    from entryphone import settings_doc

    typer.echo(
        settings_doc.markdown_table() if output is SettingsFormat.markdown else settings_doc.env_file(),
        nl=False,
    )


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
        str | None,
        typer.Option(
            help="Password (residents log in with it). Better omitted: then it is read from a hidden "
            "prompt, or from the first line of stdin when that is a pipe."
        ),
    ] = None,
    no_password: Annotated[
        bool, typer.Option("--no-password", help="No password (admins and billing use tokens only).")
    ] = False,
    name: Annotated[str, typer.Option(help="Display name.")] = "",
) -> None:
    """Create an account and print it as JSON."""
    login = login.strip()
    if not login or len(login) > 191 or not login.isprintable():
        fail("--login must be 1 to 191 printable characters.")
    if no_password and password is not None:
        fail("--password and --no-password exclude each other.")
    if not no_password and password is None:
        password = read_password()

    async def work(session: AsyncSession, _context: AppContext) -> dict[str, object]:
        if password is not None:
            accounts.check_password(password)
        account = await accounts.create_account(
            session, login=login, password=password, role=Role(role.value), name=name
        )
        return _account_json(account)

    typer.echo(json.dumps(run_in_session(load_settings(), work)))


@users_app.command("list")
def users_list(
    role: Annotated[RoleChoice | None, typer.Option(help="Only accounts of this role.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines instead of a table.")] = False,
) -> None:
    """List the accounts (never their passwords or tokens)."""

    async def work(session: AsyncSession, _context: AppContext) -> list[dict[str, object]]:
        found = await accounts.list_accounts(session, None if role is None else Role(role.value))
        return [_account_json(account) for account in found]

    rows = run_in_session(load_settings(), work)
    if as_json:
        for row in rows:
            typer.echo(json.dumps(row))
        return
    _print_table(rows, ("id", "login", "role", "name", "is_active", "has_password", "created_at"))


@users_app.command("passwd")
def users_passwd(login: Annotated[str, typer.Option(help="The account whose password to set.")]) -> None:
    """Set an account's password (hidden prompt, or the first line of stdin from a pipe).

    Live tokens stay valid: revoke them with `tokens revoke` if the password leaked."""
    password = read_password("New password")

    async def work(session: AsyncSession, _context: AppContext) -> None:
        await accounts.set_password(session, await accounts.require_account(session, login), password)

    run_in_session(load_settings(), work)
    typer.echo(f"Password of {login} changed.")


@users_app.command("disable")
def users_disable(login: Annotated[str, typer.Option(help="The account to disable.")]) -> None:
    """Disable an account: its tokens are revoked and it can no longer log in."""

    async def work(session: AsyncSession, _context: AppContext) -> int:
        return await accounts.set_active(session, await accounts.require_account(session, login), False)

    revoked = run_in_session(load_settings(), work)
    typer.echo(f"Account {login} disabled; {revoked} token(s) revoked.")


@users_app.command("enable")
def users_enable(login: Annotated[str, typer.Option(help="The account to enable again.")]) -> None:
    """Enable a disabled account (it needs new tokens: disabling revoked the old ones)."""

    async def work(session: AsyncSession, _context: AppContext) -> None:
        await accounts.set_active(session, await accounts.require_account(session, login), True)

    run_in_session(load_settings(), work)
    typer.echo(f"Account {login} enabled.")


def _account_json(account: Account) -> dict[str, object]:
    return {
        "id": account.id,
        "login": account.login,
        "name": account.name,
        "role": account.role,
        "is_active": account.is_active,
        "has_password": account.password_hash is not None,
        "created_at": _when(account.created_at),
    }


def _token_json(token: ApiToken) -> dict[str, object]:
    return {
        "id": token.id,
        "name": token.name,
        "surface": token.surface,
        "created_at": _when(token.created_at),
        "last_used_at": _when(token.last_used_at),
        "revoked_at": _when(token.revoked_at),
    }


def _when(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds")


def _print_table(rows: list[dict[str, object]], columns: tuple[str, ...]) -> None:
    table = Table(*columns)
    for row in rows:
        table.add_row(*("" if row[column] is None else str(row[column]) for column in columns))
    Console().print(table)


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


@tokens_app.command("list")
def tokens_list(
    login: Annotated[str, typer.Option(help="The account whose tokens to list.")],
    include_revoked: Annotated[bool, typer.Option("--all", help="Include revoked tokens.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines instead of a table.")] = False,
) -> None:
    """List an account's tokens: id, name, surface, dates.

    The tokens themselves are stored only as hashes and cannot be shown again."""

    async def work(session: AsyncSession, _context: AppContext) -> list[dict[str, object]]:
        account = await accounts.require_account(session, login)
        return [
            _token_json(t)
            for t in await accounts.tokens_of(session, account, include_revoked=include_revoked)
        ]

    rows = run_in_session(load_settings(), work)
    if as_json:
        for row in rows:
            typer.echo(json.dumps(row))
        return
    _print_table(rows, ("id", "name", "surface", "created_at", "last_used_at", "revoked_at"))


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


@secrets_app.command("rotate")
def secrets_rotate() -> None:
    """Re-encrypt every stored secret under ENTRYPHONE_SECRET_KEY.

    Values written under a key of ENTRYPHONE_SECRET_KEY_FALLBACKS are read with it; all or nothing."""
    from entryphone.rotation.service import rotate_all
    from entryphone.security.secretbox import SecretBoxError

    settings = load_settings()
    if not settings.secret_key_fallback_list():
        fail("Set ENTRYPHONE_SECRET_KEY_FALLBACKS to the former key(s) first (docs/operations.md).")

    async def work(session: AsyncSession, context: AppContext) -> dict[str, int]:
        return await rotate_all(session, context.secrets)

    try:
        counts = run_in_session(settings, work)
    except SecretBoxError as exc:
        fail(f"{exc}; nothing was changed.")
    for column, count in counts.items():
        typer.echo(f"{column}: {count} re-encrypted")
    typer.echo(
        "Done: every secret is under ENTRYPHONE_SECRET_KEY; drop the fallbacks once every node runs with it."
    )


def main() -> None:
    app(prog_name="entryphone")  # the same name in help under `python -m entryphone`
