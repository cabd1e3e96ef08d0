"""A compressed working day in the real window: tens of thousands of selection changes, searches
and player seeks over a synced simulator profile (offscreen). Prints the figures; asserts nothing.

    .venv/bin/python bench/bench_soak.py [--ops 50000] [--calls 150] [--seed 1]

How:

* The provider simulator runs in a process of its own (`callviewer simulate`), so that its
  recording cache is not counted in the window's memory. A throwaway profile gets one Atlas, one
  Callab and one Vatel account on it (keys in memory), synced through the window.
* The window (1440 x 900, on the qasync loop like the app) then goes through `--ops` operations,
  chosen with a seeded RNG: 55% selection changes (j/k steps and jumps to a random row of the
  list; a selected call's recording is fetched from the simulator and cached, and one selection
  in 20 stays until it is there, as a user who listens does), 25%
  searches (a word or number typed into the search box, applied as the debounce would, or the
  box cleared), 20% player seeks (to a random point of the loaded recording, sometimes playing).
  After each operation the loop turns once; every 25 operations it runs for a few ms, so
  recording fetches and waveform work make progress as in real use.
* Resident memory (VmRSS, after a gc) is read after the first 1,000 operations and after all of
  them. Target: the end within 10% of the 1,000-operation figure, and no crash.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia.*=false")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WARMUP_OPS = 1000
TARGET_RATIO = 1.10
KEYS = {"atlas": "sim-atlas-key", "callab": "sim-callab-key", "vatel": "sim-vatel-key"}


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_simulator(calls: int, seed: int) -> tuple[subprocess.Popen, int]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "callviewer", "simulate", "--port", str(port),
                             "--calls", str(calls), "--seed", str(seed)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        if "Press Ctrl+C" in line:
            break
    else:
        raise SystemExit("the simulator did not start")
    return proc, port


async def soak(window, app, ops: int, rng: random.Random, words: list[str]) -> dict:
    from callviewer.ui.player import LOADING_TEXT

    table, model, player, bar = window.table, window.call_model, window.player, window.filter_bar
    counts = {"select": 0, "search": 0, "seek": 0, "errors": 0}
    figures: dict = {}
    started = time.perf_counter()
    for i in range(ops):
        r = rng.random()
        try:
            if r < 0.55 or model.rowCount() == 0:
                n = model.rowCount()
                if n == 0:
                    bar.set_search("")
                elif rng.random() < 0.6:
                    window.step_call(1 if rng.random() < 0.7 else -1)
                else:
                    table.select_row(rng.randrange(min(n, 400)))
                counts["select"] += 1
                if rng.random() < 0.05:  # stay on this call until its recording is there
                    deadline = time.perf_counter() + 1.0
                    while time.perf_counter() < deadline and player.source() is None \
                            and player.message() in ("", LOADING_TEXT):
                        await asyncio.sleep(0.01)
            elif r < 0.80:
                if rng.random() < 0.3:
                    bar.set_search("")
                else:
                    bar.set_search(rng.choice(words))
                counts["search"] += 1
            else:
                duration = player.duration()
                if player.source() is not None and duration > 1:
                    player.seek(rng.uniform(0, duration - 0.5), play=rng.random() < 0.2)
                else:
                    player.seek_relative(5.0)
                counts["seek"] += 1
        except Exception as e:  # noqa: BLE001 - counted and reported: the soak goes on
            counts["errors"] += 1
            print(f"op {i}: {type(e).__name__}: {e}", file=sys.stderr)
        await asyncio.sleep(0)  # one turn of the loop (Qt events included), as between key presses
        if i % 25 == 24:
            await asyncio.sleep(0.004)
        if i + 1 == WARMUP_OPS:
            player.pause()
            await asyncio.sleep(0.5)
            gc.collect()
            figures["rss_warm"] = rss_mb()
            figures["t_warm"] = time.perf_counter() - started
        if (i + 1) % 10_000 == 0:
            print(f"  {i + 1:,} operations, {time.perf_counter() - started:.0f} s, RSS {rss_mb():.0f} MB",
                  file=sys.stderr)
    player.pause()
    await asyncio.sleep(0.5)
    gc.collect()
    figures["rss_end"] = rss_mb()
    figures["seconds"] = time.perf_counter() - started
    figures.update(counts)
    return figures


async def main_async(args, app) -> dict:
    from PySide6.QtCore import QSettings

    from callviewer.core import Core
    from callviewer.profile import Profile
    from callviewer.secrets import MemoryKeyStore, Secret
    from callviewer.store import CallQuery
    from callviewer.ui.app import create_window

    sim, port = start_simulator(args.calls, args.seed)
    tmp = tempfile.mkdtemp(prefix="callviewer-soak-")
    try:
        profile = Profile.open(Path(tmp) / "profile")
        core = Core.open(profile, MemoryKeyStore(KEYS))
        base = f"http://127.0.0.1:{port}"
        prefixes = {"atlas": "/atlas/v1/api", "callab": "/callab/v1", "vatel": "/vatel/v1"}
        for provider, key in KEYS.items():
            await core.add_account(provider, provider, Secret(key), base_url=base + prefixes[provider],
                                   verify=False)
        window = create_window(core, QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat))
        window.resize(1440, 900)
        window.show()
        t0 = time.perf_counter()
        window.sync_all()
        while window.sync_controller.is_running():
            await asyncio.sleep(0.05)
        synced = time.perf_counter() - t0
        total = core.store.count()
        words = sorted({w.strip(".,").lower() for c in core.store.list_calls(CallQuery(), limit=200)
                        for w in (c.summary or "").split() if len(w) > 4})[:60]
        words += [c.customer_number[-4:] for c in core.store.list_calls(CallQuery(), limit=20) if c.customer_number]
        words += ["refund", "zzzqqq", "a", "the solar"]
        rng = random.Random(args.seed)
        figures = await soak(window, app, args.ops, rng, words)
        figures.update(calls=total, sync_s=synced,
                       recordings=len(list(profile.recordings_dir.rglob("*.wav"))))
        await window.shutdown()
        window.close()
        core.close()
        return figures
    finally:
        sim.terminate()
        try:
            sim.wait(timeout=10)
        except subprocess.TimeoutExpired:
            sim.kill()
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ops", type=int, default=50_000)
    parser.add_argument("--calls", type=int, default=150, help="calls per provider")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        f = loop.run_until_complete(main_async(args, app))
    ratio = f["rss_end"] / f["rss_warm"]
    print(f"soak: {args.ops:,} operations ({f['select']:,} selection changes, {f['search']:,} searches, "
          f"{f['seek']:,} seeks) over {f['calls']:,} synced calls ({f['recordings']} recordings fetched)")
    print(f"  sync of the profile:        {f['sync_s']:.1f} s")
    print(f"  RSS after {WARMUP_OPS:,} operations:  {f['rss_warm']:.1f} MB")
    print(f"  RSS after all:              {f['rss_end']:.1f} MB")
    print(f"  ratio:                      {ratio:.3f}  (target <= {TARGET_RATIO:.2f}: "
          f"{'met' if ratio <= TARGET_RATIO else 'NOT met'})")
    print(f"  time:                       {f['seconds']:.0f} s ({args.ops / f['seconds']:.0f} operations/s)")
    print(f"  errors:                     {f['errors']} (the window never crashed: it ran to the end)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
