"""The main configurations: every closed list the platform validates against, with display labels.

One source for validation (services), for `*_pretty` fields of replies and for the admin
`GET /api/admin/v1/main-configurations` endpoint. Plain data and pure lookups; no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Vendor:
    key: str
    label: str
    models: tuple[str, ...]
    # True when entryphone ships a device driver for it (src/entryphone/devices); others are records only.
    has_driver: bool
    # The platform lets admins edit the coordinate matrix only where the vendor's panel takes one by hand.
    can_manage_matrix: bool
    # Whether its panels ring analog handsets (and so take per-flat line resistance thresholds).
    has_analog_lines: bool


@dataclass(frozen=True)
class SwitchType:
    """A coordinate switch: `units` lines per tens row, at most `rows` tens rows."""

    key: str
    label: str
    units: int
    rows: int

    @property
    def max_capacity(self) -> int:
        return self.units * self.rows

    @property
    def capacities(self) -> tuple[int, ...]:
        """Allowed capacities of one switch: whole tens rows, up to the switch's maximum."""
        return tuple(self.units * count for count in range(1, self.rows + 1))


@dataclass(frozen=True)
class Choice:
    key: str
    label: str


VENDORS: tuple[Vendor, ...] = (
    Vendor(
        key="2n",
        label="2N",
        models=(
            "2N IP Verso",
            "2N IP Verso 2.0",
            "2N IP Force",
            "2N IP Safety",
            "2N IP Style",
            "2N IP Solo",
            "2N IP Base",
            "2N IP Vario",
            "2N IP One",
            # Firmware 2.x reports the older "Helios" product names in system/info.
            "2N Helios IP Verso",
            "2N Helios IP Force",
            "2N Helios IP Safety",
            "2N Helios IP Vario",
            "2N Helios IP Uni",
            "2N Helios IP Base",
            "2N Helios IP Solo",
            "2N Helios IP Style",
        ),
        has_driver=True,
        can_manage_matrix=False,
        has_analog_lines=False,
    ),
    Vendor(
        key="interconnection",
        label="Intersvyaz",
        models=("3516EV200", "Sokol", "Sokol Plus"),
        has_driver=False,
        can_manage_matrix=True,
        has_analog_lines=True,
    ),
    Vendor(
        key="sputnik",
        label="Sputnik",
        models=("Sputnik", "Sputnik IP"),
        has_driver=False,
        can_manage_matrix=False,
        has_analog_lines=True,
    ),
    Vendor(
        key="beward",
        label="Beward",
        models=("DKS20211", "DKS15103", "DKS15122", "DKS977957", "DS06M"),
        has_driver=False,
        can_manage_matrix=True,
        has_analog_lines=True,
    ),
)

# Switch brands (the platform's 24.03 list) and the switch models of its 25.12 list and of
# platform-endpoints.md 2.1, with the grid each one wires.
SWITCH_TYPES: tuple[SwitchType, ...] = (
    SwitchType("metakom", "Metakom", units=10, rows=10),
    SwitchType("vizit", "Vizit", units=10, rows=10),
    SwitchType("cyfral", "Cyfral", units=10, rows=10),
    SwitchType("eltis", "Eltis", units=10, rows=10),
    SwitchType("factorial", "Factorial 8x8", units=8, rows=8),
    SwitchType("bk-100", "Vizit BK-100", units=10, rows=10),
    SwitchType("kmg-100", "Cyfral KMG-100", units=10, rows=10),
    SwitchType("kkm-100s2", "Beward KKM-100S2", units=10, rows=10),
    SwitchType("kkm-105", "Beward KKM-105", units=10, rows=10),
    SwitchType("kkm-108", "Beward KKM-108", units=10, rows=10),
    SwitchType("km100-7.1", "Eltis KM100-7.1", units=10, rows=10),
    SwitchType("km100-7.3", "Eltis KM100-7.3", units=10, rows=10),
    SwitchType("km100-7.5", "Eltis KM100-7.5", units=10, rows=10),
    SwitchType("com-100u", "Metakom COM-100U", units=10, rows=10),
    SwitchType("com-220u", "Metakom COM-220U", units=10, rows=22),
)

CONNECTION_TYPES: tuple[Choice, ...] = (
    Choice("matrix_switching", "Matrix-switching"),
    Choice("fixed", "Fixed"),
    Choice("smart", "Smart"),
    Choice("combined_1", "Combined 1"),
    Choice("combined_2", "Combined 2"),
)
# The schemes that ring analog handsets through the coordinate matrix.
MATRIX_CONNECTION_TYPES = frozenset({"matrix_switching", "combined_1"})

DEPARTMENT_TYPES: tuple[Choice, ...] = (
    Choice("main", "Entrance"),
    Choice("side", "Side entrance"),
    Choice("service", "Service entrance"),
)

INTERCOM_STATUSES: tuple[Choice, ...] = (
    Choice("empty", "Not installed"),
    Choice("initializing", "Initializing"),
    Choice("installed", "Installed"),
    Choice("deleted", "Deleted"),
)
# Statuses an admin may set; `deleted` is reached through DELETE only.
SETTABLE_INTERCOM_STATUSES = frozenset({"empty", "initializing", "installed"})

# How PATCH .../flats/{flat} `map_user_key.method` binds a flat's keys to one of its users.
FLAT_MANAGEMENT_METHODS: tuple[Choice, ...] = (
    Choice("select", "Bind the selected keys to the user"),
    Choice("all", "Bind every key of the flat to the user"),
    Choice("none", "Unbind every key of the flat from the user"),
)

DEVICE_SCHEMAS: tuple[Choice, ...] = (Choice("http", "HTTP"), Choice("https", "HTTPS"))

CAMERA_STATUSES: tuple[Choice, ...] = (
    Choice("active", "Active"),
    Choice("inactive", "Inactive"),
    Choice("deleted", "Deleted"),
)
STREAM_TYPES: tuple[Choice, ...] = (Choice("low", "Low quality"), Choice("high", "High quality"))
STREAM_STATUSES: tuple[Choice, ...] = (Choice("active", "Active"), Choice("inactive", "Inactive"))

_VENDORS = {vendor.key: vendor for vendor in VENDORS}
_SWITCHES = {switch.key: switch for switch in SWITCH_TYPES}


def keys(choices: tuple[Choice, ...]) -> tuple[str, ...]:
    return tuple(choice.key for choice in choices)


def label(choices: tuple[Choice, ...], key: str | None) -> str | None:
    """The display label of `key` in `choices` (the `*_pretty` fields), None when unknown or unset."""
    for choice in choices:
        if choice.key == key:
            return choice.label
    return None


def is_known_vendor(key: str) -> bool:
    return key in _VENDORS


def vendor(key: str) -> Vendor | None:
    return _VENDORS.get(key)


def vendor_label(key: str | None) -> str | None:
    found = _VENDORS.get(key or "")
    return found.label if found else None


def canonical_model(vendor_key: str, model: str) -> str | None:
    """The vendor's own spelling of `model` (compared without case or surrounding space), or None."""
    found = _VENDORS.get(vendor_key)
    if found is None:
        return None
    wanted = model.strip().casefold()
    return next((name for name in found.models if name.casefold() == wanted), None)


def model_belongs_to_vendor(vendor_key: str, model: str) -> bool:
    return canonical_model(vendor_key, model) is not None


def switch_type(key: str | None) -> SwitchType | None:
    return _SWITCHES.get(key or "")


def switch_geometry(key: str) -> tuple[int, int, int]:
    """(units per row, tens rows, maximum capacity) of a switch type; KeyError when unknown."""
    switch = _SWITCHES[key]
    return switch.units, switch.rows, switch.max_capacity


def is_allowed_capacity(switch_key: str, capacity: int) -> bool:
    switch = _SWITCHES.get(switch_key)
    return switch is not None and capacity in switch.capacities


def all_capacities() -> tuple[int, ...]:
    """Every capacity some switch accepts (the platform's `intercom_flat_capacity` list)."""
    return tuple(sorted({capacity for switch in SWITCH_TYPES for capacity in switch.capacities}))
