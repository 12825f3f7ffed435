"""The base of the typed change objects domain services take (IntercomChanges, GroupChanges, ...).

A surface builds one from its request model, which is the one place a field's type and bounds are
checked; `sent` tells a field left out from one sent as None (which clears it)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Changes(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", validate_by_name=True, validate_by_alias=True)

    @property
    def sent(self) -> frozenset[str]:
        """The fields the caller sent, by field name."""
        return frozenset(self.model_fields_set)
