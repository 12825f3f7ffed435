"""The only place that builds SQL for the audit trail."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.models import Intercom
from entryphone.models.audit_entry import AuditEntry


def intercom_query(intercom_id: int) -> Select[AuditEntry]:
    """The trail of one intercom, newest first (id breaks ties within one timestamp)."""
    return select(AuditEntry).where(AuditEntry.intercom_id == intercom_id).order_by(AuditEntry.id.desc())


async def intercom_ever_existed(session: AsyncSession, intercom_id: int) -> bool:
    """Deleted intercoms count: their trail stays readable."""
    result = await session.execute(select(Intercom.id).where(Intercom.id == intercom_id))
    return result.first() is not None
