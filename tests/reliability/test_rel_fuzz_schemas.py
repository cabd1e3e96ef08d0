"""The normalizers and the sync's writer, fuzzed with payloads generated from the providers' own
call schemas (Vatel's OpenAPI `Call`; Vapi's `Call`, which Atlas serves): any payload that keeps
to the schema's types gives a normalized call or a clear per-call error, and never crashes the
sync. The schemas are extracted into tests/fixtures/provider_schemas.json by
tests/fixtures/extract_schemas.py (see there for where they come from)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callviewer.core import Core
from callviewer.normalize import atlas, vatel
from callviewer.profile import Profile
from callviewer.secrets import MemoryKeyStore, Secret
from callviewer.simulator import Simulator
from callviewer.store import Store
from callviewer.sync import shown_id, valid_id
from callviewer.writer import WriteJob, close_stores, write_job
from tests.conftest import FAST_RETRY, SIM_KEYS
from tests.normalize.test_fuzz import check
from tests.reliability.schema_strategies import SchemaStrategies

SCHEMAS = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "provider_schemas.json").read_text())
VATEL_CALLS = SchemaStrategies(SCHEMAS["vatel"]["schemas"]).for_ref("Call")
ATLAS_CALLS = SchemaStrategies(SCHEMAS["atlas"]["schemas"]).for_ref("Call")

pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

FUZZ = settings(max_examples=250, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FEW = settings(max_examples=25, deadline=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                      HealthCheck.function_scoped_fixture])


def test_the_fixture_says_where_it_came_from():
    assert SCHEMAS["source"]["made_by"] == "tests/fixtures/extract_schemas.py"
    assert "Vatel AI REST API" in SCHEMAS["source"]["vatel"]
    assert set(SCHEMAS["vatel"]["schemas"]["Call"]["properties"]) >= {"id", "transcript", "cost", "status"}
    assert set(SCHEMAS["atlas"]["schemas"]["Call"]["properties"]) >= {"id", "artifact", "costBreakdown"}


@FUZZ
@given(VATEL_CALLS)
def test_vatel_schema_payloads(raw):
    check(vatel.normalize, raw)


@FUZZ
@given(ATLAS_CALLS)
def test_atlas_schema_payloads(raw):
    check(atlas.normalize, raw)


# -- through the sync's writer --------------------------------------------------------------------

def _ids(payloads, id_key="id"):
    """The payloads a sync would hand on: those with a usable id, the first of each id."""
    from callviewer.providers.common import first_str

    seen, out = set(), []
    for p in payloads:
        call_id = first_str(p, id_key) if isinstance(p, dict) else None
        if call_id and call_id not in seen:
            seen.add(call_id)
            out.append((call_id, p))
    return out


def _run_job(tmp_path, provider, build):
    path = tmp_path / f"fuzz-{provider}.db"
    with Store(path) as store:
        account = store.get_account("acc") if store.accounts() else store.add_account("acc", provider, "https://x")
    job = WriteJob(str(path), account.id, "acc", provider)
    expected = build(job)
    try:
        result = write_job(job)  # must not raise
    finally:
        close_stores()
    assert result.count == len(expected)
    failed = dict(result.failed)
    with Store(path) as store:
        for call_id in expected:
            if not valid_id(call_id):  # reported (printably), never stored
                assert failed.get(shown_id(call_id)), call_id
                continue
            stored = store.rowid_of(account.id, call_id) is not None
            assert stored or call_id in failed, call_id
            if call_id in failed:
                assert failed[call_id] and isinstance(failed[call_id], str)
    return result


@FEW
@given(st.lists(VATEL_CALLS, min_size=1, max_size=5))
def test_vatel_schema_pages_through_the_writer(tmp_path_factory, payloads):
    tmp = tmp_path_factory.mktemp("w")

    def build(job):
        items = _ids(payloads)
        body = json.dumps({"calls": [p for _i, p in items],
                           "pagination": {"page": 1, "page_size": 100, "total": len(items)}}).encode()
        job.pages.append(body)
        for index, (call_id, _p) in enumerate(items):
            job.items.append((call_id, 0, index, None))
        return [i for i, _p in items]

    _run_job(tmp, "vatel", build)


@FEW
@given(st.lists(ATLAS_CALLS, min_size=1, max_size=5))
def test_atlas_schema_details_through_the_writer(tmp_path_factory, payloads):
    tmp = tmp_path_factory.mktemp("w")

    def build(job):
        items = _ids(payloads)
        for call_id, p in items:
            job.details.append(json.dumps(p).encode())
            job.items.append((call_id, -1, len(job.details) - 1, None))
        return [i for i, _p in items]

    _run_job(tmp, "atlas", build)


# -- a whole sync against the simulator serving schema payloads -------------------------------

@pytest.fixture(scope="module")
def small_sim():
    s = Simulator(calls_per_provider=6, seed=12).start()
    yield s
    s.stop()


def _utf8(payload) -> bool:
    """Whether the payload can be sent as UTF-8 JSON as it is (no lone surrogates): the simulator
    writes its bodies that way."""
    try:
        json.dumps(payload, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


SERVED_VATEL = VATEL_CALLS.filter(lambda p: isinstance(p, dict) and _utf8(p))
SERVED_ATLAS = ATLAS_CALLS.filter(lambda p: isinstance(p, dict) and _utf8(p))


def _sync_with_payloads(tmp_path, sim, provider, payloads):
    """Overrides the simulator's calls with the payloads' fields (each keeps its own id) and syncs."""
    ids = sim.call_ids(provider)
    for call_id, payload in zip(ids, payloads):
        fields = {k: v for k, v in payload.items() if k not in ("id", "rowKey")}
        sim.update_call(provider, call_id, **fields)
    core = Core.open(Profile.open(tmp_path / "p"), MemoryKeyStore(), client_kw={"retry": FAST_RETRY},
                     sync_worker="thread")
    try:
        async def go():
            acc = await core.add_account("acc", provider, Secret(SIM_KEYS[provider]),
                                         base_url=sim.base_urls[provider], verify=False)
            return await core.sync(acc)
        report = asyncio.run(go())
        # the sync itself never fails on what a provider's calls hold: it stores them or reports them
        assert report.state in ("ok", "partial"), report.error
        assert report.new + report.updated + len(report.failed) >= len(ids)
        for call_id, why in report.failed:
            assert call_id in ids and why
    finally:
        core.close()


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(st.lists(SERVED_VATEL, min_size=1, max_size=6))
def test_a_vatel_sync_of_schema_payloads(tmp_path_factory, small_sim, payloads):
    _sync_with_payloads(tmp_path_factory.mktemp("s"), small_sim, "vatel", payloads)


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(st.lists(SERVED_ATLAS, min_size=1, max_size=6))
def test_an_atlas_sync_of_schema_payloads(tmp_path_factory, small_sim, payloads):
    _sync_with_payloads(tmp_path_factory.mktemp("s"), small_sim, "atlas", payloads)


def test_a_call_id_that_is_not_valid_text_is_reported_not_stored(tmp_path):
    """JSON may carry lone surrogates ("\\ud800"): such an id cannot go into the database, a URL
    or a terminal. The sync reports it (printably) and stores the rest."""
    import httpx

    from callviewer.sync import jsonable

    good = {"id": "0b7b5a3e-0c44-4a0e-9a51-4a3a8f5d8c11", "status": "ended", "started_at": "2024-05-01T12:00:00Z"}
    body = b'{"calls":[{"id":"\\ud800abc","status":"ended"},' + json.dumps(good).encode() + \
        b'],"pagination":{"page":1,"page_size":100,"total":2,"total_pages":1,"has_next":false}}'

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/calls"):
            return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})
        return httpx.Response(200, json=[])

    core = Core.open(Profile.open(tmp_path / "p"), MemoryKeyStore(),
                     client_kw={"retry": FAST_RETRY, "transport": httpx.MockTransport(handler)},
                     sync_worker="thread")
    try:
        async def go():
            acc = await core.add_account("v", "vatel", Secret("k"), base_url="https://api.vatel.test/v1",
                                         verify=False)
            return acc, await core.sync(acc)
        acc, report = asyncio.run(go())
        assert report.state == "partial"
        assert report.failed == [("\\ud800abc", "the provider sent a call id that is not valid text (not stored)")]
        assert core.store.count() == 1
        json.dumps(jsonable(report), ensure_ascii=False).encode("utf-8")  # printable as the CLI prints it
        report.summary_line().encode("utf-8")
    finally:
        core.close()
