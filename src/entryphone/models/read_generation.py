from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from entryphone.db.base import Base


class ReadGeneration(Base):
    """A counter that every committed write to a set of tables increases (database triggers, so
    no writer can forget it): a cached reply built at generation N is current while the counter
    still reads N. The names and their tables are in entryphone/db/generations.py."""

    __tablename__ = "read_generations"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
