"""/api/accesspoint/grantaccess (firmware 2.37+): open an access point on behalf of a user."""

from __future__ import annotations

from entryphone.helios.envelope import WireModel, parse_model
from entryphone.helios.transport import HeliosTransport


class GrantAccessResult(WireModel):
    """A plain success grants access; a refusal carries `accessGranted: false` and a reason."""

    access_granted: bool = True
    reason: str | None = None


class AccessPointApi:
    def __init__(self, transport: HeliosTransport) -> None:
        self._t = transport

    async def grant_access(self, access_point: int, user: str | None = None) -> GrantAccessResult:
        """`access_point` 0 = entry, 1 = exit; `user` (uuid) attributes the event to a user."""
        result = await self._t.json(
            "GET", "/api/accesspoint/grantaccess", params={"id": access_point, "user": user}
        )
        return parse_model(GrantAccessResult, result or {}, "accesspoint/grantaccess")
