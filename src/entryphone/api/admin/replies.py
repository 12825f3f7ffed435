"""Reply models shared by the admin routers (intercom, camera, flat, key, user objects) and the
functions that build them from domain objects in a few queries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone import vocabulary
from entryphone.api.admin.groups import GroupOut
from entryphone.api.formatting import plain
from entryphone.cameras import service as cameras
from entryphone.cameras.service import CameraView
from entryphone.flats import service as flats
from entryphone.groups import service as groups
from entryphone.intercoms import service as intercoms
from entryphone.models import Account, Intercom, IntercomFlat, IntercomKey
from entryphone.security.secretbox import SecretBox


class StreamOut(BaseModel):
    """A camera stream with every key of the platform's page. Keys of the media-server registry that
    entryphone does not keep (it runs no media server) hold their type's empty value: docs/api/admin.md,
    "Cameras"."""

    id: int
    type: str
    camera_id: int
    status: str
    url: str  # shown to admins only; may carry credentials
    bitrate: int
    resolution: str
    output_rate: int
    ip: str
    uuid: str
    sound: str = ""
    streams_count: int = 0
    server: dict[str, Any] = Field(default_factory=dict)
    sub_servers: list[dict[str, Any]] = Field(default_factory=list)
    transfer_servers: list[dict[str, Any]] = Field(default_factory=list)
    transfer_sub_servers: list[dict[str, Any]] = Field(default_factory=list)
    created_at: str
    updated_at: str
    is_preview_from_server: bool = False
    is_archive_from_server: bool | None = None
    is_enabled: bool
    is_can_transfer: bool = False
    source: str = "manual"
    is_sound_enabled: bool = False
    reconnect_attempt: int = 0
    reconnect_total: int = 0
    reconnect_time: str = ""
    disconnections_count: int = 0
    is_actual: bool = False
    condition: str = ""
    stopped_at: str = ""


class CameraOut(BaseModel):
    """The admin camera object with every key of the platform's page (the intercom reply embeds it).
    Keys entryphone does not hold (archive, geography, sharing, media-server state) hold their
    type's empty value, or null where the page documents null: docs/api/admin.md, "Cameras"."""

    id: int
    group_id: int | None
    status: str
    type: str
    start_at: str = ""
    created_at: str
    updated_at: str
    name: str
    streams: list[StreamOut]
    can_edit: bool = True
    origin: str | None = None
    group_type: str = ""
    shared_from: int | None = None
    ip: str
    lat: float | None = None
    lng: float | None = None
    azimuth: float | None = None
    is_sensitive: int = 0
    is_public: int = 0
    archive_ranges: list[dict[str, Any]] = Field(default_factory=list)
    archive_recording_timetable: dict[str, Any] | None = None
    motion_detaction_timetable: list[dict[str, Any]] = Field(default_factory=list)
    onvif_configuration: dict[str, Any] | None = None
    streams_rtsp: list[str] | None = None
    is_ip_reserved: bool = False
    count_issues: int = 0
    source: str = "manual"
    archive_storage_days: int | None = None
    is_archive_recording: bool = False
    archive_recording_type: str = ""
    is_increased_reconnect: int = 0
    is_sound_enabled: bool = False
    is_bridge: bool = False
    can_change_archive_timetable: bool = False
    is_auto_create_streams: bool = False
    is_provisioning_enable: bool = False
    is_can_manage_streams: bool = True
    streams_source: str = "manual"
    is_can_manage_archive_storage_days: bool = False
    is_editable: bool = True
    status_changed_at: str = ""
    is_intercom: bool
    is_onvif_credentials_installed: bool
    deleted_at: str

    @classmethod
    def of(cls, view: CameraView) -> CameraOut:
        camera = view.camera
        streams = [
            StreamOut(
                id=item.stream.id,
                type=item.stream.type,
                camera_id=camera.id,
                status=item.stream.status,
                url=item.url,
                bitrate=item.stream.bitrate or 0,
                resolution=item.stream.resolution or "",
                output_rate=item.stream.output_rate or 0,
                ip=cameras.url_host(item.url),
                uuid=item.stream.uuid,
                created_at=plain(item.stream.created_at) or "",
                updated_at=plain(item.stream.updated_at) or "",
                is_enabled=item.stream.status == "active",
            )
            for item in view.streams
        ]
        return cls(
            id=camera.id,
            group_id=camera.group_id,
            status=camera.status,
            type=camera.type,
            created_at=plain(camera.created_at) or "",
            updated_at=plain(camera.updated_at) or "",
            name=camera.name,
            streams=streams,
            ip=next((stream.ip for stream in streams if stream.ip), ""),
            is_intercom=view.is_intercom,
            is_onvif_credentials_installed=camera.onvif_credentials_encrypted is not None,
            deleted_at=plain(camera.deleted_at) or "",
        )


class SipCredentialsOut(BaseModel):
    server: str | None
    port: int | None
    login: str | None
    is_sip_password_installed: bool


class DtmfOut(BaseModel):
    id: int
    value: str


class SipOptionsOut(BaseModel):
    talk_duration: int | None
    ring_duration: int | None
    dtmf: list[DtmfOut]


class MatrixElementOut(BaseModel):
    id: int
    capacity: int
    items: list[list[int]]
    auto: bool
    is_last_item_first: bool
    flat_from: int | None


class IntercomOut(BaseModel):
    # "schema" would shadow a BaseModel method: declared through an alias, the wire name is exact.
    model_config = ConfigDict(validate_by_name=True, serialize_by_alias=True)

    id: int
    uuid: str
    title: str
    is_online: bool
    group_id: int | None
    camera_id: int | None
    flat_from: int | None
    flat_to: int | None
    flat_offset: int | None
    department: int | None
    department_name: str | None
    department_type: str | None
    department_type_pretty: str | None
    address: str | None
    group: GroupOut | None
    camera: CameraOut | None
    collecting_keys: bool
    door_open_time_general: int | None
    sip_credentials: SipCredentialsOut
    sip_options: SipOptionsOut
    is_crossbar_switchers_enabled: bool
    is_can_manage_matrix: bool
    matrix: list[MatrixElementOut]
    created_at: str | None
    updated_at: str | None
    mac: str | None
    vendor: str
    vendor_pretty: str | None
    model: str | None
    serial_number: str | None
    external_id: str | None
    source: str
    status: str
    status_pretty: str | None
    switch: str | None
    switch_pretty: str | None
    schema_: str | None = Field(alias="schema")
    ip: str | None
    port: int | None
    login: str | None
    is_password_installed: bool
    tls_fingerprint: str | None
    tls_allow_self_signed: bool
    commutators_count: int | None
    connection_type: str | None
    connection_type_pretty: str | None
    key_count: int


async def intercom_replies(
    session: AsyncSession, secrets: SecretBox, records: Sequence[Intercom]
) -> list[IntercomOut]:
    """Full admin objects for intercoms: groups, cameras and key counts in one query each."""
    group_ids = sorted({item.group_id for item in records if item.group_id is not None})
    group_views = {
        view.group.id: GroupOut.of(view)
        for view in await groups.views(session, await groups.get_many(session, group_ids))
    }
    camera_ids = sorted({item.camera_id for item in records if item.camera_id is not None})
    camera_records = await cameras.get_many(session, camera_ids)
    camera_views = {
        view.camera.id: CameraOut.of(view) for view in await cameras.views(session, secrets, camera_records)
    }
    key_counts = await intercoms.key_counts(session, [item.id for item in records])
    return [_intercom(item, group_views, camera_views, key_counts.get(item.id, 0)) for item in records]


async def intercom_reply(session: AsyncSession, secrets: SecretBox, record: Intercom) -> IntercomOut:
    return (await intercom_replies(session, secrets, [record]))[0]


def _intercom(
    item: Intercom, group_views: dict[int, GroupOut], camera_views: dict[int, CameraOut], key_count: int
) -> IntercomOut:
    options: dict[str, Any] = item.sip_options or {}
    switch = vocabulary.switch_type(item.switch)
    vendor = vocabulary.vendor(item.vendor)
    return IntercomOut(
        id=item.id,
        uuid=item.uuid,
        title=item.title,
        is_online=item.is_online,
        group_id=item.group_id,
        camera_id=item.camera_id,
        flat_from=item.flat_from,
        flat_to=item.flat_to,
        flat_offset=item.flat_offset,
        department=item.department,
        department_name=item.department_name,
        department_type=item.department_type,
        department_type_pretty=vocabulary.label(vocabulary.DEPARTMENT_TYPES, item.department_type),
        address=item.address,
        group=group_views.get(item.group_id) if item.group_id is not None else None,
        camera=camera_views.get(item.camera_id) if item.camera_id is not None else None,
        collecting_keys=item.collecting_keys,
        door_open_time_general=item.door_open_time_general,
        sip_credentials=SipCredentialsOut(
            server=item.sip_server,
            port=item.sip_port,
            login=item.sip_login,
            is_sip_password_installed=intercoms.is_sip_password_installed(item),
        ),
        sip_options=SipOptionsOut(
            talk_duration=options.get("talk_duration"),
            ring_duration=options.get("ring_duration"),
            dtmf=[DtmfOut(**entry) for entry in options.get("dtmf") or []],
        ),
        is_crossbar_switchers_enabled=item.is_crossbar_switchers_enabled,
        is_can_manage_matrix=bool(vendor and vendor.can_manage_matrix),
        matrix=[MatrixElementOut(**element) for element in item.matrix or []],
        created_at=plain(item.created_at),
        updated_at=plain(item.updated_at),
        mac=item.mac,
        vendor=item.vendor,
        vendor_pretty=vendor.label if vendor else None,
        model=item.model,
        serial_number=item.serial_number,
        external_id=item.external_id,
        source=item.source,
        status=item.status,
        status_pretty=vocabulary.label(vocabulary.INTERCOM_STATUSES, item.status),
        switch=item.switch,
        switch_pretty=switch.label if switch else None,
        schema_=item.schema,
        ip=item.ip,
        port=item.port,
        login=item.login,
        is_password_installed=intercoms.is_password_installed(item),
        tls_fingerprint=item.tls_fingerprint,
        tls_allow_self_signed=item.tls_allow_self_signed,
        commutators_count=item.commutators_count,
        connection_type=item.connection_type,
        connection_type_pretty=vocabulary.label(vocabulary.CONNECTION_TYPES, item.connection_type),
        key_count=key_count,
    )


class UserOut(BaseModel):
    """A user as the platform's flat page shows it. We have no licences or PTZ: those two fields
    carry the platform's neutral values (not limited, priority 1); no access-token link either."""

    id: int
    name: str
    login: str
    created_at: str | None
    updated_at: str | None
    expired_at: str | None
    is_licence_limit_reached: bool = False
    ptz_priority: int = 1
    access_token_id: int | None = None

    @classmethod
    def of(cls, account: Account) -> UserOut:
        return cls(
            id=account.id,
            name=account.name,
            login=account.login,
            created_at=plain(account.created_at),
            updated_at=plain(account.updated_at),
            expired_at=plain(account.expired_at),
        )


class FlatSummaryOut(BaseModel):
    id: int
    flat: int
    intercom_id: int
    number: str | None
    landline_number: str | None
    is_smartphone_sip_line_available: bool
    is_landline_sip_line_available: bool
    is_analog_line_enable: bool
    is_sip_line_enable: bool

    @classmethod
    def of(cls, flat: IntercomFlat) -> FlatSummaryOut:
        return cls(
            id=flat.id,
            flat=flat.flat,
            intercom_id=flat.intercom_id,
            number=flat.sip_number,
            landline_number=flat.landline_number,
            is_smartphone_sip_line_available=flat.is_smartphone_sip_line_available,
            is_landline_sip_line_available=flat.is_landline_sip_line_available,
            is_analog_line_enable=flat.is_analog_line_available,
            is_sip_line_enable=flat.is_smartphone_sip_line_available or flat.is_landline_sip_line_available,
        )


class KeyOut(BaseModel):
    id: int
    key: str
    type: str
    source: str
    user: UserOut | None
    flat: FlatSummaryOut | None
    created_at: str | None
    updated_at: str | None

    @classmethod
    def of(cls, key: IntercomKey, user: Account | None, flat: IntercomFlat | None) -> KeyOut:
        return cls(
            id=key.id,
            key=key.value,
            type=key.type,
            source=key.source,
            user=UserOut.of(user) if user else None,
            flat=FlatSummaryOut.of(flat) if flat else None,
            created_at=plain(key.created_at),
            updated_at=plain(key.updated_at),
        )


class FlatPropertiesOut(BaseModel):
    is_analog_line_enable: bool
    is_sip_line_enable: bool
    is_can_manage_resistance: bool
    is_smartphone_sip_line_available: bool
    is_landline_sip_line_available: bool
    is_analog_line_available: bool
    number: str | None
    landline_number: str | None
    panel_system_volumes: int | None
    handset_ring_analog_volumes: int | None
    handset_talk_analog_volumes: int | None
    panel_talk_analog_volumes: int | None
    panel_talk_mobile_volumes: int | None
    gail_panel_micro_mobile_volumes: int | None
    answer_resistance: int | None
    quiescent_resistance: int | None

    @classmethod
    def of(cls, intercom: Intercom, flat: IntercomFlat) -> FlatPropertiesOut:
        return cls(**flats.properties(intercom, flat))
