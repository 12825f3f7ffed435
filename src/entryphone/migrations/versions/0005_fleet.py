"""fleet supervisor tables

Revision ID: 0005_fleet
Revises: 0004_client
"""

from __future__ import annotations

revision = "0005_fleet"
down_revision = "0004_client"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
