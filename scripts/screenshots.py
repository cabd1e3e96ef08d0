"""Takes the screenshots in docs/screenshots/ from the demo window (offscreen, QWidget.grab()).

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--width 1440 --height 900]

No display is needed: Qt runs on its offscreen platform (set QT_QPA_PLATFORM to use another).
The data is the demo's: the built-in simulator on 127.0.0.1 with a fixed seed and date, a
throwaway profile and in-memory keys, so the pictures are the same on every run.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia.*=false")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import qasync  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from callviewer.core import Core  # noqa: E402
from callviewer.profile import Profile  # noqa: E402
from callviewer.secrets import MemoryKeyStore, Secret  # noqa: E402
from callviewer.simulator import Simulator  # noqa: E402
from callviewer.ui.app import DEMO_ACCOUNTS, DEMO_CALLS_PER_PROVIDER, DEMO_SEED, _make_app, create_window  # noqa: E402

FIXED_NOW = datetime(2026, 11, 20, 16, 30, tzinfo=timezone.utc)


async def until(cond, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def settle(seconds: float = 0.3) -> None:
    """Lets layouts, lazy paints and timers run."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        QApplication.processEvents()
        await asyncio.sleep(0.02)


def save(widget: QWidget, path: Path) -> None:
    pixmap = widget.grab()
    if pixmap.isNull() or not pixmap.save(str(path)):
        raise RuntimeError(f"could not save {path}")
    print(f"wrote {path} ({pixmap.width()}×{pixmap.height()})")


def pick_call(window) -> tuple[int, int]:
    """(table row, transcript row) of a recorded call with a good, timed transcript."""
    model = window.call_model
    best = None
    for row in range(min(model.rowCount(), 120)):
        r = model.call_row(row)
        if not r.has_recording or not r.duration_s or r.duration_s < 40 or r.cost is None:
            continue
        call = window.store.get_call_by_rowid(r.rowid)
        messages = [i for i, t in enumerate(call.transcript) if t.kind == "message" and t.start_s]
        tools = sum(1 for t in call.transcript if t.kind != "message")
        if len(messages) < 6 or not call.cost_breakdown:
            continue
        score = len(messages) + 3 * min(tools, 2)
        if best is None or score > best[0]:
            best = (score, row, messages[min(3, len(messages) - 1)])
    if best is None:
        raise RuntimeError("no suitable call in the demo data")
    return best[1], best[2]


async def shoot(window, core: Core, sim: Simulator, out: Path) -> None:
    for name, provider in DEMO_ACCOUNTS:
        await core.add_account(name, provider, Secret(next(iter(sim.keys[provider]))),
                               base_url=sim.base_urls[provider], verify=False)
    window.refresh_accounts()
    window.sync_all()
    await until(lambda: not window.sync_controller.is_running(), 120, "the demo sync")
    window.refresh_list()
    await settle(0.5)

    row, turn_row = pick_call(window)
    window.table.setFocus()
    window.table.select_row(row)
    player = window.player
    await until(lambda: player.source() is not None and player.duration() > 0, 30, "the recording")
    await until(lambda: player.waveform.peaks() is not None, 30, "the waveform")
    await settle(0.5)
    save(window, out / "list.png")

    # A turn clicked: the player jumps there and plays; the spoken turn is highlighted.
    turn = window.transcript.model().turn(turn_row)
    window.transcript.turnActivated.emit(float(turn.start_s))
    await until(lambda: player.is_playing() and player.position() >= turn.start_s + 0.6, 30, "playback")
    player.pause()
    await until(lambda: window.transcript.playing_row() >= 0, 10, "the highlight")
    await settle(0.5)
    save(window, out / "playing.png")

    window.detail_tabs.setCurrentWidget(window.cost)
    await settle(0.5)
    save(window.detail_stack, out / "cost.png")
    window.detail_tabs.setCurrentWidget(window.analysis)

    dialog = window.open_add_account()
    dialog.provider_combo.setCurrentIndex(dialog.provider_combo.findData("vatel"))
    dialog.name_edit.setText("Support line")
    dialog.key_edit.setText(next(iter(sim.keys["vatel"])))
    dialog.advanced.set_expanded(True)
    dialog.url_edit.setText(sim.base_urls["vatel"])
    dialog.test_connection()
    await until(lambda: not dialog.is_busy(), 30, "the connection test")
    dialog.adjustSize()
    await settle(0.5)
    save(dialog, out / "add-account.png")
    dialog.reject()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "docs" / "screenshots")
    parser.add_argument("--width", type=int, default=1440)
    parser.add_argument("--height", type=int, default=900)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    app = _make_app()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    sim = Simulator(calls_per_provider=DEMO_CALLS_PER_PROVIDER, seed=DEMO_SEED, now=FIXED_NOW).start()
    tmp = tempfile.mkdtemp(prefix="callviewer-shots-")
    core = Core.open(Profile.open(tmp), MemoryKeyStore())
    window = create_window(core, QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat),
                           demo=True, fast_start=True)  # as `callviewer --demo` starts
    window.resize(args.width, args.height)
    window.show()
    try:
        with loop:
            loop.run_until_complete(shoot(window, core, sim, args.out))
            loop.run_until_complete(window.shutdown())
    finally:
        window.close()
        core.close()
        sim.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
