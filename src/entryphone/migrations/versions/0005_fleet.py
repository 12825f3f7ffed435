"""fleet supervisor tables: the event journal, leases, nodes, device states

Revision ID: 0005_fleet
Revises: 0004_client
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from entryphone.db.base import UtcDateTime

revision = "0005_fleet"
down_revision = "0004_client"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _intercom_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["intercom_id"], ["intercoms.id"], name=f"fk_{table}_intercom_id_intercoms", ondelete="CASCADE"
    )


def _event_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["event_id"], ["device_events.id"], name=f"fk_{table}_event_id_device_events", ondelete="SET NULL"
    )


def upgrade() -> None:
    op.create_table(
        "device_events",
        sa.Column("id", ID, nullable=False),
        sa.Column("intercom_id", ID, nullable=False),
        sa.Column("dedupe_key", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("device_event_id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.Column("params", JSON, nullable=False),
        _intercom_fk("device_events"),
        sa.PrimaryKeyConstraint("id", name="pk_device_events"),
        sa.UniqueConstraint("intercom_id", "dedupe_key", name="uq_device_events_intercom_id"),
    )
    op.create_index("ix_device_events_intercom_occurred", "device_events", ["intercom_id", "occurred_at"])
    op.create_index("ix_device_events_kind", "device_events", ["kind"])
    op.create_table(
        "fleet_leases",
        sa.Column("intercom_id", ID, nullable=False),
        sa.Column("owner", sa.String(length=191), nullable=True),
        sa.Column("expires_at", UtcDateTime(), nullable=True),
        _intercom_fk("fleet_leases"),
        sa.PrimaryKeyConstraint("intercom_id", name="pk_fleet_leases"),
    )
    op.create_index("ix_fleet_leases_owner", "fleet_leases", ["owner"])
    op.create_table(
        "fleet_nodes",
        sa.Column("id", sa.String(length=191), nullable=False),
        sa.Column("heartbeat_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_fleet_nodes"),
    )
    op.create_table(
        "device_states",
        sa.Column("intercom_id", ID, nullable=False),
        sa.Column("last_event_at", UtcDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", UtcDateTime(), nullable=True),
        sa.Column("sync_status", sa.String(length=16), nullable=True),
        sa.Column("sync_message", sa.Text(), nullable=True),
        sa.Column("synced_at", UtcDateTime(), nullable=True),
        sa.Column("sync_cursor", JSON, nullable=True),
        _intercom_fk("device_states"),
        sa.PrimaryKeyConstraint("intercom_id", name="pk_device_states"),
    )

    op.create_table(
        "intercom_alerts",
        sa.Column("id", ID, nullable=False),
        sa.Column("intercom_id", ID, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("event_id", ID, nullable=True),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
        sa.Column("details", JSON, nullable=False),
        sa.Column("acknowledged_at", UtcDateTime(), nullable=True),
        _intercom_fk("intercom_alerts"),
        _event_fk("intercom_alerts"),
        sa.PrimaryKeyConstraint("id", name="pk_intercom_alerts"),
    )
    op.create_index("ix_intercom_alerts_intercom_occurred", "intercom_alerts", ["intercom_id", "occurred_at"])
    op.create_table(
        "door_openings",
        sa.Column("id", ID, nullable=False),
        sa.Column("intercom_id", ID, nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("credential", sa.String(length=32), nullable=False),
        sa.Column("account_id", ID, nullable=True),
        sa.Column("event_id", ID, nullable=True),
        sa.Column("opened_at", UtcDateTime(), nullable=False),
        _intercom_fk("door_openings"),
        _event_fk("door_openings"),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name="fk_door_openings_account_id_accounts", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_door_openings"),
    )
    op.create_index("ix_door_openings_intercom_opened", "door_openings", ["intercom_id", "opened_at"])


def downgrade() -> None:
    op.drop_index("ix_door_openings_intercom_opened", table_name="door_openings")
    op.drop_table("door_openings")
    op.drop_index("ix_intercom_alerts_intercom_occurred", table_name="intercom_alerts")
    op.drop_table("intercom_alerts")
    op.drop_table("device_states")
    op.drop_table("fleet_nodes")
    op.drop_index("ix_fleet_leases_owner", table_name="fleet_leases")
    op.drop_table("fleet_leases")
    op.drop_index("ix_device_events_kind", table_name="device_events")
    op.drop_index("ix_device_events_intercom_occurred", table_name="device_events")
    op.drop_table("device_events")
