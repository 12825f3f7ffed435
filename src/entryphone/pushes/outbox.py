"""Pushes wait for the transaction that caused them: sent after commit, dropped on rollback, so a
resident is never told about a change that did not happen."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from entryphone.pushes.events import Push
from entryphone.pushes.hub import Publisher

_PENDING = "entryphone.pushes.pending"


def defer(session: AsyncSession, publisher: Publisher | None, push: Push) -> None:
    """Publish `push` when `session` commits. Without a publisher (no hub running) nothing is sent."""
    if publisher is None:
        return
    pending: list[tuple[Publisher, Push]] = session.sync_session.info.setdefault(_PENDING, [])
    pending.append((publisher, push))


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    pending: list[tuple[Publisher, Push]] = session.info.pop(_PENDING, [])
    for publisher, push in pending:
        publisher.publish_nowait(push)


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session, *_args: Any) -> None:
    session.info.pop(_PENDING, None)
