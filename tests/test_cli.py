"""The `entryphone` command line, run as a real subprocess on a real database file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from entryphone.config import Settings
from tests.support.server import start_server

ENTRYPHONE = [sys.executable, "-m", "entryphone"]


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*ENTRYPHONE, *args], env=env, capture_output=True, text=True, timeout=120)


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
