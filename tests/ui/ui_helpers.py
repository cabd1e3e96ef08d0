"""Test data for the call list tests: synthetic calls written through the real `Store` API.

`fill_store(store, n)` adds three accounts (one per provider) and `n` calls spread over them, with
tiny transcripts so that 100,000 calls go in quickly. Everything is deterministic for a given n.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from callviewer.domain import Call, Directory, Turn
from callviewer.store import CallRecord, Store

BASE = datetime(2024, 5, 1, tzinfo=timezone.utc)
WORDS = (
    "hello thanks refund order delivery invoice appointment tomorrow address confirm cancel "
    "payment card balance schedule callback manager transfer issue account problem"
).split()
STATUSES = ["ended", "ended", "ended", "failed", "in-progress", "busy", "no-answer", None]
REASONS = ["customer-ended-call", "assistant-ended-call", "silence-timed-out", "voicemail", None]
DIRECTIONS = ["inbound", "outbound", "web", None]
AGENTS = ["agent-a", "agent-b", "agent-c", None]
CAMPAIGNS = ["camp-1", "camp-2", None]
#: (name, provider) of the accounts `fill_store` creates, by name.
ACCOUNTS = [("prod", "atlas"), ("sales", "callab"), ("support", "vatel")]
#: A word only every 97th call's summary has (for search tests).
RARE = "zebrafinch"


def iso(dt: datetime) -> str:
    return dt.isoformat().replace("+00:00", "Z")


def make_call(i: int, rng: random.Random, *, provider: str = "atlas") -> Call:
    started = BASE + timedelta(seconds=97 * i + rng.randint(0, 60))
    duration = round(rng.uniform(5, 600), 1)
    word = rng.choice(WORDS)
    summary = rng.choice([None, f"Caller asked about {word}", f"{word.title()} issue\nmore"])
    if i % 97 == 0:
        summary = f"Spotted a {RARE} on call {i}"
    return Call(
        provider=provider,
        provider_call_id=f"c{i:07d}",
        direction=rng.choice(DIRECTIONS),
        status=rng.choice(STATUSES),
        ended_reason=rng.choice(REASONS),
        customer_number=rng.choice([f"+1555{rng.randint(0, 9999999):07d}"] * 5 + [None]),
        agent_id=rng.choice(AGENTS),
        campaign_id=rng.choice(CAMPAIGNS),
        created_at=iso(started),
        started_at=rng.choice([iso(started)] * 19 + [None]),
        duration_s=rng.choice([duration] * 9 + [None]),
        cost=rng.choice([round(duration / 60 * 0.11, 4)] * 4 + [None]),
        currency=rng.choice(["USD"] * 9 + ["EUR"]),
        summary=summary,
        has_recording=rng.random() < 0.8,
        transcript=[Turn("agent", "hi"), Turn("customer", word)],
    )


def fill_store(store: Store, n: int, *, seed: int = 1, batch: int = 2000) -> dict[str, int]:
    """Adds the ACCOUNTS and `n` calls (round-robin over the accounts). Returns name -> id."""
    rng = random.Random(seed)
    ids = {name: store.add_account(name, provider, f"https://{provider}.test").id
           for name, provider in ACCOUNTS}
    providers = dict(ACCOUNTS)
    names = [name for name, _ in ACCOUNTS]
    for start in range(0, n, batch):
        per_account: dict[str, list[CallRecord]] = {name: [] for name in names}
        for i in range(start, min(start + batch, n)):
            name = names[i % len(names)]
            call = make_call(i, rng, provider=providers[name])
            per_account[name].append(
                CallRecord(call.provider_call_id, {"id": call.provider_call_id}, call,
                           f"l{i}", f"d{i}", None, 1)
            )
        for name, records in per_account.items():
            if records:
                store.upsert_calls(ids[name], records)
    store.save_directories(ids["prod"], [
        Directory("agent", "agent-a", "Front desk"),
        Directory("agent", "agent-b", "Billing bot"),
        Directory("campaign", "camp-1", "Spring promo"),
    ])
    store.save_directories(ids["sales"], [Directory("agent", "agent-c", "Closer")])
    return ids
