from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from entryphone.db.base import Base, BigIntPK, TimestampMixin


class IntercomGroup(TimestampMixin, Base):
    """A node of the address tree (city > street > house ...). Houses hold intercoms and cameras."""

    __tablename__ = "intercom_groups"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("intercom_groups.id", ondelete="RESTRICT"), index=True
    )
    is_house: Mapped[bool] = mapped_column(Boolean, default=False)
    external_id: Mapped[str | None] = mapped_column(String(191), unique=True)
