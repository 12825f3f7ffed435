from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from entryphone.db.base import Base, BigIntPK, JsonType, UtcDateTime, utcnow


class AuditEntry(Base):
    """One change made through an API: who, when, what (before/after of the changed fields), why.

    Append-only and deliberately without foreign keys: the trail must outlive the rows it describes
    (tokens, accounts, even intercoms), so it keeps ids and the actor's login as plain values.
    """

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_intercom_id_id", "intercom_id", "id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    # The API surface and the caller: account, its login at the time, and the bearer token used.
    surface: Mapped[str] = mapped_column(String(16))
    actor_account_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_login: Mapped[str | None] = mapped_column(String(191))
    actor_token_id: Mapped[int | None] = mapped_column(BigInteger)
    # intercom.created, intercom.updated, intercom.replaced, intercom.deleted, intercom_flat.updated,
    # resident.attached, resident.updated, resident.detached, account.created.
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int] = mapped_column(BigInteger)
    # How a person names the subject (its id may be gone): "flat 12", "flat 12, resident ann".
    subject_label: Mapped[str] = mapped_column(String(255), default="")
    # The intercom the change concerns (the admin reads the trail per intercom); null for accounts.
    intercom_id: Mapped[int | None] = mapped_column(BigInteger)
    # {"field": {"before": ..., "after": ...}} for the fields that changed; secrets only as flags.
    changes: Mapped[dict[str, Any]] = mapped_column(JsonType)
    # What the external system sent as log_extra (a string, object or array). Plain JSON, not JSONB,
    # on PostgreSQL: JSONB would reorder the object's keys, and the trail keeps it as it came.
    log_extra: Mapped[Any] = mapped_column(JSON(none_as_null=True), nullable=True)
