"""The `entryphone` command line, run as a real subprocess on a real database file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from entryphone import __version__
from entryphone.config import Settings
from tests.support.server import start_server

ENTRYPHONE = [sys.executable, "-m", "entryphone"]


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ENTRYPHONE, *args], env=env, capture_output=True, text=True, timeout=120, input=stdin
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "ENTRYPHONE_DATA_DIR": str(tmp_path),
        "ENTRYPHONE_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.sqlite3'}",
    }


def test_users_tokens_and_revocation_end_to_end(env: dict[str, str], tmp_path: Path) -> None:
    assert run(env, "db", "upgrade").returncode == 0
    created = run(
        env, "users", "create", "--login", "ops", "--password", "pw-1", "--role", "admin", "--name", "Ops"
    )
    assert created.returncode == 0, created.stderr
    account = json.loads(created.stdout)
    assert account["login"] == "ops" and account["role"] == "admin" and isinstance(account["id"], int)
    assert "pw-1" not in created.stdout

    issued = run(env, "tokens", "create", "--login", "ops")
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip()
    assert token and "\n" not in token

    settings = Settings(
        data_dir=tmp_path, database_url=env["ENTRYPHONE_DATABASE_URL"], supervisor_enabled=False
    )
    running = start_server(settings)
    try:
        headers = {"Authorization": f"Bearer {token}"}
        assert httpx.get(f"{running.url}/api/admin/v1/intercoms/groups", headers=headers).status_code == 200
        revoked = run(env, "tokens", "revoke", "--login", "ops", "--token", token)
        assert revoked.returncode == 0 and "Revoked 1" in revoked.stdout
        assert httpx.get(f"{running.url}/api/admin/v1/intercoms/groups", headers=headers).status_code == 401
    finally:
        running.stop()


def test_secret_key_is_generated_once_and_kept_private(env: dict[str, str], tmp_path: Path) -> None:
    assert run(env, "db", "upgrade").returncode == 0
    assert run(env, "users", "create", "--login", "k", "--password", "p", "--role", "billing").returncode == 0
    key_file = tmp_path / "secret_key"
    # The key is only generated when something needs it; building the context does.
    settings = Settings(data_dir=tmp_path)
    first = settings.resolved_secret_key()
    assert key_file.read_text().strip() == first
    assert key_file.stat().st_mode & 0o077 == 0
    assert Settings(data_dir=tmp_path).resolved_secret_key() == first


def test_errors_are_messages_not_tracebacks(env: dict[str, str]) -> None:
    assert run(env, "db", "upgrade").returncode == 0
    missing = run(env, "tokens", "create", "--login", "nobody")
    assert missing.returncode == 1
    assert "No account" in missing.stderr and "Traceback" not in missing.stderr
    assert run(env, "users", "create", "--login", "dup", "--password", "p", "--role", "admin").returncode == 0
    duplicate = run(env, "users", "create", "--login", "dup", "--password", "p", "--role", "admin")
    assert duplicate.returncode == 1 and "already been taken" in duplicate.stderr
    bad_role = run(env, "users", "create", "--login", "x", "--password", "p", "--role", "root")
    assert bad_role.returncode == 2 and "Traceback" not in bad_role.stderr


def test_production_requires_a_secret_key(env: dict[str, str]) -> None:
    reply = run({**env, "ENTRYPHONE_ENVIRONMENT": "production"}, "tokens", "create", "--login", "x")
    assert reply.returncode == 1
    assert "ENTRYPHONE_SECRET_KEY" in reply.stderr and "Traceback" not in reply.stderr


def test_unmigrated_database_says_what_to_do(env: dict[str, str]) -> None:
    reply = run(env, "tokens", "create", "--login", "x")
    assert reply.returncode == 1
    assert "entryphone db upgrade" in reply.stderr


def test_help_version_and_emulator_command(env: dict[str, str]) -> None:
    wide = {**env, "COLUMNS": "200"}
    version = run(env, "--version")
    assert version.returncode == 0 and version.stdout.strip() == f"entryphone {__version__}"
    for args in ((), ("emulator",), ("users", "create"), ("tokens", "list")):
        shown = run(wide, *args, "--help")
        assert shown.returncode == 0, shown.stderr
        assert "<bool>" not in shown.stdout, shown.stdout  # flags take no value
        assert "--help" in shown.stdout
    emulator = run(wide, "emulator", "--help").stdout
    assert "emulator [OPTIONS]" in emulator and "COMMAND" not in emulator
    assert "--no-https" in emulator and "<int range>" in emulator  # valued options keep their type


def test_users_list_passwd_disable_and_tokens_list(env: dict[str, str], tmp_path: Path) -> None:
    assert run(env, "db", "upgrade").returncode == 0
    # The password comes from stdin (a pipe), never from argv, and is never printed.
    created = run(env, "users", "create", "--login", "ann", "--role", "resident", stdin="first-pw\n")
    assert created.returncode == 0, created.stderr
    assert "first-pw" not in created.stdout + created.stderr
    assert json.loads(created.stdout)["has_password"] is True
    ops = run(env, "users", "create", "--login", "ops", "--role", "admin", "--no-password")
    assert ops.returncode == 0 and json.loads(ops.stdout)["has_password"] is False
    token = run(env, "tokens", "create", "--login", "ops", "--name", "laptop").stdout.strip()

    listed = [json.loads(line) for line in run(env, "users", "list", "--json").stdout.splitlines()]
    assert [(a["login"], a["role"], a["is_active"]) for a in listed] == [
        ("ann", "resident", True),
        ("ops", "admin", True),
    ]
    admins = run(env, "users", "list", "--role", "admin", "--json").stdout.splitlines()
    assert [json.loads(line)["login"] for line in admins] == ["ops"]
    table = run({**env, "COLUMNS": "200"}, "users", "list")
    assert table.returncode == 0 and "ann" in table.stdout and "resident" in table.stdout

    tokens = [
        json.loads(line)
        for line in run(env, "tokens", "list", "--login", "ops", "--json").stdout.splitlines()
    ]
    assert [(t["name"], t["surface"], t["revoked_at"]) for t in tokens] == [("laptop", "admin", None)]
    assert token not in run(env, "tokens", "list", "--login", "ops").stdout

    settings = Settings(
        data_dir=tmp_path, database_url=env["ENTRYPHONE_DATABASE_URL"], supervisor_enabled=False
    )
    running = start_server(settings)
    try:

        def login(password: str) -> int:
            body = {"login": "ann", "password": password}
            headers = {"X-Client": "web", "X-UUID": "cli-test"}
            return httpx.post(f"{running.url}/api/v1/token", json=body, headers=headers).status_code

        assert login("first-pw") == 200
        changed = run(env, "users", "passwd", "--login", "ann", stdin="second-pw\n")
        assert changed.returncode == 0 and "second-pw" not in changed.stdout + changed.stderr
        assert login("second-pw") == 200 and login("first-pw") == 422
        empty = run(env, "users", "passwd", "--login", "ann", stdin="\n")
        assert empty.returncode == 1 and "must not be empty" in empty.stderr
        assert login("second-pw") == 200  # a refused change changes nothing

        headers = {"Authorization": f"Bearer {token}"}
        assert httpx.get(f"{running.url}/api/admin/v1/intercoms/groups", headers=headers).status_code == 200
        disabled = run(env, "users", "disable", "--login", "ops")
        assert disabled.returncode == 0 and "1 token(s) revoked" in disabled.stdout
        assert httpx.get(f"{running.url}/api/admin/v1/intercoms/groups", headers=headers).status_code == 401
        run(env, "users", "disable", "--login", "ann")
        assert login("second-pw") == 422
    finally:
        running.stop()
    revoked = run(env, "tokens", "list", "--login", "ops", "--all", "--json").stdout.splitlines()
    assert json.loads(revoked[0])["revoked_at"] is not None
    assert run(env, "tokens", "list", "--login", "ops", "--json").stdout == ""
    assert json.loads(run(env, "users", "list", "--json").stdout.splitlines()[1])["is_active"] is False
    assert run(env, "users", "enable", "--login", "ops").returncode == 0
    assert run(env, "users", "passwd", "--login", "nobody", stdin="x\n").returncode == 1


@pytest.mark.parametrize(
    "url", ["postgresql://u:p@db/ep", "postgres://u:p@db/ep", "postgresql+psycopg://db/ep"]
)
def test_a_libpq_url_says_which_scheme_to_use(env: dict[str, str], url: str) -> None:
    reply = run({**env, "ENTRYPHONE_DATABASE_URL": url}, "db", "upgrade")
    assert reply.returncode == 1 and "Traceback" not in reply.stderr
    assert "postgresql+asyncpg://" in reply.stderr and "psycopg'" not in reply.stderr
