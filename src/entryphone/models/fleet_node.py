from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from entryphone.db.base import Base, UtcDateTime


class FleetNode(Base):
    """A live supervisor process (heartbeat). The number of live nodes sets each node's fair share."""

    __tablename__ = "fleet_nodes"

    id: Mapped[str] = mapped_column(String(191), primary_key=True)
    heartbeat_at: Mapped[datetime] = mapped_column(UtcDateTime())
