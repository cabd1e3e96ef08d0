"""The filter bar above the call list: search, date range, status, ended reason, direction.

It holds no calls and runs no query of its own: `changed` fires when what it would filter changed
(search typing is debounced, Enter applies at once), and `apply_to(query)` writes its filters into
a `CallQuery` for the model.

It is compact, so that the list beside a detail pane still fits a 1366-1440 px wide screen: the
filter combos may shrink below their longest value when space is short (the popup still shows it
all), the date fields show only for a custom range (on a second line), and "Clear filters" only
while something is filtered.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, time, timedelta
from typing import Any

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from callviewer.store import CallQuery, Store
from callviewer.ui.models.calls import format_direction

__all__ = ["DATE_RANGES", "FilterBar", "distinct_values"]

#: (key, label) of the date range choices.
DATE_RANGES = [
    ("any", "Any time"),
    ("today", "Today"),
    ("7d", "Last 7 days"),
    ("30d", "Last 30 days"),
    ("custom", "Custom…"),
]
_NONE_LABEL = "(none)"


def distinct_values(store: Store) -> tuple[list[str | None], list[str | None], list[str | None]]:
    """(statuses, ended_reasons, directions) present in the cache, sorted, None (a call without
    the value) last when present. Each is one walk of the column's index."""
    out: list[list[str | None]] = []
    with store.snapshot() as conn:
        for column in ("status", "ended_reason", "direction"):
            values = [r[0] for r in conn.execute(
                f"SELECT DISTINCT {column} FROM calls ORDER BY {column}")]
            present = sorted(v for v in values if v is not None)
            if any(v is None for v in values):
                # Rows that could not be normalized have no values; only offer "(none)" when a
                # listed call really lacks one.
                if conn.execute(
                    f"SELECT 1 FROM calls WHERE {column} IS NULL"
                    " AND normalize_error IS NULL LIMIT 1"
                ).fetchone():
                    present.append(None)
            out.append(present)
    return out[0], out[1], out[2]


def _choice_key(value: str | None) -> str | None:
    """What spellings of one filter value share: "In_Progress", "in-progress" -> "in progress"."""
    return None if value is None else " ".join(value.lower().replace("-", " ").replace("_", " ").split())


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min).astimezone()


class FilterBar(QWidget):
    """See the module docstring."""

    changed = Signal()

    DEBOUNCE_MS = 250

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Call filters")

        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search transcripts, summaries, numbers (Ctrl+K)")
        # (its clear button is enabled with the first text or focus: Qt loads the button's icon
        # then, ~5 ms the window's start does not wait for; the button only shows with text)
        self.search.setAccessibleName("Search calls")
        self.search.setAccessibleDescription(
            "Searches transcripts, summaries and customer numbers; applies as you type")
        self.search.setMinimumWidth(140)
        self.search.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

        self.date_range = QComboBox(self)
        self.date_range.setAccessibleName("Date range")
        for key, label in DATE_RANGES:
            self.date_range.addItem(label, key)

        today = QDate.currentDate()
        self.date_from = self._date_edit("From date", today.addDays(-6))
        self.date_to = self._date_edit("To date", today)

        self.status = self._combo("Status filter")
        self.ended_reason = self._combo("Ended reason filter")
        self.direction = self._combo("Direction filter")
        self._values: dict[QComboBox, list[list[str | None]]] = {  # each choice: its spellings
            self.status: [], self.ended_reason: [], self.direction: []}
        self._all_labels = {self.status: "All statuses", self.ended_reason: "All ended reasons",
                            self.direction: "All directions"}
        for combo in self._values:
            self._fill(combo, [], None)

        self.clear_button = QPushButton("Clear filters", self)
        self.clear_button.setAccessibleName("Clear filters")
        self.clear_button.setToolTip("Show every call again (search, dates and filters)")

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        row.addWidget(self.search, 3)
        row.addWidget(self.date_range)
        row.addWidget(self.status)
        row.addWidget(self.ended_reason)
        row.addWidget(self.direction)
        row.addWidget(self.clear_button)
        # The custom range's dates get a line of their own (shown only for "Custom…"), so that
        # the bar stays as narrow with them as without.
        self._from_label = self._caption("From", self.date_from)
        self._to_label = self._caption("to", self.date_to)
        dates = QHBoxLayout()
        dates.setContentsMargins(0, 0, 0, 0)
        dates.setSpacing(6)
        for w in (self._from_label, self.date_from, self._to_label, self.date_to):
            dates.addWidget(w)
        dates.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(row)
        layout.addLayout(dates)

        self._clearing = False  # (clear(): the search field's own signals run, not ours)
        # Esc in the search field clears it (the list shows everything again)
        escape = QShortcut(QKeySequence(Qt.Key.Key_Escape), self.search, self._escape_search)
        escape.setContext(Qt.ShortcutContext.WidgetShortcut)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(self.DEBOUNCE_MS)
        self._timer.timeout.connect(self._commit)

        self.search.textChanged.connect(self._search_edited)
        self.search.returnPressed.connect(self._commit)
        self.date_range.currentIndexChanged.connect(self._range_changed)
        self.date_from.dateChanged.connect(self._dates_edited)
        self.date_to.dateChanged.connect(self._dates_edited)
        for combo in self._values:
            combo.currentIndexChanged.connect(self._commit)
        self.clear_button.clicked.connect(self.clear)

        self._update_dates_enabled()
        self._applied = self._state()
        self._update_clear_button()

    def _date_edit(self, name: str, value: QDate) -> QDateEdit:
        edit = QDateEdit(value, self)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        edit.setAccessibleName(name)
        return edit

    def _caption(self, text: str, buddy: QWidget) -> QLabel:
        label = QLabel(self)
        label.setTextFormat(Qt.TextFormat.PlainText)
        label.setText(text)
        label.setBuddy(buddy)
        return label

    def _combo(self, name: str) -> QComboBox:
        combo = QComboBox(self)
        combo.setAccessibleName(name)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        combo.setMinimumWidth(90)
        combo.setMaximumWidth(150)  # the search field gets the room first
        return combo

    # -- choices -----------------------------------------------------------------------------

    def set_choices(self, statuses: list[str | None], ended_reasons: list[str | None],
                    directions: list[str | None]) -> None:
        """The values each combo offers (from `distinct_values(store)`). A selected value that
        is gone stays selectable, so a refresh never changes the filter under the user."""
        for combo, values in ((self.status, statuses), (self.ended_reason, ended_reasons),
                              (self.direction, directions)):
            current = self._selected(combo)
            self._fill(combo, list(values), current)

    def _fill(self, combo: QComboBox, values: list[str | None], current: Any) -> None:
        # Spellings of one value (providers write "in-progress", "in_progress", "In Progress")
        # are one choice, which matches them all.
        groups: dict[str | None, list[str | None]] = {}
        for v in values:
            groups.setdefault(_choice_key(v), []).append(v)
        if current and not any(set(current) & set(g) for g in groups.values()):
            # selected, gone: still offered (beside another spelling of it, if one is left)
            group = groups.setdefault(_choice_key(current[0]), [])
            group.extend(v for v in current if v not in group)
        entries = list(groups.values())
        combo.blockSignals(True)
        try:
            combo.clear()
            combo.addItem(self._all_labels[combo])
            for members in entries:
                combo.addItem(" / ".join(self._label(combo, v) for v in members))
            self._values[combo] = entries
            chosen = next((i for i, g in enumerate(entries) if current and set(current) & set(g)), -1)
            combo.setCurrentIndex(chosen + 1)
        finally:
            combo.blockSignals(False)

    def _label(self, combo: QComboBox, value: str | None) -> str:
        if value is None:
            return _NONE_LABEL
        return format_direction(value) if combo is self.direction else value

    def _selected(self, combo: QComboBox) -> list[str | None] | None:
        """The raw values the combo's current choice matches; None for "All ..."."""
        i = combo.currentIndex()
        if i <= 0:
            return None
        return list(self._values[combo][i - 1])

    # -- state -------------------------------------------------------------------------------

    def _range_key(self) -> str:
        return self.date_range.currentData() or "any"

    def _state(self) -> tuple:
        return (
            self.search_text(),
            self._range_key(),
            self.date_from.date().toPython() if self._range_key() == "custom" else None,
            self.date_to.date().toPython() if self._range_key() == "custom" else None,
            tuple(self._selected(self.status) or ()) or None,
            tuple(self._selected(self.ended_reason) or ()) or None,
            tuple(self._selected(self.direction) or ()) or None,
        )

    def _commit(self) -> None:
        """Applies now: emits `changed` if the filters differ from the last applied ones."""
        self._timer.stop()
        state = self._state()
        if state != self._applied:
            self._applied = state
            self._update_clear_button()
            self.changed.emit()

    def _update_clear_button(self) -> None:
        self.clear_button.setVisible(self.is_filtering())

    def _clear_button(self) -> None:
        if not self.search.isClearButtonEnabled():
            self.search.setClearButtonEnabled(True)

    def _escape_search(self) -> None:
        if self.search.text():
            self.search.clear()

    def _search_edited(self, text: str) -> None:
        if self._clearing:
            return
        if text:
            self._clear_button()
        if not text.strip():
            self._commit()  # cleared: show everything at once
        else:
            self._timer.start()

    def _dates_edited(self, *_args) -> None:
        if self._range_key() == "custom":
            self._timer.start()  # typing a date changes it per keystroke

    def _range_changed(self, *_args) -> None:
        self._update_dates_enabled()
        self._commit()

    def _update_dates_enabled(self) -> None:
        custom = self._range_key() == "custom"
        for edit in (self.date_from, self.date_to):
            edit.setEnabled(custom)
        for w in (self.date_from, self.date_to, self._from_label, self._to_label):
            w.setVisible(custom)

    def search_text(self) -> str:
        return self.search.text().strip()

    def is_filtering(self) -> bool:
        """True when any filter is set (the "Clear filters" button has something to clear)."""
        return self._state() != (
            "", "any", None, None, None, None, None)

    def pending(self) -> bool:
        """True while typed search text waits for its debounce."""
        return self._timer.isActive()

    def flush(self) -> None:
        """Applies pending typing now (emits `changed` if it changes anything)."""
        self._commit()

    def clear(self) -> None:
        """Back to no filters; one `changed` if anything was set."""
        # The search field is cleared with its signals on: it hides its clear button on them.
        self._clearing = True
        try:
            self.search.clear()
        finally:
            self._clearing = False
        for w in (self.date_range, *self._values):
            w.blockSignals(True)
        try:
            self.date_range.setCurrentIndex(0)
            for combo in self._values:
                combo.setCurrentIndex(0)
        finally:
            for w in (self.date_range, *self._values):
                w.blockSignals(False)
        self._update_dates_enabled()
        self._commit()

    def focus_search(self) -> None:
        """The Ctrl+K target: focus the search field with its text selected."""
        self._clear_button()
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def set_search(self, text: str) -> None:
        """Sets the search text and applies it at once."""
        self.search.setText(text)
        self._commit()

    def set_date_range(self, key: str, start: date | None = None, end: date | None = None) -> None:
        """One of DATE_RANGES' keys; `start`/`end` for "custom". Applies at once."""
        if start is not None:
            self.date_from.setDate(QDate(start.year, start.month, start.day))
        if end is not None:
            self.date_to.setDate(QDate(end.year, end.month, end.day))
        i = self.date_range.findData(key)
        if i < 0:
            raise ValueError(f"unknown date range {key!r}")
        self.date_range.setCurrentIndex(i)
        self._update_dates_enabled()
        self._commit()

    # -- query -------------------------------------------------------------------------------

    def time_bounds(self, today: date | None = None) -> tuple[datetime | None, datetime | None]:
        """(since, until) as aware local datetimes, both inclusive; None for no bound."""
        today = today or date.today()
        key = self._range_key()
        if key == "today":
            return _local_midnight(today), None
        if key == "7d":
            return _local_midnight(today - timedelta(days=6)), None
        if key == "30d":
            return _local_midnight(today - timedelta(days=29)), None
        if key == "custom":
            start = self.date_from.date().toPython()
            end = self.date_to.date().toPython()
            if end < start:
                start, end = end, start
            return (_local_midnight(start),
                    _local_midnight(end + timedelta(days=1)) - timedelta(microseconds=1))
        return None, None

    def apply_to(self, query: CallQuery) -> CallQuery:
        """A copy of `query` with this bar's search, dates, statuses, ended reasons and
        directions (the sidebar's account/agent/campaign filter and the sort are kept)."""
        since, until = self.time_bounds()
        return dataclasses.replace(
            query,
            search=self.search_text() or None,
            since=since,
            until=until,
            statuses=self._selected(self.status),
            ended_reasons=self._selected(self.ended_reason),
            directions=self._selected(self.direction),
        )
