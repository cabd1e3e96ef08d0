"""Small helpers the adapters share (the normalizers have their own in `callviewer.normalize`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from datetime import datetime, timezone
from typing import Any, Protocol
from urllib.parse import quote

from callviewer.providers.base import ListPage


def ci_get(obj: Any, key: str) -> Any:
    """`obj[key]`, else the first key equal ignoring case; None when absent or not a mapping."""
    if not isinstance(obj, Mapping):
        return None
    if key in obj:
        return obj[key]
    low = key.lower()
    for k, v in obj.items():
        if isinstance(k, str) and k.lower() == low:
            return v
    return None


def first_str(obj: Any, *keys: str) -> str | None:
    """The first of `keys` (case-insensitive) holding a non-empty string or number, as a string."""
    for key in keys:
        v = ci_get(obj, key)
        if isinstance(v, bool):
            continue
        if isinstance(v, (int, float)):
            return str(v)
        if isinstance(v, str) and v.strip():
            return v.strip()
    return None


def iso_z(when: datetime) -> str:
    """RFC 3339 in UTC with milliseconds and a Z, as the APIs document their date-times."""
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def path_id(call_id: str) -> str:
    """A provider id made safe as one path segment."""
    return quote(call_id, safe="")


def unwrap(data: Any) -> Any:
    """Callab's `{status, message, data}` envelope, removed when present."""
    if isinstance(data, Mapping) and "data" in data and ("status" in data or "message" in data):
        return data["data"]
    return data


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 string (offset or Z; naive is taken as UTC) or epoch s/ms, as an aware datetime."""
    if value is None or isinstance(value, bool):
        return None
    try:
        if isinstance(value, (int, float)):
            seconds = value / 1000 if abs(value) > 1e11 else value
            return datetime.fromtimestamp(seconds, timezone.utc)
        if isinstance(value, str) and value.strip():
            text = value.strip()
            if text.isdigit():
                return parse_time(int(text))
            when = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
            return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    except (ValueError, OverflowError, OSError):
        return None
    return None


# ---------------------------------------------------------------- numbered pages

#: Pages in a row that bring no call not already listed before the walk gives up on the rest.
STALE_PAGES_LIMIT = 3


class PageFetch(Protocol):
    async def __call__(self, page: int) -> tuple[ListPage, bool | None]:
        """The list page numbered `page`, and whether the provider says more pages follow
        (None when it does not say)."""


async def walk_pages(fetch: PageFetch, item_id: Callable[[Mapping[str, Any]], str | None], *,
                     first: int, last: int,
                     is_last: Callable[[ListPage, bool | None], bool],
                     full: Callable[[ListPage, bool | None], bool],
                     ) -> AsyncIterator[ListPage]:
    """Walks numbered list pages from `first`, guarding against a provider's paging glitches.

    - `is_last(page, more)`: whether a page ends the walk (`more`: whether the provider said more
      pages follow; None when it does not say).
    - `full(page, more)`: whether more calls are certainly expected after a page (the provider
      says so, or the page was as long as pages get).
    - A page that comes back **empty** where more calls were certainly expected is asked for
      once more. If it is still empty, the next page is looked at: nothing there is the end of
      the list; calls there mean a hole, and the walk goes on from there with a `gap` flagged.
    - A page that brings **no call not already listed** (a repeated page) is asked for once
      more; if it repeats again it is skipped with a `gap` flagged, and after
      `STALE_PAGES_LIMIT` such pages in a row the walk stops instead of paging forever.

    A gap is reported on the next page yielded (or on an empty page yielded at the end). The
    sync treats a walk with a gap as incomplete: the next sync walks the whole list again.
    """
    seen: set[str] = set()
    stale = 0
    gap = False
    expected = False  # the page before was full: more calls are certainly expected
    page = first
    while page < last:
        listed, more = await fetch(page)
        if not listed.items:
            if more is False or (more is None and not expected):
                break  # the end (or no calls at all)
            listed, more = await fetch(page)  # a glitch, or really the end: ask again
            if not listed.items:
                if more is False:
                    break
                following, following_more = await fetch(page + 1)
                if not following.items:
                    gap = gap or more is True  # the provider said more would come: unsure
                    break
                gap = True  # page `page` stays unread
                page += 1
                listed, more = following, following_more
        fresh = [i for i in map(item_id, listed.items) if i and i not in seen]
        if not fresh:
            listed, more = await fetch(page)  # a repeated page: ask again
            fresh = [i for i in map(item_id, listed.items) if i and i not in seen]
            if not fresh:
                stale += 1
                gap = True
                if stale >= STALE_PAGES_LIMIT or more is False or not listed.items:
                    break
                page += 1
                continue
        stale = 0
        seen.update(fresh)
        listed.gap = listed.gap or gap
        gap = False
        yield listed
        if is_last(listed, more):
            return
        expected = full(listed, more)
        page += 1
    if gap:
        yield ListPage([], None, gap=True)
