"""ids never reused: SQLite tables get AUTOINCREMENT (without it SQLite hands the id of a deleted last
row to the next insert, so a client's stored flat, key or code id would point at another record).
PostgreSQL sequences never go back: nothing to do there.

Revision ID: 0007_flat_ids
Revises: 0006_read_generations
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_flat_ids"
down_revision = "0006_read_generations"
branch_labels = None
depends_on = None

# Every table with an id a client (or an audit entry) may hold. `intercoms` is left out: its rows are
# only ever soft-deleted, so no id is freed, and rebuilding it would drop its partial unique indexes.
TABLES = (
    "accounts", "api_tokens", "audit_entries", "cameras", "camera_streams", "device_events",
    "door_open_requests", "door_openings", "intercom_alerts", "intercom_call_devices", "intercom_calls",
    "intercom_codes", "intercom_flat_users", "intercom_flats", "intercom_groups", "intercom_keys",
    "intercom_registrations", "resident_device_schedules", "resident_devices", "resident_intercoms",
)  # fmt: skip


def _rebuild(autoincrement: bool) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    for table in TABLES:
        # A rebuilt table loses its triggers (the read generations of 0006): keep and restore them.
        triggers = (
            bind.execute(
                sa.text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :table"),
                {"table": table},
            )
            .scalars()
            .all()
        )
        with op.batch_alter_table(
            table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
        ):
            pass
        for statement in triggers:
            op.execute(statement)


def upgrade() -> None:
    _rebuild(True)


def downgrade() -> None:
    _rebuild(False)
