"""Fault injection: every kind answers as described and fires exactly `times` times."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest

from callviewer.errors import BadPayload, KeyRejected
from callviewer.net import ApiClient, RetryPolicy
from callviewer.simulator import Simulator

ATLAS = {"api-key": "sim-atlas-key"}
CALLAB = {"Authorization": "Bearer sim-callab-key"}
VATEL = {"Authorization": "Bearer sim-vatel-key"}


@pytest.fixture(scope="module")
def server():
    with Simulator(calls_per_provider=60, seed=4) as s:
        yield s


@pytest.fixture()
def sim(server: Simulator):
    server.faults.clear()
    server.reset_log()
    yield server
    server.faults.clear()


def get(sim: Simulator, provider: str, path: str, **params) -> httpx.Response:
    headers = {"atlas": ATLAS, "callab": CALLAB, "vatel": VATEL}[provider]
    with httpx.Client(timeout=10) as c:
        return c.get(sim.base_urls[provider] + path, headers=headers, params=params)


def test_429_fires_times_then_disappears(sim: Simulator) -> None:
    rule = sim.faults.add("vatel", "429", path=r"^/calls$", times=2, retry_after=3)
    for _ in range(2):
        r = get(sim, "vatel", "/calls")
        assert r.status_code == 429 and r.headers["retry-after"] == "3"
        assert "error" in r.json()
    assert get(sim, "vatel", "/calls").status_code == 200
    assert rule.fired == 2 and len(sim.faults) == 0
    assert [s for *_, s in sim.request_log] == [429, 429, 200]
    assert sim.faults.fired == [("vatel", "429", "/calls")] * 2


@pytest.mark.parametrize("kind,status", [("500", 500), ("502", 502), ("503", 503), ("401", 401), ("403", 403),
                                         ("404", 404)])
def test_status_faults_use_the_provider_error_shape(sim: Simulator, kind: str, status: int) -> None:
    sim.faults.add("atlas", kind)
    r = get(sim, "atlas", "/call")
    assert r.status_code == status
    assert r.json()["statusCode"] == status
    sim.faults.add("callab", kind)
    r = get(sim, "callab", "/calls/query")
    assert r.status_code == status and r.json()["status"] == "error" and r.json()["data"] is None
    assert get(sim, "atlas", "/call").status_code == 200


def test_html500(sim: Simulator) -> None:
    sim.faults.add("callab", "html500")
    r = get(sim, "callab", "/calls/query")
    assert r.status_code == 500 and r.headers["content-type"].startswith("text/html")
    assert r.text.lstrip().startswith("<html>")


def test_path_and_provider_targeting(sim: Simulator) -> None:
    sim.faults.add("atlas", "500", path=r"^/call/", times=None)
    assert get(sim, "atlas", "/call").status_code == 200
    assert get(sim, "vatel", "/calls").status_code == 200
    cid = sim.call_ids("atlas")[0]
    assert get(sim, "atlas", f"/call/{cid}").status_code == 500
    assert get(sim, "atlas", f"/call/{cid}").status_code == 500  # times=None: until cleared
    sim.faults.clear()
    assert get(sim, "atlas", f"/call/{cid}").status_code == 200
    sim.faults.add(None, "503", query=r"page=2\b")
    assert get(sim, "vatel", "/calls", page=1).status_code == 200
    assert get(sim, "vatel", "/calls", page=2).status_code == 503


def test_truncate_gives_a_cut_off_body(sim: Simulator) -> None:
    sim.faults.add("vatel", "truncate", path=r"^/calls/")
    cid = sim.call_ids("vatel")[0]
    r = get(sim, "vatel", f"/calls/{cid}")
    assert r.status_code == 200 and "content-length" not in r.headers
    with pytest.raises(ValueError):
        json.loads(r.content)
    assert json.loads(get(sim, "vatel", f"/calls/{cid}").content)["id"] == cid


def test_reset_breaks_the_connection_mid_body(sim: Simulator) -> None:
    sim.faults.add("callab", "reset", path=r"^/calls/query$")
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        get(sim, "callab", "/calls/query", per_page=50)
    assert len(get(sim, "callab", "/calls/query", per_page=50).json()["data"]) == 50


def test_slow(sim: Simulator) -> None:
    sim.faults.add("vatel", "slow", path="/organization", delay=0.3)
    t = time.perf_counter()
    assert get(sim, "vatel", "/organization").status_code == 200
    assert time.perf_counter() - t >= 0.3
    t = time.perf_counter()
    get(sim, "vatel", "/organization")
    assert time.perf_counter() - t < 0.3


def test_slow_request_does_not_block_others(sim: Simulator) -> None:
    sim.faults.add("vatel", "slow", path="/organization", delay=1.0)

    async def run() -> float:
        async with httpx.AsyncClient(timeout=10) as c:
            slow = asyncio.create_task(c.get(sim.base_urls["vatel"] + "/organization", headers=VATEL))
            await asyncio.sleep(0.1)
            t = time.perf_counter()
            r = await c.get(sim.base_urls["vatel"] + "/agents", headers=VATEL)
            fast = time.perf_counter() - t
            assert r.status_code == 200
            assert (await slow).status_code == 200
            return fast

    assert asyncio.run(run()) < 0.5


def test_repeat_page_and_empty_page(sim: Simulator) -> None:
    p0 = get(sim, "callab", "/calls/query", page=0, per_page=10).json()["data"]
    p1 = get(sim, "callab", "/calls/query", page=1, per_page=10).json()["data"]
    sim.faults.add("callab", "repeat_page")
    assert get(sim, "callab", "/calls/query", page=0, per_page=10).json()["data"] == p0  # first page: no effect
    assert get(sim, "callab", "/calls/query", page=1, per_page=10).json()["data"] == p0
    assert get(sim, "callab", "/calls/query", page=1, per_page=10).json()["data"] == p1
    sim.faults.add("vatel", "empty_page")
    first = get(sim, "vatel", "/calls", page=1, page_size=20).json()
    assert len(first["calls"]) == 20
    mid = get(sim, "vatel", "/calls", page=2, page_size=20).json()
    assert mid["calls"] == [] and mid["pagination"]["total"] == 60 and mid["pagination"]["has_next"]
    assert len(get(sim, "vatel", "/calls", page=2, page_size=20).json()["calls"]) == 20
    assert len(sim.faults) == 0


def test_recording_faults(sim: Simulator) -> None:
    raw = next(r for r in (sim.raw_call("atlas", i) for i in sim.call_ids("atlas")) if r["recordingUrl"])
    sim.faults.add("atlas", "503", path=r"^/recordings/")
    with httpx.Client() as c:
        assert c.get(raw["recordingUrl"]).status_code == 503
        assert c.get(raw["recordingUrl"]).status_code == 200
    assert sim.count("atlas", r"^/recordings/atlas/") == 2


def test_unknown_kind_is_refused(sim: Simulator) -> None:
    with pytest.raises(ValueError):
        sim.faults.add("vatel", "418")
    with pytest.raises(ValueError):
        sim.faults.add("nobody", "500")


def test_the_real_client_retries_through_faults(sim: Simulator) -> None:
    sim.faults.add("vatel", "500", path=r"^/calls$")
    sim.faults.add("vatel", "429", path=r"^/calls$", retry_after=0)
    sim.faults.add("vatel", "truncate", path=r"^/calls$")

    async def run():
        async with ApiClient(sim.base_urls["vatel"], VATEL, retry=RetryPolicy(attempts=5, backoff_base=0.01),
                             provider_label="Vatel") as api:
            body = await api.get_json("/calls", {"page": 1, "page_size": 5})
            return body, api.requests

    body, requests = asyncio.run(run())
    assert len(body["calls"]) == 5 and requests == 4
    assert sim.count("vatel", r"^/calls\?") == 4

    sim.faults.add("vatel", "401")

    async def rejected():
        async with ApiClient(sim.base_urls["vatel"], VATEL, provider_label="Vatel") as api:
            await api.get_json("/organization")

    with pytest.raises(KeyRejected):
        asyncio.run(rejected())

    sim.faults.add("vatel", "truncate", times=None)

    async def broken():
        async with ApiClient(sim.base_urls["vatel"], VATEL, retry=RetryPolicy(attempts=2, backoff_base=0.01),
                             provider_label="Vatel") as api:
            await api.get_json("/organization")

    with pytest.raises(BadPayload):
        asyncio.run(broken())
