"""billing API tables

Revision ID: 0003_billing
Revises: 0002_admin
"""

from __future__ import annotations

revision = "0003_billing"
down_revision = "0002_admin"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
