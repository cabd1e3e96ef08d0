"""The transcript of one call as a timeline, painted by a delegate over a list model.

No widget per turn: a 1,500-turn call is one `QListView` whose delegate lays each row out with
`QTextLayout` on plain strings (markup never renders) and caches row heights per width. Tool calls,
tool results and the system prompt are collapsible cards; expanding one is a model data change.

What is painted (text, tool names, speaker labels) goes through `for_screen`, so a bidirectional
override in a turn is shown as `[U+202E]` instead of reversing the line; what is copied (Copy,
Copy text only, Open as plain text…) and the model's DisplayRole stay exactly as received.
"""

from __future__ import annotations

import json
import math
import time
from bisect import bisect_left, bisect_right
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QPointF,
    QRect,
    QRectF,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QColor,
    QFont,
    QFontDatabase,
    QFontMetricsF,
    QGuiApplication,
    QKeySequence,
    QPainter,
    QPalette,
    QPen,
    QShortcut,
    QTextCharFormat,
    QTextLayout,
    QTextOption,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QPlainTextEdit,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from callviewer.display import for_screen
from callviewer.domain import Call, Turn

__all__ = [
    "FindBar",
    "TranscriptDelegate",
    "TranscriptModel",
    "TranscriptView",
    "format_offset",
    "speaker_colors",
]

#: A single turn paints at most this many lines / characters; copying still copies all of it.
MAX_PAINT_LINES = 200
MAX_PAINT_CHARS = 20_000
#: Auto-follow of the playing turn pauses this long after the user scrolled by hand.
USER_SCROLL_GRACE_S = 3.0

SPEAKER_LABELS = {"agent": "Agent", "customer": "Customer", "system": "System", "tool": "Tool"}
#: Marks a tool call's card. U+2699 GEAR is in DejaVu Sans (and the other common UI fonts); the
#: wrench emoji (U+1F527) is not, and showed as a box where no emoji font is installed.
TOOL_CALL_MARK = "\u2699"

_R = Qt.ItemDataRole


def format_offset(seconds: float | None) -> str:
    """`m:ss` (or `h:mm:ss` past an hour) from the call start; "" when unknown."""
    if seconds is None or not math.isfinite(seconds):
        return ""
    total = max(0, int(seconds))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def speaker_label(speaker: str) -> str:
    return SPEAKER_LABELS.get(speaker, (speaker or "?").title())


def _hue_distance(a: int, b: int) -> int:
    d = abs(a - b) % 360
    return min(d, 360 - d)


def speaker_colors(palette: QPalette) -> dict[str, QColor]:
    """Speaker colours derived from the palette: agent = the highlight hue, the others distinct
    hues at a lightness that reads on the palette's base (so dark mode works)."""
    hl = palette.color(QPalette.ColorRole.Highlight)
    dark = palette.color(QPalette.ColorRole.Base).lightness() < 128
    hue = hl.hslHue() if hl.hslHue() >= 0 else 210
    light = 170 if dark else 95
    used = [hue]

    def pick(candidates: tuple[int, ...]) -> QColor:
        for c in candidates:
            if all(_hue_distance(c, u) >= 50 for u in used):
                used.append(c)
                return QColor.fromHsl(c, 170, light)
        used.append(candidates[0])
        return QColor.fromHsl(candidates[0], 170, light)

    agent = QColor.fromHsl(hue, max(hl.hslSaturation(), 140), light)
    customer = pick((145, 25, 290, 330))
    tool = pick((35, 280, 190, 100))
    system = palette.color(QPalette.ColorRole.PlaceholderText)
    return {"agent": agent, "customer": customer, "tool": tool, "system": system}


def _cap_text(text: str) -> tuple[str, str | None]:
    """What a row paints of `text`, and the "… (N more lines)" note when it was cut."""
    if len(text) <= MAX_PAINT_CHARS and text.count("\n", 0, MAX_PAINT_CHARS) < MAX_PAINT_LINES:
        return text, None
    pos = -1
    for _ in range(MAX_PAINT_LINES):
        nxt = text.find("\n", pos + 1, MAX_PAINT_CHARS + 1)
        if nxt < 0:
            pos = -1
            break
        pos = nxt
    cut = text[:pos] if pos >= 0 else text[:MAX_PAINT_CHARS]
    more_lines = text.count("\n") - cut.count("\n")
    if more_lines > 0:
        note = f"… ({more_lines:,} more lines, select to copy all)"
    else:
        note = f"… ({len(text) - len(cut):,} more characters, select to copy all)"
    return cut, note


def _pretty(text: str, tool_name: str | None) -> str:
    """A tool payload pretty-printed when it is JSON (also `name({...})`), else as given."""
    s = text.strip()
    if tool_name and s.startswith(tool_name + "(") and s.endswith(")"):
        s = s[len(tool_name) + 1 : -1].strip()
    if s[:1] in ("{", "[") and len(s) <= 5_000_000:
        try:
            return json.dumps(json.loads(s), indent=2, ensure_ascii=False)
        except (ValueError, RecursionError):
            pass
    return text


class _RowInfo:
    """What the delegate needs to lay one row out; built lazily, once per row."""

    __slots__ = ("kind", "speaker", "label", "time", "header", "collapsible", "mono",
                 "_source", "_tool", "_body", "_paras", "_note")

    def __init__(self, turn: Turn, first_system: bool) -> None:
        self.speaker = turn.speaker
        self.time = format_offset(turn.start_s)
        self._source = turn.text or ""
        self._tool = turn.tool_name
        # What is painted of the turn (label, header, body) is `for_screen`d: text from a
        # provider must not reorder what is shown.
        self._body: str | None = None
        self._paras: list[str] | None = None
        self._note: str | None = None
        self.mono = False
        self.header = ""
        self.collapsible = False
        name = for_screen(turn.tool_name) or "tool"
        if turn.kind == "interruption":
            self.kind = "marker"
            self.label = "interrupted"
        elif turn.kind in ("tool_call", "tool_result") or turn.speaker == "tool":
            self.kind = "card"
            self.collapsible = True
            self.mono = True
            self.label = for_screen(speaker_label(turn.speaker))
            if turn.kind == "tool_result":
                self.header = f"↳ {name} → result"
            else:
                args = "…" if self._source.strip() else ""
                self.header = f"{TOOL_CALL_MARK} {name}({args})"
        elif turn.speaker == "system":
            self.kind = "card"
            self.collapsible = True
            self.label = "System"
            lines = self._source.count("\n") + 1
            what = "System prompt" if first_system else "System message"
            self.header = f"{what} ({lines:,} line{'s' if lines != 1 else ''})"
        else:
            self.kind = "message"
            self.label = for_screen(speaker_label(turn.speaker))

    def _ensure(self) -> None:
        if self._paras is not None:
            return
        body = _pretty(self._source, self._tool) if self.mono else self._source
        # After pretty-printing: JSON's "\u202e" escapes become the character itself there.
        # (ASCII text, most turns, holds no bidi control: no need to scan it.)
        body = body if body.isascii() else for_screen(body)
        body = body.replace("\r\n", "\n").replace("\r", "\n")
        shown, self._note = _cap_text(body)
        self._body = shown
        self._paras = shown.split("\n")

    @property
    def paragraphs(self) -> list[str]:
        self._ensure()
        return self._paras  # type: ignore[return-value]

    @property
    def note(self) -> str | None:
        self._ensure()
        return self._note

    @property
    def marker_text(self) -> str:
        """A marker row's one line: who interrupted, and what they said if anything."""
        text = f"⤺ {speaker_label(self.speaker).lower()} interrupted"
        if self._source.strip():
            text += " — " + self._source[:500].replace("\n", " ")
        return for_screen(text)

    @property
    def plain(self) -> bool:
        """True when the painted text is one short ASCII line (the cheap sizing path)."""
        self._ensure()
        return len(self._paras) == 1 and len(self._body) < 400 and self._body.isascii()  # type: ignore[arg-type]


class TranscriptModel(QAbstractListModel):
    """One row per `Turn`. DisplayRole is the turn's text exactly as received (plain text)."""

    TurnRole = int(_R.UserRole) + 1
    SpeakerRole = TurnRole + 1
    KindRole = TurnRole + 2
    StartRole = TurnRole + 3
    ToolNameRole = TurnRole + 4
    CollapsibleRole = TurnRole + 5
    ExpandedRole = TurnRole + 6
    PlayingRole = TurnRole + 7
    MatchRole = TurnRole + 8
    HeaderRole = TurnRole + 9

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._turns: list[Turn] = []
        self._info: list[_RowInfo | None] = []
        self._expanded: set[int] = set()
        self._playing = -1
        self._matches: frozenset[int] = frozenset()
        self._needle = ""
        self._hay: list[str | None] = []
        self._seek_keys: list[float] = []
        self._seek_rows: list[int] = []
        self._first_system = -1
        self.time_sample = "00:00"

    # -- loading ------------------------------------------------------------------------------
    def set_turns(self, turns: list[Turn]) -> None:
        self.beginResetModel()
        self._turns = list(turns)
        n = len(self._turns)
        self._info = [None] * n
        self._hay = [None] * n
        self._expanded = set()
        self._playing = -1
        self._matches = frozenset()
        self._needle = ""
        points = []
        longest = 0.0
        self._first_system = -1
        for row, t in enumerate(self._turns):
            s = t.start_s
            if s is not None and isinstance(s, (int, float)) and math.isfinite(s):
                longest = max(longest, s)
                if t.kind == "message" and t.speaker not in ("system", "tool"):
                    points.append((float(s), row))
            if self._first_system < 0 and t.speaker == "system" and t.kind == "message":
                if not any(u.speaker in ("agent", "customer") for u in self._turns[:row]):
                    self._first_system = row
        points.sort()
        self._seek_keys = [p[0] for p in points]
        self._seek_rows = [p[1] for p in points]
        self.time_sample = "0:00:00" if longest >= 3600 else ("00:00" if longest >= 600 else "0:00")
        self.endResetModel()

    def turns(self) -> list[Turn]:
        return list(self._turns)

    def turn(self, row: int) -> Turn:
        return self._turns[row]

    def row_info(self, row: int) -> _RowInfo:
        info = self._info[row]
        if info is None:
            info = self._info[row] = _RowInfo(self._turns[row], row == self._first_system)
        return info

    # -- Qt model API --------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._turns)

    def flags(self, index):
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        # (editable: double-click or F2 opens the turn's text read-only, to select any part of it)
        return (Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                | Qt.ItemFlag.ItemNeverHasChildren | Qt.ItemFlag.ItemIsEditable)

    def data(self, index, role: int = _R.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._turns):
            return None
        row = index.row()
        t = self._turns[row]
        if role == _R.DisplayRole:
            return t.text
        if role == _R.AccessibleTextRole:
            info = self.row_info(row)
            what = info.header if info.kind == "card" else info.label
            return f"{info.time} {what}: {t.text[:500]}".strip()
        if role == self.TurnRole:
            return t
        if role == self.SpeakerRole:
            return t.speaker
        if role == self.KindRole:
            return t.kind
        if role == self.StartRole:
            return t.start_s
        if role == self.ToolNameRole:
            return t.tool_name
        if role == self.CollapsibleRole:
            return self.row_info(row).collapsible
        if role == self.ExpandedRole:
            return row in self._expanded
        if role == self.PlayingRole:
            return row == self._playing
        if role == self.MatchRole:
            return row in self._matches
        if role == self.HeaderRole:
            return self.row_info(row).header
        return None

    def setData(self, index, value, role: int = _R.EditRole) -> bool:
        if role != self.ExpandedRole or not index.isValid():
            return False
        self.set_expanded(index.row(), bool(value))
        return True

    def roleNames(self) -> dict[int, bytes]:
        names = dict(super().roleNames())
        names.update({
            self.TurnRole: b"turn", self.SpeakerRole: b"speaker", self.KindRole: b"kind",
            self.StartRole: b"start_s", self.ToolNameRole: b"tool_name",
            self.CollapsibleRole: b"collapsible", self.ExpandedRole: b"expanded",
            self.PlayingRole: b"playing", self.MatchRole: b"match", self.HeaderRole: b"header",
        })
        return names

    # -- cards ---------------------------------------------------------------------------------
    def is_collapsible(self, row: int) -> bool:
        return 0 <= row < len(self._turns) and self.row_info(row).collapsible

    def is_expanded(self, row: int) -> bool:
        return row in self._expanded

    def set_expanded(self, row: int, expanded: bool) -> None:
        if not self.is_collapsible(row) or (row in self._expanded) == expanded:
            return
        if expanded:
            self._expanded.add(row)
        else:
            self._expanded.discard(row)
        idx = self.index(row, 0)
        self.dataChanged.emit(idx, idx, [self.ExpandedRole])

    def toggle(self, row: int) -> None:
        self.set_expanded(row, row not in self._expanded)

    def set_all_expanded(self, expanded: bool) -> None:
        for row in range(len(self._turns)):
            if self.row_info(row).collapsible and row != self._first_system:
                self.set_expanded(row, expanded)

    # -- playback ------------------------------------------------------------------------------
    def row_at_time(self, seconds: float) -> int:
        """The last message turn (agent/customer) with start_s <= seconds, or -1."""
        i = bisect_right(self._seek_keys, seconds) - 1
        return self._seek_rows[i] if i >= 0 else -1

    @property
    def playing_row(self) -> int:
        return self._playing

    def set_playing_row(self, row: int) -> None:
        old, self._playing = self._playing, row
        if old == row:
            return
        for r in (old, row):
            if 0 <= r < len(self._turns):
                idx = self.index(r, 0)
                self.dataChanged.emit(idx, idx, [self.PlayingRole])

    # -- find ----------------------------------------------------------------------------------
    def _haystack(self, row: int) -> str:
        hay = self._hay[row]
        if hay is None:
            t = self._turns[row]
            raw = f"{t.text or ''}\n{t.tool_name or ''}"
            shown = for_screen(raw)
            # Both: the text as received (a pasted needle) and as shown ("[U+202E]" as read).
            hay = raw if shown == raw else f"{raw}\n{shown}"
            hay = self._hay[row] = hay.casefold()
        return hay

    def find(self, needle: str) -> list[int]:
        """Rows whose text or tool name contains `needle` (case-insensitive), in order; the
        text is searched both as received and as shown (see `for_screen`)."""
        n = needle.casefold()
        if not n:
            return []
        return [row for row in range(len(self._turns)) if n in self._haystack(row)]

    @property
    def needle(self) -> str:
        return self._needle

    def set_matches(self, needle: str, rows) -> None:
        self._needle = needle
        self._matches = frozenset(rows)
        if self._turns:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._turns) - 1, 0),
                                  [self.MatchRole])

    def is_match(self, row: int) -> bool:
        return row in self._matches

    # -- text for the clipboard ----------------------------------------------------------------
    def line_for(self, row: int, text_only: bool = False) -> str:
        t = self._turns[row]
        if text_only:
            return t.text or ""
        who = speaker_label(t.speaker)
        if t.kind == "tool_call":
            who = f"Tool call {t.tool_name or ''}".rstrip()
        elif t.kind == "tool_result":
            who = f"Tool result {t.tool_name or ''}".rstrip()
        elif t.kind == "interruption":
            who = f"{who} (interrupted)"
        stamp = format_offset(t.start_s)
        return f"{stamp} {who}: {t.text or ''}" if stamp else f"{who}: {t.text or ''}"


class _Metrics:
    """Fonts and fixed distances for one base font."""

    def __init__(self, font: QFont, time_sample: str) -> None:
        self.font = QFont(font)
        self.bold = QFont(font)
        self.bold.setBold(True)
        self.small = QFont(font)
        if font.pointSizeF() > 0:
            self.small.setPointSizeF(max(6.0, font.pointSizeF() * 0.88))
        elif font.pixelSize() > 0:
            self.small.setPixelSize(max(8, round(font.pixelSize() * 0.88)))
        self.italic = QFont(self.small)
        self.italic.setItalic(True)
        self.mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        if font.pointSizeF() > 0:
            self.mono.setPointSizeF(font.pointSizeF() * 0.95)
        fm = QFontMetricsF(self.font)
        self.fm = fm
        self.line_h = fm.height()
        self.bold_h = QFontMetricsF(self.bold).height()
        self.small_h = QFontMetricsF(self.small).height()
        self.small_fm = QFontMetricsF(self.small)
        self.mono_h = QFontMetricsF(self.mono).height()
        self.pad_v = max(3, round(self.line_h / 4))
        self.pad_h = 6
        self.gap = 6
        self.stripe = 3
        self.card_pad = 4
        self.time_w = math.ceil(self.small_fm.horizontalAdvance(time_sample)) + 4

    def columns(self, left: int, width: int) -> tuple[int, int, int, int]:
        """(time_x, stripe_x, content_x, content_w) for a row starting at `left`."""
        time_x = left + self.pad_h
        stripe_x = time_x + self.time_w + self.gap
        content_x = stripe_x + self.stripe + self.gap
        content_w = max(40, left + width - self.pad_h - content_x)
        return time_x, stripe_x, content_x, content_w


def _keys(first: str, standard: QKeySequence.StandardKey) -> list[QKeySequence]:
    """`first` ("F3") and the platform's bindings for `standard`, without repeats."""
    keys = [QKeySequence(first)]
    for k in QKeySequence.keyBindings(standard):
        if k not in keys:
            keys.append(k)
    return keys


_WRAP = QTextOption()
_WRAP.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)


def _lay_out(paras: list[str], font: QFont, width: float) -> tuple[list[QTextLayout], float]:
    """One QTextLayout per paragraph (so each finds its own bidi direction), stacked."""
    layouts = []
    y = 0.0
    for p in paras:
        lay = QTextLayout(p, font)
        lay.setTextOption(_WRAP)
        lay.beginLayout()
        while True:
            line = lay.createLine()
            if not line.isValid():
                break
            line.setLineWidth(width)
            line.setPosition(QPointF(0.0, y))
            y += line.height()
        lay.endLayout()
        layouts.append(lay)
    return layouts, y


_MATCH_FORMAT = QTextCharFormat()
_MATCH_FORMAT.setBackground(QColor(255, 196, 0, 150))


def _match_ranges(para: str, needle_lower: str) -> list[QTextLayout.FormatRange]:
    """Overlay ranges for the find matches in one paragraph (drawn without re-layout)."""
    low = para.lower()
    if len(low) != len(para):  # lower() changed the length: positions would not line up
        return []
    ranges = []
    i = low.find(needle_lower)
    while i >= 0 and len(ranges) < 200:
        r = QTextLayout.FormatRange()
        r.start, r.length, r.format = i, len(needle_lower), _MATCH_FORMAT
        ranges.append(r)
        i = low.find(needle_lower, i + len(needle_lower))
    return ranges


class TranscriptDelegate(QStyledItemDelegate):
    """Paints transcript rows and sizes them, caching the height of each row for one width."""

    def __init__(self, view: QListView, model: TranscriptModel) -> None:
        super().__init__(view)
        self._view = view
        self._model = model
        self._heights: dict[int, int] = {}
        self._width = -1
        self._metrics: _Metrics | None = None
        self._metrics_key: tuple | None = None
        self._colors: dict[str, QColor] = {}
        self._palette_key = None
        model.modelReset.connect(self.clear_cache)
        model.rowsInserted.connect(self.clear_cache)
        model.rowsRemoved.connect(self.clear_cache)

    # -- cache ---------------------------------------------------------------------------------
    def clear_cache(self, *_args) -> None:
        self._heights.clear()

    def invalidate_row(self, row: int) -> None:
        self._heights.pop(row, None)

    def metrics(self) -> _Metrics:
        font = self._view.font()
        key = (font.key(), self._model.time_sample)
        if self._metrics is None or key != self._metrics_key:
            self._metrics = _Metrics(font, self._model.time_sample)
            self._metrics_key = key
            self._heights.clear()
        return self._metrics

    def _row_width(self) -> int:
        return max(120, self._view.viewport().width())

    def colors(self, palette: QPalette) -> dict[str, QColor]:
        key = palette.cacheKey()
        if key != self._palette_key:
            self._colors = speaker_colors(palette)
            self._palette_key = key
        return self._colors

    # -- geometry ------------------------------------------------------------------------------
    def _body_font(self, m: _Metrics, info: _RowInfo) -> QFont:
        return m.mono if info.mono else m.font

    def _height(self, row: int, width: int) -> int:
        m = self.metrics()
        info = self._model.row_info(row)
        _tx, _sx, _cx, cw = m.columns(0, width)
        if info.kind == "marker":
            return math.ceil(m.small_h + 4)
        if info.kind == "card":
            h = m.pad_v * 2 + m.card_pad * 2 + m.line_h
            if self._model.is_expanded(row):
                bw = cw - 2 * m.card_pad
                _lays, th = _lay_out(info.paragraphs, self._body_font(m, info), bw)
                h += m.card_pad + th + (m.small_h if info.note else 0)
            return math.ceil(h)
        if info.plain and m.fm.horizontalAdvance(info.paragraphs[0]) <= cw - 1:
            th = m.line_h
        else:
            _lays, th = _lay_out(info.paragraphs, m.font, cw)
        return math.ceil(m.pad_v * 2 + m.bold_h + 1 + th + (m.small_h if info.note else 0))

    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:
        width = self._row_width()
        if width != self._width:
            self._heights.clear()
            self._width = width
        row = index.row()
        h = self._heights.get(row)
        if h is None:
            h = self._heights[row] = self._height(row, width)
        return QSize(width, h)

    def header_rect(self, rect: QRect, row: int) -> QRect:
        """The clickable header of a card row (in the rect's coordinates); empty for others."""
        if not self._model.is_collapsible(row):
            return QRect()
        m = self.metrics()
        return QRect(rect.left(), rect.top(), rect.width(),
                     math.ceil(m.pad_v + m.card_pad * 2 + m.line_h))

    # -- painting ------------------------------------------------------------------------------
    # -- selecting part of a turn ---------------------------------------------------------------
    # Rows are painted, not widgets, so their text can't be drag-selected. Double-click (or F2)
    # puts a read-only text editor over the turn's text column: any part of the text, exactly as
    # received (no for_screen), can be selected and copied there. Esc or a click elsewhere closes it.
    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index) -> QWidget:
        edit = QPlainTextEdit(parent)
        edit.setObjectName("turnText")
        edit.setReadOnly(True)
        edit.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                     | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        edit.setFrameShape(QFrame.Shape.NoFrame)
        edit.setFont(self._view.font())
        edit.setAccessibleName("Turn text")
        edit.setAccessibleDescription("Read-only: select any part and copy it; Esc closes")
        edit.setPlainText(self._model.line_for(index.row(), text_only=True))
        return edit

    def setEditorData(self, editor: QWidget, index) -> None:
        pass  # (set once, in createEditor: a model update must not reset a selection)

    def setModelData(self, editor: QWidget, model, index) -> None:
        pass  # read-only: nothing goes back into the transcript

    def updateEditorGeometry(self, editor: QWidget, option: QStyleOptionViewItem, index) -> None:
        rect: QRect = option.rect
        _time_x, _stripe_x, content_x, content_w = self.metrics().columns(rect.left(),
                                                                           self._row_width())
        editor.setGeometry(QRect(content_x, rect.top(), content_w, max(rect.height(), 40)))

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:
        row = index.row()
        model = self._model
        if not 0 <= row < model.rowCount():
            return
        m = self.metrics()
        info = model.row_info(row)
        rect: QRect = option.rect
        pal: QPalette = option.palette
        colors = self.colors(pal)
        width = self._row_width()
        time_x, stripe_x, content_x, content_w = m.columns(rect.left(), width)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        playing = row == model.playing_row
        match = model.is_match(row)
        hl = pal.color(QPalette.ColorRole.Highlight)
        text_c = pal.color(QPalette.ColorRole.Text)
        muted = pal.color(QPalette.ColorRole.PlaceholderText)
        accent = colors.get(info.speaker, muted)

        painter.save()
        painter.setClipRect(rect)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if selected:
            c = QColor(hl)
            c.setAlpha(110 if option.state & QStyle.StateFlag.State_HasFocus else 80)
            painter.fillRect(rect, c)
        elif playing:
            c = QColor(hl)
            c.setAlpha(40)
            painter.fillRect(rect, c)
        elif match:
            painter.fillRect(rect, QColor(255, 196, 0, 45))
        if playing:
            painter.fillRect(QRect(rect.left(), rect.top(), 3, rect.height()), hl)

        top = rect.top()
        # time offset
        if info.time:
            painter.setFont(m.bold if playing else m.small)
            painter.setPen(hl if playing else muted)
            ty = top + (2 if info.kind == "marker" else m.pad_v)
            painter.drawText(QRectF(time_x, ty, m.time_w, m.bold_h),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop, info.time)

        needle = model.needle if match else ""
        if info.kind == "marker":
            painter.setFont(m.italic)
            painter.setPen(muted)
            label = m.small_fm.elidedText(info.marker_text, Qt.TextElideMode.ElideRight, content_w)
            painter.drawText(QRectF(stripe_x, top + 2, content_w + content_x - stripe_x, m.small_h),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, label)
        elif info.kind == "card":
            self._paint_card(painter, rect, row, info, m, pal, accent, stripe_x, content_x,
                             content_w, needle)
        else:
            painter.fillRect(QRectF(stripe_x, top + m.pad_v, m.stripe, rect.height() - 2 * m.pad_v),
                             accent)
            painter.setFont(m.bold)
            painter.setPen(accent)
            painter.drawText(QRectF(content_x, top + m.pad_v, content_w, m.bold_h),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, info.label)
            y = top + m.pad_v + m.bold_h + 1
            painter.setPen(text_c)
            y = self._paint_text(painter, info, m.font, content_x, y, content_w, needle)
            if info.note:
                self._paint_note(painter, m, muted, content_x, y, content_w, info.note)
        painter.restore()

    def _paint_card(self, painter, rect, row, info, m, pal, accent, stripe_x, content_x,
                    content_w, needle) -> None:
        expanded = self._model.is_expanded(row)
        top = rect.top() + m.pad_v
        card = QRectF(content_x - m.card_pad, top,
                      content_w + m.card_pad, rect.height() - 2 * m.pad_v)
        fill = QColor(pal.color(QPalette.ColorRole.AlternateBase))
        painter.setPen(QPen(pal.color(QPalette.ColorRole.Mid), 1))
        painter.setBrush(fill)
        painter.drawRoundedRect(card.adjusted(0.5, 0.5, -0.5, -0.5), 4, 4)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.fillRect(QRectF(stripe_x, top, m.stripe, card.height()), accent)
        arrow = "▾" if expanded else "▸"
        aw = m.fm.horizontalAdvance(arrow) + 4
        hx = content_x
        hy = top + m.card_pad
        hw = content_w - m.card_pad - aw
        painter.setFont(m.font)
        painter.setPen(accent if info.speaker == "tool" else pal.color(QPalette.ColorRole.Text))
        header = m.fm.elidedText(info.header, Qt.TextElideMode.ElideRight, hw)
        painter.drawText(QRectF(hx, hy, hw, m.line_h),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, header)
        painter.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
        painter.drawText(QRectF(hx + hw, hy, aw, m.line_h),
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop, arrow)
        if not expanded:
            return
        y = hy + m.line_h + m.card_pad / 2
        painter.setPen(QPen(pal.color(QPalette.ColorRole.Midlight), 1))
        painter.drawLine(QPointF(card.left() + 1, y), QPointF(card.right() - 1, y))
        y += m.card_pad / 2
        painter.setPen(pal.color(QPalette.ColorRole.Text))
        bw = content_w - 2 * m.card_pad
        y = self._paint_text(painter, info, self._body_font(m, info), hx, y, bw, needle)
        if info.note:
            self._paint_note(painter, m, pal.color(QPalette.ColorRole.PlaceholderText), hx, y,
                             bw, info.note)

    def _paint_text(self, painter, info: _RowInfo, font: QFont, x: float, y: float,
                    width: float, needle: str) -> float:
        layouts, h = _lay_out(info.paragraphs, font, width)
        origin = QPointF(x, y)
        nlow = needle.lower()
        for lay, para in zip(layouts, info.paragraphs):
            if nlow and para:
                lay.draw(painter, origin, _match_ranges(para, nlow))
            else:
                lay.draw(painter, origin)
        return y + h

    @staticmethod
    def _paint_note(painter, m: _Metrics, color: QColor, x, y, width, note: str) -> None:
        painter.setFont(m.italic)
        painter.setPen(color)
        painter.drawText(QRectF(x, y, width, m.small_h),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
                         m.small_fm.elidedText(note, Qt.TextElideMode.ElideRight, width))


class _TurnList(QListView):
    """The list itself: click/keyboard handling, copy, user-scroll tracking, empty resize hook."""

    rowClicked = Signal(int, QPoint)  # row, position in the viewport
    rowKeyActivated = Signal(int, bool)  # row, toggle (Space) rather than activate (Enter)
    copyRequested = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.last_user_scroll = -1e9
        self._press_row = -1
        self._press_pos = QPoint()
        self._double = False
        self.verticalScrollBar().actionTriggered.connect(self._user_scrolled)

    def _user_scrolled(self, *_args) -> None:
        self.last_user_scroll = time.monotonic()

    # A new transcript is laid out in batches (the first screenful paints at once, the rest
    # follows within a few event-loop turns), then the list goes back to single-pass layout: a
    # batched re-layout (after a card toggles or a resize) would reset the scroll position to the
    # top. A row of a batch not laid out yet has no rect, so jumping to it finishes the layout.
    def is_fully_laid_out(self) -> bool:
        model = self.model()
        n = model.rowCount() if model is not None else 0
        return n == 0 or self.visualRect(model.index(n - 1, 0)).isValid()

    def ensure_laid_out(self) -> None:
        if not self.is_fully_laid_out():
            self.setLayoutMode(QListView.LayoutMode.SinglePass)
            self.doItemsLayout()

    def doItemsLayout(self) -> None:
        """Re-layout (a card toggled, the width changed) keeping the top visible row in place."""
        anchor_row, anchor_top = -1, 0
        model = self.model()
        if self.layoutMode() == QListView.LayoutMode.SinglePass and model is not None \
                and model.rowCount() and self.verticalScrollBar().value() > 0:
            idx = self.indexAt(QPoint(1, 0))
            if idx.isValid():
                anchor_row, anchor_top = idx.row(), self.visualRect(idx).top()
        super().doItemsLayout()
        if 0 <= anchor_row < model.rowCount():
            new_top = self.visualRect(model.index(anchor_row, 0)).top()
            if new_top != anchor_top:
                sb = self.verticalScrollBar()
                sb.setValue(sb.value() + new_top - anchor_top)

    def scrollTo(self, index, hint=QAbstractItemView.ScrollHint.EnsureVisible) -> None:
        if index.isValid() and not self.visualRect(index).isValid():
            self.ensure_laid_out()
        super().scrollTo(index, hint)

    def wheelEvent(self, e) -> None:
        self._user_scrolled()
        super().wheelEvent(e)

    def keyPressEvent(self, e) -> None:
        if e.matches(QKeySequence.StandardKey.Copy):
            self.copyRequested.emit()
            e.accept()
            return
        key = e.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space) and self.currentIndex().isValid():
            self.rowKeyActivated.emit(self.currentIndex().row(), key == Qt.Key.Key_Space)
            e.accept()
            return
        if key in (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown,
                   Qt.Key.Key_Home, Qt.Key.Key_End):
            self._user_scrolled()
        super().keyPressEvent(e)

    def mousePressEvent(self, e) -> None:
        pos = e.position().toPoint()
        self._press_row = self.indexAt(pos).row()
        self._press_pos = pos
        self._double = False
        super().mousePressEvent(e)

    def mouseDoubleClickEvent(self, e) -> None:
        self._double = True
        super().mouseDoubleClickEvent(e)

    def mouseReleaseEvent(self, e) -> None:
        super().mouseReleaseEvent(e)
        if e.button() != Qt.MouseButton.LeftButton or self._double:
            return
        if e.modifiers() & (Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.ControlModifier):
            return
        pos = e.position().toPoint()
        row = self.indexAt(pos).row()
        if row < 0 or row != self._press_row:
            return
        if (pos - self._press_pos).manhattanLength() > QGuiApplication.styleHints().startDragDistance():
            return
        self.rowClicked.emit(row, pos)


class FindBar(QWidget):
    """Find-in-transcript bar: query, match counter, previous/next, close.

    The buttons show symbols; their accessible names and tool tips say what they do (a screen
    reader would otherwise announce "black up-pointing triangle"). F3 / Shift+F3 are the
    `TranscriptView`'s shortcuts; Enter / Shift+Enter and Escape are handled here.
    """

    queryChanged = Signal(str)
    nextRequested = Signal()
    previousRequested = Signal()
    closed = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(4, 2, 4, 2)
        lay.setSpacing(4)
        self.setAccessibleName("Find bar")
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText("Find in transcript")  # a placeholder is not a name
        self.edit.setAccessibleName("Find in transcript")
        find_key = QKeySequence(QKeySequence.StandardKey.Find).toString(
            QKeySequence.SequenceFormat.NativeText)
        self.edit.setToolTip(f"Find in transcript ({find_key}); Enter: next match, Shift+Enter: previous")
        self.edit.setClearButtonEnabled(True)
        clear = self.edit.findChild(QToolButton)  # the clear button Qt adds has no name
        if clear is not None:
            clear.setAccessibleName("Clear find text")
        self.counter = QLabel(self)
        self.counter.setTextFormat(Qt.TextFormat.PlainText)
        # No accessible name: it would replace the text ("2 of 6") that a screen reader reads.
        self.counter.setAccessibleDescription("Find matches")
        self.counter.setMinimumWidth(QFontMetricsF(self.font()).horizontalAdvance("999 of 999") + 8)

        def button(symbol: str, name: str, keys: str) -> QToolButton:
            b = QToolButton(self)
            b.setText(symbol)
            b.setAccessibleName(name)
            b.setToolTip(f"{name} ({keys})")
            b.setAutoRaise(True)
            return b

        self.prev_button = button("▲", "Previous match", "Shift+F3 or Shift+Enter")
        self.next_button = button("▼", "Next match", "F3 or Enter")
        self.close_button = button("✕", "Close find bar", "Escape")
        lay.addWidget(self.edit, 1)
        lay.addWidget(self.counter)
        lay.addWidget(self.prev_button)
        lay.addWidget(self.next_button)
        lay.addWidget(self.close_button)
        self.edit.textChanged.connect(self.queryChanged)
        self.prev_button.clicked.connect(self.previousRequested)
        self.next_button.clicked.connect(self.nextRequested)
        self.close_button.clicked.connect(self.close_bar)
        self.edit.installEventFilter(self)
        esc = QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.close_bar)
        esc.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)

    def eventFilter(self, obj, event) -> bool:
        if obj is self.edit and event.type() == QEvent.Type.KeyPress:
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                if event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                    self.previousRequested.emit()
                else:
                    self.nextRequested.emit()
                return True
            if event.key() == Qt.Key.Key_Escape:
                self.close_bar()
                return True
        return super().eventFilter(obj, event)

    def set_counter(self, text: str) -> None:
        self.counter.setText(text)

    def close_bar(self) -> None:
        self.hide()
        self.closed.emit()


class TranscriptView(QWidget):
    """The transcript pane. Give it a `Call` (or turns); it never loads anything itself.

    Signals: `turnActivated(float start_s)` when the user clicks (or presses Enter on) a turn
    that has a start time. Slots: `set_call`, `set_turns`, `clear`, `set_position`, `show_find`,
    `hide_find`, `find_next`, `find_previous`, `copy_selection`.

    The view has its own Ctrl+F / F3 / Shift+F3 shortcuts (`find_shortcut`, ...), active while the
    focus is inside it (the list or the find bar). A window-wide QAction on the same keys makes Qt
    call the key ambiguous and fire neither: pass `own_find_shortcuts=False` when the window wires
    Ctrl+F to `show_find` (F3 / Shift+F3 stay the view's; a window that wires them too disables
    `find_next_shortcut` and `find_previous_shortcut`).

    Tab order: the find bar (when shown, it is above the list), then the list (when there is a
    transcript). With neither shown, Tab passes the view by: it is no focus proxy for a hidden list.
    """

    turnActivated = Signal(float)

    EMPTY_TEXT = "No transcript for this call"

    def __init__(self, parent=None, *, own_find_shortcuts: bool = True) -> None:
        super().__init__(parent)
        self._model = TranscriptModel(self)
        self._list = _TurnList(self)
        self._delegate = TranscriptDelegate(self._list, self._model)
        lv = self._list
        lv.setModel(self._model)
        lv.setItemDelegate(self._delegate)
        lv.setUniformItemSizes(False)
        lv.setWordWrap(True)
        lv.setLayoutMode(QListView.LayoutMode.SinglePass)
        lv.setBatchSize(150)
        self._batch_watch = QTimer(self)
        self._batch_watch.setInterval(0)
        self._batch_watch.timeout.connect(self._check_batches)
        lv.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        lv.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Always on: a scroll bar that comes and goes changes the width, which re-wraps every row.
        lv.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        lv.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        lv.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        lv.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                           | QAbstractItemView.EditTrigger.EditKeyPressed)  # see createEditor
        lv.setMouseTracking(False)
        lv.verticalScrollBar().setSingleStep(20)
        lv.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        lv.setAccessibleName("Transcript")

        self._empty = QLabel(self)
        self._empty.setTextFormat(Qt.TextFormat.PlainText)
        self._empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._empty.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self._stack = QStackedWidget(self)
        self._stack.addWidget(lv)
        self._stack.addWidget(self._empty)

        self.find_bar = FindBar(self)
        self.find_bar.hide()

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.find_bar)
        lay.addWidget(self._stack, 1)

        self._matches: list[int] = []
        self._match_pos = -1

        self._model.dataChanged.connect(self._on_data_changed)
        lv.rowClicked.connect(self._on_row_clicked)
        lv.rowKeyActivated.connect(self._on_row_key)
        lv.copyRequested.connect(self.copy_selection)
        lv.customContextMenuRequested.connect(self._context_menu)
        lv.installEventFilter(self)
        self.find_bar.queryChanged.connect(self._on_query)
        self.find_bar.nextRequested.connect(self.find_next)
        self.find_bar.previousRequested.connect(self.find_previous)
        self.find_bar.closed.connect(self._on_find_closed)

        ctx = Qt.ShortcutContext.WidgetWithChildrenShortcut
        self.find_shortcut = QShortcut(QKeySequence(QKeySequence.StandardKey.Find), self, self.show_find)
        self.find_shortcut.setContext(ctx)
        self.find_shortcut.setEnabled(own_find_shortcuts)
        # F3 / Shift+F3 everywhere, plus the platform's own keys (Ctrl+G, Cmd+G, ...).
        self.find_next_shortcut = QShortcut(self)
        self.find_next_shortcut.setKeys(_keys("F3", QKeySequence.StandardKey.FindNext))
        self.find_next_shortcut.activated.connect(self.find_next)
        self.find_previous_shortcut = QShortcut(self)
        self.find_previous_shortcut.setKeys(_keys("Shift+F3", QKeySequence.StandardKey.FindPrevious))
        self.find_previous_shortcut.activated.connect(self.find_previous)
        for sc in (self.find_next_shortcut, self.find_previous_shortcut):
            sc.setContext(ctx)

        # The find bar before the list, as on screen. No focus proxy: a proxy that is hidden
        # (no transcript) made Tab stop on the view and give the focus to nothing, for ever.
        QWidget.setTabOrder(self.find_bar.edit, self.find_bar.prev_button)
        QWidget.setTabOrder(self.find_bar.prev_button, self.find_bar.next_button)
        QWidget.setTabOrder(self.find_bar.next_button, self.find_bar.close_button)
        QWidget.setTabOrder(self.find_bar.close_button, lv)
        self._set_empty("")

    # -- accessors -----------------------------------------------------------------------------
    def model(self) -> TranscriptModel:
        return self._model

    def list_view(self) -> QListView:
        return self._list

    def delegate(self) -> TranscriptDelegate:
        return self._delegate

    def empty_text(self) -> str:
        """The empty-state text shown instead of the list ("" while the list is shown)."""
        return self._empty.text() if self._stack.currentWidget() is self._empty else ""

    def playing_row(self) -> int:
        return self._model.playing_row

    def ensure_laid_out(self) -> None:
        """Finish the (batched) row layout now; a fresh 1,500-turn call lays out in batches."""
        self._list.ensure_laid_out()

    def match_count(self) -> int:
        return len(self._matches)

    def current_match(self) -> int:
        """Index (0-based) of the current match in the match list, or -1."""
        return self._match_pos

    # -- loading -------------------------------------------------------------------------------
    def set_call(self, call: Call | None) -> None:
        if call is None:
            self.clear()
        else:
            self.set_turns(call.transcript)

    def set_turns(self, turns: list[Turn]) -> None:
        self._list.setLayoutMode(QListView.LayoutMode.Batched)
        self._model.set_turns(turns)
        self._batch_watch.start()
        self._list.last_user_scroll = -1e9
        self._list.scrollToTop()
        if turns:
            self._stack.setCurrentWidget(self._list)
        else:
            self._set_empty(self.EMPTY_TEXT)
        self._matches, self._match_pos = [], -1
        if self.find_bar.isVisible() and self.find_bar.edit.text():
            self._search(self.find_bar.edit.text(), jump=False)
        else:
            self.find_bar.set_counter("")

    def _check_batches(self) -> None:
        if self._list.is_fully_laid_out():
            self._batch_watch.stop()
            self._list.setLayoutMode(QListView.LayoutMode.SinglePass)

    def clear(self) -> None:
        self._model.set_turns([])
        self._matches, self._match_pos = [], -1
        self.find_bar.set_counter("")
        self._set_empty("")

    def _set_empty(self, text: str) -> None:
        self._empty.setText(text)
        self._stack.setCurrentWidget(self._empty)

    # -- playback ------------------------------------------------------------------------------
    def set_position(self, seconds: float) -> None:
        """Highlight the turn being spoken at `seconds` and keep it in view (unless the user
        scrolled by hand in the last few seconds). Cheap enough to call many times a second."""
        row = self._model.row_at_time(seconds) if seconds is not None else -1
        if row == self._model.playing_row:
            return
        self._model.set_playing_row(row)
        if row >= 0 and time.monotonic() - self._list.last_user_scroll > USER_SCROLL_GRACE_S:
            self._list.scrollTo(self._model.index(row, 0), QAbstractItemView.ScrollHint.EnsureVisible)

    # -- cards ---------------------------------------------------------------------------------
    def _on_data_changed(self, top_left, bottom_right, roles=()) -> None:
        if TranscriptModel.ExpandedRole in roles:
            for row in range(top_left.row(), bottom_right.row() + 1):
                self._delegate.invalidate_row(row)
                self._delegate.sizeHintChanged.emit(self._model.index(row, 0))

    def toggle_row(self, row: int) -> None:
        self._model.toggle(row)

    def _on_row_clicked(self, row: int, pos: QPoint) -> None:
        idx = self._model.index(row, 0)
        rect = self._list.visualRect(idx)
        if self._model.is_collapsible(row) and self._delegate.header_rect(rect, row).contains(pos):
            self._model.toggle(row)
            return
        self._activate(row)

    def _on_row_key(self, row: int, toggle: bool) -> None:
        if self._model.is_collapsible(row):
            if toggle or not self._model.is_expanded(row):
                self._model.toggle(row)
                return
        if not toggle:
            self._activate(row)

    def _activate(self, row: int) -> None:
        start = self._model.turn(row).start_s
        if start is not None and isinstance(start, (int, float)) and math.isfinite(start):
            self.turnActivated.emit(float(start))

    # -- find ----------------------------------------------------------------------------------
    def show_find(self) -> None:
        self.find_bar.show()
        self.find_bar.edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.find_bar.edit.selectAll()
        if self.find_bar.edit.text():
            self._search(self.find_bar.edit.text(), jump=False)

    def hide_find(self) -> None:
        self.find_bar.close_bar()

    def find(self, text: str) -> int:
        """Search for `text` (as if typed into the find bar); returns the number of matches."""
        if self.find_bar.edit.text() != text:
            self.find_bar.edit.setText(text)  # -> _on_query
        else:
            self._search(text, jump=True)
        return len(self._matches)

    def _on_query(self, text: str) -> None:
        self._search(text, jump=True)

    def _search(self, text: str, jump: bool) -> None:
        self._matches = self._model.find(text)
        self._model.set_matches(text, self._matches)
        if not self._matches:
            self._match_pos = -1
            self.find_bar.set_counter("No matches" if text else "")
            return
        cur = self._list.currentIndex().row()
        i = bisect_left(self._matches, max(cur, 0))
        if i >= len(self._matches):
            i = 0
        if jump:
            self._go_to_match(i)
        else:
            self._match_pos = i
            self.find_bar.set_counter(f"{i + 1} of {len(self._matches)}")

    def find_next(self) -> None:
        if not self._matches:
            if self.find_bar.edit.text():
                self._search(self.find_bar.edit.text(), jump=True)
            return
        self._go_to_match((self._match_pos + 1) % len(self._matches))

    def find_previous(self) -> None:
        if not self._matches:
            return
        self._go_to_match((self._match_pos - 1) % len(self._matches))

    def _go_to_match(self, i: int) -> None:
        self._match_pos = i
        row = self._matches[i]
        if self._model.is_collapsible(row):
            self._model.set_expanded(row, True)
        idx = self._model.index(row, 0)
        sel = self._list.selectionModel()
        sel.setCurrentIndex(idx, QItemSelectionModel.SelectionFlag.ClearAndSelect
                            | QItemSelectionModel.SelectionFlag.Rows)
        self._list.scrollTo(idx, QAbstractItemView.ScrollHint.PositionAtCenter)
        self._list.last_user_scroll = time.monotonic()
        self.find_bar.set_counter(f"{i + 1} of {len(self._matches)}")

    def _on_find_closed(self) -> None:
        self._matches, self._match_pos = [], -1
        self._model.set_matches("", ())
        self.find_bar.set_counter("")
        if self._stack.currentWidget() is self._list:  # (never a hidden list: see __init__)
            self._list.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- selection and copy --------------------------------------------------------------------
    def selected_rows(self) -> list[int]:
        return sorted(i.row() for i in self._list.selectionModel().selectedIndexes())

    def selected_text(self, text_only: bool = False) -> str:
        rows = self.selected_rows()
        if not rows and self._list.currentIndex().isValid():
            rows = [self._list.currentIndex().row()]
        return "\n".join(self._model.line_for(r, text_only) for r in rows)

    def copy_selection(self, text_only: bool = False) -> str:
        """Copy the selected turns ("m:ss Speaker: text" lines, or the text only). Returns it."""
        text = self.selected_text(text_only)
        if text:
            QGuiApplication.clipboard().setText(text)
        return text

    def edit_turn_text(self, row: int) -> QPlainTextEdit | None:
        """Opens the turn's text read-only over its row, to select any part of it (see
        `TranscriptDelegate.createEditor`); returns the editor."""
        idx = self._model.index(row, 0)
        if not idx.isValid():
            return None
        self._list.setCurrentIndex(idx)
        self._list.scrollTo(idx)
        self._list.edit(idx)
        editor = self._list.indexWidget(idx)
        if isinstance(editor, QPlainTextEdit):
            editor.setFocus(Qt.FocusReason.OtherFocusReason)
            return editor
        return None

    def full_text(self) -> str:
        return "\n".join(self._model.line_for(r) for r in range(self._model.rowCount()))

    def open_plain_text(self) -> QDialog:
        """The whole transcript in a read-only plain-text dialog, for selecting any characters."""
        dlg = QDialog(self)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.setWindowTitle("Transcript")
        edit = QPlainTextEdit(dlg)
        edit.setReadOnly(True)
        edit.setPlainText(self.full_text())
        edit.setObjectName("transcriptText")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, dlg)
        buttons.rejected.connect(dlg.reject)
        lay = QVBoxLayout(dlg)
        lay.addWidget(edit)
        lay.addWidget(buttons)
        dlg.resize(700, 600)
        dlg.open()
        return dlg

    def _context_menu(self, pos: QPoint) -> None:
        menu = self.build_context_menu(self._list.indexAt(pos).row())
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self._list.viewport().mapToGlobal(pos))

    def build_context_menu(self, row: int = -1) -> QMenu:
        menu = QMenu(self)
        has = bool(self.selected_rows()) or self._list.currentIndex().isValid()
        copy = QAction("Copy", menu)
        copy.setShortcut(QKeySequence(QKeySequence.StandardKey.Copy))
        copy.triggered.connect(lambda: self.copy_selection(False))
        copy.setEnabled(has)
        copy_text = QAction("Copy text only", menu)
        copy_text.triggered.connect(lambda: self.copy_selection(True))
        copy_text.setEnabled(has)
        menu.addAction(copy)
        menu.addAction(copy_text)
        if row >= 0:
            select = QAction("Select text in this turn…", menu)
            select.setShortcut(QKeySequence(Qt.Key.Key_F2))
            select.setToolTip("Opens the turn's text to select any part of it (also a double-click)")
            select.triggered.connect(lambda: self.edit_turn_text(row))
            menu.addAction(select)
        menu.addSeparator()
        if row >= 0 and self._model.is_collapsible(row):
            label = "Collapse" if self._model.is_expanded(row) else "Expand"
            menu.addAction(label, lambda: self._model.toggle(row))
        menu.addAction("Expand all tool calls", lambda: self._model.set_all_expanded(True))
        menu.addAction("Collapse all", lambda: self._model.set_all_expanded(False))
        menu.addSeparator()
        menu.addAction("Select all", self._list.selectAll)
        menu.addAction("Find…", self.show_find)
        menu.addAction("Open as plain text…", self.open_plain_text)
        return menu

    # -- events --------------------------------------------------------------------------------
    def focusInEvent(self, event) -> None:
        """`setFocus()` on the view (Tab never lands here) goes on to the list or the find bar."""
        if self._stack.currentWidget() is self._list:
            self._list.setFocus(event.reason())
        elif self.find_bar.isVisible():
            self.find_bar.edit.setFocus(event.reason())
        else:
            super().focusInEvent(event)

    def eventFilter(self, obj, event) -> bool:
        if obj is self._list and event.type() in (QEvent.Type.FontChange, QEvent.Type.PaletteChange,
                                                   QEvent.Type.StyleChange):
            self._delegate.clear_cache()
            self._list.doItemsLayout()
        return super().eventFilter(obj, event)
