"""billing API tables: the audit trail

Revision ID: 0003_billing
Revises: 0002_admin
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import entryphone.db.base

revision = "0003_billing"
down_revision = "0002_admin"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_entries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", entryphone.db.base.UtcDateTime(), nullable=False),
        sa.Column("surface", sa.String(length=16), nullable=False),
        sa.Column("actor_account_id", sa.BigInteger(), nullable=True),
        sa.Column("actor_login", sa.String(length=191), nullable=True),
        sa.Column("actor_token_id", sa.BigInteger(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject_id", sa.BigInteger(), nullable=False),
        sa.Column("subject_label", sa.String(length=255), nullable=False),
        sa.Column("intercom_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "changes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("log_extra", sa.JSON(none_as_null=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
    )
    op.create_index("ix_audit_entries_intercom_id_id", "audit_entries", ["intercom_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_audit_entries_intercom_id_id", table_name="audit_entries")
    op.drop_table("audit_entries")
