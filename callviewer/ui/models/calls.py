"""The call list as a Qt table model: SQL filters and sorts, the model only pages.

Paging design (measured with `bench/bench_call_list.py` at 100,000 calls)
------------------------------------------------------------------------
Rows live in blocks of `page_size` rows (an LRU of blocks; the row count never depends on it).

* **Lazy head.** `set_query()` loads the first block with `store.page()` (a keyset walk, < 1 ms);
  `canFetchMore()`/`fetchMore()` append the next block with the keyset cursor of the last one
  (`WHERE (sort_value, rowid) < (?, ?)`, never OFFSET). A re-entry guard stops the nested
  `fetchMore()` that `QAbstractItemModelTester` issues from inside `beginInsertRows` (and from
  inside a reset). First rows and every sort cost one keyset page (~12 ms with the paint); a
  search keystroke costs the store's FTS match (15-80 ms, more for a word every call has).
* **Jump anywhere.** Walking keyset pages to the end is what the simple design would do for End
  or scroll-to-bottom; it measures 350-540 ms at 100k rows (5,000-row pages), far over the 100 ms
  budget, and fetching only the ordered ids costs 40-135 ms per sort column. So `fetch_all()`
  *counts* the rows instead (an index count, ~1 ms) and makes `rowCount()` the whole result; the
  rows past the loaded head are materialized on demand, one block at a time, when the view asks
  for them. A block is reached from the previous cached block's last row (keyset again, so
  scrolling stays keyset-paged) or, for a jump, from one `ORDER BY ... LIMIT 1 OFFSET n` lookup
  on the sort column's covering index (2-5 ms at 100k; used only to find the block's cursor, the
  block itself is a keyset `store.page()`). End + paint measures 17-30 ms. `fetch_until_rowid()`
  finds a row at any depth the same way (it counts the rows before it).
* **Totals off the UI thread.** `store.totals()` aggregates every matching call (25-50 ms at
  100k, 40-90 ms for a broad search, more on a busy machine), so it runs on one worker thread
  with a read-only clone of the store; only the newest query's result is emitted.

The position lookups read the store's own WHERE builder (`Store._where`, `_sort_column`) so that
they can never disagree with `store.page()`; the normalize-error exclusion is rewritten as a
`NOT IN` over the small partial errors index so the walks stay index-only.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap

from callviewer.display import for_screen
from callviewer.errors import CallviewerError
from callviewer.store import CallQuery, CallRow, Store, Totals

__all__ = [
    "COL",
    "COLUMNS",
    "CallRowRole",
    "CallTableModel",
    "RowIdRole",
    "SORT_KEYS",
    "column_for_sort",
    "format_cost",
    "format_direction",
    "format_duration",
    "format_started",
    "short_id",
    "STATUS_DOT",
    "status_color",
    "status_dot",
]

log = logging.getLogger(__name__)

DASH = "—"

#: (key, header) of every column, in display order.
COLUMNS: list[tuple[str, str]] = [
    ("started", "Started"),
    ("account", "Account"),
    ("direction", "Direction"),
    ("customer_number", "Customer number"),
    ("duration", "Duration"),
    ("status", "Status"),
    ("ended_reason", "Ended reason"),
    ("cost", "Cost"),
    ("agent", "Agent / campaign"),
    ("summary", "Summary"),
]
COLUMN_KEYS = [key for key, _ in COLUMNS]
COL = {key: i for i, key in enumerate(COLUMN_KEYS)}

#: Column key -> the store's sort key (`callviewer.store.SORT_COLUMNS`).
SORT_KEYS: dict[str, str] = {
    "started": "started",
    "account": "account",
    "direction": "direction",
    "customer_number": "customer_number",
    "duration": "duration_s",
    "status": "status",
    "ended_reason": "ended_reason",
    "cost": "cost",
    "agent": "agent",
    "summary": "summary",
}
_SORT_ALIASES = {"ts": "started", "agent_id": "agent", "campaign": "agent", "campaign_id": "agent",
                 "duration_s": "duration"}

RowIdRole = Qt.ItemDataRole.UserRole + 1
CallRowRole = Qt.ItemDataRole.UserRole + 2

#: `calls` column of a sort -> the CallRow field holding the same value (for keyset cursors).
_ROW_FIELD = {
    "ts": 1, "direction": 3, "customer_number": 4, "duration_s": 5, "status": 6,
    "ended_reason": 7, "cost": 8, "agent_id": 10, "summary_line": 11, "campaign_id": 14,
}
_ACCOUNT_FIELD = 2

_R = Qt.ItemDataRole
_DISPLAY, _ALIGNMENT, _TOOLTIP = int(_R.DisplayRole), int(_R.TextAlignmentRole), int(_R.ToolTipRole)
_DECORATION = int(_R.DecorationRole)
_ROWID, _CALLROW = int(RowIdRole), int(CallRowRole)
_ROLES = frozenset({_DISPLAY, _ALIGNMENT, _TOOLTIP, _DECORATION, _ROWID, _CALLROW})
_STATUS = COL["status"]

# -- the status column's dot -------------------------------------------------------------------

#: The dot's size (px); the view shows decorations at this size (CallTableView's iconSize).
STATUS_DOT = 8
_GREEN, _RED, _ORANGE, _BLUE, _GREY = "#2e9d4f", "#d0383e", "#e08a1e", "#2f7fd8", "#8a8f98"
_STATUS_COLORS: dict[str, str] = {}
for _names, _color in (
    (("ended", "completed", "complete", "done", "success", "succeeded", "transferred",
      "forwarded", "answered", "hangup"), _GREEN),
    (("failed", "error", "auth-failed", "rejected", "dropped"), _RED),
    (("busy", "no-answer", "noanswer", "voicemail", "canceled", "cancelled", "missed",
      "timeout", "unanswered"), _ORANGE),
    (("in-progress", "queued", "ringing", "started", "connected", "scheduled", "initiated",
      "ongoing", "registered", "pending", "active", "forwarding", "dialing"), _BLUE),
):
    for _name in _names:
        _STATUS_COLORS[_name] = _color
_DOTS: dict[str, QIcon] = {}  # by colour
_STATUS_DOTS: dict[str | None, QIcon | None] = {}  # by status text


def status_color(status: str | None) -> QColor | None:
    """The dot colour of a status: green done, red failed, orange not reached, blue live."""
    if not status or status == DASH:
        return None
    key = status.strip().lower().replace("_", "-").replace(" ", "-")
    return QColor(_STATUS_COLORS.get(key, _GREY))


def status_dot(status: str | None) -> QIcon | None:
    """The status column's dot (an icon with 1x, 1.5x and 2x pixmaps, so it stays crisp on
    high-DPI screens); None for no status. Asked for every status cell painted: looked up by
    the status text (a few hundred at most are remembered), made once per colour."""
    try:
        return _STATUS_DOTS[status]
    except KeyError:
        pass
    color = status_color(status)
    icon = None if color is None else _DOTS.get(color.name())
    if color is not None and icon is None:
        icon = QIcon()
        for ratio in (1.0, 1.5, 2.0):
            size = round(STATUS_DOT * ratio)
            pix = QPixmap(size, size)
            pix.setDevicePixelRatio(ratio)
            pix.fill(Qt.GlobalColor.transparent)
            p = QPainter(pix)
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(color)
            p.drawEllipse(0, 0, STATUS_DOT, STATUS_DOT)
            p.end()
            icon.addPixmap(pix)
            icon.addPixmap(pix, QIcon.Mode.Selected)  # (not tinted with the selection colour)
        _DOTS[color.name()] = icon
    if len(_STATUS_DOTS) < 512:
        _STATUS_DOTS[status] = icon
    return icon


_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_NUMERIC = frozenset({COL["duration"], COL["cost"]})
_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren


def column_for_sort(sort_key: str) -> int | None:
    """The column that shows a store sort key (None for an unknown key)."""
    key = _SORT_ALIASES.get(sort_key, sort_key)
    for col_key, store_key in SORT_KEYS.items():
        if store_key == key or col_key == key:
            return COL[col_key]
    return None


# -- cell formatting (pure) ------------------------------------------------------------------

def format_started(ts: float | None) -> str:
    """Local time "YYYY-MM-DD HH:MM"; "—" when unknown."""
    if ts is None:
        return DASH
    try:
        return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")
    except (OverflowError, OSError, ValueError):
        return DASH


def format_duration(seconds: float | None) -> str:
    """`m:ss` (`h:mm:ss` from an hour on); "—" when unknown."""
    if seconds is None or not math.isfinite(seconds):
        return DASH
    total = max(0, int(round(seconds)))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def format_cost(amount: float | None, currency: str | None = "USD", digits: int = 4) -> str:
    """`$0.1234` for USD, `0.1234 EUR` for any other currency, `0.1234` for none; "—" when
    unknown."""
    if amount is None or not math.isfinite(amount):
        return DASH
    cur = (currency or "").strip().upper()
    sign = "-" if amount < 0 else ""
    num = f"{abs(amount):,.{digits}f}"
    if cur == "USD":
        return f"{sign}${num}"
    return f"{sign}{num} {cur}" if cur else f"{sign}{num}"


_DIRECTIONS = {"inbound": "↙ inbound", "outbound": "↗ outbound", "web": "web"}


def format_direction(direction: str | None) -> str:
    if not direction:
        return DASH
    return _DIRECTIONS.get(direction.lower(), direction)


def short_id(value: str, keep: int = 10) -> str:
    """A long provider id cut to its first `keep` characters and an ellipsis."""
    return value if len(value) <= keep + 1 else value[:keep] + "…"


# -- position lookups ------------------------------------------------------------------------

class _Positions:
    """Counts and OFFSET lookups in the store's order (see the module docstring).

    The order is the one `Store._walk` produces: non-NULL sort values (then rowid) in the query's
    direction, then the NULLs by rowid; the account sort walks the accounts by name, each by rowid.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    def _base(self, q: CallQuery) -> tuple[list[str], list[Any]]:
        w = self.store._where(dataclasses.replace(q, include_errors=True))
        sql, params = list(w.sql), list(w.params)
        if not q.include_errors and self.store.count_errors() > 0:
            # Same rows as `normalize_error IS NULL`, but answered from the partial errors index
            # instead of a table lookup per row (the sort index stays covering).
            sql.append("id NOT IN (SELECT id FROM calls WHERE normalize_error IS NOT NULL)")
        return sql, params

    def _one(self, conn, select: str, where: list[str], params: list[Any], tail: str = "") -> Any:
        text = f" WHERE {' AND '.join(where)}" if where else ""  # bare count(*) is O(1)
        return conn.execute(f"SELECT {select} FROM calls{text} {tail}", params).fetchone()

    def _count(self, conn, where: list[str], params: list[Any]) -> int:
        return self._one(conn, "count(*)", where, params)[0]

    def _accounts_in_order(self, q: CallQuery) -> list[tuple[int, str]]:
        names = self.store.account_names()
        return sorted(names.items(), key=lambda kv: kv[1], reverse=bool(q.descending))

    def _non_null(self, conn, column: str, where: list[str], params: list[Any]) -> int:
        # `col IS NOT NULL` would scan the table; the NULLs are one range of the column's index.
        return (self._count(conn, where, params)
                - self._count(conn, [*where, f"{column} IS NULL"], params))

    def count(self, q: CallQuery) -> int:
        with self.store.snapshot() as conn:
            where, params = self._base(q)
            return self._count(conn, where, params)

    def cursor_at(self, q: CallQuery, row: int) -> tuple[Any, int] | None:
        """The keyset cursor `(sort_value, rowid)` of row `row`, or None past the end."""
        if row < 0:
            return None
        column = self.store._sort_column(q)
        direction = "DESC" if q.descending else "ASC"
        with self.store.snapshot() as conn:
            where, params = self._base(q)
            if column is None:
                for account_id, name in self._accounts_in_order(q):
                    w = [*where, "account_id = ?"]
                    p = [*params, account_id]
                    n = self._count(conn, w, p)
                    if row < n:
                        got = self._one(conn, "id", w, p,
                                        f"ORDER BY id {direction} LIMIT 1 OFFSET {int(row)}")
                        return (name, got[0]) if got else None
                    row -= n
                return None
            got = self._one(
                conn, f"{column}, id", [*where, f"{column} IS NOT NULL"], params,
                f"ORDER BY {column} {direction}, id {direction} LIMIT 1 OFFSET {int(row)}",
            )
            if got is not None:
                return got[0], got[1]
            non_null = self._non_null(conn, column, where, params)
            got = self._one(
                conn, "id", [*where, f"{column} IS NULL"], params,
                f"ORDER BY id {direction} LIMIT 1 OFFSET {int(row - non_null)}",
            ) if row >= non_null else None
            return (None, got[0]) if got else None

    def position_of(self, q: CallQuery, rowid: int) -> int | None:
        """The row number of `rowid` in the query's result, or None when it is not in it."""
        column = self.store._sort_column(q)
        op = ">" if q.descending else "<"  # what comes *before* a row in the query's order
        with self.store.snapshot() as conn:
            where, params = self._base(q)
            select = "account_id" if column is None else column
            got = self._one(conn, select, [*where, "id = ?"], [*params, rowid])
            if got is None:
                return None
            value = got[0]
            if column is None:
                before = 0
                for account_id, _name in self._accounts_in_order(q):
                    w = [*where, "account_id = ?"]
                    p = [*params, account_id]
                    if account_id == value:
                        return before + self._count(conn, [*w, f"id {op} ?"], [*p, rowid])
                    before += self._count(conn, w, p)
                return None
            if value is None:
                non_null = self._non_null(conn, column, where, params)
                return non_null + self._count(
                    conn, [*where, f"{column} IS NULL", f"id {op} ?"], [*params, rowid])
            return (
                self._count(conn, [*where, f"{column} {op} ?"], [*params, value])
                + self._count(conn, [*where, f"{column} = ?", f"id {op} ?"],
                              [*params, value, rowid])
            )


# -- totals off the UI thread ----------------------------------------------------------------

class _Relay(QObject):
    """Carries a result from the totals thread to the model (a queued signal)."""

    ready = Signal(int, object)


class _TotalsWorker:
    """Computes `Totals` on one thread with its own read-only connection (`read_only_clone`).
    Only the newest request runs; older ones still waiting are skipped."""

    def __init__(self, store: Store, relay: _Relay) -> None:
        self._store = store
        self._relay = relay
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="callviewer-totals")
        self._clone: Store | None = None  # only ever touched on the worker thread
        self._latest = 0
        self._lock = threading.Lock()

    def request(self, generation: int, query: CallQuery) -> None:
        with self._lock:
            self._latest = generation
        try:
            self._executor.submit(self._run, generation, query)
        except RuntimeError:  # closed
            pass

    def _stale(self, generation: int) -> bool:
        with self._lock:
            return generation != self._latest

    def _run(self, generation: int, query: CallQuery) -> None:
        if self._stale(generation):
            return
        try:
            if self._clone is None:
                self._clone = self._store.read_only_clone()
            totals: Totals | None = self._clone.totals(query)
        except Exception:  # the footer shows "—"; the list itself is unaffected
            log.warning("computing the call list totals failed", exc_info=True)
            totals = None
        if self._stale(generation):
            return
        try:
            self._relay.ready.emit(generation, totals)
        except RuntimeError:  # the model is gone
            pass

    def _close_clone(self) -> None:
        if self._clone is not None:
            self._clone.close()
            self._clone = None

    def close(self, wait: bool = True) -> None:
        with self._lock:
            self._latest = -1
        try:
            self._executor.submit(self._close_clone)
        except RuntimeError:
            return
        self._executor.shutdown(wait=wait)


# -- the model -------------------------------------------------------------------------------

class CallTableModel(QAbstractTableModel):
    """The call list of one `CallQuery` (see the module docstring for how it pages).

    Empty until `set_query()` (or `refresh()`) is called. Rows are read on the store given here,
    i.e. on the UI thread: each read is one indexed SQL statement of a few milliseconds. The
    totals (an aggregate over every matching call: 25-90 ms at 100k) are computed on a worker
    thread with a read-only clone of the store (`threaded_totals=False`: right away, on this
    thread); call `close()` when done with the model to stop that thread.
    """

    #: The `Totals` of the current query (or None if they could not be computed), some
    #: milliseconds after `set_query()` and `refresh()`; only for the newest query.
    totalsChanged = Signal(object)
    #: The new `CallQuery` after `set_query()`, `sort()` (so a view can follow the sort).
    queryChanged = Signal(object)
    #: A read of more rows (scrolling) failed: the CallviewerError (e.g. CorruptCache). Once per
    #: query; the rows that could not be read show empty.
    readFailed = Signal(object)

    def __init__(self, store: Store, parent=None, *, page_size: int = 200,
                 cache_blocks: int = 250, threaded_totals: bool = True) -> None:
        super().__init__(parent)
        self._store = store
        self._totals_generation = 0
        self._worker: _TotalsWorker | None = None
        if threaded_totals:
            self._relay = _Relay(self)
            self._relay.ready.connect(self._totals_ready)
            self._worker = _TotalsWorker(store, self._relay)
            worker = self._worker
            self.destroyed.connect(lambda *_: worker.close(wait=False))
        self._positions = _Positions(store)
        self._page = max(1, int(page_size))
        self._cache_blocks = max(4, int(cache_blocks))
        self._query = CallQuery()
        self._names: dict[str, str] = {}
        self._totals: Totals | None = None
        self._blocks: OrderedDict[int, list[CallRow]] = OrderedDict()
        self._pos: dict[int, int] = {}          # rowid -> row, of cached rows
        self._rows = 0                          # rowCount()
        self._next_after: tuple[Any, int] | None = None   # keyset cursor after the lazy head
        self._complete = True                   # nothing more to fetch (set_query not yet called)
        self._windowed = False                  # rowCount() is the whole result (fetch_all)
        self._fetching = False                  # the fetchMore re-entry guard
        self._hot: tuple[int, list[CallRow]] | None = None  # last block data() used
        self._read_failed = False               # readFailed was emitted for this query
        self._hold_totals = False               # see hold_totals()
        self._totals_pending = False

    # -- query -------------------------------------------------------------------------------

    def query(self) -> CallQuery:
        """A copy of the current query."""
        return dataclasses.replace(self._query)

    def totals(self) -> Totals | None:
        """The last `Totals` emitted (None before the first)."""
        return self._totals

    def page_size(self) -> int:
        return self._page

    def is_windowed(self) -> bool:
        """True after `fetch_all()`: `rowCount()` is the whole result, rows load on demand."""
        return self._windowed

    def set_query(self, query: CallQuery) -> None:
        """Shows `query`'s calls: resets, loads the first page; `totalsChanged` follows."""
        self._reload(copy.deepcopy(query))  # the caller may reuse its lists
        self.queryChanged.emit(self.query())
        self._emit_totals()

    def refresh(self) -> None:
        """Reloads the same query (e.g. after a sync). A model that was windowed stays so.

        The view loses its current row in the reset; restore it with `fetch_until_rowid()`.
        """
        windowed = self._windowed
        self._reload(self._query)
        if windowed:
            self.fetch_all()
        self._emit_totals()

    def hold_totals(self, hold: bool) -> None:
        """While held, the totals of the query are not computed (the window's start: they come
        right after its first rows, so that the aggregate over every call does not compete with
        the first paint for the CPU). Releasing computes those of the current query."""
        self._hold_totals = hold
        if not hold and self._totals_pending:
            self._totals_pending = False
            self._emit_totals()

    def _emit_totals(self) -> None:
        if self._hold_totals:
            self._totals_pending = True
            return
        self._totals_generation += 1
        if self._worker is not None:
            self._worker.request(self._totals_generation, copy.deepcopy(self._query))
        else:
            self._totals_ready(self._totals_generation, self._store.totals(self._query))

    def _totals_ready(self, generation: int, totals: Totals | None) -> None:
        if generation != self._totals_generation:
            return  # a newer query is on its way
        self._totals = totals
        self.totalsChanged.emit(totals)

    def close(self) -> None:
        """Stops the totals thread (and closes its connection). The model stays usable, with
        totals computed on the calling thread from then on."""
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.close()

    def _reload(self, query: CallQuery) -> None:
        # Read first: a bad query raises here and leaves the model as it was.
        rows, next_after = self._store.page(query, None, self._page)
        # The guard also covers the reset: listeners of modelReset (QAbstractItemModelTester,
        # views) may call fetchMore() while it is being emitted.
        self._fetching = True
        try:
            self.beginResetModel()
            self._query = query
            self._drop_cache()
            if rows:
                self._remember(0, rows)
            self._rows = len(rows)
            self._next_after = next_after
            self._complete = next_after is None
            self._windowed = False
            self._read_failed = False
            self.endResetModel()
        finally:
            self._fetching = False

    # -- lazy paging -------------------------------------------------------------------------

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:
        if parent.isValid():
            return False
        return not self._complete and not self._fetching

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> None:
        if parent.isValid() or self._complete or self._fetching:
            return
        self._fetching = True
        try:
            start = self._rows
            try:
                rows, next_after = self._store.page(self._query, self._next_after, self._page)
            except CallviewerError as e:
                self._complete = True
                self._failed(e)
                return
            self._next_after = next_after
            if next_after is None:
                self._complete = True
            if not rows:
                return
            self._remember(start // self._page, rows)
            self.beginInsertRows(QModelIndex(), start, start + len(rows) - 1)
            self._rows = start + len(rows)
            self.endInsertRows()
        finally:
            self._fetching = False

    def fetch_all(self) -> None:
        """Makes `rowCount()` the whole result (one count); rows then load as they are shown.

        This is what a jump to the last row needs, and it stays fast at any size.
        """
        if self._complete or self._fetching:
            return
        total = self._positions.count(self._query)
        self._complete = True
        self._next_after = None
        if total <= self._rows:
            return
        self._fetching = True
        try:
            self.beginInsertRows(QModelIndex(), self._rows, total - 1)
            self._rows = total
            self._windowed = True
            self.endInsertRows()
        finally:
            self._fetching = False

    def ensure_all_loaded_up_to(self, row: int) -> bool:
        """Makes `row` exist (paging on, or `fetch_all()` for a row far ahead). True if it does."""
        if row < self._rows:
            return row >= 0
        if row - self._rows > 10 * self._page:
            self.fetch_all()
        while row >= self._rows and self.canFetchMore():
            self.fetchMore()
        return 0 <= row < self._rows

    def fetch_until_rowid(self, rowid: int, max_rows: int = 5000) -> int | None:
        """The row of `rowid`, making it exist: pages on up to `max_rows` rows, beyond that
        uses `fetch_all()`. None when the call is not in the current result."""
        row = self.row_of_rowid(rowid)
        if row is not None:
            return row
        pos = self._positions.position_of(self._query, rowid)
        if pos is None:
            return None
        if pos >= self._rows:
            if pos < max_rows:
                while pos >= self._rows and self.canFetchMore():
                    self.fetchMore()
            if pos >= self._rows:
                self.fetch_all()
        if pos >= self._rows:
            return None
        found = self.call_row(pos)
        if found is not None and found.rowid == rowid:
            return pos
        return self.row_of_rowid(rowid)  # the cache moved under us: whatever it holds now

    # -- rows --------------------------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else self._rows

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def call_row(self, row: int) -> CallRow | None:
        if row < 0 or row >= self._rows:
            return None
        b, i = divmod(row, self._page)
        hot = self._hot
        block = hot[1] if hot is not None and hot[0] == b else self._block(b)
        return block[i] if i < len(block) else None

    def rowid_at(self, row: int) -> int | None:
        r = self.call_row(row)
        return None if r is None else r.rowid

    def row_of_rowid(self, rowid: int) -> int | None:
        """The row of `rowid` among the rows loaded (cached) now, else None."""
        return self._pos.get(rowid)

    def _block(self, b: int) -> list[CallRow]:
        block = self._blocks.get(b)
        if block is not None:
            self._blocks.move_to_end(b)
        else:
            try:
                block = self._load_block(b)
            except CallviewerError as e:
                self._failed(e)
                return []  # (not remembered: tried again when shown again)
            self._remember(b, block)
        self._hot = (b, block)
        return block

    def _load_block(self, b: int) -> list[CallRow]:
        if b == 0:
            cursor = None
        else:
            prev = self._blocks.get(b - 1)
            if prev is not None and len(prev) == self._page:
                cursor = (self._key(prev[-1]), prev[-1].rowid)
            else:
                cursor = self._positions.cursor_at(self._query, b * self._page - 1)
                if cursor is None:
                    return []
        rows, _ = self._store.page(self._query, cursor, self._page)
        return rows

    def _failed(self, err: CallviewerError) -> None:
        log.warning("reading calls for the list failed: %s", err)
        if not self._read_failed:
            self._read_failed = True
            self.readFailed.emit(err)

    def _key(self, row: CallRow) -> Any:
        column = self._store._sort_column(self._query)
        return row[_ACCOUNT_FIELD] if column is None else row[_ROW_FIELD[column]]

    def _remember(self, b: int, rows: list[CallRow]) -> None:
        old = self._blocks.pop(b, None)
        if old is not None:
            self._forget(b, old)
        self._blocks[b] = rows
        base = b * self._page
        for i, r in enumerate(rows):
            self._pos[r.rowid] = base + i
        while len(self._blocks) > self._cache_blocks:
            ob, orows = self._blocks.popitem(last=False)
            self._forget(ob, orows)

    def _forget(self, b: int, rows: list[CallRow]) -> None:
        base = b * self._page
        for i, r in enumerate(rows):
            if self._pos.get(r.rowid) == base + i:
                del self._pos[r.rowid]
        if self._hot is not None and self._hot[0] == b:
            self._hot = None

    def _drop_cache(self) -> None:
        self._blocks.clear()
        self._pos.clear()
        self._hot = None

    # -- sorting -----------------------------------------------------------------------------

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sorts in SQL: the column's sort key and direction go into the query, which reloads.
        Asking for the current sort does nothing."""
        if not 0 <= column < len(COLUMNS):
            return
        key = SORT_KEYS[COLUMN_KEYS[column]]
        descending = order == Qt.SortOrder.DescendingOrder
        current = _SORT_ALIASES.get(self._query.sort, self._query.sort)
        current = SORT_KEYS.get(current, current)
        if current == key and bool(self._query.descending) == descending:
            return
        self._reload(dataclasses.replace(self._query, sort=key, descending=descending))
        self.queryChanged.emit(self.query())

    def sort_column(self) -> int | None:
        return column_for_sort(self._query.sort)

    # -- names -------------------------------------------------------------------------------

    def set_directory_names(self, names: Mapping[str, str]) -> None:
        """Agent/campaign id -> name, shown instead of the shortened id."""
        self._names = dict(names)
        if self._rows:
            col = COL["agent"]
            self.dataChanged.emit(self.index(0, col), self.index(self._rows - 1, col),
                                  [_R.DisplayRole, _R.ToolTipRole])

    def _dir_name(self, value: str) -> str:
        return self._names.get(value) or short_id(value)

    # -- data --------------------------------------------------------------------------------

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return _FLAGS

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = _R.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS):
            if role == _R.DisplayRole:
                return COLUMNS[section][1]
            if role == _R.TextAlignmentRole and section in _NUMERIC:
                return _RIGHT
            return None
        return super().headerData(section, orientation, role)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _R.DisplayRole) -> Any:
        # (Called some 2,000 times per paint, mostly for roles it has nothing for: plain ints,
        # not enum members, are compared first.)
        if role not in _ROLES:
            return None
        if role == _DISPLAY:
            row = self.call_row(index.row()) if index.isValid() else None
            return None if row is None else self._display(row, index.column())
        if role == _ALIGNMENT:
            return _RIGHT if index.isValid() and index.column() in _NUMERIC else None
        if role == _DECORATION:
            if index.column() != _STATUS or not index.isValid():
                return None
            row = self.call_row(index.row())
            return None if row is None else status_dot(row.status)
        if role == _TOOLTIP:
            row = self.call_row(index.row()) if index.isValid() else None
            return None if row is None else self._tooltip(row, index.column())
        if role == _ROWID:
            row = self.call_row(index.row()) if index.isValid() else None
            return None if row is None else row.rowid
        return self.call_row(index.row()) if index.isValid() else None  # CallRowRole

    def _display(self, r: CallRow, col: int) -> str | None:
        if col == 0:
            return format_started(r.ts)
        if col == 1:
            return r.account
        if col == 2:
            return format_direction(r.direction)
        # (provider text through for_screen: a number or a summary can't be shown reversed)
        if col == 3:
            return for_screen(r.customer_number) or DASH
        if col == 4:
            return format_duration(r.duration_s)
        if col == 5:
            return for_screen(r.status) or DASH
        if col == 6:
            return for_screen(r.ended_reason) or DASH
        if col == 7:
            return format_cost(r.cost, r.currency)
        if col == 8:
            parts = [self._dir_name(v) for v in (r.agent_id, r.campaign_id) if v]
            return for_screen(" · ".join(parts)) if parts else DASH
        if col == 9:
            return for_screen(r.summary)
        return None

    def _tooltip(self, r: CallRow, col: int) -> str | None:
        tip = self._tooltip_text(r, col)
        return for_screen(tip) if tip else None

    def _tooltip_text(self, r: CallRow, col: int) -> str | None:
        if col == 0:
            if r.ts is None:
                return None
            local = datetime.fromtimestamp(r.ts).astimezone()
            return f"{local:%Y-%m-%d %H:%M:%S %Z}".strip()
        if col == 1:
            return f"{r.account} · call {r.provider_call_id}"
        if col == 8:
            lines = []
            for label, value in (("Agent", r.agent_id), ("Campaign", r.campaign_id)):
                if value:
                    name = self._names.get(value)
                    lines.append(f"{label}: {name} ({value})" if name else f"{label}: {value}")
            return "\n".join(lines) or None
        if col == 9:
            return r.summary or None
        if col == 5 and r.ended_reason:  # the Ended reason column is hidden by default
            return f"{r.status or DASH}\nEnded: {r.ended_reason}"
        if col in (3, 5, 6):
            value = (r.customer_number, r.status, r.ended_reason)[(3, 5, 6).index(col)]
            return value or None
        return None

