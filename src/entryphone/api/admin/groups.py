"""/api/admin/v1/intercoms/groups: the address tree."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict

from entryphone.api.deps import AdminPrincipal, DbSession
from entryphone.api.pagination import Page, PageParams, build_page, page_params, paginate
from entryphone.api.types import Bool, Id, IdPath, Name, SearchText, Text
from entryphone.groups import service
from entryphone.groups.service import GroupView
from entryphone.models import IntercomGroup

router = APIRouter(prefix="/intercoms/groups", tags=["admin: groups"])


class GroupCreate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: Name
    parent_id: Id | None = None
    is_house: Bool = False
    external_id: Text | None = None


class GroupUpdate(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: Name | None = None
    parent_id: Id | None = None
    is_house: Bool | None = None
    external_id: Text | None = None


class GroupOut(BaseModel):
    id: int
    name: str
    full_pretty: str | None
    is_house: int  # 0 / 1, as the platform answers
    cameras_count: int
    intercoms_count: int
    children_count: int
    parent_id: int | None
    csa_id: int | None = None
    external_id: str | None

    @classmethod
    def of(cls, view: GroupView) -> GroupOut:
        group = view.group
        return cls(
            id=group.id,
            name=group.name,
            full_pretty=view.full_pretty,
            is_house=int(group.is_house),
            cameras_count=view.counts.cameras,
            intercoms_count=view.counts.intercoms,
            children_count=view.counts.children,
            parent_id=group.parent_id,
            external_id=group.external_id,
        )


async def _out(session: DbSession, group: IntercomGroup) -> GroupOut:
    return GroupOut.of((await service.views(session, [group]))[0])


@router.get("", response_model=Page[GroupOut], summary="List groups")
async def list_groups(
    request: Request,
    _admin: AdminPrincipal,
    session: DbSession,
    params: Annotated[PageParams, Depends(page_params)],
    search: Annotated[SearchText | None, Query()] = None,
    parent_id: Annotated[int | None, Query(ge=1, le=2**53 - 1)] = None,
    is_house: Annotated[Bool | None, Query()] = None,
) -> Page[GroupOut]:
    query = service.list_query(search=search, parent_id=parent_id, is_house=is_house)
    result = await paginate(session, query, params)
    views = await service.views(session, list(result.items))
    return build_page(request, [GroupOut.of(view) for view in views], result.total, params)


@router.post("", response_model=GroupOut, status_code=201, summary="Create a group")
async def create_group(body: GroupCreate, _admin: AdminPrincipal, session: DbSession) -> GroupOut:
    group = await service.create(
        session,
        name=body.name,
        parent_id=body.parent_id,
        is_house=body.is_house,
        external_id=body.external_id,
    )
    return await _out(session, group)


@router.get("/{group:int}", response_model=GroupOut, summary="Show a group")
async def show_group(group: IdPath, _admin: AdminPrincipal, session: DbSession) -> GroupOut:
    return await _out(session, await service.get(session, group))


@router.patch("/{group:int}", response_model=GroupOut, summary="Update a group")
async def update_group(
    group: IdPath, body: GroupUpdate, _admin: AdminPrincipal, session: DbSession
) -> GroupOut:
    record = await service.get(session, group)
    await service.update(
        session, record, service.GroupChanges.model_validate(body.model_dump(exclude_unset=True))
    )
    return await _out(session, record)


@router.delete("/{group:int}", status_code=204, response_class=Response, summary="Delete an empty group")
async def delete_group(group: IdPath, _admin: AdminPrincipal, session: DbSession) -> Response:
    await service.delete(session, await service.get(session, group))
    return Response(status_code=204)
