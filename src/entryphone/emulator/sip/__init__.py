"""The panel's SIP user agent: one UDP transport per process, one user agent per SIP account.

Written for the emulator (no SIP stack on PyPI fits thousands of asyncio user agents with
retransmission timers and route sets, see docs/devices/2n-emulator.md); imports nothing of the
platform.
"""

from .transport import SipTransport, Timers
from .ua import AccountSettings, SipCall, UserAgent

__all__ = ["AccountSettings", "SipCall", "SipTransport", "Timers", "UserAgent"]
