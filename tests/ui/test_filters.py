"""The filter bar: debounced search, date ranges, value filters, and what it writes into a query."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QComboBox, QDateEdit, QLineEdit, QPushButton, QWidget
from ui_helpers import RARE, fill_store

from callviewer.store import CallQuery, Store
from callviewer.ui.filters import FilterBar, distinct_values


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    s = Store.open(tmp_path_factory.mktemp("filters") / "db")
    fill_store(s, 2000)  # 97 s apart: May 1st to 3rd, 2024
    yield s
    s.close()


@pytest.fixture
def bar(qtbot):
    b = FilterBar()
    qtbot.addWidget(b)
    b.resize(1200, 40)
    b.show()
    qtbot.waitExposed(b)
    return b


def test_typing_is_debounced(qtbot, bar):
    got = []
    bar.changed.connect(lambda: got.append(bar.search_text()))
    bar.search.setFocus()
    qtbot.keyClicks(bar.search, "refu")
    assert got == [] and bar.pending()
    with qtbot.waitSignal(bar.changed, timeout=2000):
        pass
    assert got == ["refu"]
    assert not bar.pending()  # nothing left to fire
    # Enter applies at once; pressing it again changes nothing
    qtbot.keyClicks(bar.search, "nd")
    qtbot.keyClick(bar.search, Qt.Key.Key_Return)
    assert got == ["refu", "refund"] and not bar.pending()
    qtbot.keyClick(bar.search, Qt.Key.Key_Return)
    assert got == ["refu", "refund"]
    # clearing applies at once
    bar.search.clear()
    assert got == ["refu", "refund", ""]


def test_apply_to_keeps_other_fields(bar):
    base = CallQuery(account_ids=[3], agent_id="a", sort="cost", descending=False)
    assert bar.apply_to(base) == base
    bar.set_search("  refund  ")
    q = bar.apply_to(base)
    assert q.search == "refund"
    assert (q.account_ids, q.agent_id, q.sort, q.descending) == ([3], "a", "cost", False)
    assert base.search is None  # a copy


def test_value_filters(qtbot, bar, store):
    statuses, reasons, directions = distinct_values(store)
    assert statuses[-1] is None and "ended" in statuses and "failed" in statuses
    assert statuses[:-1] == sorted(statuses[:-1])
    assert "voicemail" in reasons and None in reasons
    assert set(directions) == {"inbound", "outbound", "web", None}
    bar.set_choices(statuses, reasons, directions)
    assert bar.status.itemText(0) == "All statuses"
    assert bar.ended_reason.itemText(0) == "All ended reasons"
    assert bar.direction.itemText(0) == "All directions"
    assert bar.status.itemText(bar.status.count() - 1) == "(none)"
    assert "↙ inbound" in [bar.direction.itemText(i) for i in range(bar.direction.count())]
    with qtbot.waitSignal(bar.changed):
        bar.status.setCurrentIndex(statuses.index("failed") + 1)
    with qtbot.waitSignal(bar.changed):
        bar.direction.setCurrentIndex(directions.index(None) + 1)
    q = bar.apply_to(CallQuery())
    assert q.statuses == ["failed"] and q.directions == [None] and q.ended_reasons is None
    rows, _ = store.page(q, None, 1000)
    assert rows and all(r.status == "failed" and r.direction is None for r in rows)
    # new choices keep the selection, even a value no longer offered
    got = []
    bar.changed.connect(lambda: got.append(1))
    bar.set_choices(["ended"], reasons, directions)
    assert bar.apply_to(CallQuery()).statuses == ["failed"]
    assert got == []


def test_date_ranges(qtbot, bar, store):
    assert not bar.date_from.isEnabled()
    assert bar.time_bounds() == (None, None)
    today = date.today()
    with qtbot.waitSignal(bar.changed):
        bar.set_date_range("today")
    since, until = bar.time_bounds()
    assert since == datetime.combine(today, datetime.min.time()).astimezone() and until is None
    bar.set_date_range("7d")
    assert bar.time_bounds()[0].date() == today - timedelta(days=6)
    bar.set_date_range("30d")
    assert bar.time_bounds()[0].date() == today - timedelta(days=29)
    bar.set_date_range("custom", date(2024, 5, 3), date(2024, 5, 2))  # swapped: fixed up
    assert bar.date_from.isEnabled() and bar.date_to.isEnabled()
    since, until = bar.time_bounds()
    assert since == datetime(2024, 5, 2).astimezone()
    assert until == datetime(2024, 5, 4).astimezone() - timedelta(microseconds=1)
    q = bar.apply_to(CallQuery())
    rows, _ = store.page(q, None, 10_000)
    assert rows
    assert all(since.timestamp() <= r.ts <= until.timestamp() for r in rows)
    assert store.count(q) < store.count(CallQuery())
    # editing a custom date is debounced like typing
    got = []
    bar.changed.connect(lambda: got.append(1))
    bar.date_to.setDate(QDate(2024, 5, 4))
    assert got == [] and bar.pending()
    with qtbot.waitSignal(bar.changed, timeout=2000):
        pass
    assert got == [1]
    with pytest.raises(ValueError):
        bar.set_date_range("fortnight")


def test_clear_filters_emits_once(qtbot, bar, store):
    bar.set_choices(*distinct_values(store))
    bar.set_search(RARE)
    bar.status.setCurrentIndex(1)
    bar.set_date_range("7d")
    assert bar.is_filtering()
    got = []
    bar.changed.connect(lambda: got.append(1))
    qtbot.mouseClick(bar.clear_button, Qt.MouseButton.LeftButton)
    assert got == [1]
    assert not bar.is_filtering()
    assert bar.apply_to(CallQuery()) == CallQuery()
    assert not bar.date_from.isEnabled()
    bar.clear()
    assert got == [1]  # nothing left to clear


def test_focus_and_accessibility(qtbot, bar):
    bar.activateWindow()
    bar.focus_search()
    qtbot.waitUntil(lambda: bar.search.hasFocus())
    assert bar.search.placeholderText() == "Search transcripts, summaries, numbers (Ctrl+K)"
    assert bar.search.isClearButtonEnabled()  # (enabled with the first focus or text)
    controls = [w for w in bar.findChildren(QWidget)
                if isinstance(w, (QLineEdit, QComboBox, QDateEdit, QPushButton))
                and w.parent() is bar]
    assert len(controls) == 8
    for w in controls:
        assert w.accessibleName(), w
    assert bar.date_from.calendarPopup() and bar.date_to.calendarPopup()
    assert [bar.date_range.itemText(i) for i in range(bar.date_range.count())] == [
        "Any time", "Today", "Last 7 days", "Last 30 days", "Custom…"]


def test_the_bar_is_compact(qtbot, bar):
    """Dates show only for a custom range, "Clear filters" only while filtering, and the combos
    may shrink (their popups still show every value)."""
    assert not bar.date_from.isVisible() and not bar.date_to.isVisible()
    assert not bar.clear_button.isVisible()
    narrow = bar.minimumSizeHint().width()
    bar.set_date_range("custom", date(2024, 5, 1), date(2024, 5, 2))
    assert bar.date_from.isVisible() and bar.date_to.isVisible()
    assert bar.clear_button.isVisible()
    # the dates get a line of their own: the bar is no wider with them than "Clear filters" makes it
    bar.layout().activate()
    assert bar.minimumSizeHint().width() <= narrow + bar.clear_button.minimumSizeHint().width() + 6
    assert bar.date_from.geometry().top() > bar.search.geometry().bottom()
    bar.clear()
    assert not bar.date_from.isVisible() and not bar.clear_button.isVisible()
    for combo in (bar.status, bar.ended_reason, bar.direction):
        assert combo.minimumWidth() <= 90 and combo.maximumWidth() <= 150
    bar.layout().activate()
    assert bar.minimumSizeHint().width() <= 560


def test_the_clear_button_comes_with_the_first_text(qtbot, bar):
    assert not bar.search.isClearButtonEnabled()  # (not at start: its icon costs start-up time)
    bar.search.setText("refund")
    assert bar.search.isClearButtonEnabled()


def test_clearing_lets_the_search_field_hide_its_clear_button(qtbot, bar):
    # The field hides its own clear button on its textChanged: clear() must not block it.
    bar.set_search("refund")
    texts = []
    bar.search.textChanged.connect(texts.append)
    got = []
    bar.changed.connect(lambda: got.append(1))
    bar.clear()
    assert texts == [""] and bar.search.text() == ""
    assert got == [1]  # one change, not one per field


def test_escape_in_the_search_field_clears_it(qtbot, bar):
    bar.activateWindow()
    bar.focus_search()
    qtbot.waitUntil(lambda: bar.search.hasFocus())
    with qtbot.waitSignal(bar.changed, timeout=5000):  # (typed, then applied)
        qtbot.keyClicks(bar.search, "refund")
    got = []
    bar.changed.connect(lambda: got.append(1))
    qtbot.keyClick(bar.search, Qt.Key.Key_Escape)
    assert bar.search.text() == "" and got == [1]


def test_spellings_of_one_value_are_one_choice(qtbot, bar):
    bar.set_choices(["completed", "ended", "in-progress", "in_progress", None], ["busy"], ["inbound"])
    labels = [bar.status.itemText(i) for i in range(bar.status.count())]
    assert labels == ["All statuses", "completed", "ended", "in-progress / in_progress", "(none)"]
    with qtbot.waitSignal(bar.changed):
        bar.status.setCurrentIndex(3)
    assert bar.apply_to(CallQuery()).statuses == ["in-progress", "in_progress"]
    # a refresh keeps the choice, whichever spellings are left
    bar.set_choices(["ended", "in_progress"], ["busy"], ["inbound"])
    assert bar.status.currentText() == "in_progress"
    assert bar.apply_to(CallQuery()).statuses == ["in_progress"]
