"""The Laravel paginator shape every list endpoint answers with."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from entryphone.db.paging import fetch_page

T = TypeVar("T")

DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100


@dataclass(frozen=True)
class PageParams:
    page: int
    per_page: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


async def page_params(
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = DEFAULT_PER_PAGE,
) -> PageParams:
    return PageParams(page=page, per_page=per_page)


class PageLinks(BaseModel):
    first: str | None
    last: str | None
    prev: str | None
    next: str | None


class MetaLink(BaseModel):
    url: str | None
    label: str
    active: bool


class PageMeta(BaseModel):
    # "from" is a Python keyword: the field is declared through an alias so the wire name is exact.
    model_config = ConfigDict(validate_by_name=True, serialize_by_alias=True)

    current_page: int
    from_: int | None = Field(default=None, alias="from")
    last_page: int
    links: list[MetaLink]
    path: str
    per_page: int
    to: int | None
    total: int


class Page(BaseModel, Generic[T]):
    data: list[T]
    links: PageLinks
    meta: PageMeta


@dataclass(frozen=True)
class PageResult(Generic[T]):
    items: Sequence[T]
    total: int
    params: PageParams


async def paginate(session: AsyncSession, query: Select[Any], params: PageParams) -> PageResult[Any]:
    """Run a count and one page of `query` (whose first column is the row object)."""
    rows, total = await fetch_page(session, query, params.per_page, params.offset)
    return PageResult(items=rows, total=total, params=params)


def build_page(request: Request, items: list[T], total: int, params: PageParams) -> Page[T]:
    last_page = max(1, math.ceil(total / params.per_page))
    path = str(request.url.replace(query=None))

    def url(page: int) -> str:
        return str(request.url.include_query_params(page=page))

    start = params.offset + 1 if items else None
    end = params.offset + len(items) if items else None
    links = [
        MetaLink(
            url=url(params.page - 1) if params.page > 1 else None, label="pagination.previous", active=False
        )
    ]
    links += [
        MetaLink(url=url(number), label=str(number), active=number == params.page)
        for number in _window(params.page, last_page)
    ]
    links.append(
        MetaLink(
            url=url(params.page + 1) if params.page < last_page else None,
            label="pagination.next",
            active=False,
        )
    )
    return Page[T](
        data=items,
        links=PageLinks(
            first=url(1),
            last=url(last_page),
            prev=url(params.page - 1) if params.page > 1 else None,
            next=url(params.page + 1) if params.page < last_page else None,
        ),
        meta=PageMeta(
            current_page=params.page,
            from_=start,
            last_page=last_page,
            links=links,
            path=path,
            per_page=params.per_page,
            to=end,
            total=total,
        ),
    )


def _window(current: int, last: int, radius: int = 3) -> range:
    """The numbered page links around the current page (Laravel shows a window, not every page)."""
    return range(max(1, current - radius), min(last, current + radius) + 1)
