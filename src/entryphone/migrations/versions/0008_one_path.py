"""one path: drop the read-generation counter and its triggers (no reply cache reads them any more);
the panel's volatile state (is_online, last_seen_at) moves from intercoms to device_states, so the
supervisor's heartbeat no longer changes the intercom record

Revision ID: 0008_one_path
Revises: 0007_flat_ids
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from entryphone.db.base import UtcDateTime

revision = "0008_one_path"
down_revision = "0007_flat_ids"
branch_labels = None
depends_on = None

# What 0006_read_generations installed, frozen here so that this revision removes exactly that and
# its downgrade puts it back as it was.
FUNCTION = "entryphone_bump_read_generation"

# Frozen here: a later migration that adds a column to intercoms recreates that trigger
# (tests/test_migrations.py fails until it does).
INTERCOM_COLUMNS = (
    "id", "uuid", "external_id", "title", "group_id", "camera_id", "status", "source", "vendor",
    "model", "serial_number", "mac", "flat_from", "flat_to", "flat_offset", "department",
    "department_name", "department_type", "address", "collecting_keys", "door_open_time_general",
    "sip_server", "sip_port", "sip_login", "sip_password_encrypted", "sip_options", "switch",
    "connection_type", "commutators_count", "is_crossbar_switchers_enabled", "matrix", "schema", "ip",
    "port", "login", "password_encrypted", "tls_fingerprint", "tls_allow_self_signed", "device_info",
    "is_online", "deleted_at", "created_at", "updated_at",
)  # fmt: skip

# (table, the UPDATE OF columns that matter or None for any update) -> generation "intercoms"
WATCHED: tuple[tuple[str, tuple[str, ...] | None], ...] = (
    ("intercoms", INTERCOM_COLUMNS),
    ("intercom_groups", None),
    ("cameras", None),
    ("camera_streams", None),
    ("intercom_keys", ("intercom_id",)),  # the object shows how many keys, not which
)
GENERATION = "intercoms"


def _columns(columns: tuple[str, ...] | None) -> str:
    return " OF " + ", ".join(f'"{name}"' for name in columns) if columns else ""


def _trigger(table: str) -> str:
    return f"{table}_read_generation"


def upgrade() -> None:
    _remove()  # first: the intercoms trigger names is_online, which SQLite would not let go
    op.add_column(
        "device_states",
        sa.Column("is_online", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column("device_states", sa.Column("last_seen_at", UtcDateTime(), nullable=True))
    op.execute(
        "INSERT INTO device_states (intercom_id) SELECT id FROM intercoms WHERE (is_online OR "
        "last_seen_at IS NOT NULL) AND id NOT IN (SELECT intercom_id FROM device_states)"
    )
    op.execute(
        "UPDATE device_states SET "
        "is_online = (SELECT is_online FROM intercoms WHERE intercoms.id = device_states.intercom_id), "
        "last_seen_at = (SELECT last_seen_at FROM intercoms WHERE intercoms.id = device_states.intercom_id)"
    )
    op.drop_column("intercoms", "is_online")
    op.drop_column("intercoms", "last_seen_at")


def downgrade() -> None:
    op.add_column(
        "intercoms", sa.Column("is_online", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.add_column("intercoms", sa.Column("last_seen_at", UtcDateTime(), nullable=True))
    op.execute(
        "UPDATE intercoms SET "
        "is_online = COALESCE((SELECT is_online FROM device_states WHERE intercom_id = intercoms.id), "
        "is_online), "
        "last_seen_at = (SELECT last_seen_at FROM device_states WHERE intercom_id = intercoms.id)"
    )
    op.drop_column("device_states", "last_seen_at")
    op.drop_column("device_states", "is_online")
    _install()


def _install() -> None:
    generations = op.create_table(
        "read_generations",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_read_generations"),
    )
    op.bulk_insert(generations, [{"name": GENERATION, "value": 0}])
    # All the DDL below is built from this file's constants only.
    bump = f"UPDATE read_generations SET value = value + 1 WHERE name = '{GENERATION}';"  # noqa: S608
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "  # noqa: S608
            "UPDATE read_generations SET value = value + 1 WHERE name = TG_ARGV[0]; RETURN NULL; END $$"
        )
        for table, columns in WATCHED:
            # Deferred to commit: the counter row is the last lock the writer takes (no deadlock).
            op.execute(
                f"CREATE CONSTRAINT TRIGGER {_trigger(table)} "
                f"AFTER INSERT OR DELETE OR UPDATE{_columns(columns)} ON {table} "
                f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION {FUNCTION}('{GENERATION}')"
            )
        return
    for name, columns in WATCHED:
        for event, watched in (("INSERT", ""), ("DELETE", ""), ("UPDATE", _columns(columns))):
            op.execute(
                f"CREATE TRIGGER {_trigger(name)}_{event.lower()} AFTER {event}{watched} ON {name} "
                f"BEGIN {bump} END"
            )


def _remove() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, _ in WATCHED:
            op.execute(f"DROP TRIGGER {_trigger(table)} ON {table}")
        op.execute(f"DROP FUNCTION {FUNCTION}()")
    else:
        for table, _ in WATCHED:
            for event in ("insert", "delete", "update"):
                op.execute(f"DROP TRIGGER {_trigger(table)}_{event}")
    op.drop_table("read_generations")
