"""How `callviewer` itself starts (`fast_start`): the first rows first; the detail pane, the check
of the cache's calls table, tooltips and the asyncio loop just after. In this process (a window
on a real cache) and as the real program (`python -m callviewer` in a subprocess)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid

import pytest
from PySide6.QtCore import QByteArray, QSettings

from callviewer.core import damaged_mark, open_core
from callviewer.profile import Profile
from callviewer.secrets import MemoryKeyStore
from callviewer.store import Store
from callviewer.ui.app import create_window
from tests.store.store_helpers import damage_table, make_call, record

WAIT = 15_000
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module", autouse=True)
def _loop_active(loop_running):
    """The session's qasync loop counts as running here (a call shown starts a recording fetch)."""
    yield


def _profile(tmp_path, calls: int = 60) -> Profile:
    profile = Profile.open(tmp_path / "profile")
    with Store(profile.db_path) as store:
        acct = store.add_account("prod", "atlas", "https://api.youratlas.com/v1/api")
        store.upsert_calls(acct.id, [record(make_call(i, turns=20)) for i in range(calls)])
    return profile


def _settings(tmp_path) -> QSettings:
    return QSettings(str(tmp_path / f"settings-{uuid.uuid4().hex[:6]}.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def fast(qtbot, tmp_path):
    """A fast-start window (not shown yet) on a cache of 60 calls opened with the light check."""
    core, notice = open_core(_profile(tmp_path), MemoryKeyStore(), check="light")
    assert notice is None
    w = create_window(core, _settings(tmp_path), fast_start=True)
    yield w
    w.close()
    w.deleteLater()
    qtbot.wait(10)
    core.close()


def _all_calls_text(window) -> str:
    return window.sidebar_model.all_calls_index().data()


def test_the_detail_pane_is_built_after_the_first_rows(qtbot, fast):
    assert not fast.details_built()
    assert fast.call_model.rowCount() > 0
    assert _all_calls_text(fast) == "All calls"  # (counted after the first paint)
    assert fast.call_model.totals() is None  # (the footer's totals: likewise)
    fast.show()
    qtbot.waitUntil(lambda: fast.call_model.totals() is not None, timeout=WAIT)
    assert fast.call_model.totals().count == 60
    qtbot.waitUntil(fast.details_built, timeout=WAIT)
    qtbot.waitUntil(lambda: _all_calls_text(fast) == "All calls (60)", timeout=WAIT)
    assert fast.sidebar_model.index_for_account("prod").data().startswith("prod (60)\n")
    # ... and the calls table was checked on a worker thread, and found sound
    qtbot.waitUntil(lambda: fast._cache_check is not None and not fast._cache_check.is_alive(),
                    timeout=WAIT)
    assert not fast.notice.isVisible()
    fast.table.select_row(0)
    qtbot.waitUntil(lambda: fast.current_call() is not None, timeout=WAIT)
    assert fast.detail_stack.currentWidget() is fast.details_page
    assert fast.header.isVisibleTo(fast)


def test_a_call_shown_before_the_first_paint_builds_the_pane_at_once(qtbot, fast):
    rowid = fast.call_model.rowid_at(0)
    fast.show_call(rowid)
    assert fast.details_built()
    assert fast.current_call() is not None
    assert fast.detail_stack.currentWidget() is fast.details_page
    fast.toggle_play()  # (no recording: nothing happens, nothing breaks)
    fast.seek_relative(5)


def test_closing_before_the_pane_is_built_keeps_its_saved_layout(qtbot, tmp_path):
    core, _ = open_core(_profile(tmp_path, 5), MemoryKeyStore(), check="light")
    try:
        settings = _settings(tmp_path)
        first = create_window(core, settings)  # built at once: its layout is saved
        first.detail_tabs.setCurrentIndex(2)
        first.detail_splitter.setSizes([500, 100])
        first.save_state()
        saved = settings.value("window/detailSplitter")
        first.close()
        first.deleteLater()

        second = create_window(core, settings, fast_start=True)
        second.save_state()  # before its pane exists
        assert settings.value("details/tab") in (2, "2")
        assert QByteArray(settings.value("window/detailSplitter")) == QByteArray(saved)
        second.ensure_details()
        assert second.detail_tabs.currentIndex() == 2
        second.close()
        second.deleteLater()
    finally:
        core.close()


def test_damage_in_the_calls_table_is_found_after_the_first_rows(qtbot, tmp_path):
    profile = _profile(tmp_path, 400)
    damage_table(profile.db_path, "calls")
    core, notice = open_core(profile, MemoryKeyStore(), check="light")  # opens: not checked yet
    assert notice is None
    try:
        w = create_window(core, _settings(tmp_path), fast_start=True)
        w.show()
        qtbot.waitUntil(lambda: w.notice.isVisible(), timeout=WAIT)
        text = w.notice_label.text()
        assert "damaged" in text and "start callviewer again" in text
        assert damaged_mark(profile).exists()
        w.close()
        w.deleteLater()
    finally:
        core.close()
    # the next start checks the whole file, moves it aside (kept) and starts afresh
    core, notice = open_core(profile, MemoryKeyStore())
    try:
        assert notice and "moved aside" in notice
        assert [a.name for a in core.store.accounts()] == ["prod"]
        assert not damaged_mark(profile).exists()
    finally:
        core.close()


# -- the real program --------------------------------------------------------------------------

def _run(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    full = dict(os.environ, QT_QPA_PLATFORM="offscreen", QT_LOGGING_RULES="qt.multimedia.*=false")
    full.update(env)
    return subprocess.run([sys.executable, "-m", "callviewer", *args], cwd=ROOT, env=full,
                          capture_output=True, text=True, timeout=timeout)


def test_the_program_paints_its_first_rows_and_quits_cleanly(tmp_path):
    profile = _profile(tmp_path, 300)
    proc = _run(["--profile", str(profile.root)], {"CALLVIEWER_BENCH_STARTUP": "1"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    m = re.search(r"^first-rows (\d+\.\d+)$", proc.stderr, re.M)
    assert m and 0 < float(m.group(1)) < 60
    assert "Traceback" not in proc.stderr


def test_the_demo_program_syncs_on_its_asyncio_loop_and_quits_cleanly(tmp_path):
    proc = _run(["--demo"], {"CALLVIEWER_QUIT_AFTER": "8", "HOME": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    m = re.search(r"quit after 8 s \(CALLVIEWER_QUIT_AFTER\): (\d+) accounts, (\d+) calls", proc.stderr)
    assert m, proc.stderr[-2000:]
    assert int(m.group(1)) == 3 and int(m.group(2)) > 0  # the loop ran: accounts added, calls synced
    assert "Traceback" not in proc.stderr


def test_the_program_on_a_new_profile_shows_the_welcome_page_and_quits_cleanly(tmp_path):
    """No account: the list is never painted, so the asyncio loop comes from the fallback timer."""
    proc = _run(["--profile", str(tmp_path / "new")], {"CALLVIEWER_QUIT_AFTER": "1.5"})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "quit after 1.5 s (CALLVIEWER_QUIT_AFTER): 0 accounts, 0 calls" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_first_account_on_the_welcome_page_gets_its_totals_and_pane(qtbot, tmp_path):
    """No account at start: nothing is painted in the list, so what waits for its first paint
    waits until the list is shown (here: an account with calls appears)."""
    profile = Profile.open(tmp_path / "new")
    core, _ = open_core(profile, MemoryKeyStore(), check="light")
    try:
        w = create_window(core, _settings(tmp_path), fast_start=True)
        w.show()
        qtbot.waitUntil(w.showing_welcome, timeout=WAIT)
        qtbot.wait(50)
        assert not w.details_built()
        acct = core.store.add_account("prod", "atlas", "https://api.youratlas.com/v1/api")
        core.store.upsert_calls(acct.id, [record(make_call(i)) for i in range(7)])
        w.refresh_accounts()
        qtbot.waitUntil(lambda: w.details_built() and w.call_model.totals() is not None, timeout=WAIT)
        assert w.call_model.totals().count == 7
        w.close()
        w.deleteLater()
    finally:
        core.close()
