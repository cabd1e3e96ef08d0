"""How long a 1,500-turn transcript takes from `set_call()` to its first finished paint.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_transcript.py [--turns N] [--runs R]

Prints each run and the medians: the time to the first finished paint of the viewport (the
budget is 200 ms for 1,500 turns), and the time until every row is laid out (the list lays rows
out in batches after the first screenful, so the scroll range is complete a little later).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, QObject  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from callviewer.domain import Call, Turn  # noqa: E402
from callviewer.ui.transcript import TranscriptView  # noqa: E402

WORDS = ("sure", "appointment", "tomorrow", "Tuesday", "at", "three", "the", "account", "number",
         "I", "can", "help", "with", "that", "please", "confirm", "your", "address", "thanks",
         "okay", "let", "me", "check", "billing", "refund", "order", "delivery", "is", "on", "its",
         "way", "could", "you", "repeat", "which", "one", "great", "perfect")


def make_call(n: int = 1500, seed: int = 1) -> Call:
    rnd = random.Random(seed)
    turns = [Turn("system", "You are a helpful phone agent.\n" + "Rule: be polite.\n" * 40, start_s=None)]
    t = 0.0
    for i in range(n - 1):
        r = rnd.random()
        if r < 0.06:
            name = rnd.choice(("lookup_order", "book_slot", "transfer_call"))
            args = {"order_id": f"A{i}", "fields": ["status", "eta"], "note": " ".join(rnd.choices(WORDS, k=8))}
            turns.append(Turn("tool", json.dumps(args), kind="tool_call", start_s=t, tool_name=name))
        elif r < 0.12:
            turns.append(Turn("tool", json.dumps({"ok": True, "items": list(range(rnd.randint(1, 30)))}),
                              kind="tool_result", start_s=t, tool_name="lookup_order"))
        elif r < 0.14:
            turns.append(Turn("customer", "", kind="interruption", start_s=t))
        else:
            k = rnd.choice((3, 8, 15, 30, 60, 120, 300))
            turns.append(Turn(rnd.choice(("agent", "customer")), " ".join(rnd.choices(WORDS, k=k)),
                              start_s=t, end_s=t + k * 0.3))
        t += rnd.uniform(0.5, 6.0)
    return Call(provider="atlas", provider_call_id="bench", transcript=turns)


class _PaintWatch(QObject):
    """Notes when a paint event on the watched widget has been handled."""

    def __init__(self) -> None:
        super().__init__()
        self.painted = False

    def eventFilter(self, obj, event) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.painted = True
        return False


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--turns", type=int, default=1500)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    call = make_call(args.turns)
    empty = Call(provider="atlas", provider_call_id="empty")
    view = TranscriptView()
    view.resize(700, 900)
    view.show()
    app.processEvents()
    lv = view.list_view()
    watch = _PaintWatch()
    lv.viewport().installEventFilter(watch)
    first, full = [], []
    for i in range(args.runs):
        view.set_call(empty)
        app.processEvents()
        watch.painted = False
        t0 = time.perf_counter()
        view.set_call(call)
        while not watch.painted:     # posted layout of the first batch of rows, then the paint
            app.processEvents()
        t1 = time.perf_counter()
        while not lv.is_fully_laid_out():  # the remaining batches, in later event-loop turns
            app.processEvents()
        view.grab()
        t2 = time.perf_counter()
        first.append((t1 - t0) * 1000)
        full.append((t2 - t0) * 1000)
        print(f"run {i + 1}: first paint {first[-1]:.1f} ms, every row laid out {full[-1]:.1f} ms")
    print(f"{args.turns} turns, set_call() to first paint: median {statistics.median(first):.1f} ms "
          f"(all rows laid out: median {statistics.median(full):.1f} ms) of {args.runs} runs")
    view.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
