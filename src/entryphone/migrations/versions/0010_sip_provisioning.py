"""sip_provisioning: the outcome of the last SIP provisioning of each panel

Revision ID: 0010_sip_provisioning
Revises: 0009_sip
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from entryphone.db.base import UtcDateTime

revision = "0010_sip_provisioning"
down_revision = "0009_sip"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("device_states") as batch:
        batch.add_column(sa.Column("sip_sync_status", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("sip_sync_message", sa.Text(), nullable=True))
        batch.add_column(sa.Column("sip_synced_at", UtcDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("device_states") as batch:
        batch.drop_column("sip_synced_at")
        batch.drop_column("sip_sync_message")
        batch.drop_column("sip_sync_status")
