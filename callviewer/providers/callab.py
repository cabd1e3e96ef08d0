"""Callab (callab.ai): `Authorization: Bearer`; responses wrapped as `{status, message, data}`.

`GET /calls/query` pages from 0 with `per_page`, sorted by `created_at` descending, and gives no
total: we page until an empty page, or a short page once we know the server's real page size (the
maximum `per_page` is undocumented, so a short first page may only be a cap). An empty or repeated
page in the middle of the list is asked for again (`common.walk_pages`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import Any

from callviewer.domain import Call, Directory
from callviewer.errors import BadPayload, KeyRejected, NotFound, ProviderError
from callviewer.logs import without_secrets
from callviewer.providers.base import ListPage, RecordingSource
from callviewer.providers.common import first_str, parse_time, path_id, unwrap, walk_pages
from callviewer.secrets import Secret

PER_PAGE = 100
MAX_PAGES = 100_000
WORKSPACE = "default"


class CallabAdapter:
    name = "callab"
    label = "Callab"
    #: whether its call list carries full call objects (then no detail request is needed)
    lists_full_calls = True
    default_base_url = "https://api.callab.ai/v1"

    def __init__(self, base_url: str, key: Secret, **client_kw: Any) -> None:
        from callviewer.net import ApiClient  # (httpx: not for the sync's workers, which parse only)

        self.client = ApiClient(base_url, {"Authorization": f"Bearer {key.reveal()}"},
                                provider_label=self.label, **client_kw)

    async def _page(self, page: int, per_page: int) -> ListPage:
        data, body = await self.client.get_json_body("/calls/query", {
            "page": page, "per_page": per_page, "sort_column": "created_at", "order": "desc"})
        return ListPage(page_items(data), body)

    async def verify(self) -> None:
        await self._page(0, 1)

    async def list_calls(self, since: datetime | None) -> AsyncIterator[ListPage]:
        full_page = 0  # the largest page the server has given: its real page size
        full_pages = 0  # pages of that size so far

        async def fetch(page: int) -> tuple[ListPage, bool | None]:
            return await self._page(page, PER_PAGE), None  # Callab gives no total

        def is_last(listed: ListPage, _more: bool | None) -> bool:
            nonlocal full_page, full_pages
            items = listed.items
            if since is not None:
                times = [parse_time(i.get("created_at")) for i in items]
                known = [t for t in times if t is not None]
                if known and max(known) < since:
                    return True  # sorted newest first: everything after this is older still
            if len(items) < PER_PAGE and len(items) < full_page:
                return True
            if len(items) > full_page:
                full_page, full_pages = len(items), 0
            full_pages += 1
            return False

        def full(listed: ListPage, _more: bool | None) -> bool:
            # as many as asked for, or the size of two pages in a row (the server's own cap)
            return len(listed.items) >= PER_PAGE or (len(listed.items) == full_page and full_pages >= 2)

        async for listed in walk_pages(fetch, self.item_id, first=0, last=MAX_PAGES,
                                       is_last=is_last, full=full):
            yield listed

    async def get_call(self, call_id: str) -> dict[str, Any]:
        return (await self.get_call_body(call_id))[0]

    async def get_call_body(self, call_id: str, *, parse: bool = True) -> tuple[dict[str, Any], bytes]:
        # always parsed: Callab answers an unknown id with an empty envelope, not a 404
        data, body = await self.client.get_json_body(f"/calls/{path_id(call_id)}")
        return detail_object(data, call_id), body

    async def directories(self) -> list[Directory]:
        out: list[Directory] = []
        agents = unwrap(await self.client.get_json("/ai-agent", {"workspace": WORKSPACE}))
        for row in agents if isinstance(agents, list) else []:
            aid = first_str(row, "id", "ai_agent_id", "uuid")
            if aid:
                out.append(Directory("agent", aid, first_str(row, "name", "title") or aid))
        try:
            campaigns = unwrap(await self.client.get_json(f"/campaigns/by-workspace/{WORKSPACE}"))
        except NotFound:
            campaigns = []
        for row in campaigns if isinstance(campaigns, list) else []:
            cid = first_str(row, "id", "campaign_id", "uuid")
            if cid:
                out.append(Directory("campaign", cid, first_str(row, "name", "title") or cid))
        return out

    def item_id(self, item: Mapping[str, Any]) -> str | None:
        item = unwrap(item)
        return first_str(item, "id") if isinstance(item, Mapping) else None

    def item_is_complete(self, item: Mapping[str, Any]) -> bool:
        return "transcript" in item or "transcript_object" in item

    def recording_source(self, call_id: str, raw: Mapping[str, Any]) -> RecordingSource | None:
        raw = unwrap(raw)
        url = first_str(raw, "record_url", "recording_url") if isinstance(raw, Mapping) else None
        return RecordingSource(url, with_auth=True) if url else None

    def normalize(self, raw: Any) -> Call:
        from callviewer.normalize.callab import normalize

        return normalize(raw)


#: Words of a Callab error message that say the key was refused.
_KEY_WORDS = ("api key", "apikey", "api-key", "access token", "bearer", "unauthori", "forbidden",
              "credential", "authenticat")


def envelope_error(data: Any) -> None:
    """Raises what a `{"status": "error", "message": ...}` envelope says (PROVIDERS.md: the
    status is "ok"/"success" or "error"; Callab may send it with HTTP 200): a refused key as
    `KeyRejected`, "not found" as `NotFound`, anything else as `ProviderError`."""
    if not isinstance(data, Mapping) or not ("data" in data or "message" in data):
        return  # (not an envelope: a call object may have a "status" of its own)
    status = data.get("status")
    if not isinstance(status, str) or status.strip().lower() not in ("error", "fail", "failed", "failure"):
        return
    message = without_secrets(" ".join(str(data.get("message") or "").split())[:200])
    low = message.lower()
    if any(w in low for w in _KEY_WORDS):
        raise KeyRejected("Callab rejected the API key" + (f" ({message})" if message else ""))
    if "not found" in low:
        raise NotFound(f"Callab: {message}", status=404)
    raise ProviderError(f"Callab answered with an error: {message or 'no message'}")


def page_items(data: Any) -> list[dict[str, Any]]:
    """The calls of a `GET /calls/query` answer (`{status, message, data: [...]}`)."""
    envelope_error(data)
    data = unwrap(data)
    if data is None:
        return []
    if not isinstance(data, list):
        raise BadPayload("Callab sent a call page whose `data` is not a list")
    return [r for r in data if isinstance(r, Mapping)]


def detail_object(data: Any, call_id: str = "?") -> dict[str, Any]:
    """The call of a `GET /calls/{id}` answer, out of its envelope."""
    envelope_error(data)
    data = unwrap(data)
    if data is None:
        raise NotFound(f"Callab has no call {call_id}", status=404)
    if not isinstance(data, Mapping):
        raise BadPayload(f"Callab sent a call {call_id} that is not a JSON object")
    return dict(data)
