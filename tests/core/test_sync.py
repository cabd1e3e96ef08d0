"""Sync end to end: real HTTP against the simulator on 127.0.0.1, real SQLite."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from callviewer.errors import NormalizeError
from callviewer.secrets import Secret
from callviewer.store import CallQuery
from tests.conftest import SIM_KEYS

PROVIDERS = ("atlas", "callab", "vatel")


async def _add(core, sim, provider, name=None, key=None):
    return await core.add_account(name or f"{provider}-acc", provider,
                                  Secret(key or SIM_KEYS[provider]), base_url=sim.base_urls[provider])


def _stored_ids(core, account):
    calls = core.store.list_calls(CallQuery(account_ids=[account.id]))
    return [c.provider_call_id for c in calls]


def _db_rows(core, account):
    con = sqlite3.connect(core.profile.db_path)
    try:
        return con.execute("select count(*), count(distinct provider_call_id) from calls where account_id=?",
                           (account.id,)).fetchone()
    finally:
        con.close()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_first_then_second_sync(core, sim, provider):
    async def go():
        acc = await _add(core, sim, provider)
        first = await core.sync(acc)
        assert first.state == "ok", first.error
        expected = set(sim.call_ids(provider))
        assert set(_stored_ids(core, acc)) == expected
        assert first.new == len(expected)
        total, distinct = _db_rows(core, acc)
        assert total == distinct == len(expected)

        sim.reset_log()
        second = await core.sync(acc)
        assert second.state == "ok"
        assert (second.new, second.updated) == (0, 0)
        # fetches little: no call details, only a few list requests
        assert sim.count(provider, r"/calls?/[^/?]+$") == 0
        assert second.requests <= max(4, first.requests // 10)
        return first, second

    asyncio.run(go())


@pytest.mark.parametrize("provider", PROVIDERS)
def test_new_and_changed_calls_arrive(core, sim, provider):
    async def go():
        acc = await _add(core, sim, provider)
        await core.sync(acc)
        new_ids = sim.add_calls(provider, 5)
        # a recent call settles at the provider after it was first synced
        target = new_ids[0]
        report = await core.sync(acc)
        assert report.new == 5
        sim.update_call(provider, target, status="ended" if provider != "callab" else "completed", cost=0.4321)
        report = await core.sync(acc)
        assert report.updated >= 1, report
        call = core.store.get_call(target, acc.name)
        assert call.cost == pytest.approx(0.4321)

    asyncio.run(go())


@pytest.mark.parametrize("provider", PROVIDERS)
def test_full_sync_rereads_an_old_change(core, sim, provider):
    async def go():
        acc = await _add(core, sim, provider)
        await core.sync(acc)
        oldest = sim.call_ids(provider)[-1]
        sim.update_call(provider, oldest, cost=9.87)
        report = await core.sync(acc, full=True)
        assert report.state == "ok"
        assert report.updated == 1
        assert core.store.get_call(oldest, acc.name).cost == pytest.approx(9.87)

    asyncio.run(go())


@pytest.mark.parametrize("kind", ["429", "500", "502", "html500", "truncate", "reset"])
@pytest.mark.parametrize("provider", PROVIDERS)
def test_transient_faults_are_retried(core, sim, provider, kind):
    async def go():
        acc = await _add(core, sim, provider)
        sim.faults.add(provider, kind, times=2, retry_after=0.05 if kind == "429" else None)
        report = await core.sync(acc)
        assert report.state == "ok", report.error
        assert set(_stored_ids(core, acc)) == set(sim.call_ids(provider))

    asyncio.run(go())


@pytest.mark.parametrize("provider", PROVIDERS)
def test_rejected_key_and_dead_network(core, sim, provider):
    async def go():
        acc = await core.add_account("x", provider, Secret("wrong-key"), base_url=sim.base_urls[provider],
                                     verify=False)
        report = await core.sync(acc)
        assert report.state == "key_rejected"
        assert "rejected the API key" in report.error
        assert "wrong-key" not in report.error
        acc_state = core.store.get_account("x")
        assert acc_state.last_sync_state == "key_rejected"

        dead = await core.add_account("dead", provider, Secret("k"), base_url="http://127.0.0.1:9/v1",
                                      verify=False)
        report = await core.sync(dead)
        assert report.state == "offline"
        assert "cannot reach" in report.error

    asyncio.run(go())


@pytest.mark.parametrize("provider", PROVIDERS)
def test_interrupted_sync_resumes_without_duplicates(core, provider):
    from callviewer.simulator.server import Simulator

    async def go(sim):
        acc = await _add(core, sim, provider)
        stop = asyncio.Event()

        def progress(p):
            if p.done >= 10:
                stop.set()

        # slow enough that the sync is cancelled with pages or details still to fetch
        sim.faults.add(provider, "slow", times=None, delay=0.05 if provider == "atlas" else 0.3)
        task = asyncio.create_task(core.sync(acc, on_progress=progress))
        await asyncio.wait_for(stop.wait(), 60)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        sim.faults.clear()
        await asyncio.sleep(0.3)  # let the server finish requests cancelled in flight
        partial = _stored_ids(core, acc)
        assert 0 < len(partial) < len(sim.call_ids(provider))
        assert core.store.get_account(acc.name).last_sync_state == "cancelled"

        sim.reset_log()
        report = await core.sync(acc)
        assert report.state == "ok"
        assert report.new == len(sim.call_ids(provider)) - len(partial)
        total, distinct = _db_rows(core, acc)
        assert total == distinct == len(sim.call_ids(provider))
        if provider == "atlas":  # details already stored are not fetched again
            assert sim.count("atlas", r"/call/[^/?]+$") == report.new

    with Simulator(calls_per_provider=450, seed=5).start() as sim:
        asyncio.run(go(sim))


def test_a_payload_that_cannot_be_normalized_is_kept_and_reported(profile, sim, monkeypatch):
    from callviewer import normalize as normalizers
    from callviewer.core import Core
    from callviewer.secrets import MemoryKeyStore
    from tests.conftest import FAST_RETRY

    bad = sim.call_ids("vatel")[3]
    original = normalizers.normalize

    def flaky(provider, raw):
        if raw.get("id") == bad:
            raise NormalizeError(bad, "unreadable transcript")
        return original(provider, raw)

    monkeypatch.setattr(normalizers, "normalize", flaky)  # seen by the in-process (thread) writer
    core = Core.open(profile, MemoryKeyStore(), client_kw={"retry": FAST_RETRY}, sync_worker="thread")

    async def go():
        acc = await _add(core, sim, "vatel")
        report = await core.sync(acc)
        assert report.state == "partial"
        assert [i for i, _ in report.failed] == [bad]
        stored = set(_stored_ids(core, acc))
        assert bad not in stored and len(stored) == len(sim.call_ids("vatel")) - 1
        assert core.store.normalize_errors(acc.id) and core.store.normalize_errors(acc.id)[0][0] == bad
        # kept raw: a later normalizer can re-derive it
        raw = core.stored_raw(acc, bad)
        assert raw and raw["id"] == bad

    try:
        asyncio.run(go())
    finally:
        core.close()


def test_one_missing_call_does_not_stop_the_sync(core, sim):
    async def go():
        acc = await _add(core, sim, "atlas")
        sim.faults.add("atlas", "404", path=r"/call/[^/?]+$", times=1)
        report = await core.sync(acc)
        assert report.state == "partial"
        assert len(report.failed) == 1
        assert len(_stored_ids(core, acc)) == len(sim.call_ids("atlas")) - 1
        # the next sync fetches the one that failed
        report = await core.sync(acc)
        assert report.new == 1 and report.state == "ok"

    asyncio.run(go())


def test_recording_download_keeps_the_key_on_the_api_host(core, sim):
    async def go():
        for provider in PROVIDERS:
            acc = await _add(core, sim, provider)
            await core.sync(acc)
            call = next(c for c in core.store.list_calls(CallQuery(account_ids=[acc.id])) if c.has_recording)
            sim.reset_log()
            path = await core.fetch_recording(acc, call.provider_call_id)
            assert path.read_bytes()[:4] == b"RIFF"
            again = await core.fetch_recording(acc, call.provider_call_id)
            assert again == path  # from the profile's cache

    asyncio.run(go())


def test_a_detail_body_that_only_the_worker_finds_broken(profile):
    """Atlas details are parsed by the sync's worker only: a whole body (it had a Content-Length)
    that is not JSON after all, or not a call object, is reported as that call's failure, and the
    next sync reads the call again."""
    import json

    import httpx

    from callviewer.core import Core
    from callviewer.secrets import MemoryKeyStore
    from tests.conftest import FAST_RETRY

    ids = ["c1", "c2", "c3", "c4"]
    broken = {"c2"}
    not_an_object = {"c4"}

    def handler(request):
        path = request.url.path.removeprefix("/v1")
        if path == "/call":  # the list (every date window alike: the walk then stops)
            return httpx.Response(200, json={"value": [{"rowKey": i} for i in ids]})
        if path == "/campaign":
            return httpx.Response(200, json={"value": []})
        call_id = path.rsplit("/", 1)[1]
        if call_id in broken:
            return httpx.Response(200, content=b'{"id": "' + call_id.encode() + b'", "status": }')
        if call_id in not_an_object:
            return httpx.Response(200, content=b'[{"id": "' + call_id.encode() + b'"}]')
        return httpx.Response(200, content=json.dumps({"id": call_id, "status": "ended",
                                                       "createdAt": "2024-05-01T10:00:00Z"}).encode())

    core = Core.open(profile, MemoryKeyStore(), sync_worker="thread",
                     client_kw={"retry": FAST_RETRY, "transport": httpx.MockTransport(handler)})

    async def go():
        acc = await core.add_account("atlas-acc", "atlas", Secret("k"), base_url="https://atlas.test/v1",
                                     verify=False)
        report = await core.sync(acc)
        assert report.state == "partial", report.error
        assert sorted(report.failed) == [("c2", "unreadable payload (JSONDecodeError)"),
                                         ("c4", "Atlas sent a call c4 that is not a JSON object")]
        assert sorted(_stored_ids(core, acc)) == ["c1", "c3"]
        broken.clear()
        not_an_object.clear()
        report = await core.sync(acc)
        assert (report.state, report.new) == ("ok", 2)
        assert sorted(_stored_ids(core, acc)) == ids

    try:
        asyncio.run(go())
    finally:
        core.close()


def test_what_a_walk_learns_of_a_cap():
    from callviewer.providers.atlas import CapWatch

    w = CapWatch()
    assert not w.suspect(9) and w.suspect(10) and w.suspect(37)  # nothing seen yet
    w.whole(45)  # an answer of 45 was whole: any cap is at least 45
    assert not w.suspect(44) and w.suspect(45) and w.suspect(60)
    w.cut_short(37)
    assert w.cap == 37 and w.suspect(37) and not w.suspect(36)


@pytest.mark.parametrize("cap", [20, 37])
def test_an_atlas_that_caps_its_list_answers_loses_no_call(core, cap):
    """An Atlas that answers at most `cap` entries per `GET /call`, not the newest ones (~35
    calls a week here): every call arrives, a second sync finds nothing new, and calls that
    arrive later (more in a few hours than one answer holds) arrive too."""
    from callviewer.simulator.server import Simulator

    sim = Simulator(calls_per_provider=300, seed=5).start()
    sim.atlas_list_cap = cap
    try:
        async def go():
            acc = await _add(core, sim, "atlas")
            first = await core.sync(acc)
            assert first.state == "ok", first.error
            assert set(_stored_ids(core, acc)) == set(sim.call_ids("atlas"))
            second = await core.sync(acc)
            assert (second.state, second.new) == ("ok", 0)
            sim.add_calls("atlas", 60)
            third = await core.sync(acc)
            assert third.state == "ok" and third.new == 60
            assert set(_stored_ids(core, acc)) == set(sim.call_ids("atlas"))

        asyncio.run(go())
    finally:
        sim.stop()


def test_calls_of_an_older_normalizer_are_derived_again_from_their_raw_json(core, sim):
    from callviewer.normalize import NORMALIZER_VERSION

    async def go():
        acc = await _add(core, sim, "vatel")
        assert (await core.sync(acc)).state == "ok"
        call_id = _stored_ids(core, acc)[0]
        # as an older normalizer stored it: another currency, an older version
        con = sqlite3.connect(core.profile.db_path)
        with con:
            con.execute("UPDATE calls SET currency = 'XYZ', normalizer_version = ? WHERE account_id = ?",
                        (NORMALIZER_VERSION - 1, acc.id))
        con.close()
        assert core.store.get_call(call_id).currency is None  # (the doc is the current one)
        assert core.store.has_older_calls(acc.id, NORMALIZER_VERSION)
        sim.reset_log()
        phases = []
        report = await core.sync(acc, on_progress=lambda p: phases.append(p.phase))
        assert report.state == "ok" and (report.new, report.updated) == (0, 0)
        assert phases[0] == "updating"
        assert not core.store.has_older_calls(acc.id, NORMALIZER_VERSION)
        con = sqlite3.connect(core.profile.db_path)
        try:
            assert con.execute("SELECT count(*) FROM calls WHERE currency = 'XYZ'").fetchone()[0] == 0
        finally:
            con.close()
        assert sim.count("vatel", r"/calls/[^/?]+$") == 0  # from what is stored, not fetched again

    asyncio.run(go())
