"""client API tables

Revision ID: 0004_client
Revises: 0003_billing
"""

from __future__ import annotations

revision = "0004_client"
down_revision = "0003_billing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
