"""The panel's phone: its SIP accounts registered for real, calls carried by SIP sessions, DTMF.

One Phone per boot of a device. It is the calls' Line (calls.py): dialing, answering and
hanging up go to the network, and what the network answers moves the calls on. Accounts with
no registrar configured stay scripted (control API), as before the panel spoke SIP.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from typing import TYPE_CHECKING, Final

from ..calls import Call
from ..config import SipAccount
from ..errors import ApiError, invalid
from . import shared
from .message import ParseError, split_hostport
from .transport import SipTransport
from .ua import REFUSED, REGISTERED, AccountSettings, SipCall, UserAgent

if TYPE_CHECKING:
    from ..boot import Boot
    from ..runtime import Device

DEFAULT_SIP_PORT: Final = 5060
DTMF_EVENT: Final = "DtmfPressed"
INTER_DIGIT: Final = 5.0  # seconds after which typed DTMF digits are forgotten
# What may be dialled: a user part, or a whole SIP URI without spaces, quotes or brackets (it goes
# into the Request-URI and To header as is).
DIALABLE = re.compile(r"^[A-Za-z0-9.+*#_~!$&'()=,;?-]{1,64}$")
SIP_URI = re.compile(r"^sips?:[^\s<>\"@]{1,64}@[A-Za-z0-9.\-\[\]:]{1,255}(;[^\s<>\"]*)?$")


def settings_of(account: SipAccount) -> AccountSettings | None:
    """The user agent settings of an enabled account with a SIP server, else None."""
    if not account.enabled or not account.number or not (account.registrar or account.proxy):
        return None
    try:
        server = _address(account.registrar or account.proxy)
        proxy = _address(account.proxy) if account.proxy else server
    except ParseError:
        return None
    return AccountSettings(
        number=account.number,
        domain=account.domain or server[0],
        registrar=server if account.registrar and account.register else None,
        proxy=proxy,
        auth_user=account.auth_id,
        password=account.password,
        display_name=account.display_name,
        expires=account.expires,
        transport=account.transport,
    )


def _address(text: str) -> tuple[str, int]:
    host, port = split_hostport(text)
    return host, port or DEFAULT_SIP_PORT


class Phone:
    def __init__(self, device: Device, boot: Boot) -> None:
        self._device = device
        self._boot = boot
        self._transport: SipTransport | None = None
        self.agents: dict[int, UserAgent] = {}
        self._digits: dict[int, str] = {}
        self._digit_timers: dict[int, asyncio.TimerHandle] = {}
        self._talk_timers: dict[int, asyncio.TimerHandle] = {}
        boot.calls.line = self

    def registers(self, account: int) -> bool:
        """True when the account's registration is the network's business, not the control API's."""
        sip = self._device.config.sip
        return 1 <= account <= len(sip) and settings_of(sip[account - 1]) is not None

    async def start(self) -> None:
        config = self._device.config
        if config.ring_duration:
            self._boot.calls.ring_timeout = config.ring_duration
        wanted = {n: s for n, a in enumerate(config.sip, start=1) if (s := settings_of(a)) is not None}
        if not wanted:
            return
        if self._transport is None:
            self._transport = await shared.acquire(self._device.host)
        for number, settings in wanted.items():
            agent = UserAgent(self._transport, number, settings, self)
            self.agents[number] = agent
            agent.start()

    async def stop(self) -> None:
        """Hang up and unregister (what a panel does before a restart or shutdown)."""
        agents, self.agents = self.agents, {}
        await asyncio.gather(*(agent.stop() for agent in agents.values()), return_exceptions=True)
        for timer in (*self._digit_timers.values(), *self._talk_timers.values()):
            timer.cancel()
        self._digit_timers.clear()
        self._talk_timers.clear()
        if self._transport is not None:
            shared.release(self._transport)
            self._transport = None

    async def reconfigure(self) -> None:
        await self.stop()
        await self.start()

    # -- Line (calls.py) ------------------------------------------------------------------------

    def dial(self, call: Call) -> bool:
        number, _, suffix = call.peer.partition("/")
        account = int(suffix) if suffix in ("1", "2") else 1
        agent = self.agents.get(account)
        if agent is None:
            return False
        if number.startswith(("sip:", "sips:")):
            if not SIP_URI.match(number):
                raise invalid("number")
            target = number
        elif DIALABLE.match(number):
            target = f"sip:{number}@{agent.settings.domain}"
        else:
            raise invalid("number")
        call.peer = target
        sip = agent.dial(target)
        sip.session = call.session
        call.link = sip
        call.extra = {"sipAccount": account, "sipCallId": sip.call_id}
        return True

    def answer(self, call: Call) -> None:
        if isinstance(call.link, SipCall):
            self._boot.spawn(call.link.answer())

    def ended(self, call: Call, reason: str) -> None:
        self._forget(call.session)
        if isinstance(call.link, SipCall):
            call.link.hangup(reason, notify=False)
            call.link = None

    # -- Listener (ua.py) -----------------------------------------------------------------------

    def registration_changed(self, agent: UserAgent, state: str, status: int | None) -> None:
        sip = self._boot.sip[agent.account - 1]
        sip.registered = state == REGISTERED
        sip.state = state
        if sip.registered:
            sip.register_time = int(time.time())
        params: dict[str, object] = {"sipAccount": agent.account, "state": state}
        if state == REFUSED:  # the manual knows no such state: unregistered, with the reason
            params = {"sipAccount": agent.account, "state": "unregistered", "reason": "refused"}
        self._boot.log.emit("RegistrationStateChanged", params)

    def call_progress(self, call: SipCall, state: str) -> None:
        self._boot.calls.progress(call.session, state)
        limit = self._device.config.talk_duration
        if state == "connected" and limit:
            self._talk_timers[call.session] = asyncio.get_running_loop().call_later(
                limit, self._talk_limit, call.session
            )

    def call_ended(self, call: SipCall, reason: str) -> None:
        self._forget(call.session)
        self._boot.calls.finish(call.session, reason)

    def call_incoming(self, call: SipCall) -> bool:
        if self._boot.calls.status(None):
            return False  # one call at a time: busy
        extra = {"sipAccount": call.agent.account, "sipCallId": call.call_id}
        call.session = self._boot.calls.incoming(call.peer, call, extra)
        return True

    def dtmf(self, call: SipCall, key: str) -> None:
        """A digit from the phone in the call: logged, and a relay's code opens that relay."""
        session = call.session
        if DTMF_EVENT in self._device.profile.events:
            self._boot.log.emit(DTMF_EVENT, {"key": key, "session": session})
        timer = self._digit_timers.pop(session, None)
        if timer is not None:
            timer.cancel()
        typed = self._digits.get(session, "") + key
        for number, switch in enumerate(self._device.config.switches, start=1):
            if switch.enabled and switch.dtmf_code and typed.endswith(switch.dtmf_code):
                self._digits.pop(session, None)
                self._boot.switches.activate(number)  # as a keypad code or switch/ctrl trigger
                return
        if key == "#":
            self._digits.pop(session, None)  # '#' closes a code that matched nothing
            return
        self._digits[session] = typed[-16:]
        self._digit_timers[session] = asyncio.get_running_loop().call_later(
            INTER_DIGIT, self._digits.pop, session, None
        )

    def _talk_limit(self, session: int) -> None:
        self._talk_timers.pop(session, None)
        with contextlib.suppress(ApiError):  # already over
            self._boot.calls.hangup(session, "normal")

    def _forget(self, session: int) -> None:
        self._digits.pop(session, None)
        for timers in (self._digit_timers, self._talk_timers):
            timer = timers.pop(session, None)
            if timer is not None:
                timer.cancel()
