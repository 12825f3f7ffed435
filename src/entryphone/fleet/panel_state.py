"""Log lines for a panel's reachability, as an operator reads them: online, offline (with the
reason), back online (after how long). One line per change, rate-limited per panel so a flapping
panel cannot flood the log; never a secret (URL credentials are masked, reasons are cut short).

Called by the device worker at the moment it decides the panel's state (fleet/worker.py); it keeps
its own small state so that it does not depend on how the online flag is stored."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable

log = logging.getLogger("entryphone.fleet.panel_state")

# At most BURST lines per panel within WINDOW seconds; changes beyond that are counted and the
# count is reported with the next line that is allowed.
BURST = 4
WINDOW = 300.0
# A panel that stays offline with a new reason is logged again at most this often.
REASON_REPEAT = 600.0
MAX_REASON = 240

_CREDENTIALS = re.compile(r"(?<=://)[^/@\s]+@")


def clean_reason(reason: str) -> str:
    """One line, no user:password@ of a URL, bounded length."""
    text = _CREDENTIALS.sub("***@", " ".join(reason.split()))
    return text if len(text) <= MAX_REASON else text[: MAX_REASON - 1] + "…"


class PanelStateLog:
    def __init__(self, intercom_id: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.intercom_id = intercom_id
        self._clock = clock
        self._online: bool | None = None
        self._since = clock()
        self._reason: str | None = None
        self._reason_logged_at = float("-inf")
        self._logged: list[float] = []
        self._suppressed = 0

    def observed(self, online: bool, reason: str | None = None) -> None:
        """The worker's verdict after a connection attempt or a pull: call on every verdict, the
        log decides what is a change."""
        now = self._clock()
        previous, self._online = self._online, online
        if online:
            if previous is True:
                return
            if previous is None:
                self._emit(logging.INFO, "panel online", now)
            else:
                self._emit(logging.INFO, f"panel back online after {_duration(now - self._since)}", now)
            self._since, self._reason = now, None
            return
        text = clean_reason(reason or "unknown reason")
        if previous is False:
            # Still offline: only a different reason is news, and not more often than REASON_REPEAT.
            if text == self._reason or now - self._reason_logged_at < REASON_REPEAT:
                return
            self._reason = text
            self._emit(
                logging.WARNING,
                f"panel still offline after {_duration(now - self._since)}: {text}",
                now,
            )
            return
        was = "" if previous is None else f" (was online {_duration(now - self._since)})"
        self._since, self._reason = now, text
        self._emit(logging.WARNING, f"panel offline: {text}{was}", now)

    def _emit(self, level: int, message: str, now: float) -> None:
        self._logged = [at for at in self._logged if now - at < WINDOW]
        if len(self._logged) >= BURST:
            self._suppressed += 1
            return
        if self._suppressed:
            message += f" ({self._suppressed} earlier changes not logged: the panel is flapping)"
            self._suppressed = 0
        self._logged.append(now)
        if level >= logging.WARNING:
            self._reason_logged_at = now
        # The text goes in as an argument: a reason may contain '%'.
        log.log(level, "intercom %s: %s", self.intercom_id, message, extra={"intercom_id": self.intercom_id})


def _duration(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    if seconds < 120:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 120:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"
