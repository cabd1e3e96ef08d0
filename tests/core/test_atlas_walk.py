"""The Atlas list walk against servers that do not do what was asked (httpx.MockTransport):
one that ignores a date or both, one that caps its answers, entries without ids. Every call
is listed, and the requests stay bounded."""

from __future__ import annotations

import asyncio
import random
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from callviewer.providers.atlas import AtlasAdapter
from callviewer.secrets import Secret

NOW = datetime.now(timezone.utc)


def _calls(n: int, days: int, seed: int = 1) -> list[tuple[str, datetime]]:
    rng = random.Random(seed)
    return sorted(((f"c{i:04d}", NOW - timedelta(seconds=rng.uniform(0, days * 86400)))
                   for i in range(n)), key=lambda c: c[1], reverse=True)


def _walk(calls, *, honour=("start", "end"), cap=None, with_ids=True):
    requests = []

    def handler(request: httpx.Request) -> httpx.Response:
        q = request.url.params
        lo = datetime.fromisoformat(q["startDate"].replace("Z", "+00:00"))
        hi = datetime.fromisoformat(q["endDate"].replace("Z", "+00:00"))
        requests.append((lo, hi))
        hits = [(cid, t) for cid, t in calls
                if ("start" not in honour or t >= lo) and ("end" not in honour or t < hi)]
        if cap is not None:
            hits = sorted(hits)[:cap]  # (not the newest: the first by id)
        value = [{"rowKey": cid, "createdAt": t.isoformat()} if with_ids else {"createdAt": t.isoformat()}
                 for cid, t in hits]
        return httpx.Response(200, json={"value": value})

    async def go():
        adapter = AtlasAdapter("https://atlas.example/v1/api", Secret("k"),
                               transport=httpx.MockTransport(handler))
        seen: list[dict] = []
        try:
            async for page in adapter.list_calls(None):
                seen.extend(page.items)
        finally:
            await adapter.client.aclose()
        return seen

    return asyncio.run(go()), requests


@pytest.mark.parametrize("honour", [("start", "end"), ("start",), ("end",), ()],
                         ids=["both", "no-endDate", "no-startDate", "neither"])
def test_every_call_is_listed_whichever_dates_the_server_honours(honour):
    calls = _calls(300, 60)
    seen, requests = _walk(calls, honour=honour)
    assert {e["rowKey"] for e in seen} == {cid for cid, _ in calls}
    assert len(requests) < 60, len(requests)
    assert len(seen) < 20 * len(calls), len(seen)  # (repeats: the sync drops them)


@pytest.mark.parametrize("cap", [20, 37, 100])
def test_a_capped_server_loses_no_call(cap):
    calls = _calls(300, 60, seed=cap)
    seen, requests = _walk(calls, cap=cap)
    assert {e["rowKey"] for e in seen} == {cid for cid, _ in calls}
    assert len(requests) < 400, len(requests)


def test_a_burst_of_calls_in_one_minute_is_kept_whole():
    calls = [(f"b{i:02d}", NOW - timedelta(hours=2, seconds=i)) for i in range(30)]
    seen, requests = _walk(calls)
    assert {e["rowKey"] for e in seen} == {cid for cid, _ in calls}
    assert len(requests) < 60, len(requests)


def test_entries_without_ids_end_the_walk_in_bounded_requests():
    calls = _calls(15, 3)
    seen, requests = _walk(calls, honour=(), with_ids=False)
    assert len(seen) >= 15 and len(requests) < 30, len(requests)
