"""The call list view and its footer.

`CallTableView` is a plain `QTableView` set up for 100,000 rows: fixed row heights, no word
wrap, SQL sorting through `CallTableModel.sort()`, one paint-only delegate (the status dot), no
per-row widgets, and no type-ahead search (it would walk every row). End / Ctrl+End jump to the
true last row through `CallTableModel.fetch_all()`.

Columns: by default the list shows Started, Account, Direction, Customer number, Duration, Status,
Cost and a stretched Summary, which fit beside the sidebar and the detail pane on a 1440 px wide
screen; "Ended reason" and "Agent / campaign" (also in the detail header) are hidden until chosen
in the header's context menu. Widths, order, hidden columns and sort are saved with
`header_state()`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QItemSelectionModel, QModelIndex, QPoint, QSize, Qt, Signal
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QStyle,
    QTableView,
    QWidget,
)

from callviewer.store import Totals
from callviewer.ui.models.calls import (  # noqa: F401 (status_color: re-exported)
    COL,
    COLUMNS,
    STATUS_DOT,
    CallTableModel,
    column_for_sort,
    format_cost,
    status_color,
)

if TYPE_CHECKING:
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QMenu

__all__ = ["CallListFooter", "CallTableView", "footer_text", "status_color"]

DASH = "—"

def footer_text(totals: Totals | None) -> str:
    """"1,234 calls · total $56.78 · $0.12/min" ("—" for what is unknown). The amounts carry
    the calls' currency; calls in different currencies are summed as numbers, and said to be."""
    if totals is None:
        return f"{DASH} calls"
    count = totals.count
    cur = totals.currency
    calls = f"{DASH} calls" if count is None else f"{count:,} call{'' if count == 1 else 's'}"
    per_min = (DASH if totals.cost_per_minute is None
               else f"{format_cost(totals.cost_per_minute, cur, digits=2)}/min")
    total = format_cost(totals.total_cost, cur, digits=2)
    if cur is None and totals.total_cost is not None:
        names = [c or "unstated" for c in totals.currencies] or ["mixed currencies"]
        total += f" ({' + '.join(names[:3])}{' + …' if len(names) > 3 else ''})"
    return f"{calls} · total {total} · {per_min}"


class CallListFooter(QWidget):
    """One line under the list: how many calls the filters match and what they cost."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._label = QLabel(footer_text(None), self)
        self._label.setTextFormat(Qt.TextFormat.PlainText)
        self._label.setAccessibleName("Call list totals")
        self._label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self._label)
        layout.addStretch(1)
        self.setAccessibleName("Call list footer")

    def set_totals(self, totals: Totals | None) -> None:
        self._label.setText(footer_text(totals))
        self._label.setToolTip(
            "" if totals is None else
            "Cost per minute is over the calls that have both a cost and a duration. "
            "Costs in other currencies are added as they are.")

    def text(self) -> str:
        return self._label.text()


#: Default column widths in pixels for a 14 px high font (9 pt Sans), scaled with the view's font;
#: never narrower than the column's title. Summary stretches.
DEFAULT_WIDTHS = {
    "started": 125,
    "account": 100,
    "direction": 85,
    "customer_number": 120,
    "duration": 55,
    "status": 95,
    "ended_reason": 130,
    "cost": 70,
    "agent": 110,
}
_REFERENCE_LINE_PX = 14
#: Hidden until chosen in the header's context menu (the detail header shows both).
DEFAULT_HIDDEN = ("ended_reason", "agent")


class CallTableView(QTableView):
    """The call list (see the module docstring). Use with a `CallTableModel`."""

    #: The rowid of the new current call; -1 when no row is current any more.
    currentRowIdChanged = Signal(int)
    #: After each paint of the list (the window's start-up waits for the first one). Watching
    #: this instead of the viewport's events spares the start-up `viewport()`: the first call of
    #: it makes the Python wrapper of a widget Qt created, which costs ~10 ms.
    painted = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._last_rowid: int | None = None
        self._widths_set = False
        self._placeholder = ""
        self.setAccessibleName("Calls")
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setShowGrid(False)
        self.setCornerButtonEnabled(False)
        self.setTabKeyNavigation(False)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerItem)
        vh = self.verticalHeader()
        vh.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vh.setDefaultSectionSize(self.fontMetrics().height() + 8)
        vh.setMinimumSectionSize(self.fontMetrics().height() + 2)
        vh.hide()
        hh = self.horizontalHeader()
        hh.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        hh.setStretchLastSection(True)
        hh.setHighlightSections(False)
        hh.setSectionsMovable(True)
        hh.setTextElideMode(Qt.TextElideMode.ElideRight)
        hh.setSortIndicatorShown(True)
        hh.setSortIndicator(COL["started"], Qt.SortOrder.DescendingOrder)
        hh.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        hh.customContextMenuRequested.connect(self._header_menu)
        # (the status column's dot is the model's DecorationRole icon, 8 px: see STATUS_DOT)
        self.setIconSize(QSize(STATUS_DOT, STATUS_DOT))

    # -- the empty list --------------------------------------------------------------------------

    def set_placeholder(self, text: str) -> None:
        """What the list says in its middle while it has no rows ("" for nothing)."""
        if text != self._placeholder:
            self._placeholder = text
            if self.isVisible():  # (a hidden list paints it when shown)
                self.viewport().update()

    def placeholder(self) -> str:
        return self._placeholder

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt name)
        super().paintEvent(event)
        model = self.model()
        if self._placeholder and model is not None and model.rowCount() == 0:
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
            area = self.viewport().rect().adjusted(24, 24, -24, -24)
            painter.drawText(area, int(Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap),
                             self._placeholder)
            painter.end()
        self.painted.emit()

    # -- model -------------------------------------------------------------------------------

    def call_model(self) -> CallTableModel | None:
        model = self.model()
        return model if isinstance(model, CallTableModel) else None

    def setModel(self, model) -> None:  # noqa: N802 (Qt name)
        old = self.call_model()
        if old is not None:
            try:
                old.queryChanged.disconnect(self._follow_query)
            except (RuntimeError, TypeError):
                pass
        self.setSortingEnabled(False)
        super().setModel(model)
        self._last_rowid = None
        if model is None:
            return
        self.selectionModel().currentRowChanged.connect(self._current_row_changed)
        if isinstance(model, CallTableModel):
            model.queryChanged.connect(self._follow_query)
            self._show_sort(model)
        if not self._widths_set:
            self._set_default_widths()
        # The indicator already matches the model's sort, so this sort() call is a no-op:
        # no second load.
        self.setSortingEnabled(True)

    def _show_sort(self, model: CallTableModel) -> None:
        q = model.query()
        col = column_for_sort(q.sort)
        hh = self.horizontalHeader()
        if col is None:
            hh.setSortIndicatorShown(False)
            return
        hh.setSortIndicatorShown(True)
        order = Qt.SortOrder.DescendingOrder if q.descending else Qt.SortOrder.AscendingOrder
        if hh.sortIndicatorSection() != col or hh.sortIndicatorOrder() != order:
            hh.setSortIndicator(col, order)  # -> model.sort(), which sees nothing to do

    def _follow_query(self, _query) -> None:
        model = self.call_model()
        if model is not None:
            self._show_sort(model)

    def default_width(self, key: str) -> int:
        """The default width of a column (see DEFAULT_WIDTHS)."""
        hh = self.horizontalHeader()
        scale = self.fontMetrics().height() / _REFERENCE_LINE_PX
        title = hh.model().headerData(COL[key], Qt.Orientation.Horizontal) if hh.model() else None
        margin = 2 * self.style().pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, hh) + 4
        floor = hh.fontMetrics().horizontalAdvance(str(title)) + margin if title else 0
        return max(round(DEFAULT_WIDTHS[key] * scale), floor)

    def _set_default_widths(self) -> None:
        for key in DEFAULT_WIDTHS:
            self.setColumnWidth(COL[key], self.default_width(key))
        for key in DEFAULT_HIDDEN:
            self.setColumnHidden(COL[key], True)
        self._widths_set = True

    # -- columns -----------------------------------------------------------------------------

    def column_menu(self) -> QMenu:
        """A menu of checkable column names (the header's context menu). The last visible column
        cannot be hidden."""
        from PySide6.QtWidgets import QMenu

        menu = QMenu(self)
        menu.setTitle("Columns")
        hh = self.horizontalHeader()
        visible = [c for c in range(len(COLUMNS)) if not hh.isSectionHidden(c)]
        for col in sorted(range(len(COLUMNS)), key=hh.visualIndex):
            key, title = COLUMNS[col]
            act = menu.addAction(title)
            act.setCheckable(True)
            act.setChecked(not hh.isSectionHidden(col))
            act.setEnabled(not (visible == [col]))
            act.toggled.connect(lambda on, k=key: self.set_column_visible(k, on))
        return menu

    def _header_menu(self, pos: QPoint) -> None:
        menu = self.column_menu()
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.horizontalHeader().viewport().mapToGlobal(pos))

    def set_column_visible(self, key: str, visible: bool) -> None:
        """Shows or hides a column (by its key in COLUMNS); a shown column gets at least its
        default width back."""
        col = COL[key]
        self.setColumnHidden(col, not visible)
        if visible and key in DEFAULT_WIDTHS and self.columnWidth(col) < 20:
            self.setColumnWidth(col, self.default_width(key))

    def is_column_visible(self, key: str) -> bool:
        return not self.isColumnHidden(COL[key])

    # -- current row -------------------------------------------------------------------------

    def _current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        model = self.call_model()
        rowid = model.rowid_at(current.row()) if model is not None and current.isValid() else None
        if rowid == self._last_rowid:
            return
        self._last_rowid = rowid
        self.currentRowIdChanged.emit(-1 if rowid is None else rowid)

    def current_rowid(self) -> int | None:
        model = self.call_model()
        index = self.currentIndex()
        return model.rowid_at(index.row()) if model is not None and index.isValid() else None

    def select_row(self, row: int) -> bool:
        model = self.model()
        if model is None or not 0 <= row < model.rowCount():
            return False
        column = max(0, self.currentIndex().column()) if self.currentIndex().isValid() else 0
        index = model.index(row, column)
        flags = QItemSelectionModel.SelectionFlag
        self.selectionModel().setCurrentIndex(index, flags.ClearAndSelect | flags.Rows)
        self.scrollTo(index, QAbstractItemView.ScrollHint.EnsureVisible)
        return True

    def select_rowid(self, rowid: int) -> bool:
        """Makes the call with this rowid current (loading as far as needed). False when the
        current filters hide it."""
        model = self.call_model()
        if model is None:
            return False
        row = model.fetch_until_rowid(rowid)
        return row is not None and self.select_row(row)

    def jump_to_end(self) -> None:
        """Makes the last call of the whole result current (fast at any size)."""
        model = self.call_model()
        if model is not None:
            model.fetch_all()
        if self.model() is not None and self.model().rowCount():
            self.select_row(self.model().rowCount() - 1)
            self.scrollToBottom()

    def jump_to_start(self) -> None:
        if self.model() is not None and self.model().rowCount():
            self.select_row(0)
            self.scrollToTop()

    # -- keys --------------------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        mods = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if mods == Qt.KeyboardModifier.NoModifier and event.key() in (Qt.Key.Key_J, Qt.Key.Key_K):
            from PySide6.QtGui import QKeyEvent

            key = Qt.Key.Key_Down if event.key() == Qt.Key.Key_J else Qt.Key.Key_Up
            super().keyPressEvent(QKeyEvent(event.type(), key, Qt.KeyboardModifier.NoModifier))
            event.accept()
            return
        super().keyPressEvent(event)

    def moveCursor(self, action, modifiers):  # noqa: N802
        # Home/End (with or without Ctrl) go to the first/last call, not the first/last column.
        model = self.model()
        if model is not None and action == QAbstractItemView.CursorAction.MoveEnd:
            call_model = self.call_model()
            if call_model is not None:
                call_model.fetch_all()
            if model.rowCount():
                col = self.currentIndex().column() if self.currentIndex().isValid() else 0
                return model.index(model.rowCount() - 1, max(col, 0))
        if model is not None and action == QAbstractItemView.CursorAction.MoveHome:
            if model.rowCount():
                col = self.currentIndex().column() if self.currentIndex().isValid() else 0
                return model.index(0, max(col, 0))
        return super().moveCursor(action, modifiers)

    def keyboardSearch(self, search: str) -> None:  # noqa: N802
        # Type-ahead would call model.match() over every row; the filter bar searches instead.
        return

    # -- settings ----------------------------------------------------------------------------

    def header_state(self) -> bytes:
        """Column widths, order and sort, for QSettings."""
        return bytes(self.horizontalHeader().saveState().data())

    def restore_header_state(self, state: bytes | QByteArray | None) -> bool:
        """Restores `header_state()`. A different saved sort reloads the model once."""
        if not state:
            return False
        data = state if isinstance(state, QByteArray) else QByteArray(bytes(state))
        ok = self.horizontalHeader().restoreState(data)
        if ok:
            self._widths_set = True
            hh = self.horizontalHeader()
            if hh.count() and hh.count() == len(COLUMNS):
                hh.setStretchLastSection(True)
        return ok

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(900, 400)

