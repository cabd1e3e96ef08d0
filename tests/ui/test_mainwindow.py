"""The main window against a real simulator on 127.0.0.1, driven through the qasync loop.

One qasync loop for the whole session (`QEventLoop(qapp, already_running=True)`): async work is
scheduled as tasks on it and waited for with `qtbot.waitUntil` from ordinary tests (never
`waitSignal` inside an `async def` test: that hangs).
"""

from __future__ import annotations

import asyncio
import re
import uuid

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtWidgets import QLabel, QMessageBox

from callviewer.core import Core
from callviewer.domain import Call, Turn
from callviewer.profile import Profile
from callviewer.secrets import MemoryKeyStore, OsKeyStore, Secret
from callviewer.store import CallRecord, Store
from callviewer.ui.accountdialog import CONNECTED_TEXT, AccountDialog
from callviewer.core import move_corrupt_cache, open_core
from callviewer.ui.app import create_window
from callviewer.ui.mainwindow import NOT_LISTED_TEXT, MainWindow, widget_owns_key
from callviewer.ui.models.sidebar import AccountNameRole, NodeKindRole
from callviewer.ui.player import LOADING_TEXT, NO_RECORDING_TEXT
from tests.conftest import FAST_RETRY, SIM_KEYS
from tests.core.test_keyring import needs_secret_service

WAIT = 15_000  # generous: the test machine may be a loaded 2-core box
CALLS = 30


# -- the loop (the session's one qasync loop is in conftest.py) -------------------------------

@pytest.fixture(scope="module", autouse=True)
def _loop_active(loop_running):
    """The qasync loop counts as running while this module's tests run."""
    yield


def run(qtbot, coro, timeout: int = WAIT):
    """Runs a coroutine as a task on the qasync loop and waits for it from this (sync) test."""
    task = asyncio.ensure_future(coro)
    qtbot.waitUntil(task.done, timeout=timeout)
    return task.result()


# -- fixtures --------------------------------------------------------------------------------

@pytest.fixture
def sim30():
    from callviewer.simulator import Simulator

    s = Simulator(calls_per_provider=CALLS, seed=5).start()
    yield s
    s.stop()


@pytest.fixture
def wcore(tmp_path):
    profile = Profile.open(tmp_path / "profile")
    c = Core.open(profile, MemoryKeyStore(), client_kw={"retry": FAST_RETRY})
    yield c
    c.close()


def make_window(qtbot, core: Core, tmp_path, *, demo: bool = False,
                settings_path=None) -> MainWindow:
    """A shown window. Not given to qtbot.addWidget: `close_window` stops its tasks first."""
    path = settings_path or tmp_path / f"settings-{uuid.uuid4().hex[:6]}.ini"
    w = create_window(core, QSettings(str(path), QSettings.Format.IniFormat), demo=demo)
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()
    return w


def close_window(qtbot, w: MainWindow) -> None:
    run(qtbot, w.shutdown())
    w.close()
    qtbot.waitUntil(lambda: not w.isVisible(), timeout=WAIT)
    w.deleteLater()
    qtbot.wait(10)


@pytest.fixture
def window(qtbot, wcore, tmp_path, qloop):
    w = make_window(qtbot, wcore, tmp_path)
    yield w
    close_window(qtbot, w)


def add_accounts(qtbot, core: Core, sim, providers=("atlas", "callab", "vatel"), *, key=None) -> list[str]:
    names = []
    for p in providers:
        name = f"{p.title()} test"
        run(qtbot, core.add_account(name, p, Secret(key or SIM_KEYS[p]), base_url=sim.base_urls[p],
                                    verify=False))
        names.append(name)
    return names


def sync_and_wait(qtbot, window: MainWindow, names=None) -> dict[str, object]:
    reports: dict[str, object] = {}
    window.sync_controller.finished.connect(lambda n, r: reports.__setitem__(n, r))
    started = window.sync_accounts(names) if names is not None else window.sync_all()
    assert started
    qtbot.waitUntil(lambda: all(n in reports for n in started), timeout=WAIT)
    qtbot.waitUntil(lambda: not window.sync_controller.is_running(), timeout=WAIT)
    return reports


def account_text(window: MainWindow, name: str) -> str:
    return window.sidebar_model.index_for_account(name).data() or ""


@pytest.fixture
def synced(qtbot, window, wcore, sim30):
    names = add_accounts(qtbot, wcore, sim30)
    window.refresh_accounts()
    sync_and_wait(qtbot, window)
    return names


def select_row(qtbot, window: MainWindow, row: int) -> int:
    assert window.table.select_row(row)
    rowid = window.call_model.rowid_at(row)
    qtbot.waitUntil(lambda: window.current_call() is not None and window._current_rowid == rowid,
                    timeout=WAIT)
    return rowid


# -- tests -----------------------------------------------------------------------------------

def test_window_builds_with_the_first_run_state(window):
    assert window.windowTitle() == "callviewer"
    assert window.showing_welcome()
    texts = {lab.text() for lab in window.empty_page.findChildren(QLabel)}
    assert "Welcome to callviewer" in texts
    assert window.empty_add_button.text() == "Add account…"
    assert window.demo_button.text() == "Try the demo"
    menus = {a.text().replace("&", ""): [x.text().replace("&", "") for x in a.menu().actions()]
             for a in window.menuBar().actions()}
    assert menus["File"][:2] == ["Add account…", "Sync all"] and "Quit" in menus["File"]
    assert "About callviewer" in menus["Help"]
    for w in (window.sync_button, window.cancel_sync_button, window.add_account_button, window.sidebar,
              window.table, window.progress_bar, window.filter_bar.search):
        assert w.accessibleName()
    assert not window.progress_bar.isVisible() and not window.cancel_sync_button.isVisible()
    about = window.open_about()
    assert about.isVisible() and "callviewer" in about.text()
    about.close()


def test_demo_title(qtbot, wcore, tmp_path, qloop):
    w = make_window(qtbot, wcore, tmp_path, demo=True)
    assert w.windowTitle() == "callviewer — demo"
    close_window(qtbot, w)


def test_sync_fills_the_list_with_progress_and_states(qtbot, window, wcore, sim30):
    names = add_accounts(qtbot, wcore, sim30)
    window.refresh_accounts()
    assert not window.showing_welcome()
    progress: list[tuple[str, int, int]] = []
    window.sync_controller.progress.connect(lambda n, d, t: progress.append((n, d, t)))
    reports = sync_and_wait(qtbot, window)
    assert {r.state for r in reports.values()} == {"ok"}, [r.summary_line() for r in reports.values()]
    assert {n for n, _d, _t in progress} == set(names)
    assert any(t > 0 and d > 0 for _n, d, t in progress)
    total = wcore.store.count()
    assert total >= 3 * CALLS - 3
    qtbot.waitUntil(lambda: window.call_model.totals() is not None
                    and window.call_model.totals().count == total, timeout=WAIT)
    assert window.call_model.rowCount() == min(total, window.call_model.page_size())
    assert f"{total:,} calls" in window.footer.text()
    for name in names:
        assert "synced" in account_text(window, name)
    assert not window.progress_bar.isVisible() and not window.cancel_sync_button.isVisible()
    assert "new" in window.statusBar().currentMessage()


def test_sidebar_account_node_filters_the_list(qtbot, window, synced, wcore):
    name = synced[1]
    index = window.sidebar_model.index_for_account(name)
    window.sidebar.setCurrentIndex(index)
    account = wcore.store.get_account(name)
    qtbot.waitUntil(lambda: window.call_model.query().account_ids == [account.id], timeout=WAIT)
    rows = [window.call_model.call_row(r) for r in range(window.call_model.rowCount())]
    assert rows and {r.account for r in rows} == {name}
    window.sidebar.setCurrentIndex(window.sidebar_model.all_calls_index())
    qtbot.waitUntil(lambda: window.call_model.query().account_ids is None, timeout=WAIT)


def test_cancel_during_a_slow_sync(qtbot, window, wcore, sim30):
    (name,) = add_accounts(qtbot, wcore, sim30, ("atlas",))
    window.refresh_accounts()
    sim30.faults.add("atlas", "slow", times=None, delay=0.2)
    reports: dict[str, object] = {}
    window.sync_controller.finished.connect(lambda n, r: reports.__setitem__(n, r))
    window.sync_all()
    qtbot.waitUntil(lambda: window.cancel_sync_button.isVisible(), timeout=WAIT)
    assert window.progress_bar.isVisible()
    assert "syncing" in account_text(window, name)
    assert not window.sync_button.isEnabled() and not window.act_sync.isEnabled()  # Cancel instead
    qtbot.wait(300)
    qtbot.mouseClick(window.cancel_sync_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: name in reports, timeout=WAIT)
    assert reports[name].state == "cancelled"
    assert not window.sync_controller.is_running()
    qtbot.waitUntil(lambda: "cancelled" in account_text(window, name), timeout=WAIT)
    assert not window.cancel_sync_button.isVisible()
    assert window.sync_button.isEnabled() and window.act_sync.isEnabled()
    assert wcore.store.get_account(name).last_sync_state == "cancelled"


def test_selecting_a_call_fills_the_details(qtbot, window, synced, wcore):
    assert window.detail_stack.currentWidget() is window.no_call_label
    rowid = select_row(qtbot, window, 0)
    call = wcore.store.get_call_by_rowid(rowid)
    assert window.detail_stack.currentWidget() is window.details_page
    assert window.header.text("number") == (call.customer_number or "—")
    assert call.account in window.header.text("account")
    assert window.transcript.model().rowCount() == len(call.transcript)
    if call.cost is not None:
        assert window.cost.total_label.text().startswith("Total")
    window.detail_tabs.setCurrentWidget(window.raw)
    assert window.raw.is_loaded() and call.provider_call_id in window.raw.text()
    # the next call replaces everything
    rowid2 = select_row(qtbot, window, 1)
    call2 = wcore.store.get_call_by_rowid(rowid2)
    assert window.current_call().provider_call_id == call2.provider_call_id
    assert window.transcript.model().rowCount() == len(call2.transcript)


def test_a_call_filtered_out_of_the_list_stays_shown_and_says_so(qtbot, window, synced, wcore):
    rowid = select_row(qtbot, window, 0)
    assert window.not_listed_label.isHidden()
    window.filter_bar.set_search("zzzqqq-no-such-words")  # applies at once: nothing matches
    qtbot.waitUntil(lambda: window.call_model.rowCount() == 0, timeout=WAIT)
    assert window.current_call() is not None and window._current_rowid == rowid  # still shown
    assert not window.not_listed_label.isHidden()
    assert window.not_listed_label.text() == NOT_LISTED_TEXT
    window.filter_bar.clear()  # back in the list: selected again, the mark goes
    qtbot.waitUntil(lambda: window.not_listed_label.isHidden(), timeout=WAIT)
    assert window.table.current_rowid() == rowid


def _call_with_recording(window: MainWindow, min_start: float = 1.0) -> tuple[int, int, float]:
    """(table row, transcript row, start_s) of a recorded call with a turn after `min_start`."""
    model = window.call_model
    for row in range(model.rowCount()):
        r = model.call_row(row)
        if not r.has_recording or (r.duration_s or 0) < min_start + 2:
            continue
        call = window.store.get_call_by_rowid(r.rowid)
        for i, turn in enumerate(call.transcript):
            if turn.kind == "message" and turn.start_s is not None \
                    and min_start <= turn.start_s <= (call.duration_s or 0) - 1:
                return row, i, turn.start_s
    raise AssertionError("no recorded call with a timed turn")


def test_clicking_a_turn_plays_the_real_recording_from_there(qtbot, window, synced):
    row, turn_row, start = _call_with_recording(window)
    select_row(qtbot, window, row)
    player = window.player
    # fetched through the core from the simulator into the profile's cache, then loaded
    qtbot.waitUntil(lambda: player.source() is not None, timeout=WAIT)
    assert player.source().is_file() and player.source().suffix == ".wav"
    assert window.core.profile.recordings_dir in player.source().parents
    view = window.transcript.list_view()
    window.transcript.ensure_laid_out()
    index = window.transcript.model().index(turn_row, 0)
    view.scrollTo(index)
    rect = view.visualRect(index)
    assert rect.isValid()
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(rect.center().x(), rect.center().y()))
    qtbot.waitUntil(lambda: player.is_playing() and player.position() >= start - 0.1, timeout=WAIT)
    qtbot.waitUntil(lambda: window.transcript.playing_row() >= turn_row, timeout=WAIT)
    player.pause()


def test_selecting_again_reuses_the_cached_recording(qtbot, window, synced, sim30):
    row, _turn, _start = _call_with_recording(window)
    select_row(qtbot, window, row)
    qtbot.waitUntil(lambda: window.player.source() is not None, timeout=WAIT)
    first = window.player.source()
    other = next(r for r in range(window.call_model.rowCount())
                 if r != row and not window.call_model.call_row(r).has_recording)
    select_row(qtbot, window, other)
    requests = len(sim30.request_log)
    select_row(qtbot, window, row)
    assert window.player.source() == first  # from the cache at once: no request at all
    qtbot.wait(200)
    assert len(sim30.request_log) == requests


def test_latest_selection_wins_for_recordings(qtbot, window, synced, sim30):
    rows = [r for r in range(window.call_model.rowCount()) if window.call_model.call_row(r).has_recording]
    first, second = rows[0], rows[1]
    sim30.faults.add(None, "slow", path=r"/recordings/", times=None, delay=0.5)
    sim30.faults.add(None, "slow", path=r"/call", times=None, delay=0.3)
    select_row(qtbot, window, first)
    assert window.player.message() == LOADING_TEXT or window.player.source() is not None
    rowid2 = select_row(qtbot, window, second)
    call2 = window.store.get_call_by_rowid(rowid2)
    qtbot.waitUntil(lambda: window.player.source() is not None, timeout=WAIT)
    qtbot.wait(800)  # let the first fetch finish too, had it not been cancelled
    assert call2.provider_call_id.replace("-", "_")[:10] in window.player.source().name.replace("-", "_")


def test_call_without_recording_says_so(qtbot, window, wcore, sim30):
    (name,) = add_accounts(qtbot, wcore, sim30, ("atlas",))
    account = wcore.store.get_account(name)
    call = Call(provider="atlas", provider_call_id="norec-1", customer_number="+15550001",
                started_at="2030-01-01T00:00:00Z", has_recording=False,
                transcript=[Turn("agent", "hello", start_s=0.0)])
    wcore.store.upsert_calls(account.id, [CallRecord("norec-1", {"id": "norec-1"}, call, "l", "d")])
    window.refresh_accounts()
    window.refresh_list()
    rowid = wcore.store.rowid_of(account.id, "norec-1")
    assert window.table.select_rowid(rowid)
    qtbot.waitUntil(lambda: window._current_rowid == rowid, timeout=WAIT)
    assert window.player.message() == NO_RECORDING_TEXT or \
        window.player.waveform.placeholder_text() == NO_RECORDING_TEXT


def test_hostile_markup_shows_literally(qtbot, window, wcore, sim30):
    (name,) = add_accounts(qtbot, wcore, sim30, ("atlas",))
    account = wcore.store.get_account(name)
    evil = "<b>x</b><img src=x>"
    call = Call(provider="atlas", provider_call_id="evil-1", customer_number=evil, status=evil,
                ended_reason=evil, agent_id=evil, summary=evil, sentiment=evil, tags=[evil],
                extracted={evil: evil}, started_at="2030-01-01T00:00:00Z", cost=0.5, currency="USD",
                transcript=[Turn("agent", evil, start_s=0.0), Turn("tool", evil, kind="tool_call",
                                                                 tool_name=evil, start_s=1.0)])
    wcore.store.upsert_calls(account.id, [CallRecord("evil-1", {"id": "evil-1", "x": evil}, call, "l", "d")])
    window.refresh_accounts()
    window.refresh_list()
    rowid = wcore.store.rowid_of(account.id, "evil-1")
    assert window.table.select_rowid(rowid)
    qtbot.waitUntil(lambda: window._current_rowid == rowid, timeout=WAIT)
    labels = [lab for lab in window.findChildren(QLabel) if "<b>" in lab.text() or "<img" in lab.text()]
    assert labels, "the hostile text should be shown somewhere"
    for lab in labels:
        assert lab.textFormat() == Qt.TextFormat.PlainText, lab.objectName()
    model = window.transcript.model()
    assert model.data(model.index(0, 0), Qt.ItemDataRole.DisplayRole) == evil
    assert window.header.text("number") == evil
    # the list shows it as plain data too
    row = window.call_model.row_of_rowid(rowid)
    assert window.call_model.index(row, 3).data() == evil


def test_rejected_key_shows_on_the_account_node(qtbot, window, wcore, sim30):
    (name,) = add_accounts(qtbot, wcore, sim30, ("vatel",), key="definitely-wrong")
    window.refresh_accounts()
    reports = sync_and_wait(qtbot, window)
    assert reports[name].state == "key_rejected"
    qtbot.waitUntil(lambda: "key rejected" in account_text(window, name), timeout=WAIT)
    assert "key rejected" in window.statusBar().currentMessage()
    assert window.isVisible()
    # its empty list says why, and what to do (F5 would only fail again)
    assert window.select_account(name)
    qtbot.waitUntil(lambda: "rejected the API key" in window.table.placeholder(), timeout=WAIT)
    assert "Edit…" in window.table.placeholder() and name in window.table.placeholder()


def test_add_account_dialog_shows_a_wrong_key_inside_the_dialog(qtbot, window, wcore, sim30):
    dialog = window.open_add_account()
    assert isinstance(dialog, AccountDialog) and dialog.isVisible()
    dialog.provider_combo.setCurrentIndex(dialog.provider_combo.findData("callab"))
    dialog.name_edit.setText("Callab prod")
    dialog.key_edit.setText("wrong-key")
    dialog.advanced.set_expanded(True)
    dialog.url_edit.setText(sim30.base_urls["callab"])
    assert dialog.key_edit.echoMode() == dialog.key_edit.EchoMode.Password
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "rejected" in dialog.status_text().lower(), timeout=WAIT)
    assert dialog.isVisible() and not dialog.is_busy()
    assert dialog.status_label.textFormat() == Qt.TextFormat.PlainText
    assert "wrong-key" not in dialog.status_text()
    assert wcore.store.accounts() == []
    # the right key: test, then save (no second verification), then a first sync starts
    dialog.key_edit.setText(SIM_KEYS["callab"])
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.status_text() == CONNECTED_TEXT, timeout=WAIT)
    reports: dict[str, object] = {}
    window.sync_controller.finished.connect(lambda n, r: reports.__setitem__(n, r))
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: [a.name for a in wcore.store.accounts()] == ["Callab prod"], timeout=WAIT)
    qtbot.waitUntil(lambda: "Callab prod" in reports, timeout=WAIT)
    assert reports["Callab prod"].state == "ok"
    assert not window.showing_welcome()
    assert window.sidebar_model.index_for_account("Callab prod").isValid()


def test_add_account_dialog_validates_before_any_request(qtbot, window, wcore):
    dialog = window.open_add_account()
    dialog.name_edit.setText("")
    dialog.key_edit.setText("k")
    dialog.save()
    assert "account name" in dialog.status_text()
    dialog.name_edit.setText("ok name")
    dialog.key_edit.setText("")
    dialog.save()
    assert "API key" in dialog.status_text()
    dialog.key_edit.setText("k")
    dialog.advanced.set_expanded(True)
    dialog.url_edit.setText("ftp://nope")
    dialog.save()
    assert "base URL" in dialog.status_text()
    dialog.reject()
    assert wcore.store.accounts() == []


def test_edit_and_remove_an_account(qtbot, window, wcore, sim30):
    (name,) = add_accounts(qtbot, wcore, sim30, ("vatel",))
    window.refresh_accounts()
    sync_and_wait(qtbot, window)
    index = window.sidebar_model.index_for_account(name)
    assert index.data(NodeKindRole) == "account" and index.data(AccountNameRole) == name
    menu = window.build_account_menu(name)
    assert [a.text() for a in menu.actions() if a.text()] == ["Sync now", "Edit…", "Remove…"]
    # rename (the key moves along)
    dialog = window.open_edit_account(name)
    assert not dialog.provider_combo.isEnabled()
    dialog.name_edit.setText("Vatel renamed")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: [a.name for a in wcore.store.accounts()] == ["Vatel renamed"], timeout=WAIT)
    qtbot.waitUntil(lambda: window._account_dialog is None, timeout=WAIT)  # closed and deleted
    assert wcore.keys.get("Vatel renamed").reveal() == SIM_KEYS["vatel"]
    qtbot.waitUntil(lambda: window.sidebar_model.index_for_account("Vatel renamed").isValid(), timeout=WAIT)
    # remove, after a non-modal confirmation
    box = window.confirm_remove_account("Vatel renamed")
    assert isinstance(box, QMessageBox) and box.isVisible()
    remove = next(b for b in box.buttons() if b.text() == "Remove")
    qtbot.mouseClick(remove, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wcore.store.accounts() == [], timeout=WAIT)
    qtbot.waitUntil(lambda: window.showing_welcome(), timeout=WAIT)
    assert window.call_model.rowCount() == 0


def test_keyboard_j_k_space_and_arrows(qtbot, window, synced):
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=WAIT)
    row, _turn, _start = _call_with_recording(window, min_start=1.0)
    rowid = select_row(qtbot, window, row)
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_J)
    qtbot.waitUntil(lambda: window._current_rowid == window.call_model.rowid_at(row + 1), timeout=WAIT)
    qtbot.keyClick(window.table, Qt.Key.Key_K)
    qtbot.waitUntil(lambda: window._current_rowid == rowid, timeout=WAIT)
    # j/k from the sidebar (not a text field) move through calls too
    window.sidebar.setFocus()
    qtbot.keyClick(window.sidebar, Qt.Key.Key_J)
    qtbot.waitUntil(lambda: window._current_rowid == window.call_model.rowid_at(row + 1), timeout=WAIT)
    qtbot.keyClick(window.sidebar, Qt.Key.Key_K)
    qtbot.waitUntil(lambda: window._current_rowid == rowid, timeout=WAIT)
    # typing into the search box: the keys are text, not shortcuts
    search = window.filter_bar.search
    search.setFocus()
    qtbot.waitUntil(search.hasFocus, timeout=WAIT)
    qtbot.keyClicks(search, "jk ")
    qtbot.keyClick(search, Qt.Key.Key_Left)
    assert search.text() == "jk " and search.cursorPosition() == 2
    assert window._current_rowid == rowid
    assert not window.player.is_playing()
    search.clear()
    # Space plays, → seeks 5 s on
    qtbot.waitUntil(lambda: window.player.duration() > 0, timeout=WAIT)
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_Space)
    qtbot.waitUntil(window.player.is_playing, timeout=WAIT)
    qtbot.keyClick(window.table, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not window.player.is_playing(), timeout=WAIT)
    before = window.player.position()
    qtbot.keyClick(window.table, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: window.player.position() >= min(before + 4.9, window.player.duration() - 0.1),
                    timeout=WAIT)
    # Ctrl+F opens the transcript's find bar, Ctrl+K focuses the search box
    qtbot.keyClick(window.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(window.transcript.find_bar.isVisible, timeout=WAIT)
    qtbot.keyClick(window.transcript.find_bar.edit, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(search.hasFocus, timeout=WAIT)


def test_keys_that_widgets_need_are_left_to_them(qtbot, window):
    assert widget_owns_key(window.filter_bar.search, Qt.Key.Key_Space)
    assert widget_owns_key(window.filter_bar.search, Qt.Key.Key_J)
    assert widget_owns_key(window.player.position_slider, Qt.Key.Key_Left)
    assert not widget_owns_key(window.player.position_slider, Qt.Key.Key_J)
    assert widget_owns_key(window.sync_button, Qt.Key.Key_Space)
    assert not widget_owns_key(window.table, Qt.Key.Key_Space)
    assert not widget_owns_key(window.table, Qt.Key.Key_Right)


def test_window_state_is_saved_and_restored(qtbot, wcore, tmp_path, qloop):
    path = tmp_path / "state.ini"
    w = make_window(qtbot, wcore, tmp_path, settings_path=path)
    w.main_splitter.setSizes([300, 600, 500])
    w.table.setColumnWidth(1, 177)
    sizes = w.main_splitter.sizes()
    close_window(qtbot, w)  # saves the state
    saved = QSettings(str(path), QSettings.Format.IniFormat)
    for key in ("window/geometry", "window/mainSplitter", "window/detailSplitter", "calls/header"):
        assert saved.value(key), key
    # The offscreen screen is small and restoreGeometry() fits the window into it; restore the
    # panes into a window of the first one's size.
    saved.remove("window/geometry")
    saved.sync()
    w2 = make_window(qtbot, wcore, tmp_path, settings_path=path)
    assert w2.main_splitter.sizes() == sizes
    assert w2.table.columnWidth(1) == 177
    close_window(qtbot, w2)


def test_a_damaged_cache_is_moved_aside_and_rebuilt(tmp_path):
    profile = Profile.open(tmp_path / "p")
    profile.db_path.write_bytes(b"this is not a database" * 100)
    (tmp_path / "p" / "callviewer.db-wal").write_bytes(b"junk")
    core, notice = open_core(profile, MemoryKeyStore())
    try:
        assert notice and "moved aside" in notice and "sync will rebuild" in notice
        assert list((tmp_path / "p").glob("callviewer.db.corrupt-*"))
        assert core.store.accounts() == []
    finally:
        core.close()
    # the file with its -wal and -shm; a second move in the same second gets its own name
    folder = tmp_path / "q"
    folder.mkdir()
    db = folder / "callviewer.db"
    for suffix in ("", "-wal", "-shm"):
        (folder / f"callviewer.db{suffix}").write_bytes(b"junk")
    target = move_corrupt_cache(db)
    assert re.fullmatch(r"callviewer\.db\.corrupt-\d{8}-\d{6}", target.name)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [target.name, target.name + "-wal", target.name + "-shm"])
    db.write_bytes(b"junk")
    second = move_corrupt_cache(db)
    assert second != target and second.exists() and not db.exists()


def test_notice_is_non_modal(qtbot, window):
    window.show_notice("<b>The local cache was damaged</b>")
    assert window.notice.isVisible()
    assert window.notice_label.textFormat() == Qt.TextFormat.PlainText
    assert QMessageBox not in {type(w) for w in window.findChildren(QMessageBox) if w.isVisible()}


@needs_secret_service
def test_add_account_dialog_stores_the_key_in_a_real_secret_service(qtbot, tmp_path, sim30, qloop):
    profile = Profile.open(tmp_path / "keyring-profile")
    keys = OsKeyStore(uuid.uuid4().hex)
    core = Core(profile, Store.open(profile.db_path), keys, client_kw={"retry": FAST_RETRY})
    w = make_window(qtbot, core, tmp_path)
    try:
        dialog = w.open_add_account()
        dialog.provider_combo.setCurrentIndex(dialog.provider_combo.findData("atlas"))
        dialog.name_edit.setText("Atlas real keyring")
        dialog.key_edit.setText(SIM_KEYS["atlas"])
        dialog.url_edit.setText(sim30.base_urls["atlas"])
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: [a.name for a in core.store.accounts()] == ["Atlas real keyring"],
                        timeout=WAIT)
        assert keys.get("Atlas real keyring").reveal() == SIM_KEYS["atlas"]
        qtbot.waitUntil(lambda: not w.sync_controller.is_running(), timeout=WAIT)
    finally:
        close_window(qtbot, w)
        keys.delete("Atlas real keyring")
        core.close()


def test_default_layout_fits_the_list_at_1440(qtbot, window, synced):
    from callviewer.ui.models.calls import COL

    window.resize(1440, 900)
    qtbot.waitUntil(lambda: window.width() == 1440)
    qtbot.wait(20)
    t = window.table
    shown = ("started", "account", "direction", "customer_number", "duration", "status", "cost",
             "summary")
    for key in shown:
        assert t.is_column_visible(key) and t.columnWidth(COL[key]) > 0, key
    assert not t.is_column_visible("ended_reason") and not t.is_column_visible("agent")
    assert t.horizontalScrollBar().maximum() == 0  # no horizontal scrolling
    assert t.columnWidth(COL["summary"]) >= 100  # the stretched Summary has room
    # the panes: a narrower detail pane than the list; the player fits it
    sizes = window.main_splitter.sizes()
    assert sizes[1] > sizes[2] >= window.player.minimumSizeHint().width()
    # account labels are not cut: each line fits the sidebar's row
    fm = window.sidebar.fontMetrics()
    for name in synced:
        index = window.sidebar_model.index_for_account(name)
        rect = window.sidebar.visualRect(index)
        first, second = index.data().split("\n")
        assert rect.left() + fm.horizontalAdvance(first) < window.sidebar.viewport().width(), first
        one_line = window.sidebar.visualRect(window.sidebar_model.all_calls_index()).height()
        assert rect.height() >= one_line + 8  # the state has a line of its own


def test_filter_bar_and_player_are_compact_in_the_window(qtbot, window, synced):
    bar = window.filter_bar
    assert not bar.date_from.isVisible() and not bar.clear_button.isVisible()
    bar.set_search("hello")
    assert bar.clear_button.isVisible()
    bar.clear()
    assert not bar.clear_button.isVisible()
    p = window.player
    assert p.save_button.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonIconOnly
    assert p.save_button.toolTip() and p.save_button.accessibleName()


def test_header_shows_agent_and_campaign_names(qtbot, window, synced, wcore):
    names = {d.id: d.name for a in wcore.store.accounts() for d in wcore.store.directories(a.id)
             if d.name}
    model = window.call_model
    row = next(r for r in range(model.rowCount())
               if model.call_row(r).agent_id in names or model.call_row(r).campaign_id in names)
    select_row(qtbot, window, row)
    call = window.current_call()
    if call.agent_id in names:
        assert window.header.text("agent") == names[call.agent_id]
    if call.campaign_id in names:
        assert window.header.text("campaign") == names[call.campaign_id]


def test_the_batch_summary_says_what_happened():
    from callviewer.sync import SyncReport
    from callviewer.ui.mainwindow import MainWindow

    ok = SyncReport("a", "atlas", new=3, updated=1)
    cancelled = [SyncReport(n, "atlas", state="cancelled") for n in ("b", "c")]
    offline = SyncReport("d", "vatel", state="offline", error="cannot reach Vatel")
    assert MainWindow.batch_summary([ok, *cancelled]) == \
        "Synced 1 of 3 accounts: 3 new, 1 updated — b: sync cancelled; c: sync cancelled"
    assert MainWindow.batch_summary(cancelled) == "Sync cancelled; what was fetched is kept"
    assert MainWindow.batch_summary([offline, cancelled[0]]) == \
        "None of the 2 accounts could be synced — d: offline; b: sync cancelled"
