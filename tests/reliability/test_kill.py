"""`callviewer sync` killed with SIGKILL at random points, 30 times: the cache stays sound, the
sync's worker processes exit with it, and the next sync completes without duplicates.

The sync runs as a real subprocess (`python -m callviewer sync`, keys in the real keyring through
`accounts add --api-key-stdin`) against a simulator in this process, slowed down so that a sync
takes a few seconds and the kills land while it lists, fetches and writes.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from callviewer.simulator import Simulator
from tests.conftest import SIM_KEYS
from tests.core.test_keyring import needs_secret_service
from tests.reliability.conftest import cv, env

KILLS = 30
SEED = 20240501
PROVIDERS = ("atlas", "callab", "vatel")


def children_of(pid: int) -> set[int]:
    """Every descendant of `pid` (from /proc)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        parents[int(entry)] = int(fields[1])
    found: set[int] = set()
    todo = [pid]
    while todo:
        p = todo.pop()
        for child, parent in parents.items():
            if parent == p and child not in found:
                found.add(child)
                todo.append(child)
    return found


def running(pid: int) -> bool:
    """True while `pid` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def integrity(db: Path) -> tuple[str, int, int]:
    con = sqlite3.connect(db)
    try:
        check = con.execute("PRAGMA integrity_check").fetchone()[0]
        total, distinct = con.execute(
            "SELECT count(*), count(DISTINCT account_id || ':' || provider_call_id) FROM calls").fetchone()
        return check, total, distinct
    finally:
        con.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@needs_secret_service
def test_sync_killed_at_random_points(tmp_path):
    rng = random.Random(SEED)
    profile = tmp_path / "profile"
    with Simulator(calls_per_provider=300, seed=SEED).start() as sim:
        sim.warm()
        for provider in PROVIDERS:
            proc = cv(profile, "accounts", "add", provider, "--provider", provider, "--base-url",
                      sim.base_urls[provider], "--api-key-stdin", stdin=SIM_KEYS[provider] + "\n")
            assert proc.returncode == 0, proc.stderr
        # every request takes a little while: a sync takes a few seconds
        sim.faults.add(None, "slow", times=None, delay=0.12)

        started = time.monotonic()
        kill_points = []
        mid_sync = with_workers = 0
        for i in range(KILLS):
            # something to do each time: new calls, and changed ones
            for provider in PROVIDERS:
                sim.add_calls(provider, 10)
                ids = sim.call_ids(provider)
                sim.update_call(provider, rng.choice(ids), cost=round(rng.uniform(0, 2), 4))
            args = ["sync"] + (["--full"] if i % 3 == 2 else [])
            proc = subprocess.Popen([sys.executable, "-m", "callviewer", *args, "--profile", str(profile)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env())
            # The kill lands at a random point once the sync has read its keys (its worker
            # processes start right after): while it lists, fetches and writes. (A client killed
            # in the middle of a D-Bus call to the keyring daemon is the daemon's business, and
            # once seemed to upset the private gnome-keyring the later keyring tests share.)
            at = rng.uniform(0.0, 2.5)
            kill_points.append(round(at, 2))
            family: set[int] = set()
            begun = time.monotonic()
            while not family and proc.poll() is None and time.monotonic() - begun < 30:
                family |= children_of(proc.pid)  # the worker processes (and multiprocessing's helper)
                time.sleep(0.02)
            deadline = time.monotonic() + at
            while time.monotonic() < deadline and proc.poll() is None:
                family |= children_of(proc.pid)
                time.sleep(0.05)
            family |= children_of(proc.pid)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                mid_sync += 1
                with_workers += bool(family)
            proc.wait(timeout=10)
            # the workers notice their parent is gone and exit: none keeps writing
            gone_by = time.monotonic() + 10
            while any(running(p) for p in family) and time.monotonic() < gone_by:
                time.sleep(0.05)
            left = [p for p in family if running(p)]
            for p in left:
                os.kill(p, signal.SIGKILL)
            assert not left, f"kill {i} at {at:.2f} s left processes running: {left}"
            check, total, distinct = integrity(profile / "callviewer.db")
            assert check == "ok", f"kill {i} at {at:.2f} s: {check}"
            assert total == distinct
        kills_took = time.monotonic() - started

        sim.faults.clear()
        proc = cv(profile, "sync", timeout=300)
        assert proc.returncode == 0, proc.stderr
        assert len(proc.stdout.strip().splitlines()) == 3

    import json

    calls = json.loads(cv(profile, "calls", "list", "--json").stdout)
    for provider in PROVIDERS:
        got = [c["provider_call_id"] for c in calls if c["provider"] == provider]
        assert len(got) == len(set(got)), f"duplicates in {provider}"
        assert set(got) == set(sim.call_ids(provider)), provider
    check, total, distinct = integrity(profile / "callviewer.db")
    assert check == "ok" and total == distinct == sum(len(sim.call_ids(p)) for p in PROVIDERS)
    accounts = json.loads(cv(profile, "accounts", "list", "--json").stdout)
    assert {a["last_sync_state"] for a in accounts} == {"ok"}
    print(f"{KILLS} kills at {kill_points} took {kills_took:.1f} s; {mid_sync} landed mid-sync, "
          f"{with_workers} with worker processes running")
    assert mid_sync >= KILLS * 2 // 3 and with_workers >= KILLS * 2 // 3  # the kills did hit syncs
    assert kills_took < 170
