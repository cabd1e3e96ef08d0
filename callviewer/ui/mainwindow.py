"""The main window: accounts sidebar | call list | call details (transcript, player, cost, …).

Services own their tasks: `SyncController` owns one asyncio Task per account being synced, the
window owns the recording fetch of the selected call ("latest selection wins": a newer selection
cancels the older fetch, and a stale result is ignored). Slots stay thin. Network and keyring work
runs on the qasync loop (`asyncio.to_thread` for the keyring), and nothing here ever opens a modal
`exec()`: dialogs are opened with `open()`. Every failure ends up as a message in the window
(status bar, account node, player, dialog), never as a traceback.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import Callable, Coroutine, Iterable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QEvent, QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from callviewer.core import Core
from callviewer.domain import Account, Call
from callviewer.errors import CallviewerError, NotFound, RecordingError, error_text
from callviewer.store import CorruptCache, Store
from callviewer.ui.appicon import app_icon
from callviewer.ui.calltable import CallListFooter, CallTableView
from callviewer.ui.filters import FilterBar, distinct_values
from callviewer.ui.models.calls import CallTableModel
from callviewer.ui.models.sidebar import (
    AccountNameRole,
    FilterRole,
    NodeKeyRole,
    NodeKindRole,
    SidebarDelegate,
    SidebarModel,
    apply_filter,
)

# What only the detail pane, the dialogs or a sync need is imported when first used: the window
# shows its first rows without QtMultimedia, the transcript view or the network side (httpx).
if TYPE_CHECKING:
    import asyncio

    from PySide6.QtGui import QCloseEvent
    from PySide6.QtWidgets import QMessageBox

    from callviewer.sync import SyncProgress, SyncReport
    from callviewer.ui.about import AboutDialog
    from callviewer.ui.accountdialog import AccountDialog
    from callviewer.ui.details import AnalysisView, CallHeader, CostBreakdownView, RawJsonView
    from callviewer.ui.player import RecordingPlayer
    from callviewer.ui.transcript import TranscriptView

log = logging.getLogger(__name__)

SEEK_STEP_S = 5.0
SHUTDOWN_TIMEOUT_S = 5.0
#: While a sync runs and the list is still empty, it is refreshed this often (ms).
EMPTY_LIST_REFRESH_MS = 1000
#: Accounts whose last sync found the provider unreachable are synced again after this long (ms),
#: then after twice as long each time it is still unreachable, up to OFFLINE_RETRY_MAX_MS.
OFFLINE_RETRY_MS = 3 * 60_000
OFFLINE_RETRY_MAX_MS = 30 * 60_000
NO_CALL_TEXT = "Select a call to see its transcript, recording and costs."
WELCOME_TITLE = "Welcome to callviewer"
WELCOME_ICON_PX = 96
WELCOME_WIDTH = 540
#: What the empty call list says while a sync runs, and when nothing matches.
FETCHING_TEXT = "Fetching calls…"
#: Above a call the list no longer shows (a search or filter since it was selected).
NOT_LISTED_TEXT = "Not in the list as it is filtered now"
NO_CALLS_TEXT = ("No calls here. Sync (F5) fetches new ones; the sidebar, search and filters "
                 "narrow the list.")
#: What an account's empty list says when its last sync failed in a way F5 won't mend.
ACCOUNT_EMPTY_TEXTS = {
    "key_rejected": "No calls here: the provider rejected the API key of {name}. Right-click the "
                    "account and choose Edit… to enter a new key.",
    "no_key": "No calls here: {name} has no API key in the keyring. Right-click the account and "
              "choose Edit… to enter it.",
    "keyring": "No calls here: the OS keyring could not be used to read the key of {name} "
               "(Help → About names the keyring).",
    "offline": "No calls here yet: the provider could not be reached when {name} was synced; "
               "callviewer tries again by itself.",
}
#: Default widths of sidebar | call list | details (px); the window's default size is 1440 x 900.
DEFAULT_PANES = (200, 805, 415)


#: Set by the app (ui/app.py) until its asyncio loop is set up, which it does only once the
#: first rows are on screen: called (once) before the first task is made, should one come sooner.
loop_starter: Callable[[], None] | None = None


def _spawn(coro: Coroutine[Any, Any, Any]) -> asyncio.Task:
    global loop_starter
    import asyncio

    if loop_starter is not None:
        start, loop_starter = loop_starter, None
        start()
    return asyncio.ensure_future(coro)


def _loop_running() -> bool:
    try:
        asyncio = sys.modules.get("asyncio")  # (not imported yet: no loop yet)
        return asyncio is not None and asyncio.get_event_loop().is_running()
    except RuntimeError:
        return False


def _plain(text: str = "", parent: QWidget | None = None, *, wrap: bool = False) -> QLabel:
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    label.setWordWrap(wrap)
    return label


def _plain_labels(root: QWidget) -> None:
    """No label under `root` interprets markup, whoever built it: provider text, error messages
    that quote a provider and file names are all shown as they are."""
    for label in root.findChildren(QLabel):
        if label.textFormat() != Qt.TextFormat.PlainText:
            label.setTextFormat(Qt.TextFormat.PlainText)


class _FirstPaint(QObject):
    """Calls `then` once, soon after the call list's first paint (on the next turn of the event
    loop, so that the paint reaches the screen first)."""

    def __init__(self, table: CallTableView, then) -> None:
        super().__init__(table)
        self._table = table
        self._then = then
        self._done = False
        table.painted.connect(self._on_painted)

    def cancel(self) -> None:
        if not self._done:
            self._done = True
            self._table.painted.disconnect(self._on_painted)

    def _on_painted(self) -> None:
        if not self._done:
            self.cancel()
            QTimer.singleShot(0, self._then)


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def keyring_name(platform_name: str | None = None) -> str:
    """The OS keyring by its everyday name, for the sentence "kept only in <...>"."""
    name = platform_name or sys.platform
    if name == "darwin":
        return "the macOS Keychain"
    if name.startswith("win"):
        return "the Windows Credential Locker"
    return "the system keyring (Secret Service: GNOME Keyring or KWallet)"


def demo_command(executable: str | None = None, frozen: bool | None = None) -> list[str]:
    """The program and arguments that open the demo in a new process: the bundle itself when
    frozen (PyInstaller), else this Python with `-m callviewer`."""
    executable = executable or sys.executable
    frozen = bool(getattr(sys, "frozen", False)) if frozen is None else frozen
    return [executable, "--demo"] if frozen else [executable, "-m", "callviewer", "--demo"]


#: Longest provider text the header and the analysis tab are given (characters): a label laying
#: out megabytes of text would freeze the window for seconds. The transcript (laid out lazily)
#: and the Raw JSON tab keep everything.
SUMMARY_SHOWN_MAX = 20_000
FIELD_SHOWN_MAX = 1_000
EXTRACTED_SHOWN_MAX = 300


def _cut(text: Any, limit: int) -> Any:
    if not isinstance(text, str) or len(text) <= limit:
        return text
    return (text[:limit] + f"… [{len(text) - limit:,} more characters; all of it is in the Raw JSON "
            "tab]")


def bounded_for_display(call: Call) -> Call:
    """`call` with its header and analysis texts cut to a size a label lays out at once (see
    SUMMARY_SHOWN_MAX); the same call when nothing is that long."""
    import dataclasses
    import json as _json

    changes: dict[str, Any] = {}
    if call.summary and len(call.summary) > SUMMARY_SHOWN_MAX:
        changes["summary"] = _cut(call.summary, SUMMARY_SHOWN_MAX)
    for name in ("status", "ended_reason", "customer_number", "agent_id", "campaign_id", "currency",
                 "success", "sentiment", "direction"):
        value = getattr(call, name)
        if isinstance(value, str) and len(value) > FIELD_SHOWN_MAX:
            changes[name] = _cut(value, FIELD_SHOWN_MAX)
    if call.tags and (len(call.tags) > EXTRACTED_SHOWN_MAX
                      or any(len(str(t)) > FIELD_SHOWN_MAX for t in call.tags)):
        changes["tags"] = [_cut(str(t), FIELD_SHOWN_MAX) for t in call.tags[:EXTRACTED_SHOWN_MAX]]
    if call.extracted:
        def long(value: Any) -> bool:
            if isinstance(value, str):
                return len(value) > FIELD_SHOWN_MAX
            if isinstance(value, (dict, list)):
                try:
                    return len(_json.dumps(value, ensure_ascii=False, default=str)) > FIELD_SHOWN_MAX
                except (ValueError, RecursionError):
                    return True
            return False

        if len(call.extracted) > EXTRACTED_SHOWN_MAX or any(
                len(str(k)) > FIELD_SHOWN_MAX or long(v) for k, v in call.extracted.items()):
            extracted = {}
            for k, v in list(call.extracted.items())[:EXTRACTED_SHOWN_MAX]:
                if long(v):
                    try:
                        v = _json.dumps(v, ensure_ascii=False, default=str) if not isinstance(v, str) else v
                    except (ValueError, RecursionError):
                        v = str(v)[:FIELD_SHOWN_MAX * 2]
                    v = _cut(v, FIELD_SHOWN_MAX)
                extracted[_cut(str(k), FIELD_SHOWN_MAX)] = v
            changes["extracted"] = extracted
    return dataclasses.replace(call, **changes) if changes else call


def state_text(report: SyncReport) -> tuple[str, str]:
    """(state, short text) for an account node after a sync that ended with `report`."""
    state = report.state
    if state in ("ok", "partial"):
        from datetime import datetime

        text = f"synced {datetime.now():%H:%M}"
        if state == "partial":
            text += f" ({len(report.failed)} failed)"
        return state, text
    if state == "key_rejected":
        return state, "key rejected"
    if state == "offline":
        return state, "offline"
    if state == "cancelled":
        return state, "sync cancelled"
    if state == "no_key":
        return "error", "no API key"
    if state == "keyring":
        return "error", "keyring unavailable"
    return "error", f"error: {report.error or 'sync failed'}"


# ------------------------------------------------------------------------------------------------
# sync

class SyncController(QObject):
    """Runs account syncs as asyncio Tasks (one per account) and reports on them with signals.

    `progress(account, done, total)` has `total == -1` while the amount of work is not known yet
    (the provider's list is still being walked). `finished(account, SyncReport)` arrives for every
    started sync, also a cancelled or failed one. `cancel()` cancels the tasks; the core writes
    what it has fetched before it stops.
    """

    started = Signal(str)
    progress = Signal(str, int, int)
    finished = Signal(str, object)
    runningChanged = Signal(bool)

    def __init__(self, core: Core, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.core = core
        self._tasks: dict[str, asyncio.Task] = {}
        self._progress: dict[str, SyncProgress] = {}

    def is_running(self, name: str | None = None) -> bool:
        return bool(self._tasks) if name is None else name in self._tasks

    def running(self) -> list[str]:
        return list(self._tasks)

    def tasks(self) -> list[asyncio.Task]:
        return list(self._tasks.values())

    def last_progress(self, name: str) -> SyncProgress | None:
        return self._progress.get(name)

    def sync(self, accounts: Iterable[Account], *, full: bool = False) -> list[str]:
        """Starts a sync of each account not already syncing; returns the names started."""
        started = []
        was_running = self.is_running()
        for account in accounts:
            if account.name in self._tasks:
                continue
            self._tasks[account.name] = _spawn(self._run(account, full))
            started.append(account.name)
            self.started.emit(account.name)
        if started and not was_running:
            self.runningChanged.emit(True)
        return started

    def cancel(self, name: str | None = None) -> None:
        for n, task in list(self._tasks.items()):
            if name is None or n == name:
                task.cancel()

    async def wait(self, timeout: float | None = None) -> None:
        import asyncio

        tasks = self.tasks()
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)

    async def _run(self, account: Account, full: bool) -> SyncReport:
        import asyncio

        from callviewer.sync import SyncProgress, SyncReport

        name = account.name

        def on_progress(p: SyncProgress) -> None:
            self._progress[name] = SyncProgress(p.account, p.phase, p.listed, p.done, p.total, p.message)
            total = -1 if p.total is None or p.phase == "listing" else p.total
            self.progress.emit(name, p.done, total)

        try:
            report = await self.core.sync(account, full=full, on_progress=on_progress)
        except asyncio.CancelledError:
            report = SyncReport(name, account.provider, state="cancelled", error="sync cancelled")
        except CallviewerError as e:
            report = SyncReport(name, account.provider, state=e.state, error=str(e))
        except Exception as e:  # a bug must not leave the account "syncing" forever
            log.exception("sync of %s failed", name)
            report = SyncReport(name, account.provider, state="error",
                                error=f"unexpected {type(e).__name__} (details in the log)")
        finally:
            self._tasks.pop(name, None)
            self._progress.pop(name, None)
        try:
            self.finished.emit(name, report)
        finally:
            if not self._tasks:
                self.runningChanged.emit(False)
        return report


# ------------------------------------------------------------------------------------------------
# keyboard

_GUARDED_KEYS = frozenset({Qt.Key.Key_Space, Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_J, Qt.Key.Key_K})


def widget_owns_key(widget: QObject, key: int) -> bool:
    """True when `widget` (with focus) needs `key` itself, so the window's one-key shortcut
    (Space, ←/→, j/k) must not take it: text fields take them all, sliders, tab bars and trees
    take ←/→, buttons and combo boxes take Space."""
    from PySide6.QtWidgets import (  # (here: each class Python meets costs start-up time)
        QAbstractButton,
        QAbstractSlider,
        QAbstractSpinBox,
        QPlainTextEdit,
        QTabBar,
        QTextEdit,
    )

    if isinstance(widget, (QLineEdit, QTextEdit, QPlainTextEdit, QAbstractSpinBox)):
        return True
    if isinstance(widget, QComboBox) and widget.isEditable():
        return True
    if key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
        return isinstance(widget, (QAbstractSlider, QTabBar, QTreeView))
    if key == Qt.Key.Key_Space:
        return isinstance(widget, (QAbstractButton, QComboBox))
    return False


def literal_tooltip(text: str) -> str:
    """A tool tip that shows `text` as it is: Qt renders a tool tip that looks like markup as
    rich text (`<img src=...>` would even load a file)."""
    import html

    return "<qt>" + html.escape(text).replace("\n", "<br>") + "</qt>"


class _LiteralToolTips(QObject):
    """Installed on the viewports of item views whose tool tips carry provider text (call list,
    sidebar, transcript) and on labels: shows each tool tip escaped, never interpreted."""

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() != QEvent.Type.ToolTip:
            return False
        from PySide6.QtWidgets import QToolTip

        view = obj.parent() if isinstance(obj.parent(), QAbstractItemView) else None
        if view is not None and obj is view.viewport():
            index = view.indexAt(event.pos())
            text = index.data(Qt.ItemDataRole.ToolTipRole) if index.isValid() else None
            rect = view.visualRect(index) if index.isValid() else None
        else:
            text = obj.toolTip() if isinstance(obj, QWidget) else None
            rect = None
        if not isinstance(text, str) or not text:
            QToolTip.hideText()
            event.ignore()
            return True
        if text.startswith("<qt>"):  # already escaped by the widget that set it
            return False
        if rect is not None:
            QToolTip.showText(event.globalPos(), literal_tooltip(text), obj, rect)
        else:
            QToolTip.showText(event.globalPos(), literal_tooltip(text), obj)
        return True


class _KeyGuard(QObject):
    """Installed on the focused widget: claims the window's one-key shortcuts for widgets that
    use those keys themselves (accepting ShortcutOverride makes Qt deliver the key press to the
    widget instead of firing the shortcut)."""

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.ShortcutOverride:
            mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
            if mods == Qt.KeyboardModifier.NoModifier and event.key() in _GUARDED_KEYS \
                    and widget_owns_key(obj, event.key()):
                event.accept()
                return True
        return False


# ------------------------------------------------------------------------------------------------
# the window

class MainWindow(QMainWindow):
    """See the module docstring. Build it with `callviewer.ui.app.create_window`."""

    #: The cache check (see `check_cache`) found damage: its detail (from the worker thread).
    cacheDamaged = Signal(str)

    def __init__(self, core: Core, settings: QSettings, *, demo: bool = False,
                 fast_start: bool = False, parent: QWidget | None = None) -> None:
        """`fast_start` (`callviewer` itself): what the first rows need not wait for is done
        just after the call list's first paint: building the detail pane (transcript, player,
        cost, ...; or when first needed, whichever comes first) and checking the cache's calls
        table (`check_cache`; the cache was opened with `check="light"`)."""
        super().__init__(parent)
        self.core = core
        self.store: Store = core.store
        self.settings = settings
        self.demo = demo
        self.sync_controller = SyncController(core, self)
        self._accounts: dict[str, Account] = {}
        self._current_rowid: int | None = None
        self._current_call: Call | None = None
        self._recording_task: asyncio.Task | None = None
        self._recording_token = 0
        self._tasks: set[asyncio.Task] = set()
        self._account_dialog: AccountDialog | None = None
        self._about: AboutDialog | None = None
        self._closing = False
        self._shutdown_task: asyncio.Task | None = None
        self._shutdown_done = False
        self._state_saved = False
        self._batch_reports: list[SyncReport] = []  # of the syncs since the progress bar showed
        self._sidebar_syncing = False  # a programmatic sidebar selection: do not re-query
        self._fast_start = fast_start
        self._details_built = False
        self._start_finished = False  # see _finish_start (fast_start)
        self._tooltips_watched = False
        self._first_paint: _FirstPaint | None = None
        self._cache_check: threading.Thread | None = None
        self._damage_reported = False
        self._directory_names: dict[str, str] = {}

        self.setObjectName("mainWindow")
        self.setWindowTitle("callviewer — demo" if demo else "callviewer")
        self._build_ui()
        self._build_actions()
        self._connect()
        self._key_guard = _KeyGuard(self)
        self._literal_tips = _LiteralToolTips(self)
        app = QApplication.instance()
        if app is not None:
            app.focusChanged.connect(self._on_focus_changed)
        self.restore_state()
        if not fast_start:
            _plain_labels(self)
            self._watch_tooltips()
            self.ensure_details()
        self._query_applied = False
        if fast_start:
            self.call_model.hold_totals(True)
        self.refresh_accounts(counts=not fast_start)
        if not self._query_applied:  # (refresh_accounts applies it when the sidebar moved)
            self._apply_query()
        self._schedule_offline_retry()

    # -- construction --------------------------------------------------------------------------
    def _build_ui(self) -> None:
        # sidebar
        self.sidebar_model = SidebarModel(self)
        self.sidebar = QTreeView(self)
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setModel(self.sidebar_model)
        self.sidebar.setHeaderHidden(True)
        self.sidebar.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.sidebar.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.sidebar.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.sidebar.setAccessibleName("Accounts")
        self.sidebar.setAccessibleDescription("All calls, providers, accounts and their agents and "
                                              "campaigns; selecting one filters the call list")
        # Account nodes have two lines (name and count, then the sync state): no uniform heights
        # (the tree is small).
        self.sidebar.setItemDelegate(SidebarDelegate(self.sidebar))
        self.sidebar.setIndentation(14)
        self.add_account_button = QPushButton("Add account…", self)
        self.add_account_button.setAccessibleName("Add account")
        self.add_account_button.setToolTip("Add an Atlas, Callab or Vatel account")
        sidebar_box = self.sidebar_box = QWidget(self)
        sl = QVBoxLayout(sidebar_box)
        sl.setContentsMargins(0, 0, 0, 0)
        sl.setSpacing(4)
        sl.addWidget(self.sidebar, 1)
        sl.addWidget(self.add_account_button)
        sidebar_box.setMinimumWidth(160)

        # call list
        self.filter_bar = FilterBar(self)
        self.call_model = CallTableModel(self.store, self)
        self.table = CallTableView(self)
        self.table.setModel(self.call_model)
        self.table.set_placeholder(NO_CALLS_TEXT)
        self.footer = CallListFooter(self)
        self.progress_label = _plain("", self)
        self.progress_label.setAccessibleName("Sync progress text")
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setAccessibleName("Sync progress")
        self.progress_bar.setMaximumWidth(180)
        self.progress_bar.setTextVisible(False)
        self.cancel_sync_button = QPushButton("Cancel", self)
        self.cancel_sync_button.setAccessibleName("Cancel sync")
        self.cancel_sync_button.setToolTip("Stop syncing; what was fetched so far is kept")
        self.sync_button = QPushButton("Sync", self)
        self.sync_button.setAccessibleName("Sync all accounts")
        self.sync_button.setToolTip("Fetch new and changed calls of all accounts (F5).\n"
                                    "To sync one account, right-click it in the sidebar → Sync now.")
        for w in (self.progress_label, self.progress_bar, self.cancel_sync_button):
            w.hide()
        footer_row = QHBoxLayout()
        footer_row.setContentsMargins(0, 0, 0, 0)
        footer_row.setSpacing(6)
        footer_row.addWidget(self.footer, 1)
        footer_row.addWidget(self.progress_label)
        footer_row.addWidget(self.progress_bar)
        footer_row.addWidget(self.cancel_sync_button)
        footer_row.addWidget(self.sync_button)

        list_page = QWidget(self)
        ll = QVBoxLayout(list_page)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.setSpacing(4)
        ll.addWidget(self.filter_bar)
        ll.addWidget(self.table, 1)
        ll.addLayout(footer_row)
        self.list_page = list_page
        self.empty_page: QWidget | None = None  # the welcome page: built when first shown

        self.no_call_label = _plain(NO_CALL_TEXT, self, wrap=True)
        self.no_call_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.no_call_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.detail_stack = QStackedWidget(self)
        self.detail_stack.setAccessibleName("Call details pane")
        self.detail_stack.addWidget(self.no_call_label)

        self.main_splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.main_splitter.setObjectName("mainSplitter")
        self.main_splitter.setChildrenCollapsible(False)
        self.main_splitter.addWidget(sidebar_box)
        self.main_splitter.addWidget(self.list_page)
        self.main_splitter.addWidget(self.detail_stack)
        self.main_splitter.setStretchFactor(0, 0)
        self.main_splitter.setStretchFactor(1, 3)
        self.main_splitter.setStretchFactor(2, 2)
        # At 1440 px the list gets ~800 px: its default columns and a stretched Summary fit.
        self.main_splitter.setSizes(list(DEFAULT_PANES))

        # notices (non-modal: e.g. "the cache was damaged and rebuilt")
        self.notice = QFrame(self)
        self.notice.setObjectName("notice")
        self.notice.setFrameShape(QFrame.Shape.StyledPanel)
        self.notice.setAutoFillBackground(True)
        pal = self.notice.palette()
        pal.setColor(QPalette.ColorRole.Window, pal.color(QPalette.ColorRole.ToolTipBase))
        pal.setColor(QPalette.ColorRole.WindowText, pal.color(QPalette.ColorRole.ToolTipText))
        self.notice.setPalette(pal)
        self.notice_label = _plain("", self.notice, wrap=True)
        self.notice_label.setAccessibleName("Notice")
        self.notice_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton(self.notice)
        close.setText("✕")
        close.setAutoRaise(True)
        close.setAccessibleName("Dismiss notice")
        close.setToolTip("Dismiss")
        close.clicked.connect(self.notice.hide)
        nl = QHBoxLayout(self.notice)
        nl.setContentsMargins(8, 4, 4, 4)
        nl.addWidget(self.notice_label, 1)
        nl.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.notice.hide()

        central = QWidget(self)
        cl = QVBoxLayout(central)
        cl.setContentsMargins(6, 6, 6, 0)
        cl.setSpacing(6)
        cl.addWidget(self.notice)
        # The whole window is the welcome page while there is no account.
        self.page_stack = QStackedWidget(self)
        self.page_stack.addWidget(self.main_splitter)
        cl.addWidget(self.page_stack, 1)
        self.setCentralWidget(central)

        self.status_detail = _plain("", self)
        self.status_detail.setAccessibleName("Status")
        self.statusBar().addPermanentWidget(self.status_detail)
        self.statusBar().setAccessibleName("Status bar")
        if self.demo:
            self.status_detail.setText("Demo profile: simulated calls, deleted on exit")

    # -- the detail pane -----------------------------------------------------------------------
    def details_built(self) -> bool:
        return self._details_built

    def ensure_details(self) -> None:
        """Builds the detail pane (header, player, transcript, tabs) if it is not built yet."""
        if self._details_built:
            return
        self._details_built = True
        self._finish_start()
        from callviewer.ui.details import AnalysisView, CallHeader, CostBreakdownView, RawJsonView
        from callviewer.ui.player import RecordingPlayer
        from callviewer.ui.transcript import TranscriptView

        self.header = CallHeader(self.detail_stack)
        self.header.setAccessibleName("Call summary")
        self.player = RecordingPlayer(self.detail_stack)
        self.transcript = TranscriptView(self.detail_stack, own_find_shortcuts=False)
        self.analysis = AnalysisView(self.detail_stack)
        self.analysis.setAccessibleName("Analysis")
        self.cost = CostBreakdownView(self.detail_stack)
        self.cost.setAccessibleName("Cost breakdown")
        self.raw = RawJsonView(self.detail_stack)
        self.raw.section.button.hide()  # the tab says what it is; the text loads when shown
        from PySide6.QtWidgets import QTabWidget

        self.detail_tabs = QTabWidget(self.detail_stack)
        self.detail_tabs.setObjectName("detailTabs")
        self.detail_tabs.setAccessibleName("Call details")
        self.detail_tabs.setDocumentMode(True)
        self.detail_tabs.addTab(self.analysis, "Analysis")
        self.detail_tabs.addTab(self.cost, "Cost")
        self.detail_tabs.addTab(self.raw, "Raw JSON")
        self.detail_splitter = QSplitter(Qt.Orientation.Vertical, self.detail_stack)
        self.detail_splitter.setObjectName("detailSplitter")
        self.detail_splitter.setChildrenCollapsible(False)
        self.detail_splitter.addWidget(self.transcript)
        self.detail_splitter.addWidget(self.detail_tabs)
        self.detail_splitter.setStretchFactor(0, 3)
        self.detail_splitter.setStretchFactor(1, 1)
        self.detail_splitter.setSizes([420, 220])

        details = QWidget(self.detail_stack)
        dl = QVBoxLayout(details)
        dl.setContentsMargins(0, 0, 0, 0)
        dl.setSpacing(2)
        self.not_listed_label = _plain(NOT_LISTED_TEXT, details)
        self.not_listed_label.setAccessibleName("Not in the list")
        self.not_listed_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.not_listed_label.setContentsMargins(6, 2, 6, 0)
        self.not_listed_label.hide()
        dl.addWidget(self.not_listed_label)
        dl.addWidget(self.header)
        line = QFrame(details)
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        dl.addWidget(line)
        dl.addWidget(self.player)
        dl.addWidget(self.detail_splitter, 1)
        self.details_page = details
        self.detail_stack.addWidget(self.details_page)

        self.transcript.list_view().viewport().installEventFilter(self._literal_tips)
        self.player.message_label.installEventFilter(self._literal_tips)
        _plain_labels(self.details_page)
        self.transcript.turnActivated.connect(lambda s: self.player.seek(s, play=True))
        self.player.positionChanged.connect(self.transcript.set_position)
        self.detail_tabs.currentChanged.connect(self._on_tab)
        settings = self.settings
        value = settings.value("window/detailSplitter")
        if isinstance(value, QByteArray) and not value.isEmpty():
            self.detail_splitter.restoreState(value)
        tab = settings.value("details/tab")
        try:
            self.detail_tabs.setCurrentIndex(int(tab) if tab is not None else 0)
        except (TypeError, ValueError):
            pass
        self.header.set_directory_names(self._directory_names)

    def _finish_start(self) -> None:
        """(`fast_start`, once) What the first rows did not wait for."""
        if not self._fast_start or self._start_finished:
            return
        self._start_finished = True
        if self._first_paint is not None:
            self._first_paint.cancel()
            self._first_paint = None
        self.call_model.hold_totals(False)  # (first: computed on its thread meanwhile)
        _plain_labels(self)  # (all the window's labels are made plain already: a last check)
        self._watch_tooltips()
        QTimer.singleShot(0, self.refresh_accounts)  # the sidebar's call counts
        QTimer.singleShot(0, self.check_cache)

    def showEvent(self, event) -> None:  # noqa: N802 (Qt name)
        if self._fast_start and not self._start_finished and self._first_paint is None:
            # (connected now, so that what the app itself hooks on the first paint runs first)
            self._first_paint = _FirstPaint(self.table, self._after_first_paint)
        super().showEvent(event)

    def _after_first_paint(self) -> None:
        if not self._closing:
            self._finish_start()
            self.ensure_details()

    def _watch_tooltips(self) -> None:
        if not self._tooltips_watched:
            self._tooltips_watched = True
            for view in (self.table, self.sidebar):
                view.viewport().installEventFilter(self._literal_tips)

    # -- the cache check -----------------------------------------------------------------------
    def check_cache(self) -> threading.Thread | None:
        """Checks the calls table (SQLite's quick_check, ~100 ms at 100,000 calls) on a worker
        thread. Damage gives a notice and marks the cache, so that the next start checks it in
        full and moves it aside (kept) for a fresh one with the same accounts."""
        if self._closing or self._cache_check is not None:
            return self._cache_check
        try:
            clone = self.store.read_only_clone()
        except CallviewerError as e:  # (no second connection to the file: not damage as such)
            log.warning("could not check the cache: %s", e)
            return None

        def work() -> None:
            try:
                clone.verify(full=False, tables=("calls",))
            except CorruptCache as e:
                self.cacheDamaged.emit(e.detail)
            except Exception:
                log.exception("checking the cache")
            finally:
                clone.close()

        self._cache_check = threading.Thread(target=work, name="cache-check", daemon=True)
        self._cache_check.start()
        return self._cache_check

    def _read_failed(self, err: BaseException, what: str) -> None:
        """A read of the cache failed: damage gets the notice of `_on_cache_damaged`, anything
        else a line in the status bar."""
        if isinstance(err, CorruptCache):
            self._on_cache_damaged(err.detail)
        else:
            self.show_status(f"{what}: {error_text(err)}", 15000)

    def _on_cache_damaged(self, detail: str) -> None:
        from callviewer.core import mark_damaged

        if self._damage_reported:
            return
        self._damage_reported = True
        log.error("the cache is damaged: %s", detail)
        mark_damaged(self.core.profile, detail)
        self.show_notice(f"The local cache is damaged ({detail}). Quit and start callviewer again to "
                         f"repair it: the damaged file is kept aside, a fresh cache is made with your "
                         f"accounts, and a sync fetches the calls again.")

    def _build_welcome(self) -> None:
        """The first-run page, shown in place of the call list while there is no account."""
        page = self.empty_page = QWidget(self.page_stack)
        page.setObjectName("emptyState")
        page.setAccessibleName("Welcome")
        column = QWidget(page)
        column.setMaximumWidth(WELCOME_WIDTH)
        cl = QVBoxLayout(column)
        cl.setContentsMargins(12, 0, 12, 0)
        cl.setSpacing(10)
        icon = QLabel(column)
        icon.setPixmap(app_icon().pixmap(WELCOME_ICON_PX, WELCOME_ICON_PX))
        icon.setAlignment(Qt.AlignmentFlag.AlignCenter)
        icon.setAccessibleName("callviewer icon")
        self.welcome_icon = icon
        title = self.welcome_title = _plain(WELCOME_TITLE, column)
        f = title.font()
        f.setPointSizeF(f.pointSizeF() * 1.6)
        f.setBold(True)
        title.setFont(f)
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        blurb = self.welcome_text = _plain(
            "Browse, search and play back the calls of your Atlas, Callab and Vatel voice agents "
            "in one window: transcripts, recordings and costs. Calls are synced to this computer, "
            "so the list stays fast and works offline.", column, wrap=True)
        blurb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_add_button = QPushButton("Add account…", column)
        self.empty_add_button.setAccessibleName("Add account")
        self.empty_add_button.setToolTip("Connect an Atlas, Callab or Vatel account with its API key")
        self.empty_add_button.setDefault(True)
        self.demo_button = QPushButton("Try the demo", column)
        self.demo_button.setAccessibleName("Try the demo")
        self.demo_button.setToolTip("Opens a second window with demo accounts served by a built-in "
                                    "simulator: no key or network needed")
        buttons = QHBoxLayout()
        buttons.setSpacing(8)
        buttons.addStretch(1)
        buttons.addWidget(self.empty_add_button)
        buttons.addWidget(self.demo_button)
        buttons.addStretch(1)
        where = self.welcome_privacy = _plain(
            f"You need the account's API key, from the provider's dashboard. It is kept only in "
            f"{keyring_name()}, never in a file; the calls are cached in "
            f"{self.core.profile.root}.", column, wrap=True)
        where.setAlignment(Qt.AlignmentFlag.AlignCenter)
        where.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        cl.addWidget(icon)
        cl.addWidget(title)
        cl.addWidget(blurb)
        cl.addSpacing(6)
        cl.addLayout(buttons)
        cl.addSpacing(6)
        cl.addWidget(where)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(column, 4)
        row.addStretch(1)
        el = QVBoxLayout(page)
        el.addStretch(2)
        el.addLayout(row)
        el.addStretch(3)
        _plain_labels(page)
        self.empty_add_button.clicked.connect(self.open_add_account)
        self.demo_button.clicked.connect(self.start_demo_process)
        self.page_stack.insertWidget(0, page)

    def _action(self, text: str, slot, shortcut: QKeySequence | str | None = None, *,
                tip: str | None = None) -> QAction:
        act = QAction(text, self)
        if shortcut is not None:
            act.setShortcut(QKeySequence(shortcut))
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if tip:
            act.setToolTip(tip)
            act.setStatusTip(tip)
        act.triggered.connect(lambda _checked=False: slot())
        self.addAction(act)
        return act

    def _build_actions(self) -> None:
        self.act_add = self._action("&Add account…", self.open_add_account,
                                    tip="Add an Atlas, Callab or Vatel account")
        self.act_sync = self._action("&Sync all", self.sync_all, QKeySequence(Qt.Key.Key_F5),
                                     tip="Fetch new and changed calls of all accounts")
        self.act_cancel_sync = self._action("&Cancel sync", self.cancel_sync,
                                            tip="Stop syncing; what was fetched is kept")
        self.act_cancel_sync.setEnabled(False)
        self.act_quit = self._action("&Quit", self.close, QKeySequence(QKeySequence.StandardKey.Quit))
        self.act_search = self._action("Search calls", self.focus_search, QKeySequence("Ctrl+K"))
        self.act_find = self._action("&Find in transcript", self.find_in_transcript,
                                     QKeySequence(QKeySequence.StandardKey.Find))
        self.act_next = self._action("&Next call", lambda: self.step_call(1), QKeySequence("J"))
        self.act_prev = self._action("&Previous call", lambda: self.step_call(-1), QKeySequence("K"))
        self.act_play = self._action("&Play / pause", self.toggle_play, QKeySequence(Qt.Key.Key_Space))
        self.act_back = self._action(f"&Back {SEEK_STEP_S:g} s", lambda: self.seek_relative(-SEEK_STEP_S),
                                     QKeySequence(Qt.Key.Key_Left))
        self.act_forward = self._action(f"&Forward {SEEK_STEP_S:g} s",
                                        lambda: self.seek_relative(SEEK_STEP_S),
                                        QKeySequence(Qt.Key.Key_Right))
        self.act_about = self._action("&About callviewer", self.open_about)

        bar = self.menuBar()
        m = bar.addMenu("&File")
        m.addAction(self.act_add)
        m.addAction(self.act_sync)
        m.addAction(self.act_cancel_sync)
        m.addSeparator()
        m.addAction(self.act_quit)
        m = bar.addMenu("&Go")
        m.addAction(self.act_search)
        m.addAction(self.act_find)
        m.addSeparator()
        m.addAction(self.act_next)
        m.addAction(self.act_prev)
        m = bar.addMenu("&Playback")
        m.addAction(self.act_play)
        m.addAction(self.act_back)
        m.addAction(self.act_forward)
        m = bar.addMenu("&Help")
        m.addAction(self.act_about)

    def _connect(self) -> None:
        self.add_account_button.clicked.connect(self.open_add_account)
        self.sync_button.clicked.connect(self.sync_all)
        self.cancel_sync_button.clicked.connect(self.cancel_sync)
        self.sidebar.selectionModel().currentChanged.connect(self._on_sidebar_current)
        self.sidebar.customContextMenuRequested.connect(self._sidebar_menu)
        self.filter_bar.changed.connect(self._apply_query)
        self.call_model.totalsChanged.connect(self.footer.set_totals)
        self.table.currentRowIdChanged.connect(self._on_current_rowid)
        self.cacheDamaged.connect(self._on_cache_damaged)
        self.call_model.readFailed.connect(lambda e: self._read_failed(e, "Could not read the calls"))
        sc = self.sync_controller
        sc.started.connect(self._on_sync_started)
        sc.progress.connect(self._on_sync_progress)
        sc.finished.connect(self._on_sync_finished)
        sc.runningChanged.connect(self._on_sync_running)
        self._empty_refresh = QTimer(self)
        self._empty_refresh.setInterval(EMPTY_LIST_REFRESH_MS)
        self._empty_refresh.timeout.connect(self._refresh_if_empty)
        #: Retries of offline accounts (see `_schedule_offline_retry`); tests shorten the times.
        self.offline_retry_ms = OFFLINE_RETRY_MS
        self.offline_retry_max_ms = OFFLINE_RETRY_MAX_MS
        self._offline_delay: int | None = None
        self._offline_timer = QTimer(self)
        self._offline_timer.setSingleShot(True)
        # a coarse timer may fire up to 5% early; a retry promised "in 2 s" must not come sooner
        self._offline_timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._offline_timer.timeout.connect(self._retry_offline)

    # -- state ---------------------------------------------------------------------------------
    def restore_state(self) -> None:
        s = self.settings
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1440, 900)
        value = s.value("window/mainSplitter")
        if isinstance(value, QByteArray) and not value.isEmpty():
            self.main_splitter.restoreState(value)
        header = s.value("calls/header")
        if isinstance(header, QByteArray) and not header.isEmpty():
            self.table.restore_header_state(header)
        # (the detail pane's splitter and tab: when it is built)

    def save_state(self) -> None:
        s = self.settings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/mainSplitter", self.main_splitter.saveState())
        s.setValue("calls/header", QByteArray(self.table.header_state()))
        if self._details_built:  # else what was saved last time stays
            s.setValue("window/detailSplitter", self.detail_splitter.saveState())
            s.setValue("details/tab", self.detail_tabs.currentIndex())
        s.sync()

    # -- messages ------------------------------------------------------------------------------
    def show_status(self, text: str, timeout_ms: int = 8000) -> None:
        self.statusBar().showMessage(text, timeout_ms)

    def show_notice(self, text: str) -> None:
        """A non-modal message above the panes, until dismissed."""
        self.notice_label.setText(text)
        self.notice.show()

    def _keep(self, task: asyncio.Task) -> asyncio.Task:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # -- accounts ------------------------------------------------------------------------------
    def accounts(self) -> dict[str, Account]:
        return dict(self._accounts)

    def refresh_accounts(self, *, counts: bool = True) -> None:
        """Re-reads accounts, sidebar counts (unless `counts` is False: the fast start counts
        after the first paint), directory names and filter choices."""
        try:
            accounts = self.store.accounts(counts=counts)
            directories = {a.name: self.store.directories(a.id) for a in accounts if a.id is not None}
        except CallviewerError as e:
            self._read_failed(e, "Could not read the accounts")
            return
        self._accounts = {a.name: a for a in accounts}
        selected = self._sidebar_filter()
        current = self.sidebar.currentIndex()
        selected_key = current.data(NodeKeyRole) if current.isValid() else None
        self._sidebar_syncing = True
        try:
            self.sidebar_model.refresh(self.store, accounts, directories)
            self.sidebar.expandAll()
            index = self.sidebar_model.index_for_key(selected_key)
            if not index.isValid() and selected is not None:
                index = self.sidebar_model.index_for_filter(selected)
            if index is None or not index.isValid():
                index = self.sidebar_model.all_calls_index()
            if self.sidebar.currentIndex() != index:
                self.sidebar.setCurrentIndex(index)
        finally:
            self._sidebar_syncing = False
        for name in self.sync_controller.running():
            self.sidebar_model.set_account_state(name, "syncing", self._syncing_text(name))
        names = {d.id: d.name for dirs in directories.values() for d in dirs if d.name}
        self.call_model.set_directory_names(names)
        self._directory_names = names
        if self._details_built:
            self.header.set_directory_names(names)
            if self._current_call is not None:
                self.header.set_call(self._current_call)
        try:
            self.filter_bar.set_choices(*distinct_values(self.store))
        except Exception:  # cosmetic: the list still works without fresh choices
            log.exception("could not read the filter choices")
        # (The demo adds its accounts right after the start: no welcome page flashing by.)
        welcome = not accounts and not self.demo
        if welcome and self.empty_page is None:
            self._build_welcome()
        self.page_stack.setCurrentWidget(self.empty_page if welcome else self.main_splitter)
        self.no_call_label.setText(NO_CALL_TEXT if accounts else "")
        if self._sidebar_filter() != selected:
            self._apply_query()

    def focus_search(self) -> None:
        """Ctrl+K: the search field, when the call list is shown (not on the welcome page)."""
        if not self.showing_welcome():
            self.filter_bar.focus_search()

    def showing_welcome(self) -> bool:
        """True while the first-run page is shown (there is no account)."""
        return self.empty_page is not None and self.page_stack.currentWidget() is self.empty_page

    def select_account(self, name: str) -> bool:
        """Makes the account's sidebar node current (the list shows its calls)."""
        index = self.sidebar_model.index_for_account(name)
        if not index.isValid():
            return False
        self.sidebar.setCurrentIndex(index)
        self.sidebar.scrollTo(index)
        return True

    def _sidebar_filter(self) -> dict | None:
        index = self.sidebar.currentIndex()
        return index.data(FilterRole) if index.isValid() else None

    def _on_sidebar_current(self, *_args) -> None:
        if not self._sidebar_syncing:
            self._apply_query()

    def empty_list_text(self) -> str:
        """What the call list says when it is empty: fetching, why an account shown alone has
        no calls (a rejected key, no key...), else how to get some."""
        if self.sync_controller.running():
            return FETCHING_TEXT
        ids = (self._sidebar_filter() or {}).get("account_ids")
        if ids and len(ids) == 1 and not self.filter_bar.is_filtering():
            account = next((a for a in self._accounts.values() if a.id == ids[0]), None)
            text = ACCOUNT_EMPTY_TEXTS.get(account.last_sync_state or "") if account else None
            if text:
                return text.format(name=account.name)
        return NO_CALLS_TEXT

    def _apply_query(self) -> None:
        self._query_applied = True
        self.table.set_placeholder(self.empty_list_text())
        query = apply_filter(self.call_model.query(), self._sidebar_filter())
        query = self.filter_bar.apply_to(query)
        try:
            self.call_model.set_query(query)
        except CallviewerError as e:
            self._read_failed(e, "Could not list the calls")
            return
        self._reselect()

    def _reselect(self) -> None:
        if self._current_rowid is not None:
            self._set_listed(self.table.select_rowid(self._current_rowid))

    def _set_listed(self, listed: bool) -> None:
        """Marks the call shown as in (or not in) the list as it is filtered now; the pane keeps
        showing it either way (a recording may be playing)."""
        if self._details_built:
            self.not_listed_label.setVisible(not listed and self._current_call is not None)

    def _account_at(self, pos) -> str | None:
        index = self.sidebar.indexAt(pos)
        if not index.isValid() or index.data(NodeKindRole) != "account":
            return None
        return index.data(AccountNameRole)

    def _sidebar_menu(self, pos) -> None:
        name = self._account_at(pos)
        if name is None:
            return
        menu = self.build_account_menu(name)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.sidebar.viewport().mapToGlobal(pos))

    def build_account_menu(self, name: str) -> QMenu:
        menu = QMenu(self)
        syncing = self.sync_controller.is_running(name)
        a = menu.addAction("Sync now", lambda: self.sync_accounts([name]))
        a.setEnabled(not syncing)
        a = menu.addAction("Edit…", lambda: self.open_edit_account(name))
        a.setEnabled(not syncing)
        menu.addSeparator()
        a = menu.addAction("Remove…", lambda: self.confirm_remove_account(name))
        a.setEnabled(not syncing)
        return menu

    def open_add_account(self) -> AccountDialog:
        return self._open_account_dialog(None)

    def open_edit_account(self, name: str) -> AccountDialog | None:
        account = self._accounts.get(name)
        if account is None:
            return None
        return self._open_account_dialog(account)

    def _open_account_dialog(self, account: Account | None) -> AccountDialog:
        if self._account_dialog is not None and self._account_dialog.isVisible():
            self._account_dialog.raise_()
            self._account_dialog.activateWindow()
            return self._account_dialog
        from callviewer.ui.accountdialog import AccountDialog

        dialog = AccountDialog(self.core, self, account=account)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.saved.connect(lambda acct, d=dialog: self._on_account_saved(acct, d.original_name))
        dialog.destroyed.connect(self._forget_dialog)
        self._account_dialog = dialog
        dialog.open()
        return dialog

    def _forget_dialog(self, *_args) -> None:
        self._account_dialog = None

    def _on_account_saved(self, account: Account, original_name: str | None) -> None:
        self.refresh_accounts()
        if original_name is None:
            # A new account (the first one, on first run): show it, and its first sync.
            self.select_account(account.name)
            self.show_status(f"Added {account.name}; fetching its calls…")
            self.sync_accounts([account.name])
        else:
            self.show_status(f"Saved {account.name}")
            self.refresh_list()

    def confirm_remove_account(self, name: str) -> QMessageBox:
        from PySide6.QtWidgets import QMessageBox

        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle("Remove account")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText(f"Remove the account “{name}”?")
        box.setInformativeText("Its cached calls and recordings are deleted from this computer and "
                               "its API key is removed from the keyring. Nothing changes at the "
                               "provider.")
        box.setStandardButtons(QMessageBox.StandardButton.Cancel)
        remove = box.addButton("Remove", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def done(_result: int) -> None:
            if box.clickedButton() is remove:
                self._keep(_spawn(self.remove_account(name)))
        box.finished.connect(done)
        box.open()
        return box

    async def remove_account(self, name: str) -> None:
        """Removes the account, its calls, recordings and keyring entry (on a worker thread, with
        its own connection to the cache), then refreshes the window."""
        import asyncio

        try:
            if self.sync_controller.is_running(name):
                self.sync_controller.cancel(name)
                await self.sync_controller.wait(timeout=SHUTDOWN_TIMEOUT_S)
            if self._current_call is not None and self._current_call.account == name:
                self.clear_call()  # also releases the recording file
            self.show_status(f"Removing {name}…")
            path, profile, keys = self.store.path, self.core.profile, self.core.keys

            def work() -> None:
                store = Store(path, check=False)
                try:
                    Core(profile, store, keys).remove_account(name)
                finally:
                    store.close()
            await asyncio.to_thread(work)
        except asyncio.CancelledError:
            raise
        except Exception as e:
            if not isinstance(e, CallviewerError):
                log.exception("removing %s failed", name)
            self.show_status(f"Could not remove {name}: {error_text(e)}", 15000)
            return
        self.refresh_accounts()
        self.call_model.refresh()
        self._reselect()
        self.show_status(f"Removed {name}")

    def start_demo_process(self) -> bool:
        program, *args = demo_command()
        from PySide6.QtCore import QProcess

        ok = QProcess.startDetached(program, args)
        ok = ok[0] if isinstance(ok, tuple) else bool(ok)
        self.show_status("Opening the demo in a new window…" if ok else "Could not start the demo")
        return ok

    # -- sync ----------------------------------------------------------------------------------
    def sync_all(self) -> list[str]:
        return self.sync_accounts(list(self._accounts))

    def sync_accounts(self, names: Iterable[str], *, full: bool = False) -> list[str]:
        try:
            accounts = [self.store.get_account(n) for n in names]
        except CallviewerError as e:
            self.show_status(error_text(e))
            return []
        if not accounts:
            self.show_status("No accounts to sync yet: add one first")
            return []
        return self.sync_controller.sync(accounts, full=full)

    def cancel_sync(self) -> None:
        if self.sync_controller.is_running():
            self.show_status("Cancelling the sync…")
            self.sync_controller.cancel()

    def _syncing_text(self, name: str) -> str:
        p = self.sync_controller.last_progress(name)
        if p is None:
            return "syncing…"
        if p.total and p.phase != "listing":
            return f"syncing… {min(p.done, p.total):,}/{p.total:,}"
        if p.listed:
            return f"syncing… {p.listed:,} listed"
        return "syncing…"

    def _on_sync_started(self, name: str) -> None:
        self.sidebar_model.set_account_state(name, "syncing", "syncing…")
        self._update_progress()

    def _on_sync_progress(self, name: str, _done: int, _total: int) -> None:
        self.sidebar_model.set_account_state(name, "syncing", self._syncing_text(name))
        self._update_progress()

    def _on_sync_running(self, running: bool) -> None:
        self.act_cancel_sync.setEnabled(running)
        # (a second Sync while one runs would do nothing: Cancel is beside it instead)
        self.sync_button.setEnabled(not running)
        self.act_sync.setEnabled(not running)
        self._update_progress()
        if running:
            self._batch_reports = []
            self._empty_refresh.start()
            return
        self._empty_refresh.stop()
        reports, self._batch_reports = self._batch_reports, []
        if len(reports) > 1 and not self._closing:
            self.show_status(self.batch_summary(reports), 20000)
        delay = self._schedule_offline_retry()
        if delay is not None and any(r.state == "offline" for r in reports) and not self._closing:
            minutes = delay / 60_000
            when = f"{minutes:.0f} min" if minutes >= 1 else f"{delay / 1000:.0f} s"
            self.show_status(f"{self.statusBar().currentMessage()} — trying again in {when}", 20000)

    # -- offline accounts ----------------------------------------------------------------------
    def offline_accounts(self) -> list[str]:
        """Accounts whose last sync found the provider unreachable (not syncing now)."""
        return [n for n, a in self._accounts.items()
                if a.last_sync_state == "offline" and not self.sync_controller.is_running(n)]

    def offline_retry_pending(self) -> int | None:
        """Milliseconds until offline accounts are synced again, or None when none is due."""
        return self._offline_timer.remainingTime() if self._offline_timer.isActive() else None

    def _schedule_offline_retry(self) -> int | None:
        """Arms the retry of offline accounts: after `offline_retry_ms`, then twice as long after
        each retry that still finds them offline (at most `offline_retry_max_ms`); disarmed, and
        the delay reset, once none is offline. Returns the delay armed (ms), or None."""
        if self._closing or not self.offline_accounts():
            self._offline_timer.stop()
            self._offline_delay = None
            return None
        if self._offline_timer.isActive():
            return self._offline_timer.remainingTime()
        if self._offline_delay is None:
            delay = self.offline_retry_ms
        else:
            delay = min(self._offline_delay * 2, max(self.offline_retry_max_ms, self.offline_retry_ms))
        self._offline_delay = delay
        self._offline_timer.start(delay)
        log.info("offline accounts %s: syncing them again in %.0f s", self.offline_accounts(), delay / 1000)
        return delay

    def _retry_offline(self) -> None:
        if self._closing:
            return
        names = self.offline_accounts()
        if names:
            log.info("syncing offline accounts again: %s", ", ".join(names))
            self.sync_accounts(names)

    @staticmethod
    def batch_summary(reports: list[SyncReport]) -> str:
        """One status line for several finished syncs."""
        good = [r for r in reports if r.state in ("ok", "partial")]
        bad = [r for r in reports if r.state not in ("ok", "partial")]
        if not good and all(r.state == "cancelled" for r in bad):
            return "Sync cancelled; what was fetched is kept"
        if good:
            text = (f"Synced {len(good)} of {len(reports)} accounts: "
                    f"{sum(r.new for r in good):,} new, {sum(r.updated for r in good):,} updated")
        else:
            text = f"None of the {len(reports)} accounts could be synced"
        failed = sum(len(r.failed) for r in good)
        if failed:
            text += f", {failed:,} calls could not be read"
        if bad:
            text += " — " + "; ".join(f"{r.account}: {state_text(r)[1]}" for r in bad)
        return text

    def _update_progress(self) -> None:
        names = self.sync_controller.running()
        visible = bool(names)
        self.table.set_placeholder(self.empty_list_text())
        for w in (self.progress_label, self.progress_bar, self.cancel_sync_button):
            w.setVisible(visible)
        if not visible:
            return
        done = total = 0
        known = True
        for n in names:
            p = self.sync_controller.last_progress(n)
            if p is None or p.total is None or p.phase == "listing":
                known = False
                continue
            done += min(p.done, p.total)
            total += p.total
        if known and total > 0:
            self.progress_bar.setRange(0, total)
            self.progress_bar.setValue(done)
        else:
            self.progress_bar.setRange(0, 0)  # busy
        label = names[0] if len(names) == 1 else f"{len(names)} accounts"
        self.progress_label.setText(f"Syncing {label}…")
        self.progress_bar.setToolTip("Syncing " + ", ".join(names))

    def _refresh_if_empty(self) -> None:
        if self.call_model.rowCount() == 0 and self._accounts:
            self.call_model.refresh()

    def _on_sync_finished(self, name: str, report: SyncReport) -> None:
        self._update_progress()
        if self._closing:
            return
        self._batch_reports.append(report)
        log.info("sync %s", report.summary_line())
        self.sidebar_model.set_account_state(name, "", "")  # back to the stored state
        self.refresh_accounts()
        stored = self._accounts.get(name)
        state, text = state_text(report)
        if stored is None or stored.last_sync_state != report.state:
            # The core could not record it (or the state is the window's own): show it live.
            self.sidebar_model.set_account_state(name, state, text)
        if report.state in ("ok", "partial"):
            msg = report.summary_line()
        elif report.state == "cancelled":
            msg = f"{name}: sync cancelled; what was fetched is kept"
        else:
            msg = f"{name}: {state_text(report)[1]}" if report.state in ("key_rejected", "offline") \
                else f"{name}: sync failed"
            if report.error:
                msg += f" — {report.error}"
        self.show_status(msg, 15000)
        self.refresh_list()

    def refresh_list(self) -> None:
        """Reloads the list (after a sync), keeping the selected call and updating its details."""
        try:
            self.call_model.refresh()
        except CallviewerError as e:
            self._read_failed(e, "Could not list the calls")
            return
        rowid = self._current_rowid
        if rowid is not None:
            listed = self.table.select_rowid(rowid)
            self.show_call(rowid)
            self._set_listed(listed)

    # -- the selected call ---------------------------------------------------------------------
    def current_call(self) -> Call | None:
        return self._current_call

    def clear_call(self) -> None:
        self._cancel_recording()
        self._current_rowid = None
        self._current_call = None
        if self._details_built:
            for w in (self.header, self.transcript, self.cost, self.analysis, self.raw):
                w.clear()
            self.player.clear()
            self.not_listed_label.hide()
        self.detail_stack.setCurrentWidget(self.no_call_label)

    def _on_current_rowid(self, rowid: int) -> None:
        self.show_call(rowid)
        if rowid is not None and rowid >= 0:
            self._set_listed(True)  # (selected in the list)

    def show_call(self, rowid: int) -> None:
        """Shows the call with this rowid (the table's current row) in the detail pane."""
        if rowid is None or rowid < 0:
            return  # the list lost its current row (reset): keep showing the call
        try:
            call = self.store.get_call_by_rowid(rowid)
        except CallviewerError as e:
            self._read_failed(e, "Could not read that call")
            return
        same_row = rowid == self._current_rowid
        if same_row and call == self._current_call:
            return
        previous = self._current_call if same_row else None
        self._current_rowid = rowid
        self._current_call = call
        self.ensure_details()
        self.detail_stack.setCurrentWidget(self.details_page)
        shown = bounded_for_display(call)
        self.header.set_call(shown)
        if previous is None or previous.transcript != call.transcript:
            self.transcript.set_call(call)
        self.cost.set_call(shown)
        self.analysis.set_call(shown)
        try:
            self.raw.set_payload(self.store.get_raw(rowid))
        except CallviewerError:
            self.raw.set_payload(None)
        if previous is None or previous.has_recording != call.has_recording:
            self._load_recording(call)

    def _cancel_recording(self) -> None:
        self._recording_token += 1
        if self._recording_task is not None and not self._recording_task.done():
            self._recording_task.cancel()
        self._recording_task = None

    @staticmethod
    def _save_name(call: Call, path) -> str:
        stem = re.sub(r"[^\w.-]+", "_", f"{call.account}-{call.provider_call_id}").strip("_")
        return stem[:100] + path.suffix

    def _load_recording(self, call: Call) -> None:
        from callviewer.ui.player import LOADING_TEXT, NO_RECORDING_TEXT

        self._cancel_recording()
        account = self._accounts.get(call.account)
        if account is None:
            self.player.set_message(NO_RECORDING_TEXT)
            return
        # Vatel's list does not say reliably whether a call was recorded: ask (as the core does).
        if not call.has_recording and account.provider != "vatel":
            self.player.set_message(NO_RECORDING_TEXT)
            return
        try:
            cached = self.core.cached_recording(account, call.provider_call_id)
        except OSError:
            cached = None
        if cached is not None:
            if self.player.source() != cached:
                self.player.set_source(cached, save_name=self._save_name(call, cached))
            return
        self.player.set_loading(LOADING_TEXT)
        token = self._recording_token
        self._recording_task = self._keep(_spawn(self._fetch_recording(token, account, call)))

    async def _fetch_recording(self, token: int, account: Account, call: Call) -> None:
        import asyncio

        from callviewer.ui.player import NO_RECORDING_TEXT

        try:
            path = await self.core.fetch_recording(account, call.provider_call_id)
        except asyncio.CancelledError:
            raise
        except (NotFound, RecordingError) as e:
            text = str(e)
            message = NO_RECORDING_TEXT if isinstance(e, NotFound) or "no recording" in text.lower() \
                else _first_upper(text)
        except CallviewerError as e:
            message = f"Could not fetch the recording: {e}"
        except Exception as e:
            log.exception("fetching the recording of %s failed", call.provider_call_id)
            message = f"Could not fetch the recording (unexpected {type(e).__name__}; see the log)"
        else:
            if token == self._recording_token:
                self.player.set_source(path, save_name=self._save_name(call, path))
            return
        if token == self._recording_token:
            self.player.set_message(message)

    def _on_tab(self, index: int) -> None:
        if self.detail_tabs.widget(index) is self.raw:
            self.raw.set_expanded(True)

    # -- keyboard ------------------------------------------------------------------------------
    def step_call(self, delta: int) -> None:
        """Makes the next (delta=1) or previous (-1) call current."""
        model = self.call_model
        current = self.table.currentIndex()
        if not current.isValid() and self._current_rowid is not None:
            row = model.row_of_rowid(self._current_rowid)
            row = -1 if row is None else row
        else:
            row = current.row() if current.isValid() else -1
        target = 0 if row < 0 else row + delta
        if target >= model.rowCount() and model.canFetchMore():
            model.fetchMore()
        if 0 <= target < model.rowCount():
            self.table.select_row(target)

    def find_in_transcript(self) -> None:
        if self._details_built and self.detail_stack.currentWidget() is self.details_page:
            self.transcript.show_find()

    def toggle_play(self) -> None:
        if self._details_built:
            self.player.toggle_play()

    def seek_relative(self, seconds: float) -> None:
        if self._details_built:
            self.player.seek_relative(seconds)

    def _on_focus_changed(self, old: QWidget | None, new: QWidget | None) -> None:
        if old is not None:
            try:
                old.removeEventFilter(self._key_guard)
            except RuntimeError:  # already deleted
                pass
        if new is not None and new.window() is self:
            new.installEventFilter(self._key_guard)

    # -- help ----------------------------------------------------------------------------------
    def open_about(self) -> AboutDialog:
        """Help → About (non-modal; one at a time)."""
        from callviewer.ui.about import AboutDialog

        if self._about is not None and self._about.isVisible():
            self._about.raise_()
            self._about.activateWindow()
            return self._about
        dialog = AboutDialog(self.core, self, demo=self.demo)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(self._forget_about)
        self._about = dialog
        dialog.open()
        return dialog

    def _forget_about(self, *_args) -> None:
        self._about = None

    # -- shutdown ------------------------------------------------------------------------------
    def pending_tasks(self) -> list[asyncio.Task]:
        tasks = [*self.sync_controller.tasks(), *self._tasks]
        dialog = self._account_dialog
        if dialog is not None and dialog._task is not None:
            tasks.append(dialog._task)
        return [t for t in tasks if not t.done()]

    async def shutdown(self) -> None:
        """Cancels syncs, recording fetches and dialog tasks and waits (a few seconds at most)
        for them to write what they have and close their connections."""
        self._closing = True
        self._offline_timer.stop()
        self._cancel_recording()
        if self._account_dialog is not None:
            self._account_dialog.reject()
        self.sync_controller.cancel()
        tasks = self.pending_tasks()
        for t in tasks:
            t.cancel()
        if tasks:
            import asyncio

            await asyncio.wait(tasks, timeout=SHUTDOWN_TIMEOUT_S)
        if self._details_built:
            self.player.clear()
        self._shutdown_done = True

    async def _shutdown_and_close(self) -> None:
        try:
            await self.shutdown()
        except Exception:
            log.exception("shutting down")
        self._shutdown_done = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self._closing = True
        if not self._state_saved:
            self._state_saved = True
            try:
                self.save_state()
            except Exception:
                log.exception("could not save the window state")
        if not self._shutdown_done and self.pending_tasks() and _loop_running():
            event.ignore()
            if self._shutdown_task is None:
                self.show_status("Stopping the sync…")
                self._shutdown_task = _spawn(self._shutdown_and_close())
            return
        for t in self.pending_tasks():
            t.cancel()
        if self._details_built:
            self.player.clear()
        super().closeEvent(event)
