"""Rules of the camera registry. Never commits. Stream URLs are encrypted at rest."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from entryphone import vocabulary
from entryphone.cameras import repository
from entryphone.changes import Changes
from entryphone.db.base import utcnow
from entryphone.errors import NotFound, ValidationFailed
from entryphone.groups import repository as groups_repository
from entryphone.models import Camera, CameraStream
from entryphone.security.secretbox import SecretBox

STREAM_SCHEMES = ("rtsp", "rtsps", "http", "https")
MAX_URL_LENGTH = 2048


class StreamChanges(Changes):
    type: str
    url: str
    status: str | None = None
    bitrate: int | None = None
    resolution: str | None = None
    output_rate: int | None = None


class CameraChanges(Changes):
    """A camera's fields as sent; `streams`, when sent, replaces the camera's streams as a whole."""

    name: str | None = None
    group_id: int | None = None
    status: str | None = None  # active | inactive
    streams: list[StreamChanges] | None = None


@dataclass(frozen=True)
class StreamView:
    stream: CameraStream
    url: str


@dataclass(frozen=True)
class CameraView:
    camera: Camera
    streams: list[StreamView]
    is_intercom: bool


async def get_live(session: AsyncSession, camera_id: int) -> Camera:
    """A camera that is not deleted; NotFound otherwise."""
    camera = await repository.get(session, camera_id)
    if camera is None or camera.status == "deleted":
        raise NotFound()
    return camera


async def get_any(session: AsyncSession, camera_id: int) -> Camera | None:
    return await repository.get(session, camera_id)


async def create(session: AsyncSession, secrets: SecretBox, fields: CameraChanges) -> Camera:
    """A camera: name required, status active unless given, its streams if sent."""
    await _validate(session, fields, creating=True)
    assert fields.name is not None  # _validate requires it
    camera = Camera(name=fields.name, group_id=fields.group_id, status=fields.status or "active")
    session.add(camera)
    await session.flush()
    if fields.streams:
        _add_streams(session, secrets, camera, fields.streams)
        await session.flush()
    return camera


async def update(session: AsyncSession, secrets: SecretBox, camera: Camera, changes: CameraChanges) -> Camera:
    """Partial update; `streams`, when sent, replaces the camera's streams as a whole."""
    await _validate(session, changes, creating=False)
    sent = changes.sent
    if changes.name is not None:
        camera.name = changes.name
    if "group_id" in sent:
        camera.group_id = changes.group_id
    if changes.status is not None:
        camera.status = changes.status
    if "streams" in sent:
        await repository.delete_streams(session, camera.id)
        _add_streams(session, secrets, camera, changes.streams or [])
    await session.flush()
    return camera


async def soft_delete(session: AsyncSession, camera: Camera) -> None:
    """Mark deleted (kept for the archive and for the intercoms that still reference it)."""
    camera.status = "deleted"
    camera.deleted_at = utcnow()
    await session.flush()


async def get_many(session: AsyncSession, camera_ids: Sequence[int]) -> list[Camera]:
    """Cameras by id, deleted ones included (an intercom's reply shows its camera whatever its state)."""
    return await repository.get_many(session, camera_ids)


async def views(session: AsyncSession, secrets: SecretBox, cameras: Sequence[Camera]) -> list[CameraView]:
    """Reply data: streams with decrypted URLs (admin replies only) and whether an intercom uses it."""
    ids = [camera.id for camera in cameras]
    streams = await repository.streams(session, ids)
    linked = await repository.linked_to_live_intercom(session, ids)
    return [
        CameraView(
            camera=camera,
            streams=[
                StreamView(stream, secrets.decrypt(stream.url_encrypted)) for stream in streams[camera.id]
            ],
            is_intercom=camera.id in linked,
        )
        for camera in cameras
    ]


def _add_streams(
    session: AsyncSession, secrets: SecretBox, camera: Camera, streams: Sequence[StreamChanges]
) -> None:
    for stream in streams:
        session.add(
            CameraStream(
                camera_id=camera.id,
                type=stream.type,
                status=stream.status or "active",
                url_encrypted=secrets.encrypt(stream.url),
                bitrate=stream.bitrate,
                resolution=stream.resolution,
                output_rate=stream.output_rate,
            )
        )


async def _validate(session: AsyncSession, fields: CameraChanges, *, creating: bool) -> None:
    errors: dict[str, list[str]] = {}
    if (creating or "name" in fields.sent) and not fields.name:
        errors["name"] = ["The name field is required."]
    if fields.group_id is not None and await groups_repository.get(session, fields.group_id) is None:
        errors["group_id"] = ["The selected group_id is invalid."]
    if fields.status is not None and fields.status not in ("active", "inactive"):
        errors["status"] = ["The status must be active or inactive (delete a camera with DELETE)."]
    seen_types: set[str] = set()
    for index, stream in enumerate(fields.streams or ()):
        path = f"streams.{index}"
        if stream.type not in vocabulary.keys(vocabulary.STREAM_TYPES):
            errors[f"{path}.type"] = ["The type must be low or high."]
        elif stream.type in seen_types:
            errors[f"{path}.type"] = [f"The camera already has a {stream.type} stream."]
        else:
            seen_types.add(stream.type)
        if stream.status is not None and stream.status not in vocabulary.keys(vocabulary.STREAM_STATUSES):
            errors[f"{path}.status"] = ["The status must be active or inactive."]
        url_error = _url_problem(stream.url)
        if url_error:
            errors[f"{path}.url"] = [url_error]
    if errors:
        raise ValidationFailed(errors)


def _url_problem(url: str) -> str | None:
    """What the schema's length bound cannot say: no spaces, a stream scheme and a host."""
    if len(url) > MAX_URL_LENGTH or any(char.isspace() for char in url):
        return f"The url must be at most {MAX_URL_LENGTH} characters without spaces."
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return "The url is not a valid URL."
    if parts.scheme.lower() not in STREAM_SCHEMES or not host:
        return "The url must be an rtsp, rtsps, http or https URL with a host."
    return None


def url_host(url: str) -> str:
    """The host a stream URL points at (the camera's address), without credentials; "" if none."""
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


# Reads the API shows as stored (no rule applies to them): the repository's, offered here so that
# routes call services only.
list_query = repository.list_query
