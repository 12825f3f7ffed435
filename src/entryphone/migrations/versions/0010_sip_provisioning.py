"""sip_provisioning: the outcome of the last SIP provisioning of each panel; door openings by DTMF
during a call keep the call and the phone

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

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("device_states") as batch:
        batch.add_column(sa.Column("sip_sync_status", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("sip_sync_message", sa.Text(), nullable=True))
        batch.add_column(sa.Column("sip_synced_at", UtcDateTime(), nullable=True))
    with op.batch_alter_table("door_openings") as batch:
        batch.add_column(sa.Column("call_id", ID, nullable=True))
        batch.add_column(sa.Column("device_uuid", sa.String(length=191), nullable=True))
        batch.create_foreign_key(
            "fk_door_openings_call_id_intercom_calls",
            "intercom_calls",
            ["call_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("door_openings") as batch:
        batch.drop_constraint("fk_door_openings_call_id_intercom_calls", type_="foreignkey")
        batch.drop_column("device_uuid")
        batch.drop_column("call_id")
    with op.batch_alter_table("device_states") as batch:
        batch.drop_column("sip_synced_at")
        batch.drop_column("sip_sync_message")
        batch.drop_column("sip_sync_status")
