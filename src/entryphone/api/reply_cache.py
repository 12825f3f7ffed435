"""Serialised replies kept in memory, each valid for exactly one read generation.

A reply is stored with the generation read *before* anything it shows was read, and served only to
a request that reads the same generation (in the same statement as its token: one round trip).
Every write to the tables behind a reply increases the generation in the writer's transaction
(database triggers, entryphone/db/generations.py), so a write committed before a request started
is always visible to it, on this API process or any other: nothing here can serve a stale object.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

DEFAULT_MAX_ENTRIES = 4096  # ~2.5 KiB per intercom object: about 10 MiB at most


class ReplyCache:
    def __init__(self, max_entries: int = DEFAULT_MAX_ENTRIES) -> None:
        self._max_entries = max_entries
        self._entries: OrderedDict[Hashable, tuple[int, bytes]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable, generation: int | None) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None or generation is None or entry[0] != generation:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry[1]

    def holds(self, key: Hashable) -> bool:
        """Whether a reply for `key` is kept, for whichever generation."""
        return key in self._entries

    def put(self, key: Hashable, generation: int | None, body: bytes) -> bytes:
        """Keep `body` for `generation` (if it is known) and hand it back."""
        if generation is None:
            return body
        current = self._entries.get(key)
        if current is not None and current[0] > generation:
            return body  # a request that started later already stored a newer reply
        self._entries[key] = (generation, body)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)
        return body

    def __len__(self) -> int:
        return len(self._entries)
