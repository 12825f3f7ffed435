"""Rules of the camera registry. Never commits. Stream URLs are encrypted at rest."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from entryphone import vocabulary
from entryphone.cameras import repository
from entryphone.db.base import utcnow
from entryphone.errors import NotFound, ValidationFailed
from entryphone.groups import repository as groups_repository
from entryphone.models import Camera, CameraStream
from entryphone.security.secretbox import SecretBox

STREAM_SCHEMES = ("rtsp", "rtsps", "http", "https")
MAX_URL_LENGTH = 2048


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


async def create(session: AsyncSession, secrets: SecretBox, fields: Mapping[str, Any]) -> Camera:
    """fields: name (required), group_id, status (active | inactive), streams [{type, url, status,
    bitrate, resolution, output_rate}]."""
    await _validate(session, fields)
    camera = Camera(
        name=fields["name"], group_id=fields.get("group_id"), status=fields.get("status") or "active"
    )
    session.add(camera)
    await session.flush()
    if fields.get("streams"):
        _add_streams(session, secrets, camera, fields["streams"])
        await session.flush()
    return camera


async def update(
    session: AsyncSession, secrets: SecretBox, camera: Camera, changes: Mapping[str, Any]
) -> Camera:
    """Partial update; `streams`, when sent, replaces the camera's streams as a whole."""
    await _validate(session, changes)
    for name in ("name", "group_id", "status"):
        if name in changes and (changes[name] is not None or name == "group_id"):
            setattr(camera, name, changes[name])
    if "streams" in changes:
        await repository.delete_streams(session, camera.id)
        _add_streams(session, secrets, camera, changes["streams"] or [])
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
    session: AsyncSession, secrets: SecretBox, camera: Camera, streams: Sequence[Mapping[str, Any]]
) -> None:
    for stream in streams:
        session.add(
            CameraStream(
                camera_id=camera.id,
                type=stream["type"],
                status=stream.get("status") or "active",
                url_encrypted=secrets.encrypt(stream["url"]),
                bitrate=stream.get("bitrate"),
                resolution=stream.get("resolution"),
                output_rate=stream.get("output_rate"),
            )
        )


async def _validate(session: AsyncSession, fields: Mapping[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    if "name" in fields and not fields["name"]:
        errors["name"] = ["The name field is required."]
    group_id = fields.get("group_id")
    if group_id is not None and await groups_repository.get(session, group_id) is None:
        errors["group_id"] = ["The selected group_id is invalid."]
    status = fields.get("status")
    if status is not None and status not in ("active", "inactive"):
        errors["status"] = ["The status must be active or inactive (delete a camera with DELETE)."]
    seen_types: set[str] = set()
    for index, stream in enumerate(fields.get("streams") or ()):
        path = f"streams.{index}"
        if stream.get("type") not in vocabulary.keys(vocabulary.STREAM_TYPES):
            errors[f"{path}.type"] = ["The type must be low or high."]
        elif stream["type"] in seen_types:
            errors[f"{path}.type"] = [f"The camera already has a {stream['type']} stream."]
        else:
            seen_types.add(stream["type"])
        if stream.get("status") is not None and stream["status"] not in vocabulary.keys(
            vocabulary.STREAM_STATUSES
        ):
            errors[f"{path}.status"] = ["The status must be active or inactive."]
        url_error = _url_problem(stream.get("url"))
        if url_error:
            errors[f"{path}.url"] = [url_error]
    if errors:
        raise ValidationFailed(errors)


def _url_problem(url: object) -> str | None:
    if not isinstance(url, str) or not url:
        return "The url field is required."
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
