"""The window's entry point: `run_gui()` (for `callviewer` and `callviewer --demo`) and
`create_window()` (also used by tests, without running a loop).

One asyncio loop for the whole app (qasync). It is set up on the running Qt event loop once the
call list's first rows are on screen (importing asyncio alone takes ~20 ms). The demo runs the
built-in provider simulator on 127.0.0.1 with a throwaway profile and in-memory keys, so it needs
no key, network or keyring.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QStyleFactory

from callviewer import __version__
from callviewer.core import Core, open_core
from callviewer.errors import CallviewerError
from callviewer.logs import setup_logging
from callviewer.profile import APP_ID, APP_NAME, Profile
from callviewer.secrets import KeyStore, MemoryKeyStore, OsKeyStore, Secret

if TYPE_CHECKING:
    from callviewer.simulator import Simulator
    from callviewer.ui.mainwindow import MainWindow

log = logging.getLogger(__name__)

DEMO_SEED = 20240501
DEMO_CALLS_PER_PROVIDER = 150
DEMO_ACCOUNTS = (("Atlas demo", "atlas"), ("Callab demo", "callab"), ("Vatel demo", "vatel"))
#: Set (to anything but "" or "0") by bench/bench_window.py: once the first call rows have been
#: painted, print `first-rows <seconds since the process started>` to stderr and quit.
BENCH_STARTUP_ENV = "CALLVIEWER_BENCH_STARTUP"
#: Set to a number of seconds (packaging/build.sh's smoke run of the bundle, tests): the window
#: closes itself that long after it was shown (stopping syncs as on a normal close), prints one
#: `callviewer: quit after ...` line to stderr, and the process exits with status 0.
QUIT_AFTER_ENV = "CALLVIEWER_QUIT_AFTER"


def create_window(core: Core, settings: QSettings, *, demo: bool = False,
                  fast_start: bool = False) -> MainWindow:
    """The main window on `core` (not shown). Needs a QApplication; async work needs a running
    qasync loop, but building the window does not. `fast_start`: see `MainWindow` (the app
    itself starts so, on a core opened with `check="light"`)."""
    from callviewer.ui.mainwindow import MainWindow

    return MainWindow(core, settings, demo=demo, fast_start=fast_start)


def settings_for(profile: Profile) -> QSettings:
    return QSettings(str(profile.settings_path), QSettings.Format.IniFormat)


def set_identity(app: QApplication, *, icon: bool = True) -> None:
    """Name, version, desktop id (ai.callviewer.CallViewer: the .desktop file and the Wayland
    app id) and the window icon of the application (`icon=False`: see `set_icon`)."""
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setApplicationVersion(__version__)
    QGuiApplication.setDesktopFileName(APP_ID)
    if icon:
        set_icon(app)


def set_icon(app: QApplication) -> None:
    """The application's window icon (~3 ms: `callviewer` sets it just after its first rows)."""
    from callviewer.ui.appicon import app_icon

    icon = app_icon()
    if not icon.isNull():
        app.setWindowIcon(icon)


def _make_app(*, icon: bool = True) -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication([sys.argv[0] if sys.argv else APP_NAME])
    set_identity(app, icon=icon)
    # Follow the platform's style and palette (dark mode included); only when no real platform
    # style is there (Qt's bare "Windows" fallback on a desktop without a theme) use Fusion.
    style = app.style().name().lower() if app.style() is not None else ""
    if (not style or style == "windows") and sys.platform != "win32" \
            and "Fusion" in QStyleFactory.keys():
        app.setStyle("Fusion")
    return app


def _fatal(text: str) -> int:
    print(f"callviewer: {text}", file=sys.stderr)
    from PySide6.QtWidgets import QMessageBox

    box = QMessageBox(QMessageBox.Icon.Critical, "callviewer", text)
    box.exec()  # before the loop runs, not inside a coroutine
    return 1


def run_gui(profile: str | None, demo: bool, debug: bool) -> int:
    app = _make_app(icon=False)  # (set with the asyncio loop, after the first rows)
    sim: Simulator | None = None
    demo_dir: str | None = None
    core: Core | None = None
    try:
        if demo:
            from callviewer.simulator import Simulator

            sim = Simulator(calls_per_provider=DEMO_CALLS_PER_PROVIDER, seed=DEMO_SEED,
                            now=datetime.now(timezone.utc)).start("127.0.0.1", 0)
            import tempfile

            demo_dir = tempfile.mkdtemp(prefix="callviewer-demo-")
            prof = Profile.open(demo_dir)
            keys: KeyStore = MemoryKeyStore()
        else:
            try:
                prof = Profile.open(profile)
                keys = OsKeyStore(prof.profile_id)
            except CallviewerError as e:  # (a file where the folder should be, no permission)
                return _fatal(str(e))
        setup_logging(prof.logs_dir, debug=debug)
        log.info("callviewer %s starting (profile %s%s)", __version__, prof.root, ", demo" if demo else "")
        try:
            # The calls table is checked by the window once its first rows are shown.
            core, notice = open_core(prof, keys, check="light")
        except CallviewerError as e:
            return _fatal(str(e))
        except OSError as e:
            return _fatal(f"cannot open the profile {prof.root}: {e.strerror or e}")
        return _run_loop(app, core, settings_for(prof), demo=demo, sim=sim, notice=notice)
    finally:
        gc.enable()  # (if the window never got to its first rows)
        if core is not None:
            try:
                core.close()
            except Exception:
                log.exception("closing the cache")
        if sim is not None:
            sim.stop()
        if demo_dir is not None:
            root = logging.getLogger()
            for h in list(root.handlers):
                if getattr(h, "_callviewer", False):
                    root.removeHandler(h)
                    h.close()
            import shutil

            shutil.rmtree(demo_dir, ignore_errors=True)


class _AfterFirstRows(QObject):
    """What the app's start leaves until the call list's first paint (or FALLBACK_MS, for a first
    page without a list: the welcome page; or when the window needs the loop sooner:
    `mainwindow.loop_starter`): the garbage collector back on, the window icon, and the asyncio
    loop (qasync, on the Qt event loop already running), then `then()`."""

    FALLBACK_MS = 300

    def __init__(self, window: MainWindow, app: QApplication, then) -> None:
        super().__init__(window)
        self._app = app
        self._then = then
        self._table = window.table
        self.loop = None
        self._table.painted.connect(self._on_painted)
        QTimer.singleShot(self.FALLBACK_MS, self.start)

    def _on_painted(self) -> None:
        if self.loop is None:
            QTimer.singleShot(0, self.start)

    def start(self) -> None:
        if self.loop is not None:
            return
        import asyncio

        import qasync

        from callviewer.ui import mainwindow

        mainwindow.loop_starter = None
        self._table.painted.disconnect(self._on_painted)
        # (callviewer.app turned the garbage collector off for the start: what exists now lives
        # as long as the app, so it is moved out of the collector's way, then it runs again)
        gc.freeze()
        gc.enable()
        set_icon(self._app)
        self.loop = qasync.QEventLoop(self._app, already_running=True)
        asyncio.set_event_loop(self.loop)
        self._then()

    def close(self) -> None:
        """After the Qt event loop has ended: cancels what is left and closes the loop."""
        loop = self.loop
        if loop is None:
            return
        import asyncio

        for t in [t for t in asyncio.all_tasks(loop) if not t.done()]:
            t.cancel()
        loop.stop()
        asyncio.events._set_running_loop(None)
        asyncio.set_event_loop(None)
        loop.close()


def _run_loop(app: QApplication, core: Core, settings: QSettings, *, demo: bool,
              sim: Simulator | None, notice: str | None) -> int:
    from callviewer.ui import mainwindow

    window = create_window(core, settings, demo=demo, fast_start=True)
    if notice:
        window.show_notice(notice)
        window.show_status("The local cache was rebuilt; sync to fill it again", 15000)

    def when_ready() -> None:
        if demo and sim is not None and not window._closing:
            import asyncio

            window._keep(asyncio.ensure_future(_start_demo(window, core, sim)))

    # What waits for the first rows runs in this order once they are painted: the benchmark's
    # probe, the asyncio loop, then the window's own (the detail pane, connected when shown).
    if os.environ.get(BENCH_STARTUP_ENV, "") not in ("", "0"):
        _FirstRowsProbe(window, app)
    starter = _AfterFirstRows(window, app, when_ready)
    mainwindow.loop_starter = starter.start

    # Ctrl+C / SIGTERM close the window (which stops syncs and saves state) instead of killing it.
    def on_signal(*_args) -> None:
        QTimer.singleShot(0, window.close)

    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            signal.signal(sig, on_signal)
        except (ValueError, OSError):
            pass
    ticker = QTimer()  # lets Python run its signal handlers while Qt waits
    ticker.start(300)
    ticker.timeout.connect(lambda: None)

    quit_after = quit_after_seconds()
    if quit_after is not None:
        _QuitAfter(window, app, quit_after)
    window.show()
    try:
        app.exec()
    finally:
        mainwindow.loop_starter = None
        ticker.stop()
        starter.close()
    return 0


def seconds_since_process_start() -> float | None:
    """How long this process has been running (Linux: /proc/self/stat, 10 ms ticks); None
    where that cannot be read."""
    try:
        with open("/proc/self/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22: start time since boot
        return time.clock_gettime(time.CLOCK_BOOTTIME) - started
    except (OSError, ValueError, IndexError, AttributeError):
        return None


def quit_after_seconds(environ=None) -> float | None:
    """The seconds of QUIT_AFTER_ENV, or None when it is unset, empty or not a number >= 0."""
    value = (os.environ if environ is None else environ).get(QUIT_AFTER_ENV, "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not (0 <= seconds < 1e6):
        print(f"callviewer: ignoring {QUIT_AFTER_ENV}={value!r}: not a number of seconds",
              file=sys.stderr)
        return None
    return seconds


class _QuitAfter(QObject):
    """See QUIT_AFTER_ENV: closes the window after a while the way the user would (syncs are
    cancelled and their work kept), then quits the application even if a dialog is still open."""

    #: After the close, how long the window may take to stop its tasks before the app quits anyway.
    GRACE_S = 15.0

    def __init__(self, window: MainWindow, app: QApplication, seconds: float) -> None:
        super().__init__(window)
        self._window = window
        self._app = app
        self._seconds = seconds
        self._deadline = 0.0
        self._poll = QTimer(self)
        self._poll.setInterval(50)
        self._poll.timeout.connect(self._check)
        QTimer.singleShot(int(seconds * 1000), self._close)

    def _close(self) -> None:
        w = self._window
        accounts = w.accounts()
        calls = sum(a.call_count or 0 for a in accounts.values())
        print(f"callviewer: quit after {self._seconds:g} s ({QUIT_AFTER_ENV}): {len(accounts)} accounts, "
              f"{calls} calls", file=sys.stderr, flush=True)
        log.info("%s: closing the window", QUIT_AFTER_ENV)
        self._deadline = time.monotonic() + self.GRACE_S
        self._poll.start()
        w.close()

    def _check(self) -> None:
        if not self._window.isVisible() or time.monotonic() > self._deadline:
            self._poll.stop()
            self._app.quit()


class _FirstRowsProbe(QObject):
    """The startup benchmark's probe (see BENCH_STARTUP_ENV): after the call list's first paint
    that has rows to show, reports and quits."""

    def __init__(self, window: MainWindow, app: QApplication) -> None:
        super().__init__(window)
        self._window = window
        self._app = app
        self._seen = False
        window.table.painted.connect(self._on_painted)

    def _on_painted(self) -> None:
        if not self._seen and self._window.call_model.rowCount() > 0:
            self._seen = True
            # Runs once the whole window has been painted and flushed to the screen.
            QTimer.singleShot(0, self._report)

    def _report(self) -> None:
        t = seconds_since_process_start()
        print(f"first-rows {t:.3f}" if t is not None else "first-rows nan", file=sys.stderr, flush=True)
        self._window.table.painted.disconnect(self._on_painted)
        self._app.quit()


async def _start_demo(window: MainWindow, core: Core, sim: Simulator) -> None:
    """Adds the three demo accounts (served by the simulator) and syncs them."""
    try:
        existing = {a.name for a in core.store.accounts()}
        for name, provider in DEMO_ACCOUNTS:
            if name in existing:
                continue
            key = Secret(next(iter(sim.keys[provider])))
            await core.add_account(name, provider, key, base_url=sim.base_urls[provider], verify=False)
    except CallviewerError as e:
        window.show_status(f"The demo could not start: {e}", 0)
        return
    except Exception as e:
        log.exception("demo setup failed")
        window.show_status(f"The demo could not start ({type(e).__name__}; see the log)", 0)
        return
    window.refresh_accounts()
    window.show_status("Demo: fetching simulated calls…")
    window.sync_all()
