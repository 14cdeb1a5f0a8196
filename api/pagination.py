"""``limit``/``offset`` pagination shared by every list: the query parameters (bounds from ``api.yaml``),
the slice, and the ``page`` object with a link to the next page (also sent as ``Link: <…>; rel="next"``)."""

# No ``from __future__ import annotations``: FastAPI evaluates these annotations, some of which close over
# the app's settings (page and query bounds).
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import islice
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from fastapi import Query, Request

from configs.api import PageSettings

T = TypeVar("T")


@dataclass(frozen=True)
class Paging:
    limit: int
    offset: int


def paging_dependency(pages: PageSettings) -> Callable[..., Paging]:
    """A FastAPI dependency reading ``limit`` (1 … max_limit) and ``offset`` (0 … max_offset)."""

    def paging(
        limit: Annotated[
            int, Query(ge=1, le=pages.max_limit, description=f"items per page (1–{pages.max_limit})")
        ] = pages.default_limit,
        offset: Annotated[int, Query(ge=0, le=pages.max_offset, description="items to skip")] = 0,
    ) -> Paging:
        return Paging(limit, offset)

    return paging


def take(items: Iterable[T], paging: Paging) -> tuple[list[T], bool]:
    """The page's items and whether more follow (reads at most offset + limit + 1 items)."""
    window = list(islice(items, paging.offset, paging.offset + paging.limit + 1))
    return window[: paging.limit], len(window) > paging.limit


def page_info(request: Request, paging: Paging, more: bool, total: int | None, base_url: str = "") -> dict[str, Any]:
    """The ``page`` object of a list body."""
    next_link = None
    if more:
        query = [(k, v) for k, v in request.query_params.multi_items() if k not in ("limit", "offset")]
        query += [("limit", str(paging.limit)), ("offset", str(paging.offset + paging.limit))]
        next_link = f"{base_url}{request.url.path}?{urlencode(query)}"
    return {"limit": paging.limit, "offset": paging.offset, "total": total, "next": next_link}
