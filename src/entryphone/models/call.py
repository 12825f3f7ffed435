from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from entryphone.db.base import Base, BigIntPK, TimestampMixin, UtcDateTime


class IntercomCall(TimestampMixin, Base):
    """A call from a panel to a flat: ring -> answered -> ended, or ring -> missed / rejected."""

    __tablename__ = "intercom_calls"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    intercom_id: Mapped[int] = mapped_column(ForeignKey("intercoms.id", ondelete="CASCADE"), index=True)
    flat_id: Mapped[int | None] = mapped_column(ForeignKey("intercom_flats.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), index=True)
    # The panel's own id of the call (e.g. the 2N call session), so its later events find the call.
    external_id: Mapped[str | None] = mapped_column(String(64), index=True)
    rang_at: Mapped[datetime] = mapped_column(UtcDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    answered_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    answered_device_uuid: Mapped[str | None] = mapped_column(String(191))
    # Calls routed by Kamailio: the SIP Call-ID of the panel's INVITE, how the call ended
    # (answered, missed, cancelled, declined, unavailable, unknown_flat, failed; calls.service) and
    # the SIP login of the phone that answered.
    sip_call_id: Mapped[str | None] = mapped_column(String(255), index=True)
    end_reason: Mapped[str | None] = mapped_column(String(16))
    answered_sip_login: Mapped[str | None] = mapped_column(String(64))
    # The Kamailio node that routed it: when that node stops, its calls still open are closed.
    sip_node: Mapped[str | None] = mapped_column(String(64), index=True)
    # Its talk limit, and when Kamailio's report is overdue (ring or talk limit passed plus a grace):
    # the node's periodic tick closes such a call (a lost report, a dialog end Kamailio missed).
    sip_talk_seconds: Mapped[int | None] = mapped_column(Integer)
    sip_deadline: Mapped[datetime | None] = mapped_column(UtcDateTime())


class IntercomCallDevice(Base):
    """One device a call was offered to: it rang (or stayed silent by its schedule), was declined,
    or answered. A resident sees the calls their devices were offered."""

    __tablename__ = "intercom_call_devices"
    __table_args__ = (UniqueConstraint("call_id", "account_id", "device_uuid"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("intercom_calls.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    device_uuid: Mapped[str] = mapped_column(String(191))
    state: Mapped[str] = mapped_column(String(16))  # ringing | silent | declined | answered | cancelled
