"""Quick performance check of the store at 100,000 calls (not a test; run it by hand):

    .venv/bin/python tests/store/perf_check.py [N] [--keep DIR]

Inserts N calls (~40-turn transcripts) in batches of 500, then times a search, pages, every sort
order, a deep page, counts and totals, and prints the query plans of the page queries.
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from callviewer.domain import Call, Turn  # noqa: E402
from callviewer.store import SORT_COLUMNS, CallQuery, CallRecord, Store  # noqa: E402

BASE = datetime(2023, 1, 1, tzinfo=timezone.utc)


def vocabulary(rng: random.Random, n: int = 6000) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = {"".join(rng.choice(letters) for _ in range(rng.randint(3, 10))) for _ in range(n)}
    return sorted(words)


def make(i: int, rng: random.Random, vocab: list[str], weights: list[float]) -> Call:
    """`weights` are cumulative (random.choices' cum_weights), for speed."""
    started = BASE + timedelta(seconds=i * 300 + rng.randint(0, 200))
    turns = []
    for t in range(rng.randint(30, 50)):
        words = rng.choices(vocab, cum_weights=weights, k=rng.randint(6, 18))
        if rng.random() < 0.001:
            words.append("refund")
        turns.append(Turn("agent" if t % 2 == 0 else "customer", " ".join(words),
                          start_s=t * 4.0, end_s=t * 4.0 + 3.5))
    duration = rng.uniform(10, 900)
    return Call(
        provider="atlas", provider_call_id=f"{i:08x}-{rng.getrandbits(64):016x}",
        direction=rng.choice(["inbound", "outbound", "web", None]),
        status=rng.choice(["ended"] * 8 + ["failed", "busy", "in-progress", None]),
        ended_reason=rng.choice(["customer-ended-call", "assistant-ended-call", "voicemail",
                                 "silence-timed-out", None]),
        customer_number=f"+1{rng.randint(2000000000, 9999999999)}",
        agent_id=f"agent-{rng.randint(1, 40)}", campaign_id=rng.choice([None, "c1", "c2", "c3"]),
        created_at=started.isoformat().replace("+00:00", "Z"),
        started_at=started.isoformat().replace("+00:00", "Z"),
        ended_at=(started + timedelta(seconds=duration)).isoformat().replace("+00:00", "Z"),
        duration_s=round(duration, 2), cost=rng.choice([round(duration / 60 * 0.11, 4), None]),
        currency="USD",
        summary=" ".join(rng.choices(vocab, cum_weights=weights, k=25))
        + (" refund" if i % 50 == 0 else ""),
        has_recording=True, transcript=turns,
    )


def timed(label: str, fn, repeat: int = 5):
    times = []
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
    print(f"  {label:<46} median {statistics.median(times):7.1f} ms   max {max(times):7.1f} ms")
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", nargs="?", type=int, default=100_000)
    ap.add_argument("--keep", type=Path, help="reuse/keep the database in this folder")
    args = ap.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="cv-perf-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "callviewer.db"
    fresh = not path.exists()
    store = Store(path)
    if fresh:
        rng = random.Random(1)
        vocab = vocabulary(rng)
        weights = list(itertools.accumulate(1 / (k + 1) for k in range(len(vocab))))  # Zipf
        acct = store.add_account("prod", "atlas", "https://x")
        other = store.add_account("staging", "vatel", "https://y")
        t0 = time.perf_counter()
        gen = 0.0
        cpu = 0.0
        for start in range(0, args.n, 500):
            g0 = time.perf_counter()
            batch = []
            for i in range(start, min(start + 500, args.n)):
                call = make(i, rng, vocab, weights)
                raw = call.to_dict()
                batch.append(CallRecord(call.provider_call_id, raw, call, f"l{i}", f"d{i}", None, 1))
            gen += time.perf_counter() - g0
            c0 = time.process_time()
            store.upsert_calls(acct.id if start % 5000 else other.id, batch)
            cpu += time.process_time() - c0
        total = time.perf_counter() - t0
        print(f"insert {args.n} calls: {total:.1f} s total, {total - gen:.1f} s in the store "
              f"(CPU {cpu:.1f} s; {gen:.1f} s building test data)")
        t0 = time.perf_counter()
        r = store.upsert_calls(acct.id, batch)  # the last batch again: all unchanged
        print(f"re-upsert 500 unchanged: {(time.perf_counter() - t0) * 1000:.1f} ms  {r}")
    size = sum(p.stat().st_size for p in folder.glob("callviewer.db*"))
    print(f"database size: {size / 1e6:.0f} MB, calls: {store.count()}")

    # Open a second time, as the app would (includes PRAGMA quick_check).
    store.close()
    t0 = time.perf_counter()
    store = Store(path)
    print(f"open with quick_check: {(time.perf_counter() - t0) * 1000:.0f} ms")
    t0 = time.perf_counter()
    Store(path, check=False).close()
    print(f"open without check: {(time.perf_counter() - t0) * 1000:.0f} ms")

    print("queries:")
    acct = store.get_account("prod")
    timed("known_hashes(prod)", lambda: store.known_hashes(acct.id))
    timed("list_calls(search='refund', limit=50)",
          lambda: store.list_calls(CallQuery(search="refund"), limit=50))
    n_refund = store.count(CallQuery(search="refund"))
    print(f"  ('refund' matches {n_refund} calls)")
    timed("page(search='refund', 200)", lambda: store.page(CallQuery(search="refund"), None, 200))
    timed("page(search=<prefix 'ab'>, 200)", lambda: store.page(CallQuery(search="ab"), None, 200))
    timed("page(first, 200)", lambda: store.page(CallQuery(), None, 200))
    timed("page(account=prod, 200)", lambda: store.page(CallQuery(account_ids=[acct.id]), None, 200))
    timed("page(status=failed, 200)", lambda: store.page(CallQuery(statuses=["failed"]), None, 200))
    timed("page(since/until one month, 200)",
          lambda: store.page(CallQuery(since="2023-03-01", until="2023-03-31"), None, 200))
    timed("count()", lambda: store.count())
    timed("totals()", lambda: store.totals(CallQuery()))
    timed("count(search='refund')", lambda: store.count(CallQuery(search="refund")))
    timed("accounts() with counts", lambda: store.accounts())
    timed("get_call (full transcript)", lambda: store.get_call(
        store.page(CallQuery(), None, 1)[0][0].provider_call_id))
    for key in SORT_COLUMNS:
        if key in ("ts", "agent_id", "campaign_id"):
            continue
        for desc in (False, True):
            q = CallQuery(sort=key, descending=desc)
            label = f"sort {key} {'desc' if desc else 'asc'}: first page"
            timed(label, lambda q=q: store.page(q, None, 200), 3)

    # a deep page: walk to the middle with big pages, then time one more page
    for key in ("started", "status", "cost", "summary", "account"):
        q = CallQuery(sort=key, descending=False)
        after = None
        for _ in range(5):
            _, after = store.page(q, after, 10_000)
        timed(f"sort {key}: page 200 rows at row 50,000", lambda q=q, a=after: store.page(q, a, 200), 3)

    print("plans:")
    for key in ("started", "status", "cost", "summary"):
        q = CallQuery(sort=key)
        rows, after = store.page(q, None, 200)
        print(f"  {key}: {store.explain(q, after)}")
    print(f"  search: {store.explain(CallQuery(search='refund'))}")
    store.close()
    if not args.keep:
        print(f"(database left in {folder}; delete it when done)")


if __name__ == "__main__":
    main()
