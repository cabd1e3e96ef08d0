"""How fast the call list is at 100,000 calls: first rows, sorting, a search keystroke, a jump
to the last row, and the totals, all measured in one run against the same cache.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_call_list.py [--calls N] [--runs R]

The cache is built once (about 15 s) and kept in bench/out/ for later runs (`--rebuild` makes it
again). Every figure is the median of R runs, measured from the call into the model to the end of
a synchronous repaint of the table's viewport (so it includes the `data()` calls of the visible
rows), with the view 1,000 x 700 offscreen. Targets: first rows, search and sort <= 150 ms, jump
to the last row <= 100 ms. The footer totals are computed on a worker thread; the bench also
shows how long after `set_query()` they arrive (no target: the list does not wait for them).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from callviewer.domain import Call, Directory, Turn  # noqa: E402
from callviewer.store import CallQuery, CallRecord, Store  # noqa: E402
from callviewer.ui.calltable import CallTableView  # noqa: E402
from callviewer.ui.models.calls import COLUMNS, CallTableModel  # noqa: E402

OUT = Path(__file__).resolve().parent / "out"
BASE = datetime(2024, 1, 1, tzinfo=timezone.utc)
WORDS = ("refund order delivery invoice appointment tomorrow address confirm cancel payment card "
         "balance schedule callback manager transfer issue account problem booking upgrade "
         "voucher password reset warranty shipping").split()
ACCOUNTS = [("prod", "atlas"), ("sales", "callab"), ("support", "vatel"), ("eu", "atlas")]


def make_call(i: int, rng: random.Random, provider: str) -> Call:
    started = BASE + timedelta(seconds=i * 150 + rng.randint(0, 100))
    duration = round(rng.uniform(5, 900), 1)
    topic = rng.choice(WORDS)
    turns = [Turn("agent", "Hello, how can I help?"),
             Turn("customer", f"I have a question about my {topic}"),
             Turn("agent", f"Sure, let me look at the {rng.choice(WORDS)} for you"),
             Turn("customer", "Thanks")]
    return Call(
        provider=provider, provider_call_id=f"{provider}-{i:08d}-{rng.getrandbits(32):08x}",
        direction=rng.choice(["inbound", "outbound", "outbound", "web", None]),
        status=rng.choice(["ended"] * 8 + ["failed", "busy", "no-answer", "in-progress", None]),
        ended_reason=rng.choice(["customer-ended-call", "assistant-ended-call", "voicemail",
                                 "silence-timed-out", "pipeline-error", None]),
        customer_number=rng.choice([f"+1{rng.randint(2000000000, 9999999999)}"] * 9 + [None]),
        agent_id=f"agent-{rng.randint(1, 25)}", campaign_id=rng.choice([None, "c1", "c2", "c3"]),
        created_at=started.isoformat().replace("+00:00", "Z"),
        started_at=started.isoformat().replace("+00:00", "Z"),
        duration_s=rng.choice([duration] * 19 + [None]),
        cost=rng.choice([round(duration / 60 * 0.11, 4)] * 9 + [None]),
        currency="USD",
        summary=rng.choice([None, f"Customer called about {topic}. Resolved.",
                            f"{topic.title()} question; follow-up needed"]),
        has_recording=rng.random() < 0.9, transcript=turns,
    )


def build(path: Path, n: int) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    store = Store.open(path)
    rng = random.Random(1)
    ids = {name: store.add_account(name, provider, f"https://{provider}.example").id
           for name, provider in ACCOUNTS}
    t0 = time.perf_counter()
    for start in range(0, n, 4000):
        per: dict[str, list[CallRecord]] = {name: [] for name, _ in ACCOUNTS}
        for i in range(start, min(start + 4000, n)):
            name, provider = ACCOUNTS[i % len(ACCOUNTS)]
            call = make_call(i, rng, provider)
            per[name].append(CallRecord(call.provider_call_id, {"id": call.provider_call_id},
                                        call, f"l{i}", f"d{i}", None, 1))
        for name, records in per.items():
            store.upsert_calls(ids[name], records)
    store.save_directories(ids["prod"], [Directory("agent", f"agent-{k}", f"Agent {k}")
                                         for k in range(1, 26)])
    print(f"built {n:,} calls in {time.perf_counter() - t0:.1f} s -> {path}")
    store.close()


def median_ms(fn: Callable[[], object], runs: int, setup: Callable[[], object] | None = None
              ) -> tuple[float, float]:
    times = []
    for _ in range(runs):
        if setup is not None:
            setup()
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), max(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--calls", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--rebuild", action="store_true")
    args = ap.parse_args(argv)

    app = QApplication.instance() or QApplication(sys.argv[:1])
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"calls-{args.calls}.db"
    if args.rebuild or not path.exists():
        build(path, args.calls)
    store = Store.open(path)
    if store.count() != args.calls:
        store.close()
        build(path, args.calls)
        store = Store.open(path)

    model = CallTableModel(store)
    view = CallTableView()
    view.setModel(model)
    view.resize(1000, 700)
    view.show()
    app.processEvents()
    base = CallQuery()

    def paint() -> None:
        view.viewport().repaint()

    rows: list[tuple[str, float, float, float | None]] = []

    def record(label: str, fn: Callable[[], object], target: float | None,
               setup: Callable[[], object] | None = None) -> None:
        med, worst = median_ms(fn, args.runs, setup)
        rows.append((label, med, worst, target))

    def settle() -> None:  # let the totals thread finish what a setup started
        want = model.query()
        deadline = time.perf_counter() + 5
        while time.perf_counter() < deadline:
            app.processEvents()
            t = model.totals()
            if t is not None and t == store.totals(want):
                return
            time.sleep(0.002)

    # first rows: a new query (the first page), then the first paint; totals follow on a thread
    record("first rows (set_query + paint)",
           lambda: (model.set_query(base), paint()), 150,
           setup=lambda: (model.set_query(CallQuery(search="zzzzzz")), settle()))
    record("  of which the first page (store.page)", lambda: store.page(base, None, 200), None)

    def totals_arrive() -> None:
        got: list[object] = []
        model.totalsChanged.connect(got.append)
        model.set_query(base)
        while not got:
            app.processEvents()
            time.sleep(0.0005)
        model.totalsChanged.disconnect(got.append)

    record("footer totals arrive (set_query -> totalsChanged)", totals_arrive, None,
           setup=lambda: (model.set_query(CallQuery(search="zzzzzz")), settle()))
    record("  store.totals (all calls), for reference", lambda: store.totals(base), None)

    # sorting every column both ways: SQL sorts, the model reloads one page
    for col, (_key, header) in enumerate(COLUMNS):
        for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
            arrow = "asc" if order == Qt.SortOrder.AscendingOrder else "desc"
            flip = (Qt.SortOrder.DescendingOrder if order == Qt.SortOrder.AscendingOrder
                    else Qt.SortOrder.AscendingOrder)
            record(f"sort {header} {arrow}", lambda c=col, o=order: (model.sort(c, o), paint()),
                   150, setup=lambda c=col, f=flip: model.sort(c, f))
    model.set_query(base)

    # a search keystroke: what the debounce timer's set_query costs, for several kinds of text
    n_hits = {}
    for term in ("refund", "voucher passw", "42", "+1 555", "customer", "hello", "zzzqqq"):
        q = dataclasses.replace(base, search=term)
        n_hits[term] = store.count(q)
        record(f"search {term!r} ({n_hits[term]:,} hits)",
               lambda q=q: (model.set_query(q), paint()), 150,
               setup=lambda: (model.set_query(base), settle()))
    model.set_query(base)

    # the jump to the last row (End / Ctrl+End): count, OFFSET lookup, one block, paint
    def fresh() -> None:
        model.set_query(base)
        view.select_row(0)
        settle()

    def jump() -> None:
        view.jump_to_end()
        paint()
        assert view.currentIndex().row() == model.rowCount() - 1 == args.calls - 1

    record("jump to last row (End + paint)", jump, 100, setup=fresh)

    def sorted_jump() -> None:
        model.sort(COLUMNS.index(("summary", "Summary")), Qt.SortOrder.AscendingOrder)
        view.jump_to_end()
        paint()

    record("sort Summary asc, then jump to last row", sorted_jump, 150, setup=fresh)
    model.set_query(base)
    model.fetch_all()
    record("scroll to the middle (drag) + paint",
           lambda: (view.verticalScrollBar().setValue(args.calls // 2), paint()), 100,
           setup=lambda: (model.refresh(), view.scrollToTop()))
    for term in ("refund", "customer"):
        q = dataclasses.replace(base, search=term)
        record(f"  store.totals of search {term!r}", lambda q=q: store.totals(q), None)

    # for the record: what the simple design (walk keyset pages to the end) would cost
    def walk_all() -> None:
        _, after = store.page(base, None, 200)
        while after is not None:
            _, after = store.page(base, after, 5000)

    record("(rejected) keyset walk to the end, 5,000/page", walk_all, None)

    width = max(len(r[0]) for r in rows) + 2
    print(f"\n{args.calls:,} calls, median of {args.runs} runs (ms)\n")
    print(f"{'measurement':<{width}}{'median':>9}{'max':>9}{'target':>9}  ")
    failed = 0
    for label, med, worst, target in rows:
        verdict = ""
        if target is not None:
            ok = med <= target
            failed += not ok
            verdict = "ok" if ok else "OVER"
        tgt = f"{target:.0f}" if target is not None else ""
        print(f"{label:<{width}}{med:>9.1f}{worst:>9.1f}{tgt:>9}  {verdict}")
    print(f"\n{'all within targets' if not failed else f'{failed} over target'}")
    view.close()
    model.close()
    store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
