"""Sync benchmark: the first sync of 6,000 calls (2,000 per provider) against the floor.

The floor is fetching and parsing the same responses with plain httpx, 8 requests in flight,
storing nothing. Both run in this process against one simulator in a child process
(`callviewer simulate`), alternately, several times; the medians are compared.

    .venv/bin/python bench/bench_sync.py [--calls 2000] [--rounds 3]

Target: sync time at most 1.5x the floor.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from callviewer.core import Core  # noqa: E402
from callviewer.profile import Profile  # noqa: E402
from callviewer.secrets import MemoryKeyStore, Secret  # noqa: E402

KEYS = {"atlas": "sim-atlas-key", "callab": "sim-callab-key", "vatel": "sim-vatel-key"}


def start_simulator(calls: int) -> tuple[subprocess.Popen, dict[str, str]]:
    proc = subprocess.Popen([sys.executable, "-m", "callviewer", "simulate", "--port", "0",
                             "--calls", str(calls), "--seed", "1"],
                            stdout=subprocess.PIPE, text=True, cwd=ROOT)
    urls: dict[str, str] = {}
    assert proc.stdout is not None
    for line in proc.stdout:
        m = re.search(r"(atlas|callab|vatel)\s+base URL (\S+)", line)
        if m:
            urls[m.group(1)] = m.group(2)
        if "Ctrl+C" in line:
            break
    return proc, urls


async def floor(urls: dict[str, str]) -> tuple[float, int]:
    """Plain httpx: the same requests sync makes for a first sync, parsed, nothing stored."""
    limits = httpx.Limits(max_connections=8, max_keepalive_connections=8)
    requests = 0

    async def atlas(client: httpx.AsyncClient) -> None:
        nonlocal requests
        h = {"api-key": KEYS["atlas"]}
        r = await client.get(urls["atlas"] + "/call", headers=h)
        requests += 1
        ids = [e["rowKey"] for e in r.json()["value"]]
        sem = asyncio.Semaphore(8)

        async def one(i: str) -> None:
            nonlocal requests
            async with sem:
                resp = await client.get(f"{urls['atlas']}/call/{i}", headers=h)
                requests += 1
                resp.json()

        await asyncio.gather(*(one(i) for i in ids))

    async def paged(client: httpx.AsyncClient, provider: str) -> None:
        nonlocal requests
        h = {"Authorization": f"Bearer {KEYS[provider]}"}
        page = 0 if provider == "callab" else 1
        while True:
            if provider == "callab":
                r = await client.get(urls["callab"] + "/calls/query", headers=h,
                                     params={"page": page, "per_page": 100})
                items = r.json()["data"]
            else:
                r = await client.get(urls["vatel"] + "/calls", headers=h, params={"page": page, "page_size": 100})
                items = r.json()["calls"]
            requests += 1
            if len(items) < 100:
                return
            page += 1

    t0 = time.perf_counter()
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        await asyncio.gather(atlas(client), paged(client, "callab"), paged(client, "vatel"))
    return time.perf_counter() - t0, requests


async def full_sync(urls: dict[str, str]) -> tuple[float, int, int, dict[str, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        core = Core.open(Profile.open(tmp), MemoryKeyStore())
        accounts = [await core.add_account(f"{p}-bench", p, Secret(KEYS[p]), base_url=urls[p], verify=False)
                    for p in ("atlas", "callab", "vatel")]
        t0 = time.perf_counter()
        reports = await asyncio.gather(*(core.sync(a) for a in accounts))
        took = time.perf_counter() - t0
        stored = sum(a.call_count for a in core.store.accounts())
        per = {r.account: r.seconds for r in reports}
        assert all(r.state == "ok" for r in reports), [r.summary_line() for r in reports]
        requests = sum(r.requests for r in reports)
        core.close()
    return took, requests, stored, per


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=2000, help="calls per provider")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    proc, urls = start_simulator(args.calls)
    try:
        floors, syncs = [], []
        asyncio.run(floor(urls))  # warm-up: connections, caches
        for i in range(args.rounds):
            f, f_req = asyncio.run(floor(urls))
            s, s_req, stored, per = asyncio.run(full_sync(urls))
            floors.append(f)
            syncs.append(s)
            print(f"round {i + 1}: floor {f:.2f} s ({f_req} requests)   sync {s:.2f} s ({s_req} requests, "
                  f"{stored} calls stored; " + ", ".join(f"{k} {v:.2f} s" for k, v in per.items()) + ")")
        fm, sm = statistics.median(floors), statistics.median(syncs)
        print(json.dumps({"calls": 3 * args.calls, "floor_s": round(fm, 3), "sync_s": round(sm, 3),
                          "ratio": round(sm / fm, 2), "target_ratio": 1.5}))
        print(f"first sync of {3 * args.calls} calls: {sm:.2f} s vs floor {fm:.2f} s -> {sm / fm:.2f}x "
              f"(target <= 1.5x)")
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
