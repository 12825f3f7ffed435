"""Recording and reading the audit trail. Never commits: an entry is written in the same transaction
as the change it describes, so a rolled-back change leaves no entry and a committed one always has one."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.accounts.service import Principal
from entryphone.audit import repository
from entryphone.errors import NotFound
from entryphone.models.audit_entry import AuditEntry

Changes = dict[str, dict[str, Any]]


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> Changes:
    """{field: {"before", "after"}} for the fields whose value differs (keys of either side)."""
    changes: Changes = {}
    for field in dict.fromkeys([*before, *after]):
        old, new = before.get(field), after.get(field)
        if old != new:
            changes[field] = {"before": old, "after": new}
    return changes


async def record(
    session: AsyncSession,
    actor: Principal,
    *,
    action: str,
    subject_type: str,
    subject_id: int,
    subject_label: str = "",
    intercom_id: int | None,
    changes: Changes,
    log_extra: Any = None,
) -> AuditEntry:
    """Append one entry. `changes` must be JSON-ready and hold no secret (use is_*_installed flags)."""
    entry = AuditEntry(
        surface=actor.role.value,
        actor_account_id=actor.account_id,
        actor_login=actor.login,
        actor_token_id=actor.token_id,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        subject_label=subject_label[:255],
        intercom_id=intercom_id,
        changes=changes,
        log_extra=log_extra,
    )
    session.add(entry)
    await session.flush()
    return entry


async def intercom_trail(session: AsyncSession, intercom_id: int) -> Select[AuditEntry]:
    """The query of an intercom's trail (for the paginator); 404 when the intercom never existed."""
    if not await repository.intercom_ever_existed(session, intercom_id):
        raise NotFound()
    return repository.intercom_query(intercom_id)
