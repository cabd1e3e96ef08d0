"""Provider faults during a sync, end to end against the simulator (real HTTP, real SQLite).

Every case checks three things: the right calls end up stored, the account's state says what
happened (`last_sync_state` / `last_error`), and the retries are bounded (request counts from the
simulator's log: no retry storm).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time

import pytest

from callviewer.core import Core
from callviewer.net import RetryPolicy
from callviewer.profile import Profile
from callviewer.providers.base import ListPage
from callviewer.providers.common import STALE_PAGES_LIMIT, walk_pages
from callviewer.secrets import MemoryKeyStore, Secret
from callviewer.simulator import Simulator
from callviewer.store import CallQuery
from tests.conftest import SIM_KEYS

PROVIDERS = ("atlas", "callab", "vatel")
#: Fast, bounded retries: 4 tries per request, millisecond backoff.
RETRY = RetryPolicy(attempts=4, backoff_base=0.01, backoff_max=0.05, retry_after_max=5)
#: The list path of each provider (after its base URL), as the simulator logs it.
LIST = {"atlas": r"^/call\?", "callab": r"^/calls/query\?", "vatel": r"^/calls\?"}
DETAIL = {"atlas": r"^/call/[^/?]+$", "callab": r"^/calls/[^/?]+$", "vatel": r"^/calls/[^/?]+$"}


@pytest.fixture(scope="module")
def big():
    """250 calls per provider: Callab and Vatel list them in three pages of 100."""
    s = Simulator(calls_per_provider=250, seed=3).start()
    s.warm()
    yield s
    s.stop()


@pytest.fixture
def sim250(big):
    big.faults.clear()
    big.reset_log()
    yield big
    big.faults.clear()


def make_core(tmp_path, name="p", **client_kw) -> Core:
    kw = {"retry": RETRY, **client_kw}
    return Core.open(Profile.open(tmp_path / name), MemoryKeyStore(), client_kw=kw, sync_worker="thread")


async def add(core: Core, sim: Simulator, provider: str, key: str | None = None):
    return await core.add_account(f"{provider}-acc", provider, Secret(key or SIM_KEYS[provider]),
                                  base_url=sim.base_urls[provider], verify=False)


def stored(core: Core, account) -> list[str]:
    return [c.provider_call_id for c in core.store.list_calls(CallQuery(account_ids=[account.id]))]


def rows(core: Core, account) -> tuple[int, int]:
    con = sqlite3.connect(core.profile.db_path)
    try:
        return con.execute("select count(*), count(distinct provider_call_id) from calls "
                           "where account_id = ?", (account.id,)).fetchone()
    finally:
        con.close()


def statuses(sim: Simulator, provider: str, path_regex: str | None = None) -> list[int]:
    import re

    rx = re.compile(path_regex) if path_regex else None
    return [s for p, _m, path, s in list(sim.request_log)
            if p == provider and (rx is None or rx.search(path))]


_CLEAN: dict[str, int] = {}


def clean_requests(tmp_path, sim: Simulator, provider: str) -> int:
    """Requests a fault-free first sync of `provider` makes (measured once per module)."""
    if provider not in _CLEAN:
        core = make_core(tmp_path, f"clean-{provider}")
        try:
            async def go():
                acc = await add(core, sim, provider)
                report = await core.sync(acc)
                assert report.state == "ok"
                return report.requests
            _CLEAN[provider] = asyncio.run(go())
        finally:
            core.close()
        sim.reset_log()
    return _CLEAN[provider]


def sync_with(tmp_path, sim, provider, faults, **client_kw):
    """Adds `faults` ([(kind, {kw})]) and syncs a fresh account. Returns (core, account, report)."""
    core = make_core(tmp_path, **client_kw)

    async def go():
        acc = await add(core, sim, provider)
        sim.reset_log()
        for kind, kw in faults:
            sim.faults.add(provider, kind, **kw)
        return acc, await core.sync(acc)

    acc, report = asyncio.run(go())
    return core, acc, report


# -- transient faults: retried, bounded, everything stored ------------------------------------

TRANSIENT = [
    ("429", {"retry_after": 0.2}),         # with Retry-After
    ("429", {}),                           # without: exponential backoff
    ("500", {}), ("502", {}), ("503", {}),
    ("html500", {}),                       # an nginx HTML page instead of JSON
    ("truncate", {}),                      # half a JSON body, then the connection closes
    ("reset", {}),                         # connection reset in the middle of the body
]


@pytest.mark.parametrize("kind,kw", TRANSIENT, ids=[f"{k}{'-retry-after' if kw else ''}" for k, kw in TRANSIENT])
@pytest.mark.parametrize("provider", PROVIDERS)
def test_transient_fault_is_retried_with_bounded_requests(tmp_path, sim250, provider, kind, kw):
    clean = clean_requests(tmp_path, sim250, provider)
    # two list requests and (Atlas) two detail requests fail
    faults = [(kind, {"path": LIST[provider].replace(r"\?", "$"), "times": 2, **kw})]
    if provider == "atlas":
        faults.append((kind, {"path": DETAIL[provider], "times": 2, **kw}))
    started = time.monotonic()
    core, acc, report = sync_with(tmp_path, sim250, provider, faults)
    took = time.monotonic() - started
    try:
        assert report.state == "ok", report.error
        assert set(stored(core, acc)) == set(sim250.call_ids(provider))
        assert rows(core, acc) == (250, 250)
        state = core.store.get_account(acc.name)
        assert state.last_sync_state == "ok" and state.last_error is None
        injected = len(faults) * 2
        # each failed request is retried once; nothing more
        assert report.requests == clean + injected, (report.requests, clean)
        assert len(sim250.request_log) == clean + injected
        if kind == "429" and kw:
            assert took >= 0.4  # Retry-After honoured (two sequential list retries)
    finally:
        core.close()


PERSISTENT = [
    ("429", {"retry_after": 0.05}, "rate_limited", "rate limiting"),
    ("503", {}, "error", "server error (HTTP 503)"),
    ("html500", {}, "error", "server error (HTTP 500)"),
    ("truncate", {}, "error", "not valid JSON"),
    ("reset", {}, "offline", "connection broken"),
]


@pytest.mark.parametrize("kind,kw,state,text", PERSISTENT, ids=[p[0] for p in PERSISTENT])
@pytest.mark.parametrize("provider", PROVIDERS)
def test_persistent_fault_gives_up_after_bounded_retries(tmp_path, sim250, provider, kind, kw, state, text):
    core, acc, report = sync_with(tmp_path, sim250, provider, [(kind, {"times": None, **kw})])
    try:
        assert report.state == state, report.error
        assert text in report.error and "<html" not in report.error.lower()
        stored_state = core.store.get_account(acc.name)
        assert (stored_state.last_sync_state, stored_state.last_error) == (state, report.error)
        assert stored_state.last_sync_at is None  # never synced successfully
        # the first request is tried RETRY.attempts times, then the sync stops
        assert len(sim250.request_log) == RETRY.attempts
        assert stored(core, acc) == []
    finally:
        core.close()


def test_a_long_retry_after_stops_at_once(tmp_path, sim250):
    core, acc, report = sync_with(tmp_path, sim250, "vatel", [("429", {"times": None, "retry_after": 3600})])
    try:
        assert report.state == "rate_limited" and "3600" in report.error
        assert len(sim250.request_log) == 1
    finally:
        core.close()


def test_a_429_slows_every_worker_down(tmp_path, sim250):
    """Atlas fetches details 8 at a time: one Retry-After pauses all of them (no storm of 429s)."""
    faults = [("429", {"path": DETAIL["atlas"], "times": 1, "retry_after": 0.5})]
    core, acc, report = sync_with(tmp_path, sim250, "atlas", faults)
    try:
        assert report.state == "ok"
        assert statuses(sim250, "atlas").count(429) == 1
        # nothing was sent while the pause lasted: no request was answered 429 but that one
        assert report.requests == clean_requests(tmp_path, sim250, "atlas") + 1
    finally:
        core.close()


# -- timeouts (on a simulator of their own: the server keeps sleeping after the client gave up) --

@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_slow_answer_times_out_and_is_retried(tmp_path, sim, provider):
    faults = [("slow", {"path": LIST[provider].replace(r"\?", "$"), "times": 1, "delay": 1.5})]
    started = time.monotonic()
    core, acc, report = sync_with(tmp_path, sim, provider, faults, timeout=0.4)
    try:
        assert report.state == "ok", report.error
        assert set(stored(core, acc)) == set(sim.call_ids(provider))
        assert sim.faults.fired == [(provider, "slow", sim.faults.fired[0][2])]
        assert time.monotonic() - started < 15
    finally:
        core.close()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_provider_that_never_answers_in_time_is_offline(tmp_path, sim, provider):
    faults = [("slow", {"times": None, "delay": 1.0})]
    started = time.monotonic()
    core, acc, report = sync_with(tmp_path, sim, provider, faults, timeout=0.3)
    try:
        assert report.state == "offline"
        assert "did not answer in time" in report.error
        assert core.store.get_account(acc.name).last_sync_state == "offline"
        # a few tries of the first request, not a storm
        assert len(sim.faults.fired) == RETRY.attempts
        assert time.monotonic() - started < 10
    finally:
        core.close()


# -- paging glitches ---------------------------------------------------------------------------

PAGE_QUERY = {"callab": r"(^|&)page=1(&|$)", "vatel": r"(^|&)page=2(&|$)"}  # the second page


@pytest.mark.parametrize("provider", ["callab", "vatel"])
def test_an_empty_page_in_the_middle_does_not_end_the_walk(tmp_path, sim250, provider):
    core, acc, report = sync_with(tmp_path, sim250, provider, [("empty_page", {"times": 1})])
    try:
        assert report.state == "ok", report.error
        assert set(stored(core, acc)) == set(sim250.call_ids(provider))
        assert core.store.get_cursor(acc.id)["complete"] is True
        assert len(statuses(sim250, provider, LIST[provider])) == 3 + 1  # 3 pages, one asked twice
    finally:
        core.close()


@pytest.mark.parametrize("provider", ["callab", "vatel"])
def test_a_page_that_stays_empty_leaves_the_walk_incomplete_and_the_next_sync_gets_the_rest(
        tmp_path, sim250, provider):
    core, acc, report = sync_with(tmp_path, sim250, provider,
                                  [("empty_page", {"times": None, "query": PAGE_QUERY[provider]})])
    try:
        # the pages after the hole are read; the hole's 100 calls are missing
        assert report.state == "partial"
        assert "skipped or repeated a page" in report.error
        assert len(stored(core, acc)) == 150
        assert core.store.get_account(acc.name).last_sync_state == "partial"
        assert core.store.get_cursor(acc.id)["complete"] is False
        sim250.faults.clear()
        sim250.reset_log()
        again = asyncio.run(core.sync(acc))
        assert again.state == "ok" and again.new == 100
        assert set(stored(core, acc)) == set(sim250.call_ids(provider))
        assert core.store.get_cursor(acc.id)["complete"] is True
        assert rows(core, acc) == (250, 250)
    finally:
        core.close()


@pytest.mark.parametrize("provider", ["callab", "vatel"])
def test_a_repeated_page_neither_ends_nor_loops_the_walk(tmp_path, sim250, provider):
    core, acc, report = sync_with(tmp_path, sim250, provider, [("repeat_page", {"times": 1})])
    try:
        assert report.state == "ok", report.error
        assert set(stored(core, acc)) == set(sim250.call_ids(provider))
        assert rows(core, acc) == (250, 250)
        assert len(statuses(sim250, provider, LIST[provider])) == 3 + 1
        assert core.store.get_cursor(acc.id)["complete"] is True
    finally:
        core.close()


@pytest.mark.parametrize("provider", ["callab", "vatel"])
def test_pages_that_keep_repeating_end_with_a_bounded_walk(tmp_path, sim250, provider):
    """Every page repeats the one before it: the walk still ends, flagged incomplete."""
    core, acc, report = sync_with(tmp_path, sim250, provider, [("repeat_page", {"times": None})])
    try:
        assert report.state == "partial"
        assert len(statuses(sim250, provider, LIST[provider])) <= 12
        assert rows(core, acc)[0] == rows(core, acc)[1]  # no duplicates
        assert core.store.get_cursor(acc.id)["complete"] is False
        sim250.faults.clear()
        again = asyncio.run(core.sync(acc))
        assert again.state == "ok"
        assert set(stored(core, acc)) == set(sim250.call_ids(provider))
    finally:
        core.close()


def _pages(pages: dict[int, list[str]], more=None, log=None):
    async def fetch(page: int):
        if log is not None:
            log.append(page)
        ids = pages.get(page, [])
        m = more(page) if callable(more) else more
        return ListPage([{"id": i} for i in ids], b"{}"), m
    return fetch


def _walk(fetch, **kw):
    async def go():
        return [p async for p in walk_pages(fetch, lambda item: item.get("id"), first=0, last=10_000,
                                            is_last=lambda p, m: m is False or len(p.items) < 2,
                                            full=lambda p, m: len(p.items) >= 2, **kw)]
    return asyncio.run(go())


def test_walk_pages_stops_when_a_server_ignores_the_page_number():
    log: list[int] = []
    pages = _walk(_same_page_forever(log))
    assert sum(len(p.items) for p in pages) == 2
    assert pages[-1].gap
    assert len(log) <= 1 + 2 * STALE_PAGES_LIMIT


def _same_page_forever(log):
    async def fetch(page: int):
        log.append(page)
        return ListPage([{"id": "a"}, {"id": "b"}], b"{}"), None
    return fetch


def test_walk_pages_reads_past_a_hole_and_flags_it():
    log: list[int] = []
    pages = _walk(_pages({0: ["a", "b"], 1: [], 2: ["c", "d"], 3: ["e"]}, log=log))
    assert [i["id"] for p in pages for i in p.items] == ["a", "b", "c", "d", "e"]
    assert [p.gap for p in pages] == [False, True, False]
    assert log == [0, 1, 1, 2, 3]


def test_walk_pages_believes_an_empty_page_after_a_short_one():
    log: list[int] = []
    pages = _walk(_pages({0: ["a", "b"], 1: ["c", "d"], 2: []}, log=log))
    assert not any(p.gap for p in pages)
    assert log == [0, 1, 2, 2, 3]  # the end after a full page is confirmed: asked again, then the next
    log.clear()
    _walk(_pages({0: ["a"]}, log=log))
    assert log == [0]


# -- the key rejected in the middle of a sync -------------------------------------------------

@pytest.mark.parametrize("status", ["401", "403"])
def test_a_key_rejected_mid_sync_stops_the_workers_at_once(tmp_path, sim250, status):
    """Atlas: 8 detail workers. After 20 details the key is rejected: each worker may have one
    request in flight, then nothing more is sent with that key."""
    faults = [("slow", {"path": DETAIL["atlas"], "times": 20, "delay": 0.0}),
              (status, {"path": DETAIL["atlas"], "times": None})]
    core, acc, report = sync_with(tmp_path, sim250, "atlas", faults)
    try:
        assert report.state == "key_rejected"
        assert f"rejected the API key (HTTP {status})" in report.error
        state = core.store.get_account(acc.name)
        assert (state.last_sync_state, state.last_error) == ("key_rejected", report.error)
        details = statuses(sim250, "atlas", DETAIL["atlas"])
        assert details.count(200) == 20
        assert 1 <= details.count(int(status)) <= 8  # at most one per worker, then it stops
        log = [s for _p, _m, _path, s in sim250.request_log]
        after = log[log.index(int(status)) + 1:]
        assert len(after) <= 7  # only what was already in flight: nothing is sent afterwards
        # what was fetched before is kept
        assert len(stored(core, acc)) == 20
    finally:
        core.close()


@pytest.mark.parametrize("provider", ["callab", "vatel"])
@pytest.mark.parametrize("status", ["401", "403"])
def test_a_key_rejected_on_a_later_page_keeps_the_pages_before(tmp_path, sim250, provider, status):
    core, acc, report = sync_with(tmp_path, sim250, provider,
                                  [(status, {"times": None, "query": PAGE_QUERY[provider]})])
    try:
        assert report.state == "key_rejected"
        assert len(stored(core, acc)) == 100
        assert statuses(sim250, provider).count(int(status)) == 1  # not retried, not repeated
        assert len(sim250.request_log) == 2
        assert core.store.get_account(acc.name).last_sync_state == "key_rejected"
    finally:
        core.close()


# -- one call missing ---------------------------------------------------------------------------

def test_one_call_whose_answer_always_breaks_off_fails_alone(tmp_path, sim250):
    """The connection breaks off in the middle of one Atlas call's detail, every time: that call
    is reported by id (its own failure, not "offline": the list and the other calls are read
    fine), the rest is stored, and the account is not marked offline."""
    victim = sim250.call_ids("atlas")[7]
    faults = [("reset", {"path": rf"^/call/{victim}$", "times": None})]
    core, acc, report = sync_with(tmp_path, sim250, "atlas", faults)
    try:
        assert report.state == "partial", report.error
        (missing, why), = report.failed
        assert missing == victim and "connection broken mid-answer" in why
        assert len(stored(core, acc)) == 249 and victim not in stored(core, acc)
        assert core.store.get_account(acc.name).last_sync_state == "partial"
    finally:
        core.close()


def test_a_404_for_one_call_is_reported_and_fetched_next_time(tmp_path, sim250):
    faults = [("404", {"path": DETAIL["atlas"], "times": 1})]
    core, acc, report = sync_with(tmp_path, sim250, "atlas", faults)
    try:
        assert report.state == "partial"
        (missing, why), = report.failed
        assert "404" in why
        state = core.store.get_account(acc.name)
        assert state.last_sync_state == "partial" and missing in state.last_error
        assert len(stored(core, acc)) == 249 and missing not in stored(core, acc)
        assert statuses(sim250, "atlas").count(404) == 1  # a 404 is not retried
        sim250.reset_log()
        again = asyncio.run(core.sync(acc))
        assert again.state == "ok" and again.new == 1
        assert missing in stored(core, acc)
        assert core.store.get_account(acc.name).last_error is None
    finally:
        core.close()


def test_a_call_that_failed_is_asked_for_again_even_outside_the_settle_window(tmp_path, sim250):
    """The oldest call 404s once: incremental syncs only re-walk the last days, so the failed call
    is remembered and fetched by id next time. One that keeps failing is given up on after
    RETRY_FAILED_SYNCS syncs, not asked for forever."""
    from callviewer.sync import RETRY_FAILED_SYNCS

    oldest = sim250.call_ids("atlas")[-1]
    path = rf"^/call/{oldest}$"
    core, acc, report = sync_with(tmp_path, sim250, "atlas", [("404", {"path": path, "times": 1})])
    try:
        assert report.state == "partial" and [i for i, _ in report.failed] == [oldest]
        assert core.store.get_cursor(acc.id)["retry"] == {oldest: 1}
        sim250.reset_log()
        again = asyncio.run(core.sync(acc))
        assert again.state == "ok" and again.new == 1
        assert oldest in stored(core, acc)
        assert core.store.get_cursor(acc.id)["retry"] == {}
        assert sim250.count("atlas", path) == 1
    finally:
        core.close()

    core, acc, report = sync_with(tmp_path / "2", sim250, "atlas", [("404", {"path": path, "times": None})])
    try:
        for n in range(1, RETRY_FAILED_SYNCS + 1):
            assert report.state == "partial"
            sim250.reset_log()
            report = asyncio.run(core.sync(acc))
            assert sim250.count("atlas", path) == 1, n  # asked for again, once
        assert core.store.get_cursor(acc.id)["retry"] == {}
        sim250.reset_log()
        report = asyncio.run(core.sync(acc))
        assert report.state == "ok" and sim250.count("atlas", path) == 0  # given up on
    finally:
        core.close()
