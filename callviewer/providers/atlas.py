"""Atlas (youratlas.com): `api-key` header; `GET /call` lists in date windows, `GET /call/{id}` details.

The list endpoint documents no paging: it answers `{"value": [CallHistoryEntry...]}` for the
`startDate`/`endDate` window asked, each entry's id in `rowKey`. So we walk back in time in windows
(growing over empty stretches, halving when a window looks capped) and fetch each call's detail.
Field names are read case-insensitively: Atlas mixes PascalCase and camelCase.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from callviewer.domain import Call, Directory
from callviewer.errors import BadPayload
from callviewer.providers.base import ListPage, RecordingSource
from callviewer.providers.common import ci_get, first_str, iso_z, path_id
from callviewer.secrets import Secret

log = logging.getLogger(__name__)

#: No Atlas (nor Vapi, which it runs on) call predates this.
HISTORY_FLOOR = datetime(2015, 1, 1, tzinfo=timezone.utc)
FIRST_WINDOW = timedelta(days=7)
MAX_WINDOW = timedelta(days=365)
MIN_WINDOW = timedelta(minutes=1)
#: Below this many entries an answer is not suspected of being cut short by a cap.
ROUND_CAP_MIN = 10


class CapWatch:
    """What one walk of the Atlas list has learnt about a cap on its answers.

    Atlas documents neither paging nor a cap on how many entries one `GET /call` answers, and a
    capped answer looks like any other. What an answer does prove: the cap, if there is one, is
    at least as large as the longest answer seen. So an answer shorter than one already seen is
    whole; one at least as long as any seen (of `ROUND_CAP_MIN` entries or more) may be cut short,
    and its window is checked by asking for its two halves: if they hold an entry the window did
    not, the window was cut short, and that count is the cap (every answer that long is then
    split, down to `MIN_WINDOW`).
    """

    def __init__(self) -> None:
        self.cap: int | None = None
        self.longest = 0  # the longest answer known to be whole

    def suspect(self, count: int) -> bool:
        if self.cap is not None:
            return count >= self.cap
        return count >= max(ROUND_CAP_MIN, self.longest)

    def whole(self, count: int) -> None:
        self.longest = max(self.longest, count)

    def cut_short(self, count: int) -> None:
        self.cap = count if self.cap is None else min(self.cap, count)


class AtlasAdapter:
    name = "atlas"
    label = "Atlas"
    #: whether its call list carries full call objects (then no detail request is needed)
    lists_full_calls = False
    default_base_url = "https://api.youratlas.com/v1/api"

    def __init__(self, base_url: str, key: Secret, **client_kw: Any) -> None:
        from callviewer.net import ApiClient  # (httpx: not for the sync's workers, which parse only)

        self.client = ApiClient(base_url, {"api-key": key.reveal()}, provider_label=self.label, **client_kw)

    async def verify(self) -> None:
        # The call list itself (over the last minute): the endpoint a sync needs, so a key that
        # passes can sync. (`GET /campaign` would do too, but it is not what we depend on.)
        now = datetime.now(timezone.utc)
        page_items(await self.client.get_json(
            "/call", {"startDate": iso_z(now - timedelta(minutes=1)), "endDate": iso_z(now)}))

    async def list_calls(self, since: datetime | None) -> AsyncIterator[ListPage]:
        now = datetime.now(timezone.utc)
        end = now + timedelta(days=1)
        floor = (since - timedelta(seconds=1)) if since else HISTORY_FLOOR
        span = FIRST_WINDOW
        previous: set[str] | None = None
        watch = CapWatch()
        while end > floor:
            start = max(floor, end - span)
            items = await self._list(start, end)
            ids = self._ids(items)
            # (entries without ids can't be synced: compared by their text, and counted as none)
            same = ids or {json.dumps(x, sort_keys=True, default=str) for x in items}
            if previous is not None and same and same == previous:
                return  # the server ignores the date filter: it has given us everything already
            async for part in self._whole(start, end, items, ids, watch):
                yield ListPage(part)
            previous = same
            end = start
            if watch.cap is not None and len(items) >= watch.cap:
                span = max(MIN_WINDOW, span / 2)  # a cut-short answer: narrower windows
            elif len(ids) < ROUND_CAP_MIN:
                span = min(span * 2, MAX_WINDOW)  # a quiet stretch: wider windows

    async def _list(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        return page_items(await self.client.get_json(
            "/call", {"startDate": iso_z(start), "endDate": iso_z(end)}))

    def _ids(self, items: list[dict[str, Any]]) -> set[str]:
        return {i for i in (self.item_id(x) for x in items) if i}

    async def _whole(self, start: datetime, end: datetime, items: list[dict[str, Any]],
                     ids: set[str], watch: CapWatch) -> AsyncIterator[list[dict[str, Any]]]:
        """The entries of the window [start, end): `items`, as answered for it, unless they may
        have been cut short by a cap (see `CapWatch`); then the entries of its two halves."""
        if not watch.suspect(len(items)) or not ids:  # (entries without ids: nothing to compare)
            watch.whole(len(items))
            if items:
                yield items
            return
        if end - start <= MIN_WINDOW:
            log.warning("Atlas listed %d calls between %s and %s: some may be left out (the "
                        "server seems to cap its answers)", len(items), iso_z(start), iso_z(end))
            yield items
            return
        mid = start + (end - start) / 2
        newer = await self._list(mid, end)
        older = await self._list(start, mid)
        newer_ids, older_ids = self._ids(newer), self._ids(older)
        if newer_ids & older_ids:
            # A server that honours both dates answers the two halves apart; this one does not
            # (it ignores one date or both), so its answers say nothing about a cap: all it gave
            # is kept (the sync drops repeats), and the walk's own check ends a walk that only
            # ever gets the same answer.
            for part in (items, newer, older):
                if part:
                    yield part
            return
        if not (newer_ids | older_ids) <= ids:
            watch.cut_short(len(items))  # the halves hold entries the window did not
        elif len(newer) < len(items) and len(older) < len(items):
            watch.whole(len(items))  # the halves share out its entries: it was whole
            yield items
            return
        # Cut short; or every entry is in one half, which tells nothing yet (that half may be
        # cut short the same way): the halves are looked at the same way.
        async for part in self._whole(mid, end, newer, newer_ids, watch):
            yield part
        async for part in self._whole(start, mid, older, older_ids, watch):
            yield part

    async def get_call(self, call_id: str) -> dict[str, Any]:
        return (await self.get_call_body(call_id))[0]

    async def get_call_body(self, call_id: str, *,
                            parse: bool = True) -> tuple[dict[str, Any] | None, bytes]:
        data, body = await self.client.get_json_body(f"/call/{path_id(call_id)}", parse=parse)
        return (detail_object(data, call_id) if parse else None), body

    async def directories(self) -> list[Directory]:
        data = await self.client.get_json("/campaign")
        out: list[Directory] = []
        try:
            rows = page_items(data)
        except BadPayload:
            return out
        for row in rows:
            cid = first_str(row, "rowKey", "id", "campaignId")
            if cid:
                out.append(Directory("campaign", cid, first_str(row, "name", "Name", "title") or cid))
        return out

    def item_id(self, item: Mapping[str, Any]) -> str | None:
        return first_str(item, "id", "rowKey")

    def item_is_complete(self, item: Mapping[str, Any]) -> bool:
        return False  # list entries are summaries; the detail has messages, costs and analysis

    def recording_source(self, call_id: str, raw: Mapping[str, Any]) -> RecordingSource | None:
        url = recording_url(raw)
        return RecordingSource(url, with_auth=True) if url else None

    def normalize(self, raw: Any) -> Call:
        from callviewer.normalize.atlas import normalize

        return normalize(raw)


def page_items(data: Any) -> list[dict[str, Any]]:
    """The call entries of a `GET /call` answer: `{"value": [...]}` (a bare array is accepted)."""
    if isinstance(data, list):
        rows = data
    elif isinstance(data, Mapping):
        rows = ci_get(data, "value")
        if rows is None:
            rows = ci_get(data, "data") or ci_get(data, "items")
    else:
        rows = None
    if not isinstance(rows, list):
        raise BadPayload("Atlas sent a call list without a `value` array")
    return [r for r in rows if isinstance(r, Mapping)]


def detail_object(data: Any, call_id: str = "?") -> dict[str, Any]:
    """The call object of a `GET /call/{id}` answer."""
    if not isinstance(data, Mapping):
        raise BadPayload(f"Atlas sent a call {call_id} that is not a JSON object")
    return dict(data)


def recording_url(raw: Mapping[str, Any]) -> str | None:
    """The best recording URL of a Vapi-style call: presigned first (they work), stereo first."""
    artifact = ci_get(raw, "artifact")
    artifact = artifact if isinstance(artifact, Mapping) else {}
    recording = ci_get(artifact, "recording")
    recording = recording if isinstance(recording, Mapping) else {}
    mono = ci_get(recording, "mono")
    mono = mono if isinstance(mono, Mapping) else {}
    for source, key in (
        (artifact, "presignedStereoUrl"), (artifact, "presignedMonoUrl"),
        (recording, "stereoUrl"), (artifact, "stereoRecordingUrl"), (raw, "stereoRecordingUrl"),
        (mono, "combinedUrl"), (artifact, "recordingUrl"), (raw, "recordingUrl"),
    ):
        value = ci_get(source, key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None

