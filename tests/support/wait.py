"""Waiting for something asynchronous to become true, with a deadline (a functional timeout, not a
speed assertion: the deadline is generous and only bounds a failing test)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def until(check: Callable[[], T], timeout: float = 20.0, interval: float = 0.05, message: str = "") -> T:
    deadline = time.monotonic() + timeout
    last: T = check()
    while not last:
        if time.monotonic() > deadline:
            raise AssertionError(message or f"condition not met within {timeout}s (last value: {last!r})")
        time.sleep(interval)
        last = check()
    return last
