"""Vatel (vatel.ai): `Authorization: Bearer`; `GET /calls` pages from 1, `page_size` at most 100.

List items are full `Call` objects (the spec's schema, the same as `GET /calls/{id}` answers), so
no detail request is needed; a call without a `transcript` has none stored at the provider either. The recording is `GET /calls/{id}/recording`, which needs the key.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import Any

from callviewer.domain import Call, Directory
from callviewer.errors import BadPayload
from callviewer.providers.base import ListPage, RecordingSource
from callviewer.providers.common import first_str, iso_z, path_id, walk_pages
from callviewer.secrets import Secret

PAGE_SIZE = 100  # the documented maximum
MAX_PAGES = 100_000


class VatelAdapter:
    name = "vatel"
    label = "Vatel"
    #: whether its call list carries full call objects (then no detail request is needed)
    lists_full_calls = True
    default_base_url = "https://api.vatel.ai/v1"

    def __init__(self, base_url: str, key: Secret, **client_kw: Any) -> None:
        from callviewer.net import ApiClient  # (httpx: not for the sync's workers, which parse only)

        self.client = ApiClient(base_url, {"Authorization": f"Bearer {key.reveal()}"},
                                provider_label=self.label, **client_kw)

    async def verify(self) -> None:
        # One call of the list: the endpoint a sync needs (`GET /organization` is the documented
        # key check, but a key that can list calls is what matters here).
        page_items(await self.client.get_json("/calls", {"page": 1, "page_size": 1}))

    async def list_calls(self, since: datetime | None) -> AsyncIterator[ListPage]:
        params: dict[str, Any] = {"page_size": PAGE_SIZE}
        if since is not None:
            params["date_from"] = iso_z(since)

        async def fetch(page: int) -> tuple[ListPage, bool | None]:
            data, body = await self.client.get_json_body("/calls", {**params, "page": page})
            listed = ListPage(page_items(data), body)
            pagination = data.get("pagination") if isinstance(data, Mapping) else None
            pagination = pagination if isinstance(pagination, Mapping) else {}
            has_next = pagination.get("has_next")
            total_pages = pagination.get("total_pages")
            if isinstance(has_next, bool):
                return listed, has_next
            if isinstance(total_pages, int) and not isinstance(total_pages, bool):
                return listed, page < total_pages
            return listed, None

        def is_last(listed: ListPage, more: bool | None) -> bool:
            if more is not None:
                return not more
            return len(listed.items) < PAGE_SIZE

        def full(listed: ListPage, more: bool | None) -> bool:
            return more is True or (more is None and len(listed.items) >= PAGE_SIZE)

        async for listed in walk_pages(fetch, self.item_id, first=1, last=MAX_PAGES,
                                       is_last=is_last, full=full):
            yield listed

    async def get_call(self, call_id: str) -> dict[str, Any]:
        return (await self.get_call_body(call_id))[0]

    async def get_call_body(self, call_id: str, *, parse: bool = True) -> tuple[dict[str, Any], bytes]:
        # always parsed: only read again for a call not yet settled, rarely
        data, body = await self.client.get_json_body(f"/calls/{path_id(call_id)}")
        return detail_object(data, call_id), body

    async def directories(self) -> list[Directory]:
        data = await self.client.get_json("/agents")
        if isinstance(data, Mapping):
            data = data.get("agents") or data.get("data")
        out: list[Directory] = []
        for row in data if isinstance(data, list) else []:
            aid = first_str(row, "id")
            if aid:
                out.append(Directory("agent", aid, first_str(row, "name") or aid))
        return out

    def item_id(self, item: Mapping[str, Any]) -> str | None:
        return first_str(item, "id")

    def item_is_complete(self, item: Mapping[str, Any]) -> bool:
        return True

    def recording_source(self, call_id: str, raw: Mapping[str, Any]) -> RecordingSource | None:
        return RecordingSource(self.client.url(f"/calls/{path_id(call_id)}/recording"), with_auth=True)

    def normalize(self, raw: Any) -> Call:
        from callviewer.normalize.vatel import normalize

        return normalize(raw)


def page_items(data: Any) -> list[dict[str, Any]]:
    """The calls of a `GET /calls` answer (`{calls: [...], pagination}`; a bare array is accepted)."""
    if isinstance(data, list):
        calls = data
    elif isinstance(data, Mapping) and isinstance(data.get("calls"), list):
        calls = data["calls"]
    else:
        raise BadPayload("Vatel sent a call page without a `calls` array")
    return [c for c in calls if isinstance(c, Mapping)]


def detail_object(data: Any, call_id: str = "?") -> dict[str, Any]:
    """The call of a `GET /calls/{id}` answer (a bare Call)."""
    if not isinstance(data, Mapping):
        raise BadPayload(f"Vatel sent a call {call_id} that is not a JSON object")
    return dict(data)
