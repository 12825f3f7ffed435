"""/api/admin/v1/cameras: the minimal camera registry the intercom object embeds."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from entryphone.api.admin.fields import SmallInt, Word
from entryphone.api.admin.replies import CameraOut
from entryphone.api.deps import AdminPrincipal, Context, DbSession
from entryphone.api.pagination import Page, PageParams, build_page, page_params, paginate
from entryphone.api.types import Id, IdPath, Name, SearchText
from entryphone.cameras import service
from entryphone.models import Camera

router = APIRouter(prefix="/cameras", tags=["admin: cameras"])

Url = Annotated[str, Field(min_length=1, max_length=2048)]


class StreamIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: Word
    url: Url
    status: Word | None = None
    bitrate: SmallInt | None = None
    resolution: Annotated[str, Field(max_length=32, pattern=r"^\d{1,5}x\d{1,5}$")] | None = None
    output_rate: SmallInt | None = None


class CameraCreateIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: Name
    group_id: Id | None = None
    status: Word | None = None
    streams: Annotated[list[StreamIn], Field(max_length=2)] | None = None


class CameraUpdateIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: Name | None = None
    group_id: Id | None = None
    status: Word | None = None
    streams: Annotated[list[StreamIn], Field(max_length=2)] | None = None


async def _out(session: DbSession, context: Context, camera: Camera) -> CameraOut:
    return CameraOut.of((await service.views(session, context.secrets, [camera]))[0])


@router.get("", response_model=Page[CameraOut], summary="List cameras")
async def list_cameras(
    request: Request,
    _admin: AdminPrincipal,
    session: DbSession,
    context: Context,
    params: Annotated[PageParams, Depends(page_params)],
    search: Annotated[SearchText | None, Query()] = None,
    group_id: Annotated[int | None, Query(ge=1, le=2**53 - 1)] = None,
    status: Annotated[str | None, Query(max_length=64)] = None,
) -> Page[CameraOut]:
    result = await paginate(
        session, service.list_query(search=search, group_id=group_id, status=status), params
    )
    views = await service.views(session, context.secrets, list(result.items))
    return build_page(request, [CameraOut.of(view) for view in views], result.total, params)


@router.post("", response_model=CameraOut, status_code=201, summary="Create a camera")
async def create_camera(
    body: CameraCreateIn, _admin: AdminPrincipal, session: DbSession, context: Context
) -> CameraOut:
    camera = await service.create(
        session, context.secrets, service.CameraChanges.model_validate(body.model_dump(exclude_unset=True))
    )
    return await _out(session, context, camera)


@router.get("/{camera:int}", response_model=CameraOut, summary="Show a camera")
async def show_camera(
    camera: IdPath, _admin: AdminPrincipal, session: DbSession, context: Context
) -> CameraOut:
    return await _out(session, context, await service.get_live(session, camera))


@router.patch("/{camera:int}", response_model=CameraOut, summary="Update a camera")
async def update_camera(
    camera: IdPath, body: CameraUpdateIn, _admin: AdminPrincipal, session: DbSession, context: Context
) -> CameraOut:
    record = await service.get_live(session, camera)
    await service.update(
        session,
        context.secrets,
        record,
        service.CameraChanges.model_validate(body.model_dump(exclude_unset=True)),
    )
    return await _out(session, context, record)


@router.delete("/{camera:int}", status_code=204, response_class=Response, summary="Delete a camera (soft)")
async def delete_camera(camera: IdPath, _admin: AdminPrincipal, session: DbSession) -> Response:
    await service.soft_delete(session, await service.get_live(session, camera))
    return Response(status_code=204)
