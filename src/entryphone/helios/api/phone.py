"""/api/phone/status (manual 5.14)."""

from __future__ import annotations

from entryphone.helios.envelope import WireModel, parse_model, require_result
from entryphone.helios.transport import HeliosTransport


class SipAccountStatus(WireModel):
    account: int
    sip_number: str = ""
    registered: bool
    register_time: int | None = None


class _Accounts(WireModel):
    accounts: list[SipAccountStatus]


class PhoneApi:
    def __init__(self, transport: HeliosTransport) -> None:
        self._t = transport

    async def status(self, account: int | None = None) -> list[SipAccountStatus]:
        result = await self._t.json("GET", "/api/phone/status", params={"account": account})
        return parse_model(_Accounts, require_result(result, "phone/status"), "phone/status").accounts
