"""Offline: with the providers unreachable (the simulator stopped), everything cached still lists,
searches, shows and plays from the recording cache; a sync says "offline"; the window tries again
later, backing off."""

from __future__ import annotations

import asyncio
import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from callviewer.core import Core
from callviewer.errors import Offline
from callviewer.profile import Profile
from callviewer.secrets import MemoryKeyStore, Secret
from callviewer.simulator import Simulator
from callviewer.store import CallQuery
from tests.conftest import FAST_RETRY, SIM_KEYS
from tests.core.test_keyring import needs_secret_service
from tests.reliability.conftest import cv

PROVIDERS = ("atlas", "callab", "vatel")


def memory_core(profile: Profile) -> Core:
    return Core.open(profile, MemoryKeyStore(SIM_KEYS), client_kw={"retry": FAST_RETRY}, sync_worker="thread")


def in_thread(fn):
    """Runs `fn` in a thread of its own (a window test's loop may be running in this one)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn).result()


def prepare(profile: Profile, sim: Simulator) -> dict[str, str]:
    """Adds and syncs the three accounts and fetches one recording each. Returns account -> the
    call whose recording is cached."""
    def work():
        core = memory_core(profile)
        try:
            async def go():
                cached = {}
                for p in PROVIDERS:
                    acc = await core.add_account(p, p, Secret(SIM_KEYS[p]), base_url=sim.base_urls[p],
                                                 verify=False)
                    assert (await core.sync(acc)).state == "ok"
                    call = next(c for c in core.store.list_calls(CallQuery(account_ids=[acc.id]))
                                if c.has_recording)
                    await core.fetch_recording(acc, call.provider_call_id)
                    cached[p] = call.provider_call_id
                return cached
            return asyncio.run(go())
        finally:
            core.close()
    return in_thread(work)


def test_cached_calls_browse_search_and_play_offline(tmp_path):
    profile = Profile.open(tmp_path / "p")
    with Simulator(calls_per_provider=40, seed=8).start() as sim:
        cached = prepare(profile, sim)
    # the simulator is stopped: nothing answers on its port
    core = memory_core(profile)
    try:
        assert core.store.count() == 120
        word = next(w for c in core.store.list_calls(CallQuery(), limit=40)
                    for w in (c.summary or "").split() if len(w) > 6 and w.isalpha())
        found = core.store.list_calls(CallQuery(search=word))
        assert found
        for p, call_id in cached.items():
            acc = core.store.get_account(p)
            call = core.store.get_call(call_id, p)
            assert call.transcript
            path = asyncio.run(core.fetch_recording(acc, call_id))
            assert path.read_bytes()[:4] == b"RIFF"
        # a recording that was never fetched cannot be played: said clearly
        acc = core.store.get_account("atlas")
        other = next(c for c in core.store.list_calls(CallQuery(account_ids=[acc.id]))
                     if c.has_recording and c.provider_call_id != cached["atlas"])
        with pytest.raises(Offline, match="cannot reach"):
            asyncio.run(core.fetch_recording(acc, other.provider_call_id))
        before = core.store.get_account("vatel").last_sync_at
        report = asyncio.run(core.sync(core.store.get_account("vatel")))
        assert report.state == "offline" and "cannot reach" in report.error
        state = core.store.get_account("vatel")
        assert state.last_sync_state == "offline"
        assert state.last_sync_at == before  # still the time of the last sync that worked
        assert core.store.count() == 120  # nothing lost
    finally:
        core.close()




@needs_secret_service
def test_the_command_line_offline(tmp_path):
    p = tmp_path / "profile"
    with Simulator(calls_per_provider=30, seed=8).start() as sim:
        for provider in PROVIDERS:
            proc = cv(p, "accounts", "add", provider, "--provider", provider, "--base-url",
                      sim.base_urls[provider], "--api-key-stdin", stdin=SIM_KEYS[provider] + "\n")
            assert proc.returncode == 0, proc.stderr
        assert cv(p, "sync").returncode == 0
        calls = json.loads(cv(p, "calls", "list", "--json").stdout)
        rec = next(c for c in calls if c["has_recording"])
        first = tmp_path / "first.wav"
        assert cv(p, "calls", "recording", rec["provider_call_id"], "--account", rec["account"],
                  "--out", str(first)).returncode == 0
    # offline from here on
    assert len(json.loads(cv(p, "calls", "list", "--json").stdout)) == 90
    word = rec["summary"].split()[0] if rec["summary"] else "the"
    assert cv(p, "calls", "list", "--search", word).returncode == 0
    show = cv(p, "calls", "show", rec["provider_call_id"], "--account", rec["account"])
    assert show.returncode == 0 and rec["provider_call_id"] in show.stdout
    again = tmp_path / "again.wav"
    proc = cv(p, "calls", "recording", rec["provider_call_id"], "--account", rec["account"], "--out", str(again))
    assert proc.returncode == 0, proc.stderr
    assert again.read_bytes() == first.read_bytes()
    proc = cv(p, "sync")
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("cannot reach") == 3
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 3 and all("offline" in line for line in lines)
    accounts = json.loads(cv(p, "accounts", "list", "--json").stdout)
    assert {a["last_sync_state"] for a in accounts} == {"offline"}


# -- the window ----------------------------------------------------------------------------------

@pytest.fixture
def _loop(rel_loop_running):
    yield


def test_the_window_browses_offline_and_retries_with_backoff(qtbot, tmp_path, _loop):
    from tests.reliability.conftest import close_window, make_window, sync_and_wait

    profile = Profile.open(tmp_path / "p")
    sim = Simulator(calls_per_provider=20, seed=8).start()
    port = sim.port
    cached = prepare(profile, sim)
    sim.stop()

    core = memory_core(profile)
    w = make_window(qtbot, core, tmp_path)
    try:
        w.offline_retry_ms, w.offline_retry_max_ms = 300, 2000
        assert w.offline_retry_pending() is None  # nothing is offline yet
        # browsing the cache: a call with its cached recording
        acc = core.store.get_account("vatel")
        rowid = core.store.rowid_of(acc.id, cached["vatel"])
        assert w.table.select_rowid(rowid)
        qtbot.waitUntil(lambda: w.current_call() is not None
                        and w.current_call().provider_call_id == cached["vatel"], timeout=20_000)
        qtbot.waitUntil(lambda: w.player.source() is not None, timeout=20_000)
        assert w.player.source().read_bytes()[:4] == b"RIFF"

        starts: list[float] = []
        delays: list[int | None] = []
        w.sync_controller.started.connect(lambda name: starts.append(time.monotonic()) if name == "vatel" else None)
        # connected after the window's own slot: sees the retry it armed
        w.sync_controller.runningChanged.connect(lambda running: None if running else delays.append(w._offline_delay))
        reports = sync_and_wait(qtbot, w, ["vatel"])
        assert reports["vatel"].state == "offline"
        assert "offline" in w.sidebar_model.index_for_account("vatel").data()
        assert "trying again in" in w.statusBar().currentMessage()
        assert w.offline_retry_pending() is not None
        # it tries again by itself, waiting longer each time
        qtbot.waitUntil(lambda: len(starts) >= 5, timeout=20_000)
        assert delays[:4] == [300, 600, 1200, 2000], delays  # doubling, up to the cap
        gaps = [b - a for a, b in zip(starts, starts[1:])]
        # each gap is a whole failed sync plus the delay; 5 ms covers the timer's millisecond rounding
        assert all(gap >= d / 1000 - 0.005 for gap, d in zip(gaps, delays)), (gaps, delays)
        # the provider is back: the next retry syncs it, and the retries stop
        sim.start(port=port)
        qtbot.waitUntil(lambda: core.store.get_account("vatel").last_sync_state == "ok", timeout=20_000)
        qtbot.waitUntil(lambda: not w.sync_controller.is_running(), timeout=20_000)
        assert w.offline_retry_pending() is None
        assert "synced" in w.sidebar_model.index_for_account("vatel").data()
    finally:
        close_window(qtbot, w)
        core.close()
        sim.stop()
