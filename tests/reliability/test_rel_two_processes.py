"""Two callviewer processes on one profile (the window open while a cron `callviewer sync` runs):
no corruption, no "database is locked" crash, and a clear message where one has to give up.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from callviewer.simulator import Simulator
from tests.conftest import SIM_KEYS
from tests.core.test_keyring import needs_secret_service
from tests.reliability.conftest import cv, env

PROVIDERS = ("atlas", "callab", "vatel")
BUSY_TEXT = "the cache is busy (another callviewer is writing); try again"


def start(profile: Path, *args: str, **extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "callviewer", *args, "--profile", str(profile)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env(**extra))


def no_crash(text: str) -> None:
    assert "Traceback" not in text, text
    assert "database is locked" not in text, text
    assert "internal error" not in text, text


def add_accounts(profile: Path, sim: Simulator) -> None:
    for provider in PROVIDERS:
        proc = cv(profile, "accounts", "add", provider, "--provider", provider, "--base-url",
                  sim.base_urls[provider], "--api-key-stdin", "--no-verify", stdin=SIM_KEYS[provider] + "\n")
        assert proc.returncode == 0, proc.stderr


@needs_secret_service
def test_two_syncs_and_readers_on_one_profile(tmp_path):
    profile = tmp_path / "profile"
    with Simulator(calls_per_provider=400, seed=9).start() as sim:
        sim.warm()
        add_accounts(profile, sim)
        sim.faults.add(None, "slow", times=None, delay=0.01)
        syncs = [start(profile, "sync"), start(profile, "sync", "--full")]
        readers: list[subprocess.CompletedProcess] = []
        stop = threading.Event()

        def read_loop() -> None:
            commands = [("calls", "list", "--limit", "50"), ("calls", "list", "--search", "refund", "--json"),
                        ("accounts", "list", "--json"), ("calls", "list", "--json")]
            i = 0
            while not stop.is_set():
                readers.append(cv(profile, *commands[i % len(commands)], timeout=60))
                i += 1

        reader = threading.Thread(target=read_loop)
        reader.start()
        outs = [p.communicate(timeout=240) for p in syncs]
        stop.set()
        reader.join(timeout=120)

        for p, (out, err) in zip(syncs, outs):
            no_crash(err)
            assert p.returncode == 0, err
            assert len(out.strip().splitlines()) == 3, out
        assert len(readers) >= 4
        for r in readers:
            no_crash(r.stderr)
            assert r.returncode == 0, r.stderr

        con = sqlite3.connect(profile / "callviewer.db")
        try:
            assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            total, distinct = con.execute(
                "SELECT count(*), count(DISTINCT account_id || ':' || provider_call_id) FROM calls").fetchone()
        finally:
            con.close()
        assert total == distinct == 3 * 400
        calls = json.loads(cv(profile, "calls", "list", "--json").stdout)
        for provider in PROVIDERS:
            assert {c["provider_call_id"] for c in calls if c["provider"] == provider} == set(sim.call_ids(provider))


def _hold_write_lock(db: Path) -> sqlite3.Connection:
    con = sqlite3.connect(db, isolation_level=None, timeout=0, check_same_thread=False)
    con.execute("BEGIN IMMEDIATE")
    con.execute("UPDATE accounts SET last_error = last_error")
    return con


@needs_secret_service
def test_a_writer_that_holds_the_cache_too_long_gives_a_clear_message(tmp_path):
    profile = tmp_path / "profile"
    with Simulator(calls_per_provider=30, seed=2).start() as sim:
        add_accounts(profile, sim)
        holder = _hold_write_lock(profile / "callviewer.db")
        try:
            started = time.monotonic()
            proc = cv(profile, "sync", "vatel", CALLVIEWER_BUSY_TIMEOUT="1")
            took = time.monotonic() - started
            no_crash(proc.stderr)
            assert proc.returncode == 1
            assert BUSY_TEXT in proc.stderr
            assert took < 30
            # a write in the command's own process says the same, in one line
            proc = cv(profile, "accounts", "add", "more", "--provider", "vatel", "--base-url",
                      sim.base_urls["vatel"], "--api-key-stdin", "--no-verify",
                      stdin=SIM_KEYS["vatel"] + "\n", CALLVIEWER_BUSY_TIMEOUT="1")
            no_crash(proc.stderr)
            assert proc.returncode == 1
            assert proc.stderr.strip().splitlines() == [f"callviewer: {BUSY_TEXT}"]
            # readers are not blocked by a writer (WAL)
            proc = cv(profile, "accounts", "list", "--json", CALLVIEWER_BUSY_TIMEOUT="1")
            assert proc.returncode == 0 and len(json.loads(proc.stdout)) == 3
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        # nothing half-done: the account that could not be added is not there, nor its key
        import keyring

        profile_id = (profile / "profile-id").read_text().strip()
        assert keyring.get_password("callviewer", f"{profile_id}:more") is None
        proc = cv(profile, "sync")
        assert proc.returncode == 0, proc.stderr


@needs_secret_service
def test_a_short_wait_for_another_writer_is_waited_out(tmp_path):
    profile = tmp_path / "profile"
    with Simulator(calls_per_provider=30, seed=2).start() as sim:
        add_accounts(profile, sim)
        holder = _hold_write_lock(profile / "callviewer.db")
        release = threading.Timer(1.5, lambda: (holder.execute("ROLLBACK"), holder.close()))
        release.start()
        try:
            proc = cv(profile, "sync", CALLVIEWER_BUSY_TIMEOUT="20")
        finally:
            release.join()
        no_crash(proc.stderr)
        assert proc.returncode == 0, proc.stderr
        accounts = json.loads(cv(profile, "accounts", "list", "--json").stdout)
        assert [a["call_count"] for a in accounts] == [30, 30, 30]


def test_busy_timeout_comes_from_the_environment(monkeypatch):
    from callviewer.store.db import BUSY_TIMEOUT_MS, WRITE_RETRY_S, busy_limits

    monkeypatch.delenv("CALLVIEWER_BUSY_TIMEOUT", raising=False)
    assert busy_limits() == (BUSY_TIMEOUT_MS, WRITE_RETRY_S)
    monkeypatch.setenv("CALLVIEWER_BUSY_TIMEOUT", "2.5")
    assert busy_limits() == (2500, 0.0)
    monkeypatch.setenv("CALLVIEWER_BUSY_TIMEOUT", "60")
    assert busy_limits() == (15000, 45.0)
    monkeypatch.setenv("CALLVIEWER_BUSY_TIMEOUT", "soon")
    assert busy_limits() == (BUSY_TIMEOUT_MS, WRITE_RETRY_S)


def test_the_store_says_busy_instead_of_locked(tmp_path, monkeypatch):
    from callviewer.store import CacheBusy, Store

    monkeypatch.setenv("CALLVIEWER_BUSY_TIMEOUT", "0.3")
    path = tmp_path / "callviewer.db"
    store = Store(path)
    store.add_account("a", "vatel", "https://x")
    holder = _hold_write_lock(path)
    try:
        with pytest.raises(CacheBusy) as err:
            store.add_account("b", "vatel", "https://x")
        assert str(err.value) == BUSY_TEXT
        assert [a.name for a in store.accounts()] == ["a"]  # reading still works
        import pickle

        assert str(pickle.loads(pickle.dumps(err.value))) == BUSY_TEXT  # crosses from a worker
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        store.close()
