"""Read generations: which writes make which cached replies stale.

Each generation is a row of `read_generations` that database triggers (migration
0006_read_generations) increase in the same transaction as any insert, update or delete of its
tables, so a reader that sees the counter unchanged knows none of those tables changed. On
PostgreSQL the triggers are deferred to commit: the counter row is the last lock a writer takes,
so it never takes part in a deadlock, and concurrent writers queue on it only while committing.
"""

from __future__ import annotations

INTERCOMS = "intercoms"
"""The admin intercom object: the intercom row (every column but last_seen_at, which no reply shows
and the supervisor writes for every online panel), its group (name, path and the group counts), its
camera and streams, and the number of its keys."""

# Frozen with the migration that installs the triggers; tests/test_migrations.py checks that every
# column of intercoms but these is watched, so a new column cannot be forgotten.
INTERCOM_COLUMNS_NOT_WATCHED = frozenset({"last_seen_at"})
