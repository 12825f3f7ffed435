"""The direct single-row path (db/row_reader.py) answers exactly what SQLAlchemy answers, and when
its own connection breaks it reads through the pool instead of failing."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import text, update

from entryphone.accounts import repository
from entryphone.config import Settings
from entryphone.context import AppContext
from entryphone.db import generations
from entryphone.db.base import utcnow
from entryphone.intercoms import repository as intercoms_repository
from entryphone.models import Account, ApiToken, Intercom, Role
from entryphone.security.tokens import hash_token
from tests.support import seed


@pytest.fixture(autouse=True)
def _no_server() -> None:
    """This module needs a database, not a running app."""


async def _both_paths(context: AppContext, token: str) -> tuple[object, object]:
    async with context.sessions() as session:
        through_orm = await repository.token_state(session, hash_token(token), generations.INTERCOMS)
    direct = await repository.token_state_direct(context.rows, hash_token(token), generations.INTERCOMS)
    return through_orm, direct


async def test_the_direct_path_reads_what_sqlalchemy_reads(settings: Settings) -> None:
    person = seed.account(settings, Role.admin)
    context = AppContext.build(settings)
    try:
        through_orm, direct = await _both_paths(context, person.token)
        assert direct is not None and direct == through_orm
        # Timestamps and flags in every state they can take (SQLite returns them as text and 0/1).
        async with context.sessions.begin() as session:
            now = utcnow().replace(microsecond=123456)
            await session.execute(
                update(ApiToken)
                .where(ApiToken.account_id == person.id)
                .values(revoked_at=now, last_used_at=now)
            )
            await session.execute(
                update(Account)
                .where(Account.id == person.id)
                .values(is_active=False, expired_at=now + timedelta(days=1))
            )
        through_orm, direct = await _both_paths(context, person.token)
        assert direct == through_orm
        assert direct is not None and direct.revoked_at == now and direct.is_active is False
        assert await repository.token_state_direct(context.rows, hash_token("unknown"), "intercoms") is None
    finally:
        await context.close()


async def test_a_broken_direct_connection_falls_back_and_recovers(settings: Settings, backend: str) -> None:
    person = seed.account(settings, Role.admin)
    context = AppContext.build(settings)
    try:
        expected, direct = await _both_paths(context, person.token)
        assert direct == expected
        if backend == "sqlite":
            connection = context.rows._connection  # type: ignore[attr-defined]
            connection.close()  # the next statement on it raises sqlite3.ProgrammingError
        else:
            async with context.engine.connect() as admin:
                killed = await admin.execute(
                    text(
                        # With a timeout the call waits until each backend is gone.
                        "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
                assert killed.all()
            await context.engine.dispose()  # the pool's connections were terminated too
        for _ in range(3):  # the failing read falls back; the next ones reconnect
            assert (
                await repository.token_state_direct(context.rows, hash_token(person.token), "intercoms")
                == expected
            )
    finally:
        await context.close()


async def test_concurrent_lookups_each_get_their_own_row(settings: Settings) -> None:
    """On PostgreSQL concurrent lookups share round trips (one `= ANY` statement): every caller must
    still get exactly its own token's row, unknown tokens none."""
    people = [seed.account(settings, role) for role in (Role.admin, Role.resident, Role.billing)]
    context = AppContext.build(settings)
    try:
        expected = {}
        async with context.sessions() as session:
            for person in people:
                expected[person.token] = await repository.token_state(
                    session, hash_token(person.token), generations.INTERCOMS
                )
        tokens = [person.token for person in people] * 40 + ["unknown-token"] * 10
        answers = await asyncio.gather(
            *(repository.token_state_direct(context.rows, hash_token(token), "intercoms") for token in tokens)
        )
        for token, answer in zip(tokens, answers, strict=True):
            assert answer == expected.get(token), token
    finally:
        await context.close()


async def test_a_statement_with_values_of_its_own_reads_the_same_directly(settings: Settings) -> None:
    """A value written into a statement (`status != 'deleted'`) is bound on the direct path too."""
    context = AppContext.build(settings)
    try:
        async with context.sessions.begin() as session:
            intercom = Intercom(
                title="Row reader", vendor="2n", ip="192.0.2.7", port=8080, login="admin",
                password_encrypted=context.secrets.encrypt("device-pass"), tls_allow_self_signed=True,
                door_open_time_general=7,
            )  # fmt: skip
            session.add(intercom)
            await session.flush()
            intercom_id = intercom.id
        found = await intercoms_repository.live_connection(context.rows, intercom_id)
        assert found is not None
        assert (found.id, found.vendor, found.ip, found.port, found.login) == (
            intercom_id, "2n", "192.0.2.7", 8080, "admin",
        )  # fmt: skip
        assert found.tls_allow_self_signed is True and found.door_open_time_general == 7
        assert context.secrets.decrypt(found.password_encrypted or "") == "device-pass"
        assert found.password_encrypted not in repr(found)  # not even encrypted in a log line
        async with context.sessions.begin() as session:
            await session.execute(update(Intercom).where(Intercom.id == intercom_id).values(status="deleted"))
        assert await intercoms_repository.live_connection(context.rows, intercom_id) is None
    finally:
        await context.close()
