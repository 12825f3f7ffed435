"""Whole lists the console's selects need (groups, cameras), read through the admin API's handlers
page by page, and the parsing of list parameters."""

from __future__ import annotations

from fastapi import Request

from entryphone.api.admin import cameras as admin_cameras
from entryphone.api.admin import groups as admin_groups
from entryphone.api.admin.groups import GroupOut
from entryphone.api.admin.replies import CameraOut
from entryphone.api.deps import Context, DbSession
from entryphone.api.pagination import MAX_PER_PAGE, PageParams
from entryphone.console.web import Operator

MAX_PAGES = 50  # 5,000 groups or cameras in a select is already more than a person can use
MAX_PAGE = 1_000_000


def page_number(request: Request, name: str = "page") -> int:
    value = request.query_params.get(name, "1")
    return int(value) if value.isdigit() and 1 <= int(value) <= MAX_PAGE else 1


async def all_groups(request: Request, operator: Operator, session: DbSession) -> list[GroupOut]:
    found: list[GroupOut] = []
    for number in range(1, MAX_PAGES + 1):
        page = await admin_groups.list_groups(
            request, operator.principal, session, PageParams(number, MAX_PER_PAGE), None, None, None
        )
        found.extend(page.data)
        if number >= page.meta.last_page:
            break
    return sorted(found, key=lambda group: (group.full_pretty or group.name).lower())


async def all_cameras(
    request: Request, operator: Operator, session: DbSession, context: Context
) -> list[CameraOut]:
    found: list[CameraOut] = []
    for number in range(1, MAX_PAGES + 1):
        page = await admin_cameras.list_cameras(
            request, operator.principal, session, context, PageParams(number, MAX_PER_PAGE), None, None, None
        )
        found.extend(page.data)
        if number >= page.meta.last_page:
            break
    return found
