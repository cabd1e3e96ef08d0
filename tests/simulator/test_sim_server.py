"""The simulator over real HTTP: each provider's endpoints, paging, envelopes, filters, auth, 404s,
recordings, keep-alive and the mutation/introspection API."""

from __future__ import annotations

import io
import wave
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import httpx
import pytest

from callviewer.simulator import Simulator

ATLAS = {"api-key": "sim-atlas-key"}
CALLAB = {"Authorization": "Bearer sim-callab-key"}
VATEL = {"Authorization": "Bearer sim-vatel-key"}


def ts(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@pytest.fixture(scope="module")
def sim():
    with Simulator(calls_per_provider=150, seed=2) as s:
        yield s


@pytest.fixture(scope="module")
def http():
    with httpx.Client(timeout=10) as c:
        yield c


@pytest.fixture()
def fresh():
    """A small simulator of its own, for tests that change data."""
    with Simulator(calls_per_provider=30, seed=9) as s:
        yield s


# ---------------------------------------------------------------- Atlas


def test_base_urls_and_keys(sim: Simulator) -> None:
    port = sim.port
    assert sim.base_urls == {"atlas": f"http://127.0.0.1:{port}/atlas/v1/api",
                             "callab": f"http://127.0.0.1:{port}/callab/v1",
                             "vatel": f"http://127.0.0.1:{port}/vatel/v1"}
    assert sim.keys["atlas"] == {"sim-atlas-key"}


def test_atlas_list_is_everything_newest_first(sim: Simulator, http: httpx.Client) -> None:
    r = http.get(sim.base_urls["atlas"] + "/call", headers=ATLAS)
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    body = r.json()
    assert set(body) == {"value"}
    rows = body["value"]
    assert [e["rowKey"] for e in rows] == sim.call_ids("atlas")
    assert len(rows) == 150
    e = rows[0]
    assert {"rowKey", "partitionKey", "timestamp", "campaignId", "assistantId", "customerPhoneNumber", "type",
            "status", "endedReason", "createdAt", "startedAt", "endedAt", "cost", "updatedAt"} <= set(e)
    assert e["partitionKey"] == e["campaignId"]
    created = [ts(x["createdAt"]) for x in rows]
    assert created == sorted(created, reverse=True)
    full = sim.raw_call("atlas", rows[10]["rowKey"])
    for k in ("createdAt", "startedAt", "endedAt", "status", "assistantId", "campaignId", "cost", "updatedAt"):
        assert rows[10][k] == full.get(k)


def test_atlas_date_window_is_inclusive_start_exclusive_end(sim: Simulator, http: httpx.Client) -> None:
    rows = http.get(sim.base_urls["atlas"] + "/call", headers=ATLAS).json()["value"]
    lo, hi = rows[60]["createdAt"], rows[20]["createdAt"]
    got = http.get(sim.base_urls["atlas"] + "/call", headers=ATLAS,
                   params={"startDate": lo, "endDate": hi}).json()["value"]
    assert [e["rowKey"] for e in got] == [e["rowKey"] for e in rows[21:61]]
    assert http.get(sim.base_urls["atlas"] + "/call", headers=ATLAS,
                    params={"startDate": "yesterday"}).status_code == 400


def test_atlas_filters(sim: Simulator, http: httpx.Client) -> None:
    rows = http.get(sim.base_urls["atlas"] + "/call", headers=ATLAS).json()["value"]
    camp = rows[0]["campaignId"]
    got = http.get(sim.base_urls["atlas"] + "/call", headers=ATLAS, params={"campaignId": camp}).json()["value"]
    assert got and len(got) < len(rows) and all(e["campaignId"] == camp for e in got)
    agent = rows[0]["assistantId"]
    got = http.get(sim.base_urls["atlas"] + "/call", headers=ATLAS, params={"assistantId": agent}).json()["value"]
    assert got and all(e["assistantId"] == agent for e in got)


def test_atlas_detail_404_and_auth(sim: Simulator, http: httpx.Client) -> None:
    base = sim.base_urls["atlas"]
    cid = sim.call_ids("atlas")[3]
    r = http.get(f"{base}/call/{cid}", headers=ATLAS)
    assert r.status_code == 200 and r.json()["id"] == cid
    r = http.get(f"{base}/call/nope", headers=ATLAS)
    assert r.status_code == 404
    assert r.json()["statusCode"] == 404 and r.json()["error"] == "Not Found" and r.json()["message"]
    for headers in ({}, {"api-key": "wrong"}, {"Authorization": "Bearer sim-atlas-key"}):
        r = http.get(f"{base}/call/{cid}", headers=headers)
        assert r.status_code == 401
        assert r.json() == {"statusCode": 401, "error": "Unauthorized", "message": "Invalid API key"}


def test_atlas_campaigns(sim: Simulator, http: httpx.Client) -> None:
    rows = http.get(sim.base_urls["atlas"] + "/campaign", headers=ATLAS).json()["value"]
    names = {c["Name"] for c in rows}
    assert {"Dental reminders", "Inbound support"} <= names
    assert all({"rowKey", "Name", "Status"} <= set(c) for c in rows)
    calls = {sim.raw_call("atlas", i)["campaignId"] for i in sim.call_ids("atlas")}
    assert calls <= {c["rowKey"] for c in rows}


def test_atlas_recordings_are_public_on_another_host(sim: Simulator, http: httpx.Client) -> None:
    raw = next(r for r in (sim.raw_call("atlas", i) for i in sim.call_ids("atlas")) if r["recordingUrl"])
    url = raw["stereoRecordingUrl"]
    assert url == raw["recordingUrl"] == raw["artifact"]["stereoRecordingUrl"]
    parts = urlsplit(url)
    assert parts.hostname == "localhost" and parts.port == sim.port
    assert parts.netloc != urlsplit(sim.base_urls["atlas"]).netloc
    r = http.get(url)  # no key
    assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(r.content)) as w:
        assert w.getnchannels() == 2
    assert r.content == sim.recording_bytes("atlas", raw["id"])
    assert (("atlas", parts.path)) not in sim.key_leaks
    http.get(url, headers=ATLAS)
    assert ("atlas", parts.path) in sim.key_leaks  # a client must never do this
    silent = next(r for r in (sim.raw_call("atlas", i) for i in sim.call_ids("atlas")) if not r["recordingUrl"])
    assert silent["stereoRecordingUrl"] is None
    assert http.get(f"http://localhost:{sim.port}/recordings/atlas/{silent['id']}.wav").status_code == 404


def test_recording_head_and_range(sim: Simulator, http: httpx.Client) -> None:
    raw = next(r for r in (sim.raw_call("callab", i) for i in sim.call_ids("callab")) if r["record_url"])
    url = raw["record_url"]
    full = http.get(url).content
    head = http.head(url)
    assert head.status_code == 200 and int(head.headers["content-length"]) == len(full) and not head.content
    part = http.get(url, headers={"Range": "bytes=0-43"})
    assert part.status_code == 206 and part.content == full[:44]
    assert part.headers["content-range"] == f"bytes 0-43/{len(full)}"
    tail = http.get(url, headers={"Range": "bytes=-10"})
    assert tail.content == full[-10:]


# ---------------------------------------------------------------- Callab


def callab(sim: Simulator, http: httpx.Client, path: str, **params) -> httpx.Response:
    return http.get(sim.base_urls["callab"] + path, headers=CALLAB, params=params)


def test_callab_paging_is_zero_based_without_total(sim: Simulator, http: httpx.Client) -> None:
    r = callab(sim, http, "/calls/query")
    body = r.json()
    assert set(body) == {"status", "message", "data"} and body["status"] == "ok"
    assert len(body["data"]) == 10  # default per_page
    seen = []
    page = 0
    while True:
        data = callab(sim, http, "/calls/query", page=page, per_page=40, sort_column="created_at",
                      order="desc").json()["data"]
        seen += [c["id"] for c in data]
        if len(data) < 40:
            break
        page += 1
    assert page == 3 and seen == sim.call_ids("callab")
    assert data[0]["transcript_object"] is not None  # full call objects in the list


def test_callab_per_page_is_capped_at_100(sim: Simulator, http: httpx.Client) -> None:
    assert len(callab(sim, http, "/calls/query", per_page=500).json()["data"]) == 100


def test_callab_sorting(sim: Simulator, http: httpx.Client) -> None:
    data = callab(sim, http, "/calls/query", per_page=100, sort_column="call_duration", order="asc").json()["data"]
    durs = [c["call_duration"] for c in data if c["call_duration"] is not None]
    assert durs == sorted(durs)
    data = callab(sim, http, "/calls/query", per_page=100, order="asc").json()["data"]
    assert [c["id"] for c in data] == sim.call_ids("callab")[::-1][:100]
    assert callab(sim, http, "/calls/query", sort_column="nope").status_code == 400


def test_callab_filters(sim: Simulator, http: httpx.Client) -> None:
    everything = [sim.raw_call("callab", i) for i in sim.call_ids("callab")]
    got = callab(sim, http, "/calls/query", status="NO-ANS", per_page=100).json()["data"]
    assert got and all(c["call_status"] == "no-answer" for c in got)
    assert len(got) == sum(c["call_status"] == "no-answer" for c in everything)
    camp = next(c["campaign_id"] for c in everything if c["campaign_id"])
    got = callab(sim, http, "/calls/query", campaign_id=camp, per_page=100).json()["data"]
    assert got and all(c["campaign_id"] == camp for c in got)
    agent = everything[0]["ai_agent_id"]
    got = callab(sim, http, "/calls/query", ai_agent_id=agent, per_page=100).json()["data"]
    assert got and all(c["ai_agent_id"] == agent for c in got)
    got = callab(sim, http, "/calls/query", search="duplicate", per_page=100).json()["data"]
    assert got and all("duplicate" in (c["transcript"] or "").lower() for c in got)
    day = everything[40]["started_at"][:10]
    got = callab(sim, http, "/calls/query", start_date=day, end_date=day, per_page=100).json()["data"]
    assert got and all(c["started_at"][:10] == day for c in got)
    assert len(got) == sum(c["started_at"][:10] == day for c in everything)
    assert callab(sim, http, "/calls/query", start_date="01/02/2026").status_code == 400


def test_callab_detail_404_auth_agents_campaigns(sim: Simulator, http: httpx.Client) -> None:
    cid = sim.call_ids("callab")[7]
    body = callab(sim, http, f"/calls/{cid}").json()
    assert body["status"] == "ok" and body["data"]["id"] == cid
    r = callab(sim, http, "/calls/00000000-0000-4000-8000-000000000000")
    assert r.status_code == 404 and r.json() == {"status": "error", "message": "Call not found", "data": None}
    for headers in ({}, {"Authorization": "Bearer nope"}, {"api-key": "sim-callab-key"}):
        r = http.get(sim.base_urls["callab"] + f"/calls/{cid}", headers=headers)
        assert r.status_code == 401 and r.json() == {"status": "error", "message": "Unauthorized", "data": None}
    agents = callab(sim, http, "/ai-agent", workspace="default").json()["data"]
    assert agents and all({"id", "name"} <= set(a) for a in agents)
    camps = callab(sim, http, "/campaigns/by-workspace/default").json()["data"]
    assert camps and all(len(c["started_at"]) == 10 for c in camps)
    assert {c["ai_agent_id"] for c in camps} <= {a["id"] for a in agents}


def test_callab_record_url_is_public(sim: Simulator, http: httpx.Client) -> None:
    raw = next(r for r in (sim.raw_call("callab", i) for i in sim.call_ids("callab")) if r["record_url"])
    assert urlsplit(raw["record_url"]).hostname == "localhost"
    r = http.get(raw["record_url"])
    assert r.status_code == 200 and r.content[:4] == b"RIFF"


# ---------------------------------------------------------------- Vatel


def vatel(sim: Simulator, http: httpx.Client, path: str, **params) -> httpx.Response:
    return http.get(sim.base_urls["vatel"] + path, headers=VATEL, params=params)


def test_vatel_paging_with_totals(sim: Simulator, http: httpx.Client) -> None:
    body = vatel(sim, http, "/calls").json()
    assert set(body) == {"calls", "pagination"}
    assert body["pagination"] == {"page": 1, "page_size": 20, "total": 150, "total_pages": 8, "has_next": True,
                                  "has_prev": False}
    seen = []
    for page in range(1, 3):
        b = vatel(sim, http, "/calls", page=page, page_size=100).json()
        seen += [c["id"] for c in b["calls"]]
    assert b["pagination"]["has_next"] is False and b["pagination"]["has_prev"] is True
    assert seen == sim.call_ids("vatel")
    assert vatel(sim, http, "/calls", page=9, page_size=20).json()["calls"] == []
    r = vatel(sim, http, "/calls", page_size=101)
    assert r.status_code == 400 and r.json() == {"error": "page_size must be <= 100"}
    assert vatel(sim, http, "/calls", page=0).status_code == 400


def test_vatel_filters(sim: Simulator, http: httpx.Client) -> None:
    everything = [sim.raw_call("vatel", i) for i in sim.call_ids("vatel")]
    a = everything[0]["agent_id"]
    got = vatel(sim, http, "/calls", agent_ids=a, page_size=100).json()
    assert got["pagination"]["total"] == sum(c["agent_id"] == a for c in everything)
    got = vatel(sim, http, "/calls", status="in_progress").json()["calls"]
    assert got and all(c["status"] == "in_progress" for c in got)
    got = vatel(sim, http, "/calls", outbound="false", page_size=100).json()["calls"]
    assert got and all(c["outbound"] is False for c in got)
    num = everything[5]["party_number"]
    got = vatel(sim, http, "/calls", search=num[-6:], page_size=100).json()["calls"]
    assert got and all(num[-6:] in c["party_number"] for c in got)
    got = vatel(sim, http, "/calls", tag="booking", page_size=100).json()["calls"]
    assert got and all("booking" in c["tags"] for c in got)
    lo, hi = everything[50]["created_at"], everything[10]["created_at"]
    got = vatel(sim, http, "/calls", date_from=lo, date_to=hi, page_size=100).json()["calls"]
    assert [c["id"] for c in got] == [c["id"] for c in everything[10:51]]  # both ends inclusive
    assert vatel(sim, http, "/calls", status="weird").status_code == 400
    assert vatel(sim, http, "/calls", date_from="not a date").status_code == 400


def test_vatel_detail_errors_and_auth(sim: Simulator, http: httpx.Client) -> None:
    cid = sim.call_ids("vatel")[2]
    assert vatel(sim, http, f"/calls/{cid}").json()["id"] == cid
    r = vatel(sim, http, "/calls/not-a-uuid")
    assert r.status_code == 400 and r.json() == {"error": "invalid call id"}
    r = vatel(sim, http, "/calls/00000000-0000-4000-8000-000000000000")
    assert r.status_code == 404 and r.json() == {"error": "call not found"}
    r = http.get(sim.base_urls["vatel"] + f"/calls/{cid}", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401 and r.content == b""
    org = vatel(sim, http, "/organization").json()
    assert set(org) == {"id", "name", "created_at"}
    agents = vatel(sim, http, "/agents").json()
    assert isinstance(agents, list) and {"id", "name", "status", "created_at", "updated_at"} <= set(agents[0])


def test_vatel_recording_needs_the_key(sim: Simulator, http: httpx.Client) -> None:
    with_rec = next(i for i in sim.call_ids("vatel") if sim.spec("vatel", i).has_recording)
    without = next(i for i in sim.call_ids("vatel") if not sim.spec("vatel", i).has_recording)
    url = sim.base_urls["vatel"] + f"/calls/{with_rec}/recording"
    r = http.get(url, headers=VATEL)
    assert r.status_code == 200 and r.headers["content-type"] == "audio/wav"
    assert r.headers["content-disposition"] == f'attachment; filename="{with_rec}.wav"'
    assert int(r.headers["content-length"]) == len(r.content)
    with wave.open(io.BytesIO(r.content)) as w:
        assert w.getnchannels() == 2 and w.getframerate() == 8000
    assert http.get(url).status_code == 401
    r = vatel(sim, http, f"/calls/{without}/recording")
    assert r.status_code == 404 and "error" in r.json()


def test_unknown_paths(sim: Simulator, http: httpx.Client) -> None:
    assert http.get(f"http://127.0.0.1:{sim.port}/nothing").status_code == 404
    assert vatel(sim, http, "/nothing").status_code == 404
    assert http.post(sim.base_urls["vatel"] + "/calls", headers=VATEL).status_code == 405


# ---------------------------------------------------------------- HTTP behaviour


def test_keep_alive_and_concurrent_connections(sim: Simulator) -> None:
    ids = sim.call_ids("vatel")

    def worker(chunk: list[str]) -> int:
        with httpx.Client(timeout=10) as c:
            n = 0
            for cid in chunk:
                r = c.get(sim.base_urls["vatel"] + f"/calls/{cid}", headers=VATEL)
                assert r.status_code == 200 and "connection" not in r.headers
                n += 1
            return n

    chunks = [ids[i::10] for i in range(10)]
    with ThreadPoolExecutor(10) as pool:
        assert sum(pool.map(worker, chunks)) == len(ids)
    r = httpx.get(sim.base_urls["vatel"] + "/organization", headers={**VATEL, "Connection": "close"})
    assert r.headers["connection"] == "close"


# ---------------------------------------------------------------- mutations and introspection


def test_request_log_and_count(fresh: Simulator) -> None:
    fresh.reset_log()
    with httpx.Client() as c:
        c.get(fresh.base_urls["vatel"] + "/calls", headers=VATEL, params={"page": 1})
        c.get(fresh.base_urls["vatel"] + f"/calls/{fresh.call_ids('vatel')[0]}", headers=VATEL)
        c.get(fresh.base_urls["atlas"] + "/call", headers={"api-key": "bad"})
    assert fresh.request_log[0] == ("vatel", "GET", "/calls?page=1", 200)
    assert fresh.request_log[2] == ("atlas", "GET", "/call", 401)
    assert fresh.count() == 3
    assert fresh.count("vatel") == 2
    assert fresh.count("vatel", r"^/calls/") == 1
    assert fresh.count(path_regex=r"^/call\b") == 1
    fresh.reset_log()
    assert fresh.count() == 0


def test_add_calls_are_newest(fresh: Simulator) -> None:
    with httpx.Client() as c:
        before = c.get(fresh.base_urls["atlas"] + "/call", headers=ATLAS).json()["value"]
        newest = max(ts(e["createdAt"]) for e in before)
        ids = fresh.add_calls("atlas", 3)
        after = c.get(fresh.base_urls["atlas"] + "/call", headers=ATLAS).json()["value"]
        assert [e["rowKey"] for e in after[:3]] == ids[::-1]
        assert all(ts(e["createdAt"]) > newest for e in after[:3])
        got = c.get(fresh.base_urls["atlas"] + "/call", headers=ATLAS,
                    params={"startDate": iso(newest + timedelta(milliseconds=1))}).json()["value"]
        assert {e["rowKey"] for e in got} == set(ids)
        ids = fresh.add_calls("callab", 2)
        data = c.get(fresh.base_urls["callab"] + "/calls/query", headers=CALLAB).json()["data"]
        assert [d["id"] for d in data[:2]] == ids[::-1]


def test_update_and_settle_in_progress_calls(fresh: Simulator) -> None:
    live = [i for i in fresh.call_ids("atlas") if fresh.raw_call("atlas", i)["status"] == "in-progress"]
    assert live
    cid = live[0]
    old = fresh.raw_call("atlas", cid)
    with httpx.Client() as c:
        new = fresh.update_call("atlas", cid, status="ended", cost=0.42, endedReason="customer-ended-call")
        assert new["status"] == "ended" and new["cost"] == 0.42 and new["updatedAt"] > old["updatedAt"]
        entry = next(e for e in c.get(fresh.base_urls["atlas"] + "/call", headers=ATLAS).json()["value"]
                     if e["rowKey"] == cid)
        assert entry["status"] == "ended" and entry["cost"] == 0.42 and entry["updatedAt"] == new["updatedAt"]
        assert entry["timestamp"] == new["updatedAt"]
        assert c.get(fresh.base_urls["atlas"] + f"/call/{cid}", headers=ATLAS).json()["cost"] == 0.42

        vid = next(i for i in fresh.call_ids("vatel") if fresh.raw_call("vatel", i)["status"] == "in_progress")
        before = fresh.raw_call("vatel", vid)
        after = fresh.settle_call("vatel", vid)
        assert after["status"] == "ended" and after["cost"] > 0 and "ended_at" in after
        assert after["started_at"] == before["started_at"] and after["id"] == vid
        n_before = len(before.get("transcript", {}).get("entries", []))
        assert len(after["transcript"]["entries"]) > n_before
        assert after["transcript"]["entries"][:n_before] == before["transcript"]["entries"]
        r = c.get(fresh.base_urls["vatel"] + f"/calls/{vid}/recording", headers=VATEL)
        assert r.status_code == 200

        cl = next(i for i in fresh.call_ids("callab") if fresh.raw_call("callab", i)["call_status"] == "in-progress")
        old_cl = fresh.raw_call("callab", cl)
        new_cl = fresh.update_call("callab", cl, call_status="completed", cost=0.3)
        assert new_cl["updated_at"] > old_cl["updated_at"]
        got = c.get(fresh.base_urls["callab"] + "/calls/query", headers=CALLAB,
                    params={"status": "in-progress", "per_page": 100}).json()["data"]
        assert cl not in {d["id"] for d in got}


def test_remove_call(fresh: Simulator) -> None:
    cid = fresh.call_ids("vatel")[4]
    fresh.remove_call("vatel", cid)
    assert cid not in fresh.call_ids("vatel")
    with httpx.Client() as c:
        assert c.get(fresh.base_urls["vatel"] + f"/calls/{cid}", headers=VATEL).status_code == 404
        body = c.get(fresh.base_urls["vatel"] + "/calls", headers=VATEL, params={"page_size": 100}).json()
        assert body["pagination"]["total"] == 29 and cid not in {x["id"] for x in body["calls"]}
    with pytest.raises(KeyError):
        fresh.raw_call("vatel", cid)


def test_custom_keys_and_restart() -> None:
    sim = Simulator(calls_per_provider=5, seed=1, keys={"vatel": "k1"})
    sim.start()
    try:
        url = sim.base_urls["vatel"] + "/organization"
        assert httpx.get(url, headers={"Authorization": "Bearer k1"}).status_code == 200
        assert httpx.get(url, headers=VATEL).status_code == 401
        assert httpx.get(sim.base_urls["atlas"] + "/campaign", headers=ATLAS).status_code == 200
    finally:
        sim.stop()
    sim.start()
    try:
        raw = next(r for r in (sim.raw_call("callab", i) for i in sim.call_ids("callab")) if r["record_url"])
        assert f":{sim.port}/" in raw["record_url"]
    finally:
        sim.stop()
