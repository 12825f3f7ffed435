"""client API tables: residents' own intercom titles and registrations, per-device schedules,
resident devices, calls and the devices they rang, door-open requests

Revision ID: 0004_client
Revises: 0003_billing
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import entryphone.db.base

revision = "0004_client"
down_revision = "0003_billing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "resident_devices",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("uuid", sa.String(length=191), nullable=False),
        sa.Column("client", sa.String(length=32), nullable=False),
        sa.Column("last_seen_at", entryphone.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            entryphone.db.base.UtcDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            entryphone.db.base.UtcDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_resident_devices_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resident_devices")),
        sa.UniqueConstraint("account_id", "uuid", name=op.f("uq_resident_devices_account_id_uuid")),
    )
    with op.batch_alter_table("resident_devices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resident_devices_account_id"), ["account_id"], unique=False)

    op.create_table(
        "door_open_requests",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("intercom_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("device_uuid", sa.String(length=191), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.String(length=255), nullable=True),
        sa.Column("requested_at", entryphone.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", entryphone.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_door_open_requests_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["intercom_id"],
            ["intercoms.id"],
            name=op.f("fk_door_open_requests_intercom_id_intercoms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_door_open_requests")),
    )
    with op.batch_alter_table("door_open_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_door_open_requests_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_door_open_requests_intercom_id"), ["intercom_id"], unique=False)

    op.create_table(
        "intercom_registrations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("intercom_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("device_uuid", sa.String(length=191), nullable=True),
        sa.Column("expires_at", entryphone.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("error", sa.String(length=64), nullable=True),
        sa.Column(
            "created_at",
            entryphone.db.base.UtcDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            entryphone.db.base.UtcDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_intercom_registrations_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["intercom_id"],
            ["intercoms.id"],
            name=op.f("fk_intercom_registrations_intercom_id_intercoms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intercom_registrations")),
    )
    with op.batch_alter_table("intercom_registrations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_intercom_registrations_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_intercom_registrations_code"), ["code"], unique=False)
        batch_op.create_index(batch_op.f("ix_intercom_registrations_status"), ["status"], unique=False)

    op.create_table(
        "resident_device_schedules",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("intercom_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("device_uuid", sa.String(length=191), nullable=False),
        sa.Column("is_enabled", sa.Boolean(), nullable=False),
        sa.Column(
            "timetable",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "created_at",
            entryphone.db.base.UtcDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            entryphone.db.base.UtcDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_resident_device_schedules_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["intercom_id"],
            ["intercoms.id"],
            name=op.f("fk_resident_device_schedules_intercom_id_intercoms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resident_device_schedules")),
        sa.UniqueConstraint(
            "account_id",
            "intercom_id",
            "device_uuid",
            name=op.f("uq_resident_device_schedules_account_id_intercom_id_device_uuid"),
        ),
    )
    with op.batch_alter_table("resident_device_schedules", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_resident_device_schedules_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_resident_device_schedules_intercom_id"), ["intercom_id"], unique=False
        )

    op.create_table(
        "intercom_calls",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("intercom_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("flat_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=True),
        sa.Column("rang_at", entryphone.db.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("started_at", entryphone.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("ended_at", entryphone.db.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("answered_account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("answered_device_uuid", sa.String(length=191), nullable=True),
        sa.Column(
            "created_at",
            entryphone.db.base.UtcDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            entryphone.db.base.UtcDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["answered_account_id"],
            ["accounts.id"],
            name=op.f("fk_intercom_calls_answered_account_id_accounts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["flat_id"],
            ["intercom_flats.id"],
            name=op.f("fk_intercom_calls_flat_id_intercom_flats"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["intercom_id"],
            ["intercoms.id"],
            name=op.f("fk_intercom_calls_intercom_id_intercoms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intercom_calls")),
    )
    with op.batch_alter_table("intercom_calls", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_intercom_calls_external_id"), ["external_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_intercom_calls_intercom_id"), ["intercom_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_intercom_calls_status"), ["status"], unique=False)

    op.create_table(
        "intercom_call_devices",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("call_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("device_uuid", sa.String(length=191), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_intercom_call_devices_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["intercom_calls.id"],
            name=op.f("fk_intercom_call_devices_call_id_intercom_calls"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intercom_call_devices")),
        sa.UniqueConstraint(
            "call_id",
            "account_id",
            "device_uuid",
            name=op.f("uq_intercom_call_devices_call_id_account_id_device_uuid"),
        ),
    )
    with op.batch_alter_table("intercom_call_devices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_intercom_call_devices_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_intercom_call_devices_call_id"), ["call_id"], unique=False)

    op.create_table(
        "resident_intercoms",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("account_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("intercom_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=True),
        sa.Column("registration_status", sa.String(length=32), nullable=True),
        sa.Column("flat_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("key_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "created_at",
            entryphone.db.base.UtcDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            entryphone.db.base.UtcDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_resident_intercoms_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["flat_id"],
            ["intercom_flats.id"],
            name=op.f("fk_resident_intercoms_flat_id_intercom_flats"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["intercom_id"],
            ["intercoms.id"],
            name=op.f("fk_resident_intercoms_intercom_id_intercoms"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["key_id"],
            ["intercom_keys.id"],
            name=op.f("fk_resident_intercoms_key_id_intercom_keys"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resident_intercoms")),
        sa.UniqueConstraint(
            "account_id", "intercom_id", name=op.f("uq_resident_intercoms_account_id_intercom_id")
        ),
    )
    with op.batch_alter_table("resident_intercoms", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resident_intercoms_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_resident_intercoms_intercom_id"), ["intercom_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("resident_intercoms", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resident_intercoms_intercom_id"))
        batch_op.drop_index(batch_op.f("ix_resident_intercoms_account_id"))

    op.drop_table("resident_intercoms")
    with op.batch_alter_table("intercom_call_devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_intercom_call_devices_call_id"))
        batch_op.drop_index(batch_op.f("ix_intercom_call_devices_account_id"))

    op.drop_table("intercom_call_devices")
    with op.batch_alter_table("intercom_calls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_intercom_calls_status"))
        batch_op.drop_index(batch_op.f("ix_intercom_calls_intercom_id"))
        batch_op.drop_index(batch_op.f("ix_intercom_calls_external_id"))

    op.drop_table("intercom_calls")
    with op.batch_alter_table("resident_device_schedules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resident_device_schedules_intercom_id"))
        batch_op.drop_index(batch_op.f("ix_resident_device_schedules_account_id"))

    op.drop_table("resident_device_schedules")
    with op.batch_alter_table("intercom_registrations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_intercom_registrations_status"))
        batch_op.drop_index(batch_op.f("ix_intercom_registrations_code"))
        batch_op.drop_index(batch_op.f("ix_intercom_registrations_account_id"))

    op.drop_table("intercom_registrations")
    with op.batch_alter_table("door_open_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_door_open_requests_intercom_id"))
        batch_op.drop_index(batch_op.f("ix_door_open_requests_account_id"))

    op.drop_table("door_open_requests")
    with op.batch_alter_table("resident_devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resident_devices_account_id"))

    op.drop_table("resident_devices")
