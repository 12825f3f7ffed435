"""Recording and reading the audit trail. Never commits: an entry is written in the same transaction
as the change it describes, so a rolled-back change leaves no entry and a committed one always has one."""

from __future__ import annotations

import copy
import enum
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Select, inspect
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


# Columns that change by themselves or identify the row: not a change anyone made.
_NOT_AUDITED = frozenset(
    {"id", "uuid", "created_at", "updated_at", "last_seen_at", "is_online", "device_info"}
)
# Encrypted columns hold secrets: the trail says only whether they were installed and that they changed.
SECRET_SUFFIX = "_encrypted"  # noqa: S105 - a column-name suffix, not a secret
INSTALLED, CHANGED = "installed", "changed"


def row_state(row: object) -> dict[str, Any]:
    """A JSON-ready copy of a row's columns for `state_changes`. Encrypted columns are kept as
    ciphertext only so that `state_changes` can tell they changed: never record a state itself."""
    columns = inspect(row).mapper.column_attrs  # type: ignore[union-attr]
    return {
        column.key: _json_ready(getattr(row, column.key))
        for column in columns
        if column.key not in _NOT_AUDITED
    }


def state_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> Changes:
    """`diff` of two row states, with every secret reduced to installed / changed / null."""
    changes: Changes = {}
    for field, change in diff(before, after).items():
        if field.endswith(SECRET_SUFFIX):
            changes[field.removesuffix(SECRET_SUFFIX)] = {
                "before": INSTALLED if change["before"] else None,
                "after": CHANGED if change["after"] else None,
            }
        else:
            changes[field] = change
    return changes


def _json_ready(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (dict, list)):
        return copy.deepcopy(value)  # JSON columns may be changed in place after the snapshot
    return value


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
