"""The heap is frozen only on a new high of the population it serves (entryphone/heap.py)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from entryphone.heap import HeapSettler


@pytest.fixture
def thawed() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_freezes_on_each_new_high_by_enough(thawed: None) -> None:
    settler = HeapSettler(growth=0.1, minimum_step=50, steady_seconds=3600)
    assert not settler.observe(49)  # below the first step
    assert gc.get_freeze_count() == 0
    assert settler.observe(50)
    frozen = gc.get_freeze_count()
    assert frozen > 0
    assert not settler.observe(99)  # +49: less than the minimum step
    assert settler.observe(100)
    assert settler.observe(1_000)
    assert not settler.observe(1_099)  # +9.9%
    assert not settler.observe(10)  # shrinking never freezes
    assert settler.observe(1_100)
    assert (settler.freezes, settler.frozen_at) == (4, 1_100)


def test_a_new_high_that_holds_is_frozen_once(thawed: None) -> None:
    settler = HeapSettler(growth=0.1, minimum_step=50, steady_seconds=30)
    assert settler.observe(1_000, now=0)
    assert not settler.observe(1_020, now=10)  # grew, but not by enough
    assert not settler.observe(1_020, now=39)
    assert settler.observe(1_020, now=40)  # unchanged for 30 s
    assert not settler.observe(1_020, now=100)  # already frozen at this population
    assert not settler.observe(1_019, now=200)  # a panel away
    assert not settler.observe(1_020, now=300)  # and back: not a new high
