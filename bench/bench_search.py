"""Search benchmark: `callviewer calls list --search WORD` on a 100,000-call cache.

The cache is built once (realistic calls from the simulator's generator, normalized and stored
through the real code) and kept under bench/out/. Each measurement runs the real command as a
subprocess, and so does the baseline: the program's own start-up (`callviewer --version` would
skip the store, so the baseline is `calls list --limit 0`, which opens the profile and the
database but asks nothing of them). The figure that matters is the difference: each search run
is paired with a start-up run just before it, and the median of those differences is shown,
beside the query's own time in this process (`Store.list_docs`), which no launch noise touches.

    .venv/bin/python bench/bench_search.py [--calls 100000] [--runs 7]

Target: under 100 ms beyond the program's own start-up.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

OUT = ROOT / "bench" / "out"


def build_profile(calls: int) -> Path:
    from callviewer.normalize import normalize
    from callviewer.profile import Profile
    from callviewer.simulator.server import Simulator
    from callviewer.store import CallRecord, Store
    from callviewer.sync import fingerprint

    profile_dir = OUT / f"search-{calls}"
    done = profile_dir / "built"
    if done.exists():
        return profile_dir
    profile = Profile.open(profile_dir)
    if profile.db_path.exists():
        profile.db_path.unlink()
    store = Store.open(profile.db_path)
    per = calls // 3
    t0 = time.perf_counter()
    for provider in ("atlas", "callab", "vatel"):
        sim = Simulator(calls_per_provider=per, seed=3)
        acc = store.add_account(f"{provider}-prod", provider, f"https://example.invalid/{provider}")
        ids = sim.call_ids(provider)
        for start in range(0, len(ids), 1000):
            records = []
            for cid in ids[start:start + 1000]:
                raw = sim.raw_call(provider, cid)
                call = normalize(provider, raw)
                call.account = acc.name
                h = fingerprint(raw)
                records.append(CallRecord(provider_call_id=cid, raw=raw, call=call, list_hash=h,
                                          detail_hash=h, normalize_error=None))
            store.upsert_calls(acc.id, records)
        print(f"  built {provider}: {len(ids)} calls ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    store.close()
    done.write_text("ok\n")
    return profile_dir


#: The launches run with byte code cached (as an installed program has it) outside the tree.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV["PYTHONPYCACHEPREFIX"] = str(OUT / "pycache")


def run_once(args: list[str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "callviewer", *args], capture_output=True, text=True,
                          cwd=ROOT, env=ENV)
    took = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"failed: {args}: {proc.stderr}")
    return took, proc.stdout


def paired(args: list[str], base: list[str], runs: int) -> tuple[float, float, str]:
    """(median time of `args`, median of its difference to `base` run just before it, its
    output): each run is paired with a start-up run, so a machine that speeds up or slows down
    during the bench moves both."""
    totals, diffs = [], []
    out = ""
    for _ in range(runs):
        b, _ = run_once(base)
        t, out = run_once(args)
        totals.append(t)
        diffs.append(t - b)
    return statistics.median(totals), statistics.median(diffs), out


def in_process_ms(profile: Path, word: str, limit: int | None) -> float:
    """The search itself, without a process around it: median of 5 `list_docs` (ms)."""
    from callviewer.store import CallQuery, Store

    store = Store.open(profile / "callviewer.db")
    try:
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            store.list_docs(CallQuery(search=word), limit=limit)
            times.append((time.perf_counter() - t0) * 1000)
        return statistics.median(times)
    finally:
        store.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    profile = build_profile(args.calls)
    p = ["--profile", str(profile)]
    base_args = ["calls", "list", "--limit", "0", *p]
    run_once(base_args)  # warm: byte code written, files in the page cache
    base = statistics.median(run_once(base_args)[0] for _ in range(args.runs))
    version = statistics.median(run_once(["--version"])[0] for _ in range(args.runs))
    print(f"start-up: `calls list --limit 0` {base * 1000:.0f} ms; `--version` {version * 1000:.0f} ms")
    results = {}
    for word in ("refund", "appointment", "voicemail", "hello", "5550"):
        for limit in (["--limit", "50"], []):
            t, beyond, out = paired(["calls", "list", "--search", word, *limit, "--json", *p],
                                    base_args, args.runs)
            n = len(json.loads(out))
            label = f"{word} {' '.join(limit) or '(all)'}"
            inside = in_process_ms(profile, word, 50 if limit else None)
            results[label] = round(beyond * 1000, 1)
            print(f"search {label:24} {n:6} calls  {t * 1000:6.0f} ms total, {beyond * 1000:6.1f} ms "
                  f"beyond start-up (the query alone, in process: {inside:5.1f} ms)")
    print(json.dumps({"calls": args.calls, "startup_ms": round(base * 1000, 1),
                      "beyond_startup_ms": results, "target_ms": 100}))


if __name__ == "__main__":
    main()
