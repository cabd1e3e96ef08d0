"""Test data for the store tests: build `Call`s and `CallRecord`s without any provider module."""

from __future__ import annotations

import hashlib
import json
import random
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from callviewer.domain import Call, Turn
from callviewer.store import CallRecord

BASE = datetime(2024, 5, 1, tzinfo=timezone.utc)
WORDS = (
    "hello thanks refund order delivery invoice appointment tomorrow address confirm cancel "
    "payment card balance schedule callback manager transfer issue account problem"
).split()
STATUSES = ["ended", "failed", "in-progress", "queued", "busy", None]
REASONS = ["customer-ended-call", "assistant-ended-call", "silence-timed-out", "voicemail", None]
DIRECTIONS = ["inbound", "outbound", "web", None]


def iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def make_call(i: int = 0, *, rng: random.Random | None = None, turns: int = 6, **fields) -> Call:
    """A plausible call; any field can be overridden. Deterministic for a given (i, rng)."""
    rng = rng or random.Random(i)
    started = BASE + timedelta(minutes=7 * i + rng.randint(0, 5))
    duration = round(rng.uniform(5, 600), 1)
    call = Call(
        provider="atlas",
        provider_call_id=f"call-{i:06d}",
        direction=rng.choice(DIRECTIONS),
        status=rng.choice(STATUSES),
        ended_reason=rng.choice(REASONS),
        customer_number=rng.choice([f"+1555{rng.randint(0, 9999999):07d}", None]),
        agent_id=rng.choice(["agent-a", "agent-b", "agent-c", None]),
        campaign_id=rng.choice(["camp-1", "camp-2", None]),
        created_at=iso(started - timedelta(seconds=2)),
        started_at=rng.choice([iso(started)] * 9 + [None]),
        ended_at=iso(started + timedelta(seconds=duration)),
        duration_s=rng.choice([duration] * 9 + [None]),
        cost=rng.choice([round(rng.uniform(0.01, 2.0), 4)] * 3 + [0.5, None]),
        currency="USD",
        summary=rng.choice([None, f"Caller asked about {rng.choice(WORDS)}\nsecond line"]),
        has_recording=rng.random() < 0.8,
        transcript=[
            Turn(
                speaker="agent" if t % 2 == 0 else "customer",
                text=" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12))),
                start_s=float(t * 3),
                end_s=float(t * 3 + 2),
            )
            for t in range(turns)
        ],
    )
    for k, v in fields.items():
        setattr(call, k, v)
    return call


def record(call: Call | None, *, pcid: str | None = None, raw=None, list_hash=None,
           detail_hash: str | None = None, error: str | None = None, version: int = 1) -> CallRecord:
    pcid = pcid or call.provider_call_id
    if raw is None:
        raw = call.to_dict() if call is not None else {"id": pcid, "broken": True}
    if detail_hash is None:
        detail_hash = hashlib.sha1(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()
    return CallRecord(pcid, raw, call, list_hash or "L" + detail_hash[:8], detail_hash, error, version)


def damage_table(path, table: str, n_pages: int = 6) -> None:
    """Scribbles over some b-tree pages of `table` (found with the dbstat table)."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA journal_mode = DELETE")
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    try:
        pages = [r[0] for r in conn.execute(
            "SELECT pageno FROM dbstat WHERE name = ? AND pagetype IN ('leaf', 'internal')"
            " ORDER BY pageno", (table,))]
    except sqlite3.OperationalError:
        pytest.skip("this SQLite has no dbstat table")
    finally:
        conn.close()
    assert len(pages) > n_pages, pages
    data = bytearray(path.read_bytes())
    for page in pages[1:1 + n_pages]:
        start = (page - 1) * page_size
        data[start:start + page_size] = bytes((i * 7 + 13) % 256 for i in range(page_size))
    path.write_bytes(bytes(data))
