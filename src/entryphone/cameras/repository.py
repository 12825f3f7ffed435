"""The only place that builds SQL for cameras and their streams."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, bindparam, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.models import Camera, CameraStream, Intercom


async def get(session: AsyncSession, camera_id: int) -> Camera | None:
    return await session.get(Camera, camera_id)


# Built once (building a statement costs about as much CPU as running it): replies read these.
_BY_IDS = select(Camera).where(Camera.id.in_(bindparam("ids", expanding=True))).order_by(Camera.id)
_STREAMS = (
    select(CameraStream)
    .where(CameraStream.camera_id.in_(bindparam("ids", expanding=True)))
    .order_by(CameraStream.id)
)
_LINKED = select(Intercom.camera_id).where(
    Intercom.camera_id.in_(bindparam("ids", expanding=True)), Intercom.status != "deleted"
)


async def get_many(session: AsyncSession, camera_ids: Sequence[int]) -> list[Camera]:
    if not camera_ids:
        return []
    result = await session.execute(_BY_IDS, {"ids": list(camera_ids)})
    return list(result.scalars().all())


async def streams(session: AsyncSession, camera_ids: Sequence[int]) -> dict[int, list[CameraStream]]:
    if not camera_ids:
        return {}
    result = await session.execute(_STREAMS, {"ids": list(camera_ids)})
    found: dict[int, list[CameraStream]] = {camera_id: [] for camera_id in camera_ids}
    for stream in result.scalars():
        found[stream.camera_id].append(stream)
    return found


async def delete_streams(session: AsyncSession, camera_id: int) -> None:
    await session.execute(delete(CameraStream).where(CameraStream.camera_id == camera_id))


async def linked_to_live_intercom(session: AsyncSession, camera_ids: Sequence[int]) -> set[int]:
    if not camera_ids:
        return set()
    result = await session.execute(_LINKED, {"ids": list(camera_ids)})
    return {int(value) for value in result.scalars() if value is not None}


def list_query(*, search: str | None, group_id: int | None, status: str | None) -> Select[Camera]:
    """Cameras by id; deleted ones only when asked for with status=deleted."""
    query = select(Camera)
    query = query.where(Camera.status == status) if status else query.where(Camera.status != "deleted")
    if search:
        query = query.where(func.lower(Camera.name).like(f"%{search.lower()}%"))
    if group_id is not None:
        query = query.where(Camera.group_id == group_id)
    return query.order_by(Camera.id)
