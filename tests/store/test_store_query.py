"""Listing: filters, keyset pages in every sort order, counts, totals, query plans."""

from __future__ import annotations

import random

import pytest

from callviewer.errors import UsageError
from callviewer.store import SORT_COLUMNS, CallQuery
from store_helpers import make_call, record

N = 5000

# sort key -> SQL expression the reference ORDER BY uses (NULLs last in both directions)
REFERENCE = {
    "started": "c.ts",
    "account": "a.name",
    "direction": "c.direction",
    "customer_number": "c.customer_number",
    "duration_s": "c.duration_s",
    "status": "c.status",
    "ended_reason": "c.ended_reason",
    "cost": "c.cost",
    "agent": "c.agent_id",
    "campaign": "c.campaign_id",
    "summary": "c.summary_line",
}


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """5,000 calls over three accounts with NULLs and ties in every column, plus error rows."""
    from callviewer.store import Store

    store = Store(tmp_path_factory.mktemp("big") / "callviewer.db")
    rng = random.Random(42)
    accounts = [store.add_account(n, "atlas", "https://x") for n in ("beta", "alpha", "gamma")]
    records = {a.id: [] for a in accounts}
    for i in range(N):
        call = make_call(i, rng=rng, turns=2)
        if i % 97 == 0:
            call.started_at = call.created_at = None  # ts NULL
        if i % 11 == 0:
            call.summary = rng.choice(["Refund REQUEST", "refund request", "Zebra", "apple"])
        records[accounts[rng.randrange(3)].id].append(record(call))
    for account_id, recs in records.items():
        store.upsert_calls(account_id, recs)
        store.upsert_calls(account_id, [record(None, pcid=f"bad-{account_id}", error="x")])
    yield store
    store.close()


def reference(store, sort, desc, where="1", params=()):
    expr = REFERENCE[sort]
    d = "DESC" if desc else "ASC"
    sql = (
        "SELECT c.id FROM calls c JOIN accounts a ON a.id = c.account_id"
        f" WHERE c.normalize_error IS NULL AND {where}"
        f" ORDER BY ({expr} IS NULL), {expr} {d}, c.id {d}"
    )
    return [r[0] for r in store.conn.execute(sql, params)]


def walk(store, query, size):
    ids, after, pages = [], None, 0
    while True:
        rows, after = store.page(query, after, size)
        ids.extend(r.rowid for r in rows)
        pages += 1
        assert len(rows) <= size
        if after is None:
            return ids, pages
        assert len(rows) == size
        assert pages < 10_000


@pytest.mark.parametrize("desc", [True, False], ids=["desc", "asc"])
@pytest.mark.parametrize("sort", list(REFERENCE))
def test_keyset_pages_equal_full_order(big, sort, desc):
    expected = reference(big, sort, desc)
    assert len(expected) == N
    got, pages = walk(big, CallQuery(sort=sort, descending=desc), 173)
    assert len(set(got)) == len(got), "duplicates across pages"
    assert got == expected
    assert pages == N // 173 + 1


@pytest.mark.parametrize("sort", ["started", "status", "cost", "account", "summary"])
def test_keyset_pages_with_filters(big, sort):
    ids = [a.id for a in big.accounts() if a.name in ("alpha", "gamma")]
    query = CallQuery(
        account_ids=ids, statuses=["ended", "failed", None], search="refund",
        sort=sort, descending=False, since="2024-05-02", until="2024-05-20T00:00:00Z",
    )
    fts = "c.id IN (SELECT rowid FROM calls_fts WHERE calls_fts MATCH '\"refund\"*')"
    since = 1714608000.0  # 2024-05-02T00:00:00Z
    until = 1716163200.0  # 2024-05-20T00:00:00Z
    expected = reference(
        big, sort, False,
        f"c.account_id IN ({ids[0]}, {ids[1]}) AND (c.status IN ('ended', 'failed')"
        f" OR c.status IS NULL) AND {fts} AND c.ts >= ? AND c.ts <= ?",
        (since, until),
    )
    assert 20 < len(expected) < N
    got, _ = walk(big, query, 7)
    assert got == expected
    assert big.count(query) == len(expected)


def test_page_rows_and_exact_end(big):
    rows, after = big.page(CallQuery(), None, 3)
    assert len(rows) == 3 and after == (rows[-1].ts, rows[-1].rowid)
    r = rows[0]
    call = big.get_call_by_rowid(r.rowid)
    assert r.account == call.account and r.provider_call_id == call.provider_call_id
    assert r.status == call.status and r.cost == call.cost and r.has_recording == call.has_recording
    assert r.summary == (call.summary.splitlines()[0] if call.summary else None)
    assert rows[0].ts >= rows[1].ts >= rows[2].ts
    # a page that ends exactly at the last row, then an empty one
    total = big.count()
    rows, after = big.page(CallQuery(), None, total)
    assert len(rows) == total and after is not None
    assert big.page(CallQuery(), after, 10) == ([], None)
    assert big.page(CallQuery(), None, 0) == ([], None)


def test_list_calls(big):
    calls = big.list_calls(CallQuery(), limit=50)
    assert len(calls) == 50
    rows, _ = big.page(CallQuery(), None, 50)
    assert [c.provider_call_id for c in calls] == [r.provider_call_id for r in rows]
    assert all(c.transcript == [] and c.account for c in calls)
    alpha = big.get_account("alpha")
    mine = big.list_calls(CallQuery(account_ids=[alpha.id]))
    assert len(mine) == alpha.call_count and {c.account for c in mine} == {"alpha"}
    assert big.list_calls(CallQuery(account_ids=[])) == []


def test_filters(big):
    q = CallQuery
    conn = big.conn
    base = "SELECT count(*) FROM calls WHERE normalize_error IS NULL"
    assert big.count(q()) == N
    def sql_count(where: str) -> int:
        return conn.execute(f"{base} AND {where}").fetchone()[0]

    assert big.count(q(agent_id="agent-a")) == sql_count("agent_id = 'agent-a'")
    assert big.count(q(campaign_id="camp-2")) == sql_count("campaign_id = 'camp-2'")
    assert big.count(q(directions=["inbound"])) == sql_count("direction = 'inbound'")
    assert big.count(q(directions=[None])) == sql_count("direction IS NULL")
    assert big.count(q(ended_reasons=["voicemail", "silence-timed-out"])) == sql_count(
        "ended_reason IN ('voicemail', 'silence-timed-out')")
    assert big.count(q(statuses=[])) == 0
    all_ids = [a.id for a in big.accounts()]
    assert big.count(q(account_ids=all_ids)) == N


def test_since_until_forms(big):
    conn = big.conn
    n = conn.execute(
        "SELECT count(*) FROM calls WHERE normalize_error IS NULL"
        " AND ts >= 1714694400 AND ts < 1714780800"  # all of 2024-05-03 UTC
    ).fetchone()[0]
    assert n > 0
    assert big.count(CallQuery(since="2024-05-03", until="2024-05-03")) == n
    assert big.count(CallQuery(since="2024-05-03T00:00:00Z", until=1714780799.999999)) == n
    assert big.count(CallQuery(since=1714694400.0, until="2024-05-03T23:59:59.999999+00:00")) == n
    assert big.count(CallQuery(since="2024-05-03T02:00:00+02:00", until="2024-05-03")) == n
    with pytest.raises(UsageError, match="malformed date"):
        big.count(CallQuery(since="yesterday"))


def test_totals(store, account):
    from store_helpers import make_call as mk

    calls = [
        mk(1, cost=1.0, duration_s=60.0),
        mk(2, cost=2.0, duration_s=120.0),
        mk(3, cost=0.5, duration_s=None),   # counts in total cost only
        mk(4, cost=None, duration_s=300.0),  # counts in neither sum
    ]
    store.upsert_calls(account.id, [record(c) for c in calls])
    t = store.totals(CallQuery())
    assert t.count == 4
    assert t.total_cost == pytest.approx(3.5)
    assert t.cost_per_minute == pytest.approx(3.0 / 3.0)
    assert t.currency == "USD"
    count, total, per_minute = store.totals(CallQuery(search="nomatchatall"))[:3]
    assert (count, total, per_minute) == (0, None, None)


def test_totals_currency(store, account):
    from store_helpers import make_call as mk

    store.upsert_calls(account.id, [record(mk(1, cost=1.0, currency="EUR")),
                                    record(mk(2, cost=2.0, currency="EUR")),
                                    record(mk(3, cost=None, currency="USD"))])  # no cost: no say
    assert store.totals(CallQuery()).currency == "EUR"
    store.upsert_calls(account.id, [record(mk(4, cost=1.0, currency=None))])
    totals = store.totals(CallQuery())
    assert (totals.currency, totals.currencies) == (None, ("", "EUR"))  # EUR and "not said"
    store.upsert_calls(account.id, [record(mk(i, cost=1.0, currency=None)) for i in (1, 2)])
    assert store.totals(CallQuery()).currency == ""  # no call says its currency


def test_unknown_sort(big):
    with pytest.raises(UsageError, match="unknown sort"):
        big.page(CallQuery(sort="bogus"), None, 10)


@pytest.mark.parametrize("sort", [k for k in SORT_COLUMNS if k != "account"])
@pytest.mark.parametrize("desc", [True, False])
def test_page_queries_walk_an_index(big, sort, desc):
    plans = big.explain(CallQuery(sort=sort, descending=desc))
    # a later page: the tie group, the rest, then the NULLs
    rows, after = big.page(CallQuery(sort=sort, descending=desc), None, 50)
    plans += big.explain(CallQuery(sort=sort, descending=desc), after)
    plans += big.explain(CallQuery(sort=sort, descending=desc), (None, 10**9 if desc else 0))
    assert plans
    for line in plans:
        assert "TEMP B-TREE" not in line, plans
        assert line.startswith("SEARCH calls USING INDEX") or line.startswith(
            "SEARCH calls USING COVERING INDEX"), plans


def test_account_sort_walks_an_index(big):
    for line in big.explain(CallQuery(sort="account")):
        assert "TEMP B-TREE" not in line
        assert "calls_account_id" in line


@pytest.mark.parametrize("sort", ["started", "cost", "account"])
@pytest.mark.parametrize(("search", "broad"), [("refund", True), ("zebra", False)])
def test_search_pages_broad_and_narrow(big, search, broad, sort):
    """A broad search walks the sort index; a narrow one is driven by the matching rows."""
    from callviewer.store import fts_query

    assert big._broad_match(fts_query(search)) is broad
    fts = f"c.id IN (SELECT rowid FROM calls_fts WHERE calls_fts MATCH '\"{search}\"*')"
    for desc in (True, False):
        expected = reference(big, sort, desc, fts)
        got, _ = walk(big, CallQuery(search=search, sort=sort, descending=desc), 41)
        assert got == expected
    if sort != "account":
        plan = " | ".join(big.explain(CallQuery(search=search, sort=sort)))
        if broad:
            assert "USING INDEX calls_" in plan and "TEMP B-TREE" not in plan, plan
        else:
            assert "INTEGER PRIMARY KEY" in plan, plan
