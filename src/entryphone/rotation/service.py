"""`entryphone secrets rotate`: every stored secret re-encrypted under the current SECRET_KEY, in
the caller's transaction (all or nothing). docs/operations.md gives the order of the steps."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.rotation import repository
from entryphone.security.secretbox import SecretBox

BATCH = 500


async def rotate_all(session: AsyncSession, box: SecretBox) -> dict[str, int]:
    """How many values per `table.column` were re-encrypted. Raises SecretBoxError when a value
    decrypts with none of the keys (the caller rolls back: nothing is changed)."""
    counts: dict[str, int] = {}
    for table, column in repository.encrypted_columns():
        done, after = 0, None
        while rows := await repository.batch_after(session, table, column, after, BATCH):
            for row_key, value in rows:
                await repository.write(session, table, column, row_key, box.rotate(value))
            done += len(rows)
            after = rows[-1][0]
        counts[f"{table.name}.{column.name}"] = done
    return counts
