"""The call list: model paging (lazy keyset head, windowed tail), SQL sorting, the view, the footer.

A 1,000-call store (with calls that failed to normalize) covers correctness in detail; a
100,000-call store, built once for the module, covers the sizes the list must stay fast at.
"""

from __future__ import annotations

import random
import time

import pytest
from PySide6.QtCore import QModelIndex, QSize, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication
from ui_helpers import RARE, fill_store

from callviewer.store import CallQuery, CallRecord, Store, Totals
from callviewer.ui.calltable import (
    CallListFooter,
    CallTableView,
    footer_text,
    status_color,
)
from callviewer.ui.models.calls import (
    STATUS_DOT,
    COL,
    COLUMNS,
    SORT_KEYS,
    CallRowRole,
    CallTableModel,
    RowIdRole,
    format_cost,
    format_direction,
    format_duration,
    format_started,
)

BIG = 100_000
SMALL = 1_000
N_ERRORS = 5

#: Column key -> the `calls` column the store sorts by (None: the account's name).
ORACLE_COLUMN = {
    "started": "ts", "account": None, "direction": "direction",
    "customer_number": "customer_number", "duration": "duration_s", "status": "status",
    "ended_reason": "ended_reason", "cost": "cost", "agent": "agent_id", "summary": "summary_line",
}


def oracle(store: Store, key: str, descending: bool, where: str = "1") -> list[int]:
    """The rowids in the documented order, by a plain SQL sort (not the store's keyset walk):
    non-NULL values then rowid in the sort direction, NULLs last, calls with errors hidden."""
    d = "DESC" if descending else "ASC"
    col = ORACLE_COLUMN[key]
    if col is None:
        sql = (f"SELECT c.id FROM calls c JOIN accounts a ON a.id = c.account_id"
               f" WHERE c.normalize_error IS NULL AND {where} ORDER BY a.name {d}, c.id {d}")
    else:
        sql = (f"SELECT id FROM calls c WHERE normalize_error IS NULL AND {where}"
               f" ORDER BY ({col} IS NULL), {col} {d}, id {d}")
    return [r[0] for r in store.conn.execute(sql)]


def loaded_rowids(model: CallTableModel) -> list[int]:
    return [model.rowid_at(r) for r in range(model.rowCount())]


def fetch_everything_lazily(model: CallTableModel) -> None:
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())


def add_broken(store: Store, account_id: int, n: int) -> None:
    store.upsert_calls(account_id, [
        CallRecord(f"broken-{i}", {"id": i, "oops": True}, None, f"lb{i}", f"db{i}",
                   "bad payload", 1)
        for i in range(n)
    ])


@pytest.fixture(scope="module")
def small_store(tmp_path_factory):
    store = Store.open(tmp_path_factory.mktemp("small") / "db")
    ids = fill_store(store, SMALL)
    add_broken(store, ids["sales"], N_ERRORS)
    yield store
    store.close()


@pytest.fixture(scope="module")
def big_store(tmp_path_factory):
    store = Store.open(tmp_path_factory.mktemp("big") / "db")
    fill_store(store, BIG, batch=5000)
    yield store
    store.close()


@pytest.fixture
def model(qapp, small_store):
    m = CallTableModel(small_store, page_size=50, threaded_totals=False)
    m.set_query(CallQuery())
    return m


# -- formatting ----------------------------------------------------------------------------------

def test_cell_formatters():
    assert format_duration(125) == "2:05"
    assert format_duration(5.4) == "0:05"
    assert format_duration(3725) == "1:02:05"
    assert format_duration(None) == "—"
    assert format_cost(0.1234, "USD") == "$0.1234"
    assert format_cost(0.5, "eur") == "0.5000 EUR"
    assert format_cost(1234.5, "USD") == "$1,234.5000"
    assert format_cost(None, "USD") == "—"
    assert format_cost(0.1, None) == "0.1000"
    assert format_direction("inbound") == "↙ inbound"
    assert format_direction("outbound") == "↗ outbound"
    assert format_direction("web") == "web"
    assert format_direction("sip") == "sip"
    assert format_direction(None) == "—"
    assert format_started(None) == "—"
    assert len(format_started(1714564800.0)) == len("2024-05-01 12:00")


def test_display_roles(model, small_store):
    row = model.call_row(0)
    first = small_store.page(CallQuery(), None, 1)[0][0]
    assert row == first
    assert model.rowid_at(0) == first.rowid
    text = [model.data(model.index(0, c)) for c in range(len(COLUMNS))]
    assert text[COL["started"]] == format_started(first.ts)
    assert text[COL["account"]] == first.account
    assert text[COL["cost"]] == format_cost(first.cost, first.currency)
    assert model.data(model.index(0, 0), RowIdRole) == first.rowid
    assert model.data(model.index(0, 0), CallRowRole) == first
    right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
    assert model.data(model.index(0, COL["cost"]), Qt.ItemDataRole.TextAlignmentRole) == right
    assert model.data(model.index(0, COL["duration"]), Qt.ItemDataRole.TextAlignmentRole) == right
    assert model.data(model.index(0, COL["summary"]), Qt.ItemDataRole.TextAlignmentRole) is None
    assert first.provider_call_id in model.data(model.index(0, COL["account"]),
                                                Qt.ItemDataRole.ToolTipRole)
    assert [model.headerData(c, Qt.Orientation.Horizontal) for c in range(len(COLUMNS))] == [
        h for _, h in COLUMNS]
    assert model.data(QModelIndex()) is None
    assert model.call_row(-1) is None and model.call_row(10**6) is None


def test_agent_names_and_ids(model):
    r = next(r for r in range(model.rowCount())
             if model.call_row(r).agent_id == "agent-a" and model.call_row(r).campaign_id)
    idx = model.index(r, COL["agent"])
    camp = model.call_row(r).campaign_id
    assert model.data(idx) == f"agent-a · {camp}"
    with_changes = []
    model.dataChanged.connect(lambda a, b, roles: with_changes.append((a.column(), b.row())))
    model.set_directory_names({"agent-a": "Front desk", camp: "Spring promo"})
    assert with_changes == [(COL["agent"], model.rowCount() - 1)]
    assert model.data(idx) == "Front desk · Spring promo"
    assert "agent-a" in model.data(idx, Qt.ItemDataRole.ToolTipRole)
    model.set_directory_names({"x": "y"})
    long_id = "asst_8f3a2c91-5b7d-4e1f-9a0b-c2d3e4f5a6b7"
    assert model._dir_name(long_id) == "asst_8f3a2…"


# -- Qt's model checks -----------------------------------------------------------------------------

@pytest.mark.qt_log_level_fail("WARNING")
@pytest.mark.parametrize("force_py", [False, True])
def test_qt_model_tester(qtmodeltester, small_store, force_py):
    m = CallTableModel(small_store, page_size=64, cache_blocks=4, threaded_totals=False)
    m.set_query(CallQuery())
    qtmodeltester.check(m, force_py=force_py)
    for _ in range(3):
        m.fetchMore(QModelIndex())
    m.sort(COL["cost"], Qt.SortOrder.AscendingOrder)
    m.fetchMore(QModelIndex())
    m.fetch_all()
    assert m.rowCount() == SMALL
    m.set_directory_names({"agent-a": "A"})
    m.set_query(CallQuery(search=RARE))
    m.refresh()
    fetch_everything_lazily(m)
    assert m.rowCount() == len(range(0, SMALL, 97))


def test_reentry_guard(small_store):
    """fetchMore called again from inside beginInsertRows (as the model tester does) is a no-op."""
    m = CallTableModel(small_store, page_size=50, threaded_totals=False)
    m.set_query(CallQuery())
    nested = []

    def again(*_):
        nested.append(m.canFetchMore(QModelIndex()))
        m.fetchMore(QModelIndex())

    m.rowsAboutToBeInserted.connect(again)
    m.fetchMore(QModelIndex())
    m.fetchMore(QModelIndex())
    assert nested == [False, False]
    assert m.rowCount() == 150
    ids = loaded_rowids(m)
    assert len(set(ids)) == 150
    assert ids == oracle(small_store, "started", True)[:150]


# -- paging and order (1,000 calls, some broken) ---------------------------------------------------

def test_lazy_pages_without_gaps(model, small_store):
    assert model.rowCount() == 50
    assert model.canFetchMore(QModelIndex())
    fetch_everything_lazily(model)
    assert not model.canFetchMore(QModelIndex())
    assert model.rowCount() == SMALL  # the broken calls are hidden
    assert loaded_rowids(model) == oracle(small_store, "started", True)


@pytest.mark.parametrize("key", [k for k, _ in COLUMNS])
def test_sort_every_column_small(small_store, key):
    # small blocks and a small cache: blocks get evicted and found again
    m = CallTableModel(small_store, page_size=37, cache_blocks=4, threaded_totals=False)
    m.set_query(CallQuery())
    for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
        m.sort(COL[key], order)
        assert m.query().sort == SORT_KEYS[key]
        desc = order == Qt.SortOrder.DescendingOrder
        assert m.query().descending is desc
        want = oracle(small_store, key, desc)
        fetch_everything_lazily(m)
        assert loaded_rowids(m) == want
        # the windowed path: rows reached in random order through OFFSET-found cursors
        m.refresh()
        m.fetch_all()
        assert m.is_windowed() and m.rowCount() == len(want)
        rows = list(range(len(want)))
        random.Random(key).shuffle(rows)
        assert {r: m.rowid_at(r) for r in rows} == dict(enumerate(want))
        for r in (0, 1, 36, 37, 500, len(want) - 1):
            m._drop_cache()
            assert m.fetch_until_rowid(want[r]) == r


def test_sort_same_order_is_noop(model, small_store, monkeypatch):
    calls = []
    real = small_store.page
    monkeypatch.setattr(small_store, "page", lambda *a, **k: calls.append(a) or real(*a, **k))
    model.sort(COL["started"], Qt.SortOrder.DescendingOrder)
    assert calls == []
    model.sort(COL["started"], Qt.SortOrder.AscendingOrder)
    assert len(calls) == 1


def test_filters_and_positions(small_store):
    m = CallTableModel(small_store, page_size=20, threaded_totals=False)
    prod = small_store.get_account("prod").id
    q = CallQuery(account_ids=[prod], statuses=["failed", None], sort="cost", descending=False)
    m.set_query(q)
    want = oracle(small_store, "cost", False,
                  f"account_id = {prod} AND (status = 'failed' OR status IS NULL)")
    assert 0 < len(want) < SMALL
    m.fetch_all()
    assert loaded_rowids(m) == want
    assert m.totals().count == len(want)
    m.refresh()
    assert m.is_windowed()  # a refresh keeps the whole list
    m.set_query(q)
    assert not m.is_windowed()
    assert m.fetch_until_rowid(want[-3], max_rows=0) == len(want) - 3
    assert m.is_windowed()
    other = small_store.get_account("support").id
    stranger = oracle(small_store, "started", True, f"account_id = {other}")[0]
    assert m.fetch_until_rowid(stranger) is None


def test_fetch_until_rowid_pages_then_windows(small_store):
    m = CallTableModel(small_store, page_size=50, threaded_totals=False)
    m.set_query(CallQuery())
    want = oracle(small_store, "started", True)
    assert m.fetch_until_rowid(want[120]) == 120
    assert not m.is_windowed() and m.rowCount() == 150
    assert m.fetch_until_rowid(want[900], max_rows=500) == 900
    assert m.is_windowed() and m.rowCount() == SMALL
    assert m.row_of_rowid(want[900]) == 900
    assert m.row_of_rowid(-5) is None


def test_ensure_all_loaded_up_to(small_store):
    m = CallTableModel(small_store, page_size=50, threaded_totals=False)
    m.set_query(CallQuery())
    assert m.ensure_all_loaded_up_to(149)
    assert m.rowCount() == 150 and not m.is_windowed()
    assert m.ensure_all_loaded_up_to(999)
    assert m.is_windowed()
    assert not m.ensure_all_loaded_up_to(SMALL)


def test_totals_come_from_a_thread(qtbot, small_store):
    m = CallTableModel(small_store)
    assert m.rowCount() == 0 and not m.canFetchMore(QModelIndex())
    assert m.totals() is None
    got = []
    m.totalsChanged.connect(got.append)
    with qtbot.waitSignals([m.queryChanged, m.totalsChanged]):
        m.set_query(CallQuery(search=RARE))
    totals = m.totals()
    assert isinstance(totals, Totals)
    assert totals == small_store.totals(CallQuery(search=RARE))
    assert totals.count == len(range(0, SMALL, 97))
    assert got == [totals]
    # typing fast: only the newest query's totals count
    for term in ("r", "re", "ref", "refund"):
        m.set_query(CallQuery(search=term))
    want = small_store.totals(CallQuery(search="refund"))
    qtbot.waitUntil(lambda: m.totals() == want)
    m.refresh()
    qtbot.waitUntil(lambda: len(got) >= 3 and got[-1] == want)
    m.close()
    m.set_query(CallQuery())  # after close(): computed right away
    assert m.totals() == small_store.totals(CallQuery())


def test_totals_without_thread(small_store):
    m = CallTableModel(small_store, threaded_totals=False)
    got = []
    m.totalsChanged.connect(got.append)
    m.set_query(CallQuery(search=RARE))
    assert got == [small_store.totals(CallQuery(search=RARE))]


def test_bad_query_leaves_model_alone(model):
    before = loaded_rowids(model)
    with pytest.raises(Exception):
        model.set_query(CallQuery(since="not a date"))
    assert loaded_rowids(model) == before


def test_refresh_shows_new_calls(tmp_path, qapp):
    store = Store.open(tmp_path / "db")
    ids = fill_store(store, 300)
    m = CallTableModel(store, page_size=40, threaded_totals=False)
    m.set_query(CallQuery())
    m.fetch_all()
    from ui_helpers import make_call

    new = make_call(10_000, random.Random(5))  # later than every other call
    store.upsert_calls(ids["prod"], [CallRecord(new.provider_call_id, {}, new, "x", "y", None, 1)])
    totals = []
    m.totalsChanged.connect(totals.append)
    m.refresh()
    assert m.is_windowed()
    assert m.rowCount() == 301
    assert m.call_row(0).provider_call_id == new.provider_call_id
    assert totals and totals[0].count == 301
    store.close()


# -- the view ----------------------------------------------------------------------------------

@pytest.fixture
def view(qtbot, model):
    v = CallTableView()
    qtbot.addWidget(v)
    v.setModel(model)
    v.resize(1000, 400)
    v.show()
    qtbot.waitExposed(v)
    return v


def test_view_setup_without_double_load(qtbot, small_store, monkeypatch):
    m = CallTableModel(small_store, threaded_totals=False)
    m.set_query(CallQuery())
    calls = []
    real = small_store.page
    monkeypatch.setattr(small_store, "page", lambda *a, **k: calls.append(a) or real(*a, **k))
    v = CallTableView()
    qtbot.addWidget(v)
    v.setModel(m)
    assert calls == []
    assert v.isSortingEnabled()
    hh = v.horizontalHeader()
    assert hh.sortIndicatorSection() == COL["started"]
    assert hh.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
    assert v.verticalHeader().sectionResizeMode(0) == v.verticalHeader().ResizeMode.Fixed
    assert not v.wordWrap()
    assert hh.stretchLastSection() and COLUMNS[-1][0] == "summary"
    assert v.iconSize() == QSize(STATUS_DOT, STATUS_DOT)  # the status dots, from the model
    # clicking a header sorts in SQL, once
    hh.setSortIndicator(COL["cost"], Qt.SortOrder.AscendingOrder)
    assert len(calls) == 1 and m.query().sort == "cost" and not m.query().descending
    # a query set from outside moves the indicator (and does not load again)
    m.set_query(CallQuery(sort="duration_s", descending=True))
    assert len(calls) == 2
    assert hh.sortIndicatorSection() == COL["duration"]
    assert hh.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder


def test_current_rowid_signal_and_keys(qtbot, view, model):
    with qtbot.waitSignal(view.currentRowIdChanged) as blocker:
        view.select_row(3)
    assert blocker.args == [model.rowid_at(3)]
    view.setFocus()
    got = []
    view.currentRowIdChanged.connect(got.append)
    qtbot.keyClick(view, Qt.Key.Key_J)
    qtbot.keyClick(view, Qt.Key.Key_J)
    qtbot.keyClick(view, Qt.Key.Key_K)
    assert got == [model.rowid_at(4), model.rowid_at(5), model.rowid_at(4)]
    assert view.current_rowid() == model.rowid_at(4)
    qtbot.keyClick(view, Qt.Key.Key_A)  # no type-ahead search over 1,000 rows
    assert view.currentIndex().row() == 4
    view.selectionModel().setCurrentIndex(QModelIndex(), view.selectionModel().SelectionFlag.Clear)
    assert got[-1] == -1


def test_end_key_jumps_to_the_true_last_row(qtbot, view, model, small_store):
    view.select_row(0)
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    want = oracle(small_store, "started", True)
    assert view.currentIndex().row() == SMALL - 1
    assert view.current_rowid() == want[-1]
    qtbot.keyClick(view, Qt.Key.Key_Home)
    assert view.currentIndex().row() == 0
    qtbot.keyClick(view, Qt.Key.Key_End)
    assert view.currentIndex().row() == SMALL - 1


def test_select_rowid_and_restore_after_refresh(view, model, small_store):
    want = oracle(small_store, "started", True)
    assert view.select_rowid(want[700])
    assert view.currentIndex().row() == 700
    model.refresh()
    assert view.select_rowid(want[700])
    assert view.current_rowid() == want[700]
    assert not view.select_rowid(-1)


def test_header_state_roundtrip(qtbot, view, model, small_store):
    view.setColumnWidth(COL["account"], 211)
    state = view.header_state()
    assert isinstance(state, bytes) and state
    other = CallTableView()
    qtbot.addWidget(other)
    m2 = CallTableModel(small_store, threaded_totals=False)
    m2.set_query(CallQuery())
    other.setModel(m2)
    assert other.restore_header_state(state)
    assert other.columnWidth(COL["account"]) == 211
    assert not other.restore_header_state(b"")


def test_view_paints_status_dots(qtbot, view):
    assert status_color("ended") == status_color("completed") == QColor("#2e9d4f")
    assert status_color("failed").red() > 150
    assert status_color("no_answer") == status_color("busy")
    assert status_color("in-progress") == status_color("queued")
    assert status_color("weird") is not None and status_color(None) is None
    view.scrollToTop()
    image = view.grab().toImage()
    col = COL["status"]
    x0 = view.columnViewportPosition(col) + view.viewport().x()
    colors = {image.pixelColor(x, y).name()
              for x in range(x0, min(x0 + view.columnWidth(col), image.width()))
              for y in range(view.viewport().y(), image.height())}
    assert "#2e9d4f" in colors  # the dot of the ended calls on screen
    m = view.model()
    ended = next(r for r in range(m.rowCount()) if m.index(r, col).data() == "ended")
    assert m.index(ended, col).data(Qt.ItemDataRole.DecorationRole) is not None
    assert m.index(ended, COL["cost"]).data(Qt.ItemDataRole.DecorationRole) is None


# -- footer ----------------------------------------------------------------------------------------

def test_footer_text(qtbot):
    assert footer_text(Totals(1234, 56.78, 0.1234)) == "1,234 calls · total $56.78 · $0.12/min"
    assert footer_text(Totals(1, 0.5, None)) == "1 call · total $0.50 · —"
    assert footer_text(Totals(0, None, None)) == "0 calls · total — · —"
    assert footer_text(None) == "— calls"
    assert footer_text(Totals(2, 3.0, 1.5, "EUR")) == "2 calls · total 3.00 EUR · 1.50 EUR/min"
    assert footer_text(Totals(2, 3.0, 1.5, "")) == "2 calls · total 3.00 · 1.50/min"  # none said
    assert footer_text(Totals(2, 3.0, None, None, ("", "USD"))) == "2 calls · total 3.00 (unstated + USD) · —"
    assert footer_text(Totals(5, 3.0, None, None, ("A", "B", "C", "D"))) == "5 calls · total 3.00 (A + B + C + …) · —"
    footer = CallListFooter()
    qtbot.addWidget(footer)
    footer.set_totals(Totals(2, 1.0, 0.5))
    assert footer.text() == "2 calls · total $1.00 · $0.50/min"
    assert footer.accessibleName()


# -- 100,000 calls ---------------------------------------------------------------------------------

def test_big_first_page_and_lazy_pages(big_store):
    m = CallTableModel(big_store, threaded_totals=False)
    t0 = time.perf_counter()
    m.set_query(CallQuery())
    first_ms = (time.perf_counter() - t0) * 1000
    assert m.rowCount() == 200
    want = oracle(big_store, "started", True)
    assert len(want) == BIG
    assert loaded_rowids(m) == want[:200]
    for _ in range(24):
        m.fetchMore(QModelIndex())
    ids = loaded_rowids(m)
    assert len(ids) == 5000 and len(set(ids)) == 5000
    assert ids == want[:5000]
    assert first_ms < 1000, first_ms  # generous: the bench holds the real budget


@pytest.mark.parametrize("key", [k for k, _ in COLUMNS])
def test_big_sort_every_column(big_store, key):
    m = CallTableModel(big_store, threaded_totals=False)
    m.set_query(CallQuery())
    for desc in (False, True):
        m.sort(COL[key], Qt.SortOrder.DescendingOrder if desc else Qt.SortOrder.AscendingOrder)
        want = oracle(big_store, key, desc)
        m.fetchMore(QModelIndex())
        assert loaded_rowids(m) == want[:400]
        m.fetch_all()
        assert m.rowCount() == BIG
        for r in (BIG - 1, BIG - 200, BIG // 2, 401, 12_345):
            assert m.rowid_at(r) == want[r], (key, desc, r)


def test_big_search_narrows(big_store):
    m = CallTableModel(big_store, threaded_totals=False)
    m.set_query(CallQuery(search=RARE))
    expected = len(range(0, BIG, 97))
    assert m.totals().count == expected
    fetch_everything_lazily(m)
    assert m.rowCount() == expected
    assert all(RARE in m.call_row(r).summary for r in range(m.rowCount()))
    m.set_query(CallQuery(search=RARE + " 4"))  # every word must match (as a prefix)
    assert 0 < m.totals().count < expected


def test_big_jump_to_last_row(qtbot, big_store):
    m = CallTableModel(big_store, threaded_totals=False)
    m.set_query(CallQuery())
    v = CallTableView()
    qtbot.addWidget(v)
    v.setModel(m)
    v.resize(900, 500)
    v.show()
    qtbot.waitExposed(v)
    t0 = time.perf_counter()
    v.jump_to_end()
    QApplication.processEvents()
    v.viewport().repaint()
    jump_ms = (time.perf_counter() - t0) * 1000
    want = oracle(big_store, "started", True)
    assert m.rowCount() == BIG
    assert v.currentIndex().row() == BIG - 1
    assert v.current_rowid() == want[-1]
    assert v.verticalScrollBar().value() == v.verticalScrollBar().maximum()
    assert jump_ms < 1000, jump_ms  # generous: the bench holds the real budget
    # and back into the middle by rowid (e.g. the selection restored after a sync)
    m.refresh()
    assert v.select_rowid(want[BIG // 2])
    assert v.currentIndex().row() == BIG // 2


def test_default_columns_widths_and_the_column_menu(qtbot, view, model):
    from callviewer.ui.calltable import DEFAULT_HIDDEN, DEFAULT_WIDTHS

    hh = view.horizontalHeader()
    for key in DEFAULT_HIDDEN:
        assert not view.is_column_visible(key)
    for key, px in DEFAULT_WIDTHS.items():
        title = model.headerData(COL[key], Qt.Orientation.Horizontal)
        want = view.default_width(key)
        assert want >= hh.fontMetrics().horizontalAdvance(title)  # titles are never cut
        if key not in DEFAULT_HIDDEN:
            assert view.columnWidth(COL[key]) == want
    # the header's context menu lists every column, checked when shown
    menu = view.column_menu()
    actions = {a.text(): a for a in menu.actions()}
    assert list(actions) == [title for _key, title in COLUMNS]
    assert not actions["Ended reason"].isChecked() and actions["Started"].isChecked()
    actions["Ended reason"].setChecked(True)
    assert view.is_column_visible("ended_reason")
    assert view.columnWidth(COL["ended_reason"]) == view.default_width("ended_reason")
    # hidden columns are part of the saved header state
    state = view.header_state()
    other = CallTableView()
    qtbot.addWidget(other)
    other.setModel(model)
    assert not other.is_column_visible("ended_reason")
    assert other.restore_header_state(state) and other.is_column_visible("ended_reason")
    # the last visible column cannot be hidden
    for key, _title in COLUMNS[1:]:
        view.set_column_visible(key, False)
    menu = view.column_menu()
    assert [a.isEnabled() for a in menu.actions()][0] is False
    menu.deleteLater()


def test_status_tooltip_has_the_ended_reason(model):
    row = next(r for r in range(model.rowCount())
               if model.call_row(r).ended_reason and model.call_row(r).status)
    r = model.call_row(row)
    tip = model.data(model.index(row, COL["status"]), Qt.ItemDataRole.ToolTipRole)
    assert r.status in tip and r.ended_reason in tip
