"""The call detail pieces around the transcript: header, cost, analysis, raw JSON.

They are given `Call` objects (and the raw payload); they load nothing. Every text a provider
sent is shown as plain text (labels use `Qt.PlainText`, tables and text edits are plain by nature).
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFontDatabase,
    QFontMetricsF,
    QGuiApplication,
    QKeySequence,
    QPainter,
    QPalette,
    QShortcut,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QScrollArea,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from callviewer.display import for_screen, json_for_screen
from callviewer.domain import COST_COUNTS, COST_PARTS, Call, parse_iso
from callviewer.ui.models.calls import short_id
from callviewer.ui.transcript import format_offset

__all__ = [
    "AnalysisView",
    "CallHeader",
    "CollapsibleSection",
    "CostBreakdownView",
    "RawJsonView",
    "format_duration",
    "format_local_time",
    "format_money",
]

DASH = "—"
COST_LABELS = {"stt": "STT", "llm": "LLM", "tts": "TTS", "platform": "Platform",
               "transport": "Transport", "other": "Other"}
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹"}
DIRECTION_LABELS = {"inbound": "↘ Inbound", "outbound": "↗ Outbound", "web": "⌨ Web"}


# -- formatting ---------------------------------------------------------------------------------
def format_money(amount: float | int | None, currency: str | None = None) -> str:
    """`$0.1234` / `1.50 CHF`: four decimals below 1, two from 1 up; "—" when unknown."""
    if amount is None or not isinstance(amount, (int, float)) or not math.isfinite(amount):
        return DASH
    digits = 4 if abs(amount) < 1 else 2
    num = f"{abs(amount):,.{digits}f}"
    sign = "-" if amount < 0 else ""
    cur = (currency or "").upper()
    if cur in _SYMBOLS:
        return f"{sign}{_SYMBOLS[cur]}{num}"
    return f"{sign}{num} {cur}" if cur else f"{sign}{num}"


def format_duration(seconds: float | None) -> str:
    """`m:ss` (`h:mm:ss` past an hour); "—" when unknown."""
    if seconds is None or not isinstance(seconds, (int, float)) or not math.isfinite(seconds):
        return DASH
    return format_offset(round(seconds))


def format_local_time(value: str | None) -> str:
    """An ISO UTC time as readable local time ("Wed 1 May 2024, 14:00:03 CEST")."""
    dt = parse_iso(value)
    if dt is None:
        return value or DASH
    local = dt.astimezone()
    tz = local.strftime("%Z")
    return f"{local:%a} {local.day} {local:%b %Y, %H:%M:%S}" + (f" {tz}" if tz else "")


def compact_json(value: Any) -> str:
    """A value for a one-line cell: strings as they are, everything else as compact JSON."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)
    except (TypeError, ValueError, RecursionError):
        return repr(value)


def _plain_label(text: str = "", parent: QWidget | None = None, *, selectable: bool = True,
                 wrap: bool = False) -> QLabel:
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    label.setWordWrap(wrap)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                      | Qt.TextInteractionFlag.TextSelectableByKeyboard)
    return label


def _escaped_tip(text: str) -> str:
    """A tool tip that shows `text` literally (Qt renders tool tips that look like markup)."""
    if not text:
        return ""
    return "<qt>" + html.escape(text).replace("\n", "<br>") + "</qt>"


def _muted(label: QLabel) -> QLabel:
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    return label


# -- collapsible section ------------------------------------------------------------------------
class CollapsibleSection(QWidget):
    """A title button with ▸/▾ over a content widget that shows only when expanded.

    `expandedChanged(bool)` is emitted after the content was shown or hidden, so a listener can
    fill the content lazily the first time it is opened.
    """

    expandedChanged = Signal(bool)

    def __init__(self, title: str, content: QWidget | None = None, *, expanded: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._title = title
        self.button = QToolButton(self)
        self.button.setAutoRaise(True)
        self.button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        font = self.button.font()
        font.setBold(True)
        self.button.setFont(font)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(2)
        self._layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignLeft)
        self._content: QWidget | None = None
        self._expanded = bool(expanded)
        self.button.clicked.connect(self.toggle)
        if content is not None:
            self.set_content(content)
        self._sync_title()

    def title(self) -> str:
        return self._title

    def set_title(self, title: str) -> None:
        self._title = title
        self._sync_title()

    def _sync_title(self) -> None:
        self.button.setText(f"{self._title} {'▾' if self.is_expanded() else '▸'}")

    def content(self) -> QWidget | None:
        return self._content

    def set_content(self, widget: QWidget) -> None:
        if self._content is not None:
            self._layout.removeWidget(self._content)
            self._content.setParent(None)
        self._content = widget
        self._layout.addWidget(widget, 1)
        widget.setVisible(self.is_expanded())

    def is_expanded(self) -> bool:
        return self._expanded

    def toggle(self) -> None:
        self.set_expanded(not self._expanded)

    def set_expanded(self, expanded: bool) -> None:
        expanded = bool(expanded)
        if expanded == self._expanded:
            return
        self._expanded = expanded
        self._sync_title()
        self.button.setAccessibleDescription("expanded" if expanded else "collapsed")
        if self._content is not None:
            self._content.setVisible(expanded)
        self.expandedChanged.emit(expanded)


# -- header -------------------------------------------------------------------------------------
class CallHeader(QWidget):
    """Who, when, how long, how it ended, what it cost: a compact grid of plain labels.

    Agents and campaigns show by name when `set_directory_names()` knows it, else by a short id;
    the full id is in the value's tool tip (escaped, never rendered as markup).
    """

    FIELDS = (
        ("number", "Number"), ("direction", "Direction"),
        ("started", "Started"), ("duration", "Duration"),
        ("status", "Status"), ("ended_reason", "Ended"),
        ("cost", "Cost"), ("account", "Account"),
        ("agent", "Agent"), ("campaign", "Campaign"),
    )

    #: (row, column pair) of each field; pair None: the value spans the whole row (the values
    #: that are often long, so that a narrow pane does not wrap them).
    LAYOUT = {
        "number": (0, 0), "direction": (0, 1),
        "started": (1, None),
        "duration": (2, 0), "status": (2, 1),
        "cost": (3, 0), "ended_reason": (3, 1),
        "account": (4, None),
        "agent": (5, None),
        "campaign": (6, None),
    }

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(6, 4, 6, 4)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(2)
        self.values: dict[str, QLabel] = {}
        top_right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop
        for key, caption in self.FIELDS:
            r, pair = self.LAYOUT[key]
            cap = _muted(_plain_label(caption, self, selectable=False))
            val = _plain_label(DASH, self, wrap=True)
            val.setMinimumWidth(40)
            val.setObjectName(f"header_{key}")
            c = 2 * (pair or 0)
            grid.addWidget(cap, r, c, top_right)
            if pair is None:
                grid.addWidget(val, r, 1, 1, 3, Qt.AlignmentFlag.AlignTop)
            else:
                grid.addWidget(val, r, c + 1, Qt.AlignmentFlag.AlignTop)
            self.values[key] = val
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        f = self.values["number"].font()
        f.setBold(True)
        self.values["number"].setFont(f)
        self._names: dict[str, str] = {}

    def text(self, key: str) -> str:
        return self.values[key].text()

    def set_directory_names(self, names: Mapping[str, str]) -> None:
        """Agent/campaign id -> name (from the store's directories), used from the next
        `set_call()` on."""
        self._names = dict(names)

    def _directory_text(self, kind: str, value: str | None) -> tuple[str, str]:
        """(label text, tool tip) of an agent or campaign id."""
        if not value:
            return DASH, ""
        name = self._names.get(value)
        if name:
            return name, f"{kind} {name}\nid {value}"
        short = short_id(value)
        return short, (f"{kind} id {value}" if short != value else "")

    def set_call(self, call: Call | None) -> None:
        if call is None:
            self.clear()
            return
        v = {
            "number": call.customer_number or DASH,
            "direction": DIRECTION_LABELS.get(call.direction or "", call.direction or DASH),
            "started": format_local_time(call.started_at or call.created_at),
            "duration": format_duration(call.duration_s),
            "status": call.status or DASH,
            "ended_reason": call.ended_reason or DASH,
            "cost": format_money(call.cost, call.currency),
            "account": f"{call.account} ({call.provider})" if call.account else (call.provider or DASH),
        }
        tips: dict[str, str] = {}
        v["agent"], tips["agent"] = self._directory_text("Agent", call.agent_id)
        v["campaign"], tips["campaign"] = self._directory_text("Campaign", call.campaign_id)
        for key, text in v.items():
            label = self.values[key]
            label.setText(for_screen(str(text)))  # (a number can't be shown reversed)
            # A tool tip may be rendered as rich text: provider text goes there escaped only.
            label.setToolTip(_escaped_tip(tips.get(key, "")))

    def clear(self) -> None:
        for label in self.values.values():
            label.setText(DASH)
            label.setToolTip("")


# -- cost ---------------------------------------------------------------------------------------
class _CostBars(QWidget):
    """Horizontal bars, one per cost component, with the amount next to each; painted."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[tuple[str, float, str]] = []  # label, amount, amount text
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_rows(self, rows: list[tuple[str, float, str]]) -> None:
        self._rows = rows
        self.setAccessibleDescription("; ".join(f"{lab} {txt}" for lab, _a, txt in rows))
        self.updateGeometry()
        self.update()

    def _row_h(self) -> int:
        return math.ceil(QFontMetricsF(self.font()).height() + 6)

    def sizeHint(self) -> QSize:
        return QSize(260, self._row_h() * len(self._rows) + 2)

    def minimumSizeHint(self) -> QSize:
        return QSize(160, self.sizeHint().height())

    def paintEvent(self, _event) -> None:
        if not self._rows:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        pal = self.palette()
        fm = QFontMetricsF(self.font())
        label_w = max(fm.horizontalAdvance(lab) for lab, _a, _t in self._rows) + 8
        amount_w = max(fm.horizontalAdvance(t) for _l, _a, t in self._rows) + 8
        bar_x = label_w
        bar_w = max(20.0, self.width() - label_w - amount_w - 4)
        top = max((a for _l, a, _t in self._rows), default=0.0)
        hl = pal.color(QPalette.ColorRole.Highlight)
        track = QColor(pal.color(QPalette.ColorRole.Mid))
        track.setAlpha(60)
        row_h = self._row_h()
        for i, (label, amount, text) in enumerate(self._rows):
            y = i * row_h
            p.setPen(pal.color(QPalette.ColorRole.Text))
            p.drawText(QRectF(0, y, label_w - 6, row_h),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, label)
            bar = QRectF(bar_x, y + 3, bar_w, row_h - 6)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(track)
            p.drawRoundedRect(bar, 2, 2)
            if top > 0 and amount > 0:
                c = QColor.fromHsl((max(hl.hslHue(), 0) + i * 47) % 360,
                                   max(hl.hslSaturation(), 120), hl.lightness() or 128)
                p.setBrush(c)
                p.drawRoundedRect(QRectF(bar.left(), bar.top(), max(2.0, bar_w * amount / top),
                                         bar.height()), 2, 2)
            p.setPen(pal.color(QPalette.ColorRole.Text))
            p.drawText(QRectF(bar_x + bar_w + 4, y, amount_w, row_h),
                       Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)
        p.end()


class CostBreakdownView(QWidget):
    """Per-component cost bars (STT, LLM, TTS, Platform, Transport, Other), the total, and the
    token/character counts; or the total alone, or "No cost reported (yet)"."""

    NO_COST = "No cost reported (yet)"
    TOTAL_ONLY = "This provider reports only the total cost."

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 4, 6, 4)
        lay.setSpacing(4)
        self.total_label = _plain_label("", self)
        f = self.total_label.font()
        f.setBold(True)
        self.total_label.setFont(f)
        self.bars = _CostBars(self)
        self.counts_label = _muted(_plain_label("", self, wrap=True))
        self.note_label = _muted(_plain_label("", self, selectable=False, wrap=True))
        for w in (self.total_label, self.bars, self.counts_label, self.note_label):
            lay.addWidget(w)
        lay.addStretch(1)
        self.clear()

    def rows(self) -> list[tuple[str, float, str]]:
        """(label, amount, amount text) of the bars shown."""
        return list(self.bars._rows)

    def set_call(self, call: Call | None) -> None:
        if call is None:
            self.clear()
            return
        self.set_cost(call.cost, call.currency, call.cost_breakdown)

    def set_cost(self, cost: float | None, currency: str | None,
                 breakdown: dict[str, float | int] | None) -> None:
        breakdown = breakdown or {}
        parts = [(COST_LABELS[k], float(breakdown[k])) for k in COST_PARTS
                 if isinstance(breakdown.get(k), (int, float)) and math.isfinite(breakdown[k])]
        counts = {k: breakdown[k] for k in COST_COUNTS if isinstance(breakdown.get(k), (int, float))}
        if cost is None and not parts:
            self.total_label.setText("")
            self.total_label.hide()
            self._set_rows([])
            self.counts_label.setText("")
            self.counts_label.hide()
            self.note_label.setText(self.NO_COST)
            self.note_label.show()
            return
        total = cost if cost is not None else sum(a for _l, a in parts)
        self.total_label.setText(f"Total {format_money(total, currency)}")
        self.total_label.show()
        self._set_rows([(lab, a, format_money(a, currency)) for lab, a in parts])
        lines = []
        if "llm_prompt_tokens" in counts or "llm_completion_tokens" in counts:
            pt = counts.get("llm_prompt_tokens")
            ct = counts.get("llm_completion_tokens")
            lines.append("LLM tokens: "
                         + (f"{int(pt):,} prompt" if pt is not None else "? prompt") + " / "
                         + (f"{int(ct):,} completion" if ct is not None else "? completion"))
        if "tts_characters" in counts:
            lines.append(f"TTS characters: {int(counts['tts_characters']):,}")
        self.counts_label.setText("\n".join(lines))
        self.counts_label.setVisible(bool(lines))
        note = self.TOTAL_ONLY if not parts else self._unitemized_note(cost, parts, currency)
        self.note_label.setText(note)
        self.note_label.setVisible(bool(note))

    def _unitemized_note(self, cost: float | None, parts: list[tuple[str, float]],
                         currency: str | None) -> str:
        """When the parts the provider itemizes fall short of its total (more than rounding),
        says how much of it is not broken down; else ""."""
        itemized = sum(a for _l, a in parts)
        if cost is None or not math.isfinite(cost) or cost - itemized <= max(5e-5, abs(cost) * 0.005):
            return ""
        return (f"The parts above add up to {format_money(itemized, currency)}; "
                f"{format_money(cost - itemized, currency)} of the total is not itemized.")

    def _set_rows(self, rows) -> None:
        self.bars.set_rows(rows)
        self.bars.setVisible(bool(rows))

    def note(self) -> str:
        return self.note_label.text()

    def clear(self) -> None:
        self.set_cost(None, None, {})


# -- analysis -----------------------------------------------------------------------------------
_GOOD = {"true", "yes", "pass", "passed", "success", "successful", "succeeded", "completed", "done"}
_BAD = {"false", "no", "fail", "failed", "failure", "unsuccessful", "incomplete", "not completed"}


class AnalysisView(QWidget):
    """Summary, success evaluation, sentiment, extracted variables and tags of a call.

    The view scrolls as a whole and the variables table is as tall as its rows, so a short
    detail tab shows the summary first and never a squeezed table with a scroll bar of its own.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scroll = QScrollArea(self)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setAccessibleName("Call analysis")
        page = QWidget(self.scroll)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.scroll)
        lay = QVBoxLayout(page)
        lay.setContentsMargins(6, 4, 6, 4)
        lay.setSpacing(6)
        self.summary_label = _plain_label("", page, wrap=True)
        self.summary_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.summary_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.success_label = _plain_label("", page, wrap=True)
        self.sentiment_label = _plain_label("", page, wrap=True)
        self.tags_label = _plain_label("", page, wrap=True)
        form.addRow(_muted(_plain_label("Success", page, selectable=False)), self.success_label)
        form.addRow(_muted(_plain_label("Sentiment", page, selectable=False)), self.sentiment_label)
        form.addRow(_muted(_plain_label("Tags", page, selectable=False)), self.tags_label)
        self.extracted_table = QTableWidget(0, 2, page)
        t = self.extracted_table
        t.setHorizontalHeaderLabels(["Name", "Value"])
        t.verticalHeader().hide()
        t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        t.setWordWrap(False)
        t.verticalHeader().setDefaultSectionSize(t.fontMetrics().height() + 6)
        t.setTextElideMode(Qt.TextElideMode.ElideRight)
        t.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # as tall as its rows
        t.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        t.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        t.setAccessibleName("Extracted variables")
        t.horizontalHeader().setAccessibleName("Extracted variables columns")
        t.setTabKeyNavigation(False)  # Tab leaves the table (arrows move between its cells)
        copy = QShortcut(QKeySequence(QKeySequence.StandardKey.Copy), t, self.copy_extracted)
        copy.setContext(Qt.ShortcutContext.WidgetShortcut)
        self.extracted_caption = _muted(_plain_label("Extracted variables", page, selectable=False))
        lay.addWidget(_muted(_plain_label("Summary", page, selectable=False)))
        lay.addWidget(self.summary_label)
        lay.addLayout(form)
        lay.addWidget(self.extracted_caption)
        lay.addWidget(t)
        lay.addStretch(1)
        self.scroll.setWidget(page)
        self.clear()

    def set_call(self, call: Call | None) -> None:
        if call is None:
            self.clear()
            return
        self.summary_label.setText(for_screen(call.summary) or "No summary")
        self.success_label.setText(for_screen(self._success_text(call.success)))
        self.sentiment_label.setText(for_screen(call.sentiment) or DASH)
        tags = [str(x) for x in (call.tags or [])]
        self.tags_label.setText(for_screen(", ".join(tags)) if tags else DASH)
        self.set_extracted(call.extracted or {})

    @staticmethod
    def _success_text(value: Any) -> str:
        if value is None or value == "":
            return DASH
        text = value if isinstance(value, str) else compact_json(value)
        low = text.strip().lower()
        if low in _GOOD:
            return f"✓ {text}"
        if low in _BAD:
            return f"✗ {text}"
        return text

    def set_extracted(self, extracted: dict[str, Any]) -> None:
        t = self.extracted_table
        t.setRowCount(0)
        t.setRowCount(len(extracted))
        for row, (name, value) in enumerate(extracted.items()):
            for col, text in enumerate((str(name), compact_json(value))):
                item = QTableWidgetItem(for_screen(text))
                item.setData(Qt.ItemDataRole.UserRole, text)  # what copying gives
                t.setItem(row, col, item)
        has = bool(extracted)
        frame = 2 * t.frameWidth()
        if t.horizontalScrollBar().isVisible():
            frame += t.horizontalScrollBar().sizeHint().height()
        t.setFixedHeight(t.horizontalHeader().sizeHint().height()
                         + t.verticalHeader().defaultSectionSize() * len(extracted) + frame)
        t.setVisible(has)
        self.extracted_caption.setText("Extracted variables" if has else "Extracted variables: none")

    def extracted_rows(self) -> list[tuple[str, str]]:
        """(name, value) as shown."""
        t = self.extracted_table
        return [(t.item(r, 0).text(), t.item(r, 1).text()) for r in range(t.rowCount())]

    def copy_extracted(self) -> str:
        """Copies the selected variables (else all) as they were sent, tab-separated."""
        t = self.extracted_table
        rows = sorted({i.row() for i in t.selectedIndexes()}) or range(t.rowCount())
        role = Qt.ItemDataRole.UserRole
        text = "\n".join(f"{t.item(r, 0).data(role)}\t{t.item(r, 1).data(role)}" for r in rows)
        if text:
            QGuiApplication.clipboard().setText(text)
        return text

    def clear(self) -> None:
        self.summary_label.setText("No summary")
        self.success_label.setText(DASH)
        self.sentiment_label.setText(DASH)
        self.tags_label.setText(DASH)
        self.set_extracted({})


# -- raw JSON -----------------------------------------------------------------------------------
class RawJsonView(QWidget):
    """The raw provider payload, pretty-printed in a read-only monospaced editor inside a
    collapsed "Raw JSON ▸" section. The text is built only when the section is open."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = QPlainTextEdit()
        self.editor.setReadOnly(True)
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.editor.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.editor.setMinimumHeight(160)
        self.editor.setAccessibleName("Raw JSON")
        self.section = CollapsibleSection("Raw JSON", self.editor, expanded=False, parent=self)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.section)
        self._payload: Any = None
        self._has_payload = False
        self._loaded = False
        self.section.expandedChanged.connect(self._on_expanded)

    @staticmethod
    def format_payload(payload: Any) -> str:
        if payload is None:
            return "No raw payload stored for this call."
        if isinstance(payload, (bytes, bytearray)):
            payload = bytes(payload).decode("utf-8", errors="replace")
        if isinstance(payload, str):
            s = payload.strip()
            if s[:1] in ("{", "["):
                try:
                    return json_for_screen(json.dumps(json.loads(s), indent=2, ensure_ascii=False))
                except (ValueError, RecursionError):
                    pass
            return for_screen(payload)
        try:
            return json_for_screen(json.dumps(payload, indent=2, ensure_ascii=False, default=str))
        except (TypeError, ValueError, RecursionError):
            return repr(payload)

    def set_payload(self, payload: Any) -> None:
        """Keep `payload` (dict/list, JSON text or bytes); format it only once it is shown."""
        self._payload = payload
        self._has_payload = True
        self._loaded = False
        self.editor.clear()
        if self.section.is_expanded():
            self._load()

    def clear(self) -> None:
        self._payload = None
        self._has_payload = False
        self._loaded = False
        self.editor.clear()

    def is_loaded(self) -> bool:
        return self._loaded

    def text(self) -> str:
        return self.editor.toPlainText()

    def set_expanded(self, expanded: bool) -> None:
        self.section.set_expanded(expanded)

    def _on_expanded(self, expanded: bool) -> None:
        if expanded and not self._loaded:
            self._load()

    def _load(self) -> None:
        if self._has_payload:
            self.editor.setPlainText(self.format_payload(self._payload))
        else:
            self.editor.setPlainText("")
        self._loaded = True
