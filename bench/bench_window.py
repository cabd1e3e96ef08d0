"""The whole window at 100,000 calls: startup, memory, a long transcript, search, sort, jump, and
a 30-minute waveform, measured side by side in one run. Prints the figures with their targets;
asserts nothing.

    .venv/bin/python bench/bench_window.py [--calls N] [--runs R] [--rebuild]

What is measured, and how:

* **Startup.** The real `python -m callviewer --profile <100k profile>` is launched R times as a
  subprocess (offscreen Qt) with `CALLVIEWER_BENCH_STARTUP=1`: once the call list has painted its
  first rows, the window prints `first-rows <seconds since process start>` and quits. The bench
  times each launch from just before the spawn to the arrival of that line (`perf_counter` in this
  process) and also shows the child's own figure. The same is done, interleaved, for a bare
  `QApplication` + `QMainWindow` (`first-paint ...` after its first paint): the floor of any Qt
  window here. Targets: first rows <= 1.0 s after launch and <= 2x the bare window. (What the
  first rows do not need comes right after them, and is not in this figure: the detail pane,
  the asyncio loop, the check of the cache's calls table, the sidebar's call counts; see
  `MainWindow(fast_start=True)`. Together they keep the UI thread busy for about 150 ms more.)
* **Memory.** A child process opens the same window (as `callviewer` does, with a key store that
  holds no keys, so no recording is fetched) and reports VmRSS/VmHWM from /proc/self/status after
  the launch, after jumping to the last row and dragging the scroll bar over the whole list,
  after selecting 20 calls one after another (among them the 1,500-turn one), and after a few
  searches. Target: < 300 MB.
* **In the window** (this process, 1440 x 900, on the qasync loop like the app): opening the
  1,500-turn call (selecting its row until the transcript and header have painted; from another
  call each time), a search keystroke (what the debounce timer runs: the filter bar's commit,
  the query, the repaint), sorting by each column both ways, and End (the last of 100,000 rows).
* **Waveform.** A 30-minute stereo recording (`callviewer.simulator.audio.long_call`):
  `compute_peaks` on its own, then the window's player loading it (`set_source`: the peaks are
  computed on a worker) while a 10 ms timer on the UI thread records the longest stall (per
  load; the median of R loads is compared with the target).
  Targets: peaks within 1 s; UI stall <= 50 ms (work in chunks under 50 ms keeps input
  responsive, the RAIL guideline).

The 100,000-call cache is bench_call_list.py's (built once into bench/out/); the window's profile
is a copy of it with one extra call of 1,500 turns, kept in bench/out/window-<N>/.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia.*=false")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_call_list import BASE, OUT, build  # noqa: E402

LONG_ID = "bench-long-1500"
LONG_TURNS = 1500
WIDTH, HEIGHT = 1440, 900
SEARCH_TERMS = ("refund", "voucher passw", "42", "+1 555", "customer", "zzzqqq")

TARGET_STARTUP_S = 1.0
TARGET_STARTUP_RATIO = 2.0
TARGET_RSS_MB = 300.0
TARGET_LONG_CALL_MS = 200.0
TARGET_SEARCH_MS = 150.0
TARGET_SORT_MS = 150.0
TARGET_JUMP_MS = 100.0
TARGET_PEAKS_MS = 1000.0
TARGET_STALL_MS = 50.0

BARE_WINDOW = r"""
import os, sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

def since_start():
    with open("/proc/self/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return time.clock_gettime(time.CLOCK_BOOTTIME) - int(fields[19]) / os.sysconf("SC_CLK_TCK")

class Probe(QObject):
    seen = False
    def eventFilter(self, obj, event):
        if not self.seen and event.type() == QEvent.Type.Paint:
            self.seen = True
            QTimer.singleShot(0, self.report)
        return False
    def report(self):
        print(f"first-paint {since_start():.3f}", file=sys.stderr, flush=True)
        app.quit()

app = QApplication(sys.argv[:1])
window = QMainWindow()
window.resize(1440, 900)
probe = Probe()
window.installEventFilter(probe)
window.show()
app.exec()
"""


# -- the profile -------------------------------------------------------------------------------

def long_call(calls: int):
    """The 1,500-turn call: the newest of the cache, so it is the list's first row."""
    from bench_transcript import make_call

    from callviewer.domain import Call

    turns = make_call(LONG_TURNS).transcript
    started = BASE + timedelta(seconds=calls * 150 + 600)
    iso = started.isoformat().replace("+00:00", "Z")
    last = max((t.start_s or 0.0) for t in turns)
    return dataclasses.replace(
        Call(provider="atlas", provider_call_id=LONG_ID), direction="inbound", status="ended",
        ended_reason="customer-ended-call", customer_number="+15550101500", agent_id="agent-3",
        created_at=iso, started_at=iso, duration_s=round(last + 3, 1), cost=1.2345, currency="USD",
        summary="A very long call: 1,500 turns", has_recording=False, transcript=turns)


def ensure_profile(calls: int, rebuild: bool) -> Path:
    """bench/out/window-<calls>/: the bench cache plus the 1,500-turn call (built when missing)."""
    from callviewer.store import CallRecord, Store

    OUT.mkdir(parents=True, exist_ok=True)
    src = OUT / f"calls-{calls}.db"
    if rebuild or not src.exists():
        build(src, calls)
    store = Store.open(src)  # also migrates it when the schema moved on
    n = store.count()
    store.close()
    if n != calls:
        build(src, calls)
    root = OUT / f"window-{calls}"
    db = root / "callviewer.db"
    marker = root / "bench-ready"
    if not rebuild and marker.exists() and marker.stat().st_mtime >= src.stat().st_mtime:
        try:
            store = Store.open(db)
            ok = store.count() == calls + 1
            store.close()
            if ok:
                return root
        except Exception:
            pass
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    shutil.copyfile(src, db)
    store = Store.open(db)
    account = store.get_account("prod")
    call = long_call(calls)
    store.upsert_calls(account.id, [CallRecord(LONG_ID, {"id": LONG_ID}, call, "long", "long")])
    store.close()
    marker.write_text("ok\n")
    print(f"made the window profile {root}")
    return root


def rss() -> dict[str, float]:
    """VmRSS and VmHWM (peak) of this process, in MB."""
    out = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0]) / 1024
    return out


# -- startup (subprocesses) --------------------------------------------------------------------

def launch(cmd: list[str], marker: str, env: dict[str, str]) -> tuple[float, float]:
    """(seconds from spawn to the marker line, the child's own seconds since process start)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    killer = threading.Timer(60, proc.kill)
    killer.start()
    try:
        assert proc.stderr is not None
        seen: list[str] = []
        for line in proc.stderr:
            if line.startswith(marker + " "):
                t1 = time.perf_counter()
                child = float(line.split()[1])
                proc.stderr.read()  # let it finish writing
                proc.wait()
                return t1 - t0, child
            seen.append(line)
        proc.wait()
        raise RuntimeError(f"{cmd[:3]} exited ({proc.returncode}) without {marker!r}:\n"
                           + "".join(seen[-20:]))
    finally:
        killer.cancel()


def bench_startup(profile: Path, runs: int) -> dict[str, list[tuple[float, float]]]:
    # Byte code is cached (outside the tree) as an installed app has it: without it (this
    # environment sets PYTHONDONTWRITEBYTECODE) every launch would compile ~40 modules first.
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", CALLVIEWER_BENCH_STARTUP="1",
               PYTHONPYCACHEPREFIX=str(OUT / "pycache"))
    env.pop("QT_LOGGING_RULES", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    out: dict[str, list[tuple[float, float]]] = {"callviewer": [], "bare": []}
    (profile / "settings.ini").unlink(missing_ok=True)
    # one untimed launch of each: byte code written, files in the page cache (a warm start)
    launch([sys.executable, "-m", "callviewer", "--profile", str(profile)], "first-rows", env)
    launch([sys.executable, "-c", BARE_WINDOW], "first-paint", env)
    for i in range(runs):  # interleaved, so both see the same machine
        (profile / "settings.ini").unlink(missing_ok=True)  # a first start: default geometry
        out["callviewer"].append(launch([sys.executable, "-m", "callviewer", "--profile", str(profile)],
                                        "first-rows", env))
        out["bare"].append(launch([sys.executable, "-c", BARE_WINDOW], "first-paint", env))
        cv, bare = out["callviewer"][-1], out["bare"][-1]
        print(f"  launch {i + 1}: callviewer first rows {cv[0] * 1000:.0f} ms (child says "
              f"{cv[1] * 1000:.0f}), bare QMainWindow first paint {bare[0] * 1000:.0f} ms "
              f"(child says {bare[1] * 1000:.0f})")
    (profile / "settings.ini").unlink(missing_ok=True)
    return out


IMPORTS = r"""
import time
t0 = time.perf_counter()
import callviewer.cli
t1 = time.perf_counter()
import PySide6.QtWidgets
t2 = time.perf_counter()
import callviewer.ui.app
t3 = time.perf_counter()
import callviewer.ui.mainwindow
t4 = time.perf_counter()
print(f"{t1 - t0} {t2 - t1} {t3 - t2} {t4 - t3}")
"""


def import_costs() -> list[float]:
    """Seconds to import, in a fresh warm process: the command line (its parser, the sync engine,
    the providers, httpx), PySide6.QtWidgets, the rest of ui.app, the main window."""
    env = dict(os.environ, PYTHONPYCACHEPREFIX=str(OUT / "pycache"))
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    runs = [[float(x) for x in subprocess.run([sys.executable, "-c", IMPORTS], cwd=ROOT, env=env,
                                                capture_output=True, text=True, check=True
                                                ).stdout.split()] for _ in range(3)]
    return [statistics.median(col) for col in zip(*runs)]


# -- the window in this process (or the memory child) -----------------------------------------

class PaintWatch:
    """Counts paint events of some widgets (an event filter that never eats them)."""

    def __init__(self, *widgets) -> None:
        from PySide6.QtCore import QEvent, QObject

        watch = self

        class _Filter(QObject):
            def eventFilter(self, obj, event) -> bool:  # noqa: N802
                if event.type() == QEvent.Type.Paint:
                    watch.painted.add(obj)
                return False

        self.painted: set = set()
        self._filter = _Filter()
        self.widgets = list(widgets)
        for w in self.widgets:
            w.installEventFilter(self._filter)

    def reset(self) -> None:
        self.painted.clear()

    def all_painted(self) -> bool:
        return all(w in self.painted for w in self.widgets)


def open_window(profile: Path, settings_dir: str):
    """The window as `callviewer --profile` builds it, 1440 x 900, shown (no loop yet)."""
    from PySide6.QtCore import QSettings

    from callviewer.core import open_core
    from callviewer.profile import Profile
    from callviewer.secrets import MemoryKeyStore
    from callviewer.ui.app import _make_app, create_window

    app = _make_app()
    core, _notice = open_core(Profile.open(profile), MemoryKeyStore())
    settings = QSettings(str(Path(settings_dir) / "settings.ini"), QSettings.Format.IniFormat)
    window = create_window(core, settings)
    window.resize(WIDTH, HEIGHT)
    window.show()
    return app, core, window


def run_on_loop(app, coro_fn) -> object:
    import qasync

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        return loop.run_until_complete(coro_fn())


# Waiting is always `await asyncio.sleep(...)`: the qasync loop then runs Qt's events (layouts,
# paints) and the window's own tasks. (QApplication.processEvents() inside a coroutine would run
# other tasks' steps re-entrantly, which asyncio refuses.)

async def pump(seconds: float = 0.0) -> None:
    """Lets queued events, paints and asyncio callbacks run."""
    end = time.perf_counter() + seconds
    while True:
        await asyncio.sleep(0.001)
        if time.perf_counter() >= end:
            return


async def until(cond: Callable[[], bool], timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.perf_counter() + timeout
    while not cond():
        if time.perf_counter() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0)


async def settle_totals(window) -> None:
    model = window.call_model
    want = model.query()
    await until(lambda: model.totals() is not None and model.query() == want, 30, "the totals")
    await pump(0.02)


async def select_and_paint(window, watch: PaintWatch, row: int) -> float:
    """Makes `row` current; seconds until its transcript and header have painted."""
    watch.reset()
    t0 = time.perf_counter()
    window.table.select_row(row)
    await until(watch.all_painted, 10, "the details to paint")
    return time.perf_counter() - t0


def memory_child(profile: Path) -> int:
    """Run in a subprocess: prints one JSON line of RSS figures per stage."""
    from callviewer.store import CallQuery

    with tempfile.TemporaryDirectory(prefix="bench-window-") as tmp:
        app, core, window = open_window(profile, tmp)
        stages: list[tuple[str, dict[str, float]]] = []

        async def steps() -> None:
            watch = PaintWatch(window.transcript.list_view().viewport(), window.header)
            rows = PaintWatch(window.table.viewport())
            await until(lambda: window.call_model.rowCount() > 0 and rows.all_painted(), 30, "first rows")
            await settle_totals(window)
            stages.append(("after launch", rss()))

            table = window.table
            table.jump_to_end()
            await pump(0.05)
            bar = table.verticalScrollBar()
            for k in range(101):  # drag the thumb from the top to the bottom
                bar.setValue(bar.maximum() * k // 100)
                table.viewport().repaint()
            await pump(0.05)
            stages.append(("after End + scrolling the whole list", rss()))

            model = window.call_model
            n = model.rowCount()
            picks = [0] + [n * k // 20 for k in range(1, 19)] + [n - 1]  # row 0: the 1,500 turns
            for row in picks:
                await select_and_paint(window, watch, row)
                await pump(0.01)
            await pump(0.2)
            stages.append(("after selecting 20 calls", rss()))

            for term in SEARCH_TERMS:
                window.filter_bar.set_search(term)
                table.viewport().repaint()
                await pump(0.05)
            window.filter_bar.set_search("")
            await settle_totals(window)
            stages.append(("after searches", rss()))
            assert model.query().search is None and isinstance(model.query(), CallQuery)
            await window.shutdown()

        try:
            run_on_loop(app, steps)
        finally:
            window.close()
            window.call_model.close()
            core.close()
    for name, figures in stages:
        print(json.dumps({"stage": name, **figures}), flush=True)
    return 0


def bench_memory(profile: Path) -> list[dict]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run([sys.executable, __file__, "--child", "memory", "--profile", str(profile)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise RuntimeError(f"the memory child failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


async def window_figures(window, runs: int, wav: Path) -> dict:
    from PySide6.QtCore import QElapsedTimer, Qt, QTimer
    from PySide6.QtTest import QTest

    from callviewer.store import CallQuery
    from callviewer.ui.models.calls import COLUMNS

    out: dict = {}
    table, model, bar = window.table, window.call_model, window.filter_bar
    rows_watch = PaintWatch(table.viewport())
    await until(lambda: model.rowCount() > 0 and rows_watch.all_painted(), 30, "first rows")
    await settle_totals(window)

    def paint() -> None:
        table.viewport().repaint()

    # the 1,500-turn call (row 0), opened from the call below it each time
    assert model.call_row(0).provider_call_id == LONG_ID, "the long call should be the newest"
    watch = PaintWatch(window.transcript.list_view().viewport(), window.header)
    times = []
    for _ in range(runs):
        await select_and_paint(window, watch, 1)
        await pump(0.05)
        times.append(await select_and_paint(window, watch, 0))
        await pump(0.05)
    out["long_call"] = times
    assert window.transcript.model().rowCount() >= LONG_TURNS - 1

    # a search keystroke: the debounced commit (query + first page) and the repaint
    out["search"] = {}
    for term in SEARCH_TERMS:
        samples = []
        for _ in range(runs):
            bar.set_search("")
            await settle_totals(window)
            bar.search.setText(term)  # typing; the debounce timer would now fire ...
            t0 = time.perf_counter()
            bar.flush()  # ... and run this
            paint()
            samples.append(time.perf_counter() - t0)
            await pump(0.01)
        out["search"][term] = (samples, window.store.count(model.query()))
    bar.set_search("")
    await settle_totals(window)

    # sorting: a click on a header section (the model sorts in SQL) and the repaint
    out["sort"] = {}
    hh = table.horizontalHeader()
    for col, (_key, header) in enumerate(COLUMNS):
        for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
            flip = (Qt.SortOrder.DescendingOrder if order == Qt.SortOrder.AscendingOrder
                    else Qt.SortOrder.AscendingOrder)
            samples = []
            for _ in range(runs):
                hh.setSortIndicator(col, flip)
                await pump(0.005)
                t0 = time.perf_counter()
                hh.setSortIndicator(col, order)  # what a click does: sortIndicatorChanged -> sort
                paint()
                samples.append(time.perf_counter() - t0)
            arrow = "asc" if order == Qt.SortOrder.AscendingOrder else "desc"
            out["sort"][f"{header} {arrow}"] = samples
    hh.setSortIndicator(0, Qt.SortOrder.DescendingOrder)
    await settle_totals(window)

    # End: from the first row of a fresh list to the last of the whole result, painted
    samples = []
    for _ in range(runs):
        model.set_query(dataclasses.replace(model.query(), search=None))
        table.select_row(0)
        table.setFocus()
        await settle_totals(window)
        t0 = time.perf_counter()
        QTest.keyClick(table, Qt.Key.Key_End)
        paint()
        samples.append(time.perf_counter() - t0)
        assert table.currentIndex().row() == model.rowCount() - 1
    out["jump"] = samples
    out["rows"] = model.rowCount()
    assert model.query().search is None and isinstance(model.query(), CallQuery)

    # the waveform: the player loads the recording; peaks on a worker, the UI thread keeps ticking
    player = window.player
    loads = []
    for _ in range(runs):
        player.clear()
        await pump(0.05)
        clock = QElapsedTimer()
        gaps: list[int] = []
        last = [0]

        def tick() -> None:
            now = clock.elapsed()
            gaps.append(now - last[0])
            last[0] = now
        timer = QTimer()
        timer.setInterval(10)
        timer.timeout.connect(tick)
        # Waited for with a future, not by polling: the UI thread idles as it would in use.
        arrived: asyncio.Future = asyncio.get_event_loop().create_future()

        def done(peaks: object, fut: asyncio.Future = arrived) -> None:
            if not fut.done():
                fut.set_result(time.perf_counter())
        player.waveform.peaksLoaded.connect(done)
        clock.start()
        timer.start()
        t0 = time.perf_counter()
        player.set_source(wav)
        took = await asyncio.wait_for(arrived, 30) - t0
        await asyncio.sleep(0.03)
        timer.stop()
        player.waveform.peaksLoaded.disconnect(done)
        loads.append((took, max(gaps) if gaps else float("nan"), len(gaps)))
    # the idle UI thread, for comparison
    clock = QElapsedTimer()
    gaps = []
    last = [0]

    def idle_tick() -> None:
        now = clock.elapsed()
        gaps.append(now - last[0])
        last[0] = now
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(idle_tick)
    clock.start()
    timer.start()
    await pump(0.5)
    timer.stop()
    out["waveform_load"] = loads
    out["idle_gap_ms"] = max(gaps) if gaps else float("nan")
    player.clear()
    await window.shutdown()
    return out


def make_wav() -> Path:
    from callviewer.simulator.audio import long_call as write_long_call

    path = OUT / "long-call-30min.wav"
    if not path.exists() or path.stat().st_size < 50_000_000:
        t = time.perf_counter()
        write_long_call(path, minutes=30)
        print(f"  wrote {path.name} ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - t:.1f} s")
    return path


# -- report ------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--child", choices=["memory"], help=argparse.SUPPRESS)
    ap.add_argument("--profile", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child == "memory":
        return memory_child(args.profile)

    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {args.calls:,} calls, "
          f"{args.runs} runs per figure")
    profile = ensure_profile(args.calls, args.rebuild)
    wav = make_wav()

    print("\nStartup (subprocesses, offscreen; after one untimed warm-up launch of each):")
    startup = bench_startup(profile, args.runs)
    from callviewer.store import Store

    opens = {}
    for check in (True, False):
        t = time.perf_counter()
        Store.open(profile / "callviewer.db", check=check).close()
        opens[check] = (time.perf_counter() - t) * 1000
    print(f"  for reference: opening the cache takes {opens[True]:.0f} ms, of which the check on "
          f"open (PRAGMA quick_check of the calls table) {opens[True] - opens[False]:.0f} ms")
    cli, qt, app_rest, window = import_costs()
    print(f"  for reference: imports take {(cli + qt + app_rest + window) * 1000:.0f} ms: callviewer.cli "
          f"(with sync, providers, httpx) {cli * 1000:.0f}, PySide6.QtWidgets {qt * 1000:.0f}, the rest "
          f"of ui.app {app_rest * 1000:.0f}, ui.mainwindow {window * 1000:.0f}")
    print("\nMemory (a child process with the window):")
    memory = bench_memory(profile)
    for s in memory:
        print(f"  {s['stage']:<40} current {s['VmRSS']:6.0f} MB   peak {s['VmHWM']:6.0f} MB")

    from callviewer.ui.waveform import compute_peaks

    print("\nWaveform of the 30-minute stereo recording:")
    peak_times = []
    for _ in range(3):
        t = time.perf_counter()
        peaks = compute_peaks(wav)
        peak_times.append(time.perf_counter() - t)
    print(f"  compute_peaks: {', '.join(f'{x * 1000:.0f}' for x in peak_times)} ms "
          f"({peaks.duration_s / 60:.0f} min, {peaks.channel_count} ch, {peaks.sample_rate} Hz)")

    print("\nIn the window (1440 x 900, this process):")
    with tempfile.TemporaryDirectory(prefix="bench-window-") as tmp:
        app, core, window = open_window(profile, tmp)
        try:
            figures = run_on_loop(app, lambda: window_figures(window, args.runs, wav))
        finally:
            window.close()
            window.call_model.close()
            core.close()
    assert isinstance(figures, dict)
    lc = figures["long_call"]
    print(f"  open the 1,500-turn call: {', '.join(f'{x * 1000:.0f}' for x in lc)} ms")
    width = 34
    print(f"  {'search keystroke':<{width}}{'median':>8}{'max':>8}  hits")
    for term, (samples, hits) in figures["search"].items():
        print(f"    {term!r:<{width - 2}}{median_ms(samples):>8.1f}{max(samples) * 1000:>8.1f}  "
              f"{hits:,}")
    print(f"  {'sort (header click + paint)':<{width}}{'median':>8}{'max':>8}")
    for label, samples in figures["sort"].items():
        print(f"    {label:<{width - 2}}{median_ms(samples):>8.1f}{max(samples) * 1000:>8.1f}")
    print(f"  End to the last of {figures['rows']:,} rows: "
          f"{', '.join(f'{x * 1000:.1f}' for x in figures['jump'])} ms")
    for i, (took, gap, ticks) in enumerate(figures["waveform_load"]):
        print(f"  player.set_source(30 min) run {i + 1}: waveform after {took * 1000:.0f} ms, "
              f"longest UI stall {gap} ms ({ticks} ticks of 10 ms)")
    print(f"  idle UI thread, for comparison: longest gap {figures['idle_gap_ms']} ms")

    # -- summary ---------------------------------------------------------------------------
    cv = [x[0] for x in startup["callviewer"]]
    cv_child = [x[1] for x in startup["callviewer"]]
    bare = [x[0] for x in startup["bare"]]
    bare_child = [x[1] for x in startup["bare"]]
    peak_rss = max(s["VmHWM"] for s in memory)
    end_rss = memory[-1]["VmRSS"] if memory else float("nan")
    search_worst = max(median_ms(s) for s, _h in figures["search"].values())
    search_term = max(figures["search"], key=lambda k: median_ms(figures["search"][k][0]))
    sort_worst = max(median_ms(s) for s in figures["sort"].values())
    sort_label = max(figures["sort"], key=lambda k: median_ms(figures["sort"][k]))
    load_took = statistics.median(x[0] for x in figures["waveform_load"]) * 1000
    stall = statistics.median(x[1] for x in figures["waveform_load"])
    stall_worst = max(x[1] for x in figures["waveform_load"])

    rows: list[tuple[str, str, str, bool | None]] = []

    def row(figure: str, target: str, measured: str, ok: bool | None) -> None:
        rows.append((figure, target, measured, ok))

    row("startup: first rows (spawn -> line)", f"<= {TARGET_STARTUP_S:.1f} s",
        f"{statistics.median(cv):.3f} s", statistics.median(cv) <= TARGET_STARTUP_S)
    row("  child's own figure (since exec)", "", f"{statistics.median(cv_child):.3f} s", None)
    row("  bare QMainWindow first paint", "", f"{statistics.median(bare):.3f} s "
        f"(child {statistics.median(bare_child):.3f})", None)
    ratio = statistics.median(cv) / statistics.median(bare)
    row("startup vs bare QMainWindow", f"<= {TARGET_STARTUP_RATIO:.0f}x", f"{ratio:.2f}x",
        ratio <= TARGET_STARTUP_RATIO)
    # Other work on the machine only ever adds time, and each launch is ~0.1-0.2 s: on a busy or
    # virtual machine the medians of a few launches wander (+-0.15x run to run). The fastest
    # launch of each is the steadier estimate of the cost itself (what `timeit` advises), shown
    # beside it; the target is judged on the medians.
    row("  the same, fastest launch of each", "", f"{min(cv) / min(bare):.2f}x", None)
    row("memory: peak RSS (VmHWM)", f"< {TARGET_RSS_MB:.0f} MB", f"{peak_rss:.0f} MB",
        peak_rss < TARGET_RSS_MB)
    row("memory: RSS at the end", f"< {TARGET_RSS_MB:.0f} MB", f"{end_rss:.0f} MB",
        end_rss < TARGET_RSS_MB)
    row("open a 1,500-turn call (-> painted)", f"<= {TARGET_LONG_CALL_MS:.0f} ms",
        f"{median_ms(lc):.0f} ms", median_ms(lc) <= TARGET_LONG_CALL_MS)
    row("search keystroke (slowest term)", f"<= {TARGET_SEARCH_MS:.0f} ms",
        f"{search_worst:.0f} ms ({search_term!r})", search_worst <= TARGET_SEARCH_MS)
    row("sort by a column (slowest)", f"<= {TARGET_SORT_MS:.0f} ms",
        f"{sort_worst:.0f} ms ({sort_label})", sort_worst <= TARGET_SORT_MS)
    row("End: jump to the last row", f"<= {TARGET_JUMP_MS:.0f} ms",
        f"{median_ms(figures['jump']):.0f} ms", median_ms(figures["jump"]) <= TARGET_JUMP_MS)
    row("waveform 30 min: compute_peaks", f"<= {TARGET_PEAKS_MS:.0f} ms",
        f"{median_ms(peak_times):.0f} ms", median_ms(peak_times) <= TARGET_PEAKS_MS)
    row("waveform in the player (worker)", f"<= {TARGET_PEAKS_MS:.0f} ms",
        f"{load_took:.0f} ms", load_took <= TARGET_PEAKS_MS)
    row("  longest UI-thread stall meanwhile", f"<= {TARGET_STALL_MS:.0f} ms", f"{stall:.0f} ms "
        f"(worst run {stall_worst}, idle {figures['idle_gap_ms']})", stall <= TARGET_STALL_MS)

    w = [max(len(r[i]) for r in rows) for i in range(3)]
    print(f"\nSummary ({args.calls:,} calls, median of {args.runs} unless noted)\n")
    print(f"{'figure':<{w[0]}}  {'target':<{w[1]}}  {'measured':<{w[2]}}  result")
    print("-" * (w[0] + w[1] + w[2] + 14))
    failed = 0
    for figure, target, measured, ok in rows:
        verdict = "" if ok is None else ("pass" if ok else "FAIL")
        failed += ok is False
        print(f"{figure:<{w[0]}}  {target:<{w[1]}}  {measured:<{w[2]}}  {verdict}")
    print(f"\n{'all targets met' if not failed else f'{failed} target(s) missed'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
