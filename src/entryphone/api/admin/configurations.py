"""/api/admin/v1/main-configurations: the closed lists clients must use, with labels."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from entryphone import vocabulary
from entryphone.api.deps import AdminPrincipal

router = APIRouter(tags=["admin: main configurations"])


class ChoiceOut(BaseModel):
    key: str
    label: str


class VendorOut(BaseModel):
    key: str
    label: str
    models: list[str]
    has_driver: bool
    is_can_manage_matrix: bool
    has_analog_lines: bool


class SwitchOut(BaseModel):
    key: str
    label: str
    units: int
    rows: int
    max_capacity: int
    capacities: list[int]


class MainConfigurationsOut(BaseModel):
    intercom_vendors: list[VendorOut]
    intercom_switches: list[SwitchOut]
    intercom_connection_types: list[ChoiceOut]
    intercom_matrix_connection_types: list[str]
    intercom_department_types: list[ChoiceOut]
    intercom_flat_capacity: list[int]
    intercom_flat_available_management_methods: list[ChoiceOut]
    intercom_statuses: list[ChoiceOut]
    intercom_schemas: list[ChoiceOut]
    camera_statuses: list[ChoiceOut]
    camera_stream_types: list[ChoiceOut]
    camera_stream_statuses: list[ChoiceOut]


def _choices(choices: tuple[vocabulary.Choice, ...]) -> list[ChoiceOut]:
    return [ChoiceOut(key=choice.key, label=choice.label) for choice in choices]


@router.get("/main-configurations", response_model=MainConfigurationsOut, summary="Main configurations")
async def main_configurations(_admin: AdminPrincipal) -> MainConfigurationsOut:
    return MainConfigurationsOut(
        intercom_vendors=[
            VendorOut(
                key=vendor.key,
                label=vendor.label,
                models=list(vendor.models),
                has_driver=vendor.has_driver,
                is_can_manage_matrix=vendor.can_manage_matrix,
                has_analog_lines=vendor.has_analog_lines,
            )
            for vendor in vocabulary.VENDORS
        ],
        intercom_switches=[
            SwitchOut(
                key=switch.key,
                label=switch.label,
                units=switch.units,
                rows=switch.rows,
                max_capacity=switch.max_capacity,
                capacities=list(switch.capacities),
            )
            for switch in vocabulary.SWITCH_TYPES
        ],
        intercom_connection_types=_choices(vocabulary.CONNECTION_TYPES),
        intercom_matrix_connection_types=sorted(vocabulary.MATRIX_CONNECTION_TYPES),
        intercom_department_types=_choices(vocabulary.DEPARTMENT_TYPES),
        intercom_flat_capacity=list(vocabulary.all_capacities()),
        intercom_flat_available_management_methods=_choices(vocabulary.FLAT_MANAGEMENT_METHODS),
        intercom_statuses=_choices(vocabulary.INTERCOM_STATUSES),
        intercom_schemas=_choices(vocabulary.DEVICE_SCHEMAS),
        camera_statuses=_choices(vocabulary.CAMERA_STATUSES),
        camera_stream_types=_choices(vocabulary.STREAM_TYPES),
        camera_stream_statuses=_choices(vocabulary.STREAM_STATUSES),
    )
