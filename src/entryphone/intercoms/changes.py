"""What a caller asks of an intercom, typed: the fields sent (`sent`, `schema_` for `schema`), each
with its value (None clears a field the object may lack). The API builds it from its request model,
which is the one place a field's type and bounds are checked; the intercoms service applies the
rules that span fields, need the vocabulary or need the database."""

from __future__ import annotations

from pydantic import Field

from entryphone.changes import Changes
from entryphone.matrix import MatrixElement


class SipCredentials(Changes):
    """Sent whole: server, port, login and password together."""

    server: str
    port: int
    login: str
    password: str


class Dtmf(Changes):
    id: int
    value: str


class SipOptions(Changes):
    """Sent keys merge into the stored options; a key sent as None clears it."""

    dtmf: list[Dtmf] | None = None
    talk_duration: int | None = None
    ring_duration: int | None = None


class IntercomChanges(Changes):
    """Every field create and update understand. `name` is the billing spelling of `title`;
    `force_flats_removal` allows removing flats that still hold keys or residents."""

    title: str | None = None
    name: str | None = None
    vendor: str | None = None
    model: str | None = None
    serial_number: str | None = None
    mac: str | None = None
    external_id: str | None = None
    group_id: int | None = None
    camera_id: int | None = None
    status: str | None = None
    department: int | None = None
    department_type: str | None = None
    department_name: str | None = None
    address: str | None = None
    flat_from: int | None = None
    flat_to: int | None = None
    flat_offset: int | None = None
    force_flats_removal: bool | None = None
    collecting_keys: bool | None = None
    door_open_time_general: int | None = None
    sip_credentials: SipCredentials | None = None
    sip_options: SipOptions | None = None
    is_crossbar_switchers_enabled: bool | None = None
    switch: str | None = None
    connection_type: str | None = None
    commutators_count: int | None = None
    matrix: list[MatrixElement] | None = None
    schema_: str | None = Field(default=None, alias="schema")
    ip: str | None = None
    port: int | None = None
    login: str | None = None
    password: str | None = None
    tls_fingerprint: str | None = None
    tls_allow_self_signed: bool | None = None

    def but(self, **values: object) -> IntercomChanges:
        """These changes with `values` sent as well (replacing what was sent under those names)."""
        sent = {name: getattr(self, name) for name in self.model_fields_set}
        return IntercomChanges.model_validate({**sent, **values})
