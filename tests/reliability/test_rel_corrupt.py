"""A damaged cache file: detected, moved aside (kept, never deleted), rebuilt from the providers,
the user told; the accounts survive (their definitions are also kept in `accounts.json`)."""

from __future__ import annotations

import asyncio
import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from callviewer.core import Core, open_core
from callviewer.profile import Profile
from callviewer.secrets import MemoryKeyStore, Secret
from callviewer.simulator import Simulator
from callviewer.store import CallQuery
from tests.conftest import FAST_RETRY, SIM_KEYS
from tests.core.test_keyring import needs_secret_service
from tests.reliability.conftest import cv
from tests.store.store_helpers import damage_table

PROVIDERS = ("atlas", "callab", "vatel")


def garbage(path: Path) -> None:
    for suffix in ("-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    path.write_bytes(os.urandom(64 * 1024))


def corrupt(path: Path, how: str) -> None:
    if how == "garbage":
        garbage(path)
    else:
        damage_table(path, "calls")


@pytest.fixture(scope="module")
def sim():
    s = Simulator(calls_per_provider=120, seed=4).start()
    yield s
    s.stop()


def open_memory_core(profile: Profile):
    keys = MemoryKeyStore(SIM_KEYS)
    return open_core(profile, keys, client_kw={"retry": FAST_RETRY}, sync_worker="thread")


def synced_profile(tmp_path, sim) -> Profile:
    """A profile with the three accounts synced (in a thread of its own: the window tests'
    loop may be running in this one)."""
    profile = Profile.open(tmp_path / "profile")

    def work() -> None:
        core, notice = open_memory_core(profile)
        assert notice is None
        try:
            async def go():
                for p in PROVIDERS:
                    acc = await core.add_account(p, p, Secret(SIM_KEYS[p]), base_url=sim.base_urls[p],
                                                 verify=False)
                    assert (await core.sync(acc)).state == "ok"
            asyncio.run(go())
        finally:
            core.close()

    with ThreadPoolExecutor(1) as pool:
        pool.submit(work).result()
    return profile


def test_accounts_file_follows_every_change_and_never_holds_a_key(tmp_path, sim):
    profile = Profile.open(tmp_path / "p")
    core = Core.open(profile, MemoryKeyStore())
    try:
        async def go():
            await core.add_account("one", "vatel", Secret("sk-canary-accounts-file"), base_url=sim.base_urls["vatel"],
                                   verify=False)
            await core.add_account("two", "atlas", Secret("sk-canary-accounts-file"), base_url=sim.base_urls["atlas"],
                                   verify=False)
        asyncio.run(go())
        data = json.loads((profile.root / "accounts.json").read_text())
        assert [(a["name"], a["provider"], a["base_url"]) for a in data["accounts"]] == [
            ("one", "vatel", sim.base_urls["vatel"]), ("two", "atlas", sim.base_urls["atlas"])]
        core.store.update_account("one", new_name="uno", base_url="https://api.vatel.ai/v1")
        core.remove_account("two")
        data = json.loads((profile.root / "accounts.json").read_text())
        assert [(a["name"], a["base_url"]) for a in data["accounts"]] == [("uno", "https://api.vatel.ai/v1")]
        assert b"canary" not in (profile.root / "accounts.json").read_bytes()
        assert not list(profile.root.glob(".accounts.json*"))  # no temporary file left
    finally:
        core.close()


@pytest.mark.parametrize("how", ["garbage", "damaged-calls-page"])
def test_a_damaged_cache_is_moved_aside_and_rebuilt_with_its_accounts(tmp_path, sim, how):
    profile = synced_profile(tmp_path, sim)
    corrupt(profile.db_path, how)
    damaged = profile.db_path.read_bytes()

    core, notice = open_memory_core(profile)
    try:
        assert notice and "damaged" in notice and "moved aside" in notice and "3 accounts" in notice
        moved = sorted(profile.root.glob("callviewer.db.corrupt-*"))
        assert [m.name for m in moved if not m.name.endswith(("-wal", "-shm"))][0] in notice
        assert moved[0].read_bytes() == damaged  # kept as it was, never deleted
        assert [a.name for a in core.store.accounts()] == list(PROVIDERS)
        assert core.store.count() == 0

        async def refill():
            return [await core.sync(a) for a in core.store.accounts()]
        reports = asyncio.run(refill())
        assert {r.state for r in reports} == {"ok"}
        for acc in core.store.accounts():
            ids = {c.provider_call_id for c in core.store.list_calls(CallQuery(account_ids=[acc.id]))}
            assert ids == set(sim.call_ids(acc.provider))
    finally:
        core.close()
    # opening again: no notice, and the moved-aside file is still there
    core, notice = open_memory_core(profile)
    core.close()
    assert notice is None
    assert list(profile.root.glob("callviewer.db.corrupt-*"))[0].exists()


def test_damage_found_while_in_use_is_moved_aside_at_the_next_start(tmp_path, sim):
    """Damage in the bulk data is not seen by the quick check on open; a read that meets it says
    so, and the next start checks the whole file and moves it aside."""
    from callviewer.cli import run_cli

    profile = synced_profile(tmp_path, sim)
    damage_table(profile.db_path, "call_data", n_pages=20)
    import io

    out, err = io.StringIO(), io.StringIO()
    code = run_cli(["calls", "list", "--json", "--full", "--profile", str(profile.root)], out=out, err=err)
    assert code == 1
    assert "Traceback" not in err.getvalue()
    assert err.getvalue().startswith("callviewer: the local cache is damaged")
    assert len(err.getvalue().strip().splitlines()) == 1
    core, notice = open_memory_core(profile)
    try:
        assert notice and "moved aside" in notice
        assert [a.name for a in core.store.accounts()] == list(PROVIDERS)
    finally:
        core.close()


# -- the command line ---------------------------------------------------------------------------



@needs_secret_service
@pytest.mark.parametrize("how", ["garbage", "damaged-calls-page"])
def test_the_command_line_on_a_damaged_cache(tmp_path, sim, how):
    p = tmp_path / "profile"
    for provider in PROVIDERS:
        proc = cv(p, "accounts", "add", provider, "--provider", provider, "--base-url", sim.base_urls[provider],
                  "--api-key-stdin", "--no-verify", stdin=SIM_KEYS[provider] + "\n")
        assert proc.returncode == 0, proc.stderr
    assert cv(p, "sync").returncode == 0
    corrupt(p / "callviewer.db", how)

    first = cv(p, "calls", "list")  # the first command to open it tells, and goes on
    assert first.returncode == 0, first.stderr
    assert "Traceback" not in first.stderr
    assert "moved aside" in first.stderr and "a sync will rebuild it" in first.stderr
    accounts = json.loads(cv(p, "accounts", "list", "--json").stdout)
    assert [a["name"] for a in accounts] == list(PROVIDERS)
    assert [a["call_count"] for a in accounts] == [0, 0, 0]
    proc = cv(p, "sync")  # the keys are still in the keyring
    assert proc.returncode == 0, proc.stderr
    calls = json.loads(cv(p, "calls", "list", "--json").stdout)
    for provider in PROVIDERS:
        assert {c["provider_call_id"] for c in calls if c["provider"] == provider} == set(sim.call_ids(provider))
    assert list(p.glob("callviewer.db.corrupt-*"))


# -- the window ------------------------------------------------------------------------------------

@pytest.fixture
def _loop(rel_loop_running):
    yield


def test_the_window_opens_on_a_damaged_cache_with_a_notice_and_its_accounts(qtbot, tmp_path, sim, _loop):
    from tests.reliability.conftest import close_window, make_window, sync_and_wait

    profile = synced_profile(tmp_path, sim)
    garbage(profile.db_path)
    # what `callviewer` (ui/app.py run_gui) does on start: open_core, then show its notice
    core, notice = open_memory_core(profile)
    w = make_window(qtbot, core, tmp_path)
    try:
        assert notice
        w.show_notice(notice)
        assert w.notice.isVisible() and "moved aside" in w.notice_label.text()
        assert set(w.accounts()) == set(PROVIDERS)
        assert not w.showing_welcome()
        assert w.call_model.rowCount() == 0
        reports = sync_and_wait(qtbot, w)
        assert {r.state for r in reports.values()} == {"ok"}
        qtbot.waitUntil(lambda: w.call_model.totals() is not None
                        and w.call_model.totals().count == 3 * 120, timeout=20_000)
    finally:
        close_window(qtbot, w)
        core.close()
