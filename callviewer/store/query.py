"""Listing calls: filters, sorting, keyset pages for the table, counts and totals.

Everything is filtered and sorted in SQL. Every sortable column has an index ending in the row id,
so a page is an index walk from the keyset cursor `(sort_value, rowid)`: no OFFSET, no Python sort.
Rows whose sort value is NULL come last, in both directions.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, NamedTuple

from callviewer.domain import Call
from callviewer.errors import UsageError
from callviewer.store.calls import CallsMixin
from callviewer.store.db import reads_cache
from callviewer.store.search import fts_query

#: Sort keys -> column of `calls` (None: the account's name, walked account by account).
SORT_COLUMNS: dict[str, str | None] = {
    "started": "ts",
    "ts": "ts",
    "account": None,
    "direction": "direction",
    "customer_number": "customer_number",
    "duration_s": "duration_s",
    "status": "status",
    "ended_reason": "ended_reason",
    "cost": "cost",
    "agent": "agent_id",
    "agent_id": "agent_id",
    "campaign": "campaign_id",
    "campaign_id": "campaign_id",
    "summary": "summary_line",
}


@dataclass
class CallQuery:
    """What the list shows. None means "no filter"; an empty list matches nothing.

    `since`/`until` are ISO 8601 strings (a bare date means the whole day: `until=2024-05-01`
    includes May 1st) or epoch seconds; they apply to the call's start (else creation) time.
    `statuses`, `ended_reasons` and `directions` may contain None to match a missing value.
    """

    account_ids: list[int] | None = None
    agent_id: str | None = None
    campaign_id: str | None = None
    search: str | None = None
    since: str | float | datetime | None = None
    until: str | float | datetime | None = None
    statuses: list[str | None] | None = None
    ended_reasons: list[str | None] | None = None
    directions: list[str | None] | None = None
    sort: str = "started"
    descending: bool = True
    include_errors: bool = False


class CallRow(NamedTuple):
    """One line of the call table (what `page()` returns)."""

    rowid: int
    ts: float | None
    account: str
    direction: str | None
    customer_number: str | None
    duration_s: float | None
    status: str | None
    ended_reason: str | None
    cost: float | None
    currency: str | None
    agent_id: str | None
    summary: str | None          # first line, at most 200 characters
    has_recording: bool
    provider_call_id: str
    campaign_id: str | None
    account_id: int
    normalize_error: str | None  # only ever set with include_errors=True


class Totals(NamedTuple):
    count: int
    total_cost: float | None       # None when no call in the set has a cost
    cost_per_minute: float | None  # sum(cost) / sum(duration) in minutes, over calls with both
    #: The currency every call with a cost shares ("USD", "EUR"...; "" when none says which),
    #: or None when they are in different currencies (then `currencies` names them, sorted).
    currency: str | None = "USD"
    currencies: tuple[str, ...] = ()


_ROW_COLS = (
    "id, ts, account_id, direction, customer_number, duration_s, status, ended_reason, cost,"
    " currency, agent_id, summary_line, has_recording, provider_call_id, campaign_id,"
    " normalize_error"
)

_FROM_ROW = object()  # marks "the sort value is read from each row"

#: A search matching at least this many calls (and 5% of them) is run as an index walk.
_BROAD_MATCHES = 2000

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_time(value: str | float | int | datetime, *, end: bool = False) -> tuple[float, bool]:
    """(epoch seconds, inclusive). A bare date as an end bound means "up to the end of that day"."""
    if isinstance(value, bool):
        raise UsageError(f"malformed date {value!r}")
    if isinstance(value, (int, float)):
        return float(value), True
    if isinstance(value, datetime):
        dt = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return dt.timestamp(), True
    text = str(value).strip()
    try:
        if _DATE_ONLY.match(text):
            day = datetime.fromisoformat(text).replace(tzinfo=timezone.utc)
            if end:
                return (day + timedelta(days=1)).timestamp(), False
            return day.timestamp(), True
        dt = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"malformed date '{text}' (expected ISO 8601, e.g. 2024-05-01 or 2024-05-01T12:00:00Z)"
        ) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp(), True


def _in_list(column: str, values: Sequence[str | None]) -> tuple[str, list[Any]]:
    present = [v for v in values if v is not None]
    parts: list[str] = []
    if present:
        parts.append(f"{column} IN ({', '.join('?' * len(present))})")
    if len(present) < len(values):
        parts.append(f"{column} IS NULL")
    if not parts:
        return "0", []
    return "(" + " OR ".join(parts) + ")", present


@dataclass
class _Where:
    sql: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)

    def add(self, sql: str, *params: Any) -> None:
        self.sql.append(sql)
        self.params.extend(params)

    def text(self, *extra: str) -> str:
        return " AND ".join([*self.sql, *extra]) or "1"


class QueriesMixin(CallsMixin):
    def _where(self, q: CallQuery, *, ordered: bool = False) -> _Where:
        w = _Where()
        if not q.include_errors:
            w.add("normalize_error IS NULL")
        if q.account_ids is not None:
            wanted = {int(a) for a in q.account_ids}
            if not wanted.issuperset(self.account_names()):
                if wanted:
                    w.add(f"account_id IN ({', '.join('?' * len(wanted))})", *sorted(wanted))
                else:
                    w.add("0")
        if q.agent_id is not None:
            w.add("agent_id = ?", q.agent_id)
        if q.campaign_id is not None:
            w.add("campaign_id = ?", q.campaign_id)
        for column, values in (
            ("status", q.statuses), ("ended_reason", q.ended_reasons), ("direction", q.directions)
        ):
            if values is not None:
                sql, params = _in_list(column, list(values))
                w.add(sql, *params)
        if q.since is not None and q.since != "":
            since, _ = parse_time(q.since)
            w.add("ts >= ?", since)
        if q.until is not None and q.until != "":
            until, inclusive = parse_time(q.until, end=True)
            w.add("ts <= ?" if inclusive else "ts < ?", until)
        if q.search:
            match = fts_query(q.search)
            if match is not None:
                # Few matches: SQLite looks each matching row up and sorts them (fast).
                # Many matches (a short prefix): walk the sort index instead and test each row
                # against the match set (the unary + keeps SQLite from driving by rowid).
                probe = ordered and self._broad_match(match)
                w.add(
                    f"{'+' if probe else ''}id IN"
                    " (SELECT rowid FROM calls_fts WHERE calls_fts MATCH ?)",
                    match,
                )
        return w

    def _broad_match(self, match: str) -> bool:
        n = self.conn.execute(
            "SELECT count(*) FROM calls_fts WHERE calls_fts MATCH ?", (match,)
        ).fetchone()[0]
        if n < _BROAD_MATCHES:
            return False
        rows = self.conn.execute("SELECT max(id) FROM calls").fetchone()[0] or 0
        return n * 20 >= rows

    @staticmethod
    def _sort_column(q: CallQuery) -> str | None:
        try:
            return SORT_COLUMNS[q.sort]
        except KeyError:
            raise UsageError(
                f"unknown sort '{q.sort}' (one of {', '.join(SORT_COLUMNS)})"
            ) from None

    # -- the keyset walk ---------------------------------------------------------------------

    def _walk(
        self, q: CallQuery, after: Sequence[Any] | None, limit: int | None, cols: str,
        run: Callable[[str, list[Any]], list[tuple]] | None = None,
    ) -> tuple[list[tuple], list[Any]]:
        """Rows (`cols`) in the query's order after the cursor, and each row's sort value."""
        column = self._sort_column(q)
        w = self._where(q, ordered=True)
        desc = bool(q.descending)
        op, direction = ("<", "DESC") if desc else (">", "ASC")
        n = -1 if limit is None else max(int(limit), 0)
        rows: list[tuple] = []
        keys: list[Any] = []
        if n == 0:
            return rows, keys

        if run is None:
            def run(sql: str, params: list[Any]) -> list[tuple]:
                return self.conn.execute(sql, params).fetchall()

        def room() -> int:
            return -1 if n < 0 else n - len(rows)

        if column is None:  # by account name, then id; one index walk per account
            names = self.account_names()
            order = sorted(names.items(), key=lambda kv: kv[1], reverse=desc)
            for account_id, name in order:
                extra = ["account_id = ?"]
                params = [*w.params, account_id]
                if after is not None:
                    after_name, after_id = after[0], after[1]
                    if (name < after_name) if not desc else (name > after_name):
                        continue
                    if name == after_name:
                        extra.append(f"id {op} ?")
                        params.append(after_id)
                got = run(
                    f"SELECT {cols} FROM calls WHERE {w.text(*extra)}"
                    f" ORDER BY id {direction} LIMIT ?",
                    [*params, room()],
                )
                rows.extend(got)
                keys.extend([name] * len(got))
                if room() == 0:
                    break
            return rows, keys

        # Non-NULL values: first the rest of the cursor's tie group (`col = v AND id op rid`),
        # then the values beyond it (`col op v`); then the NULLs (by id). Each part is a plain
        # range on the (col, id) index, which SQLite walks in order and stops after LIMIT rows.
        # (A row value `(col, id) > (?, ?)` would only be ranged on `col`: id is the rowid.)
        by_value = f"{column} {direction}, id {direction}"
        by_id = f"id {direction}"
        parts: list[tuple[list[str], list[Any], str, Any]]  # where, params, order, sort value
        if after is None:
            parts = [
                ([f"{column} IS NOT NULL"], [], by_value, _FROM_ROW),
                ([f"{column} IS NULL"], [], by_id, None),
            ]
        elif after[0] is not None:
            value, rowid = after[0], after[1]
            parts = [
                ([f"{column} = ?", f"id {op} ?"], [value, rowid], by_id, value),
                ([f"{column} {op} ?"], [value], by_value, _FROM_ROW),
                ([f"{column} IS NULL"], [], by_id, None),
            ]
        else:
            parts = [([f"{column} IS NULL", f"id {op} ?"], [after[1]], by_id, None)]
        for where, params, order, value in parts:
            select = f"{cols}, {column}" if value is _FROM_ROW else cols
            got = run(
                f"SELECT {select} FROM calls WHERE {w.text(*where)} ORDER BY {order} LIMIT ?",
                [*w.params, *params, room()],
            )
            if value is _FROM_ROW:
                rows.extend(r[:-1] for r in got)
                keys.extend(r[-1] for r in got)
            else:
                rows.extend(got)
                keys.extend([value] * len(got))
            if room() == 0:
                break
        return rows, keys

    # -- public reads ------------------------------------------------------------------------

    @reads_cache
    def page(
        self, query: CallQuery, after: Sequence[Any] | None, limit: int | None
    ) -> tuple[list[CallRow], tuple[Any, int] | None]:
        """Up to `limit` (None: all) table rows after the keyset cursor, and the cursor of the
        next page.

        `after` is None for the first page, else the `next_after` of the previous page:
        `(sort_value, rowid)`. `next_after` is None when this page reached the end.
        """
        with self.snapshot():
            names = self.account_names()
            raw, keys = self._walk(query, after, limit, _ROW_COLS)
        rows = [
            CallRow(
                r[0], r[1], names.get(r[2], ""), r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10],
                r[11], bool(r[12]), r[13], r[14], r[2], r[15],
            )
            for r in raw
        ]
        next_after = ((keys[-1], rows[-1].rowid)
                      if rows and limit is not None and len(rows) >= limit else None)
        return rows, next_after

    @reads_cache
    def list_docs(self, query: CallQuery | None = None, limit: int | None = None) -> list[tuple[str, str]]:
        """(account name, normalized call JSON without account and transcript), in the query's order.

        The stored JSON as it is: the command line prints thousands of these without decoding
        them. A call that could not be normalized (include_errors) gives a minimal object.
        """
        query = query or CallQuery()
        with self.snapshot() as conn:
            ids, _ = self._walk(query, None, limit, "id")
            accounts = {
                r[0]: (r[1], r[2]) for r in conn.execute("SELECT id, name, provider FROM accounts")
            }
            found: dict[int, tuple[str, str]] = {}
            flat = [i[0] for i in ids]
            for start in range(0, len(flat), 500):
                part = flat[start:start + 500]
                for rowid, account_id, pcid, doc in conn.execute(
                    "SELECT c.id, c.account_id, c.provider_call_id, d.doc"
                    " FROM calls c JOIN call_data d ON d.id = c.id"
                    f" WHERE c.id IN ({', '.join('?' * len(part))})",
                    part,
                ):
                    name, provider = accounts.get(account_id, ("", ""))
                    if doc is None:
                        minimal = Call(provider=provider, provider_call_id=pcid).to_dict(transcript=False)
                        minimal.pop("account")
                        doc = json.dumps(minimal, ensure_ascii=False)
                    found[rowid] = (name, doc)
        return [found[i] for i in flat if i in found]

    @reads_cache
    def list_calls(self, query: CallQuery | None = None, limit: int | None = None) -> list[Call]:
        """Calls without transcripts, in the query's order (newest first by default)."""
        calls = []
        for name, doc in self.list_docs(query, limit):
            call = Call.from_dict(json.loads(doc))
            call.account = name
            calls.append(call)
        return calls

    @reads_cache
    def count(self, query: CallQuery | None = None) -> int:
        w = self._where(query or CallQuery())
        return self.conn.execute(f"SELECT count(*) FROM calls WHERE {w.text()}", w.params).fetchone()[0]

    @reads_cache
    def totals(self, query: CallQuery | None = None) -> Totals:
        w = self._where(query or CallQuery())
        count, n_cost, total_cost, both_cost, both_duration, low, high = self.conn.execute(
            "SELECT count(*), count(cost), total(cost),"
            " total(CASE WHEN duration_s > 0 THEN cost END),"
            " total(CASE WHEN cost IS NOT NULL AND duration_s > 0 THEN duration_s END),"
            # (the normalizers write currency codes in capitals; "" is a call naming none)
            " min(CASE WHEN cost IS NOT NULL THEN coalesce(currency, '') END),"
            " max(CASE WHEN cost IS NOT NULL THEN coalesce(currency, '') END)"
            f" FROM calls WHERE {w.text()}",
            w.params,
        ).fetchone()
        per_minute = both_cost / (both_duration / 60.0) if both_duration > 0 else None
        if not n_cost or low == high:
            return Totals(count, total_cost if n_cost else None, per_minute, low if n_cost else "USD")
        currencies = tuple(r[0] for r in self.conn.execute(
            f"SELECT DISTINCT coalesce(currency, '') FROM calls WHERE {w.text()} AND cost IS NOT NULL"
            " ORDER BY 1", w.params))
        return Totals(count, total_cost, per_minute, None, currencies)

    def count_errors(self, account_id: int | None = None) -> int:
        """How many stored calls could not be normalized (hidden from listings)."""
        if account_id is None:
            sql, params = "SELECT count(*) FROM calls WHERE normalize_error IS NOT NULL", ()
        else:
            sql = "SELECT count(*) FROM calls WHERE account_id = ? AND normalize_error IS NOT NULL"
            params = (account_id,)
        return self.conn.execute(sql, params).fetchone()[0]

    def explain(self, query: CallQuery, after: Sequence[Any] | None = None) -> list[str]:
        """EXPLAIN QUERY PLAN lines of the statements `page()` runs (for checks and tests)."""
        plans: list[str] = []

        def run(sql: str, params: list[Any]) -> list[tuple]:
            plans.extend(r[3] for r in self.conn.execute("EXPLAIN QUERY PLAN " + sql, params))
            return self.conn.execute(sql, params).fetchall()

        self._walk(query, after, 1, _ROW_COLS, run)
        return plans
