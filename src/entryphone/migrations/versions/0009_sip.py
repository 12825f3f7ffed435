"""sip: phones' SIP accounts; calls routed by Kamailio keep their Call-ID and how they ended

Revision ID: 0009_sip
Revises: 0008_one_path
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from entryphone.db.base import UtcDateTime

revision = "0009_sip"
down_revision = "0008_one_path"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "sip_accounts",
        sa.Column("id", ID, nullable=False),
        sa.Column("device_id", ID, nullable=False),
        sa.Column("account_id", ID, nullable=False),
        sa.Column("token_id", ID, nullable=False),
        sa.Column("login", sa.String(length=64), nullable=False),
        sa.Column("password_encrypted", sa.Text(), nullable=False),
        sa.Column("expires_at", UtcDateTime(timezone=True), nullable=False),
        sa.Column(
            "created_at",
            UtcDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            UtcDateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["resident_devices.id"],
            name=op.f("fk_sip_accounts_device_id_resident_devices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
            name=op.f("fk_sip_accounts_account_id_accounts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["token_id"],
            ["api_tokens.id"],
            name=op.f("fk_sip_accounts_token_id_api_tokens"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sip_accounts")),
        sa.UniqueConstraint("device_id", name=op.f("uq_sip_accounts_device_id")),
        sa.UniqueConstraint("login", name=op.f("uq_sip_accounts_login")),
    )
    op.create_index(op.f("ix_sip_accounts_account_id"), "sip_accounts", ["account_id"])
    op.create_index(op.f("ix_sip_accounts_token_id"), "sip_accounts", ["token_id"])
    # Kamailio authenticates and routes panels by their SIP login.
    op.create_index(op.f("ix_intercoms_sip_login"), "intercoms", ["sip_login"])
    with op.batch_alter_table("intercom_calls") as batch:
        batch.add_column(sa.Column("sip_call_id", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("end_reason", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("answered_sip_login", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("sip_node", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("sip_talk_seconds", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("sip_deadline", UtcDateTime(timezone=True), nullable=True))
        batch.create_index(batch.f("ix_intercom_calls_sip_call_id"), ["sip_call_id"])
        batch.create_index(batch.f("ix_intercom_calls_sip_node"), ["sip_node"])


def downgrade() -> None:
    with op.batch_alter_table("intercom_calls") as batch:
        batch.drop_index(batch.f("ix_intercom_calls_sip_node"))
        batch.drop_index(batch.f("ix_intercom_calls_sip_call_id"))
        batch.drop_column("sip_deadline")
        batch.drop_column("sip_talk_seconds")
        batch.drop_column("sip_node")
        batch.drop_column("answered_sip_login")
        batch.drop_column("end_reason")
        batch.drop_column("sip_call_id")
    op.drop_index(op.f("ix_intercoms_sip_login"), table_name="intercoms")
    op.drop_index(op.f("ix_sip_accounts_token_id"), table_name="sip_accounts")
    op.drop_index(op.f("ix_sip_accounts_account_id"), table_name="sip_accounts")
    op.drop_table("sip_accounts")
