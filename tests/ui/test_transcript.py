"""The transcript pane: model, painting with hostile text, find, seek, cards, copy."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from PySide6.QtCore import QModelIndex, QPoint, Qt
from PySide6.QtGui import QAccessible, QFont, QFontDatabase, QFontMetrics, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollBar,
    QVBoxLayout,
    QWidget,
)

from callviewer.domain import Call, Turn
from callviewer.ui.player import RecordingPlayer
from callviewer.ui.transcript import (
    MAX_PAINT_LINES,
    TOOL_CALL_MARK,
    TranscriptModel,
    TranscriptView,
    format_offset,
)

HOSTILE = [
    "<b>bold</b>",
    "<img src=x onerror=alert(1)>",
    '<a href="file:///etc/passwd">x</a>',
    "<script>alert('x')</script>",
    "<html><body><h1>Title</h1></body></html>",
    "&amp; &lt;b&gt; &#x41;",
]
RTL = "مرحبا، كيف يمكنني مساعدتك اليوم؟ שלום, מה שלומך? mixed English עברית 123"
COMBINING = "Z\u0351\u0364\u0308\u0301a\u0301\u0302\u0303\u0304l\u0338\u0334\u0335g\u0489o e\u0301 \u1e9b\u0323 " * 40


def make_turns(n: int) -> list[Turn]:
    turns = [Turn("system", "You are a phone agent.\nBe polite.\nNever lie.")]
    t = 0.0
    for i in range(1, n):
        if i % 50 == 7:
            turns.append(Turn("tool", '{"order": %d, "fields": ["eta"]}' % i, kind="tool_call",
                              start_s=t, tool_name="lookup_order"))
        elif i % 50 == 8:
            turns.append(Turn("tool", '{"ok": true}', kind="tool_result", start_s=t,
                              tool_name="lookup_order"))
        elif i % 97 == 3:
            turns.append(Turn("customer", "", kind="interruption", start_s=t))
        else:
            words = ("hello there " * (1 + i % 23)).strip()
            turns.append(Turn("agent" if i % 2 else "customer", f"turn {i}: {words}", start_s=t))
        t += 2.5
    return turns


@pytest.fixture
def view(qtbot):
    v = TranscriptView()
    qtbot.addWidget(v)
    v.resize(640, 700)
    v.show()
    qtbot.waitExposed(v)
    return v


def small_call() -> Call:
    return Call(provider="atlas", provider_call_id="c1", transcript=[
        Turn("system", "You are helpful.\nLine two.\nLine three."),             # 0
        Turn("agent", "Hello, thanks for calling.", start_s=0.5, end_s=2.0),   # 1
        Turn("customer", "Hi, I need my ORDER status.", start_s=2.5),          # 2
        Turn("tool", '{"order_id": "A1"}', kind="tool_call", start_s=4.0,
             tool_name="lookup_order"),                                          # 3
        Turn("tool", '{"status": "shipped", "eta": "Tuesday"}', kind="tool_result",
             start_s=4.2, tool_name="lookup_order"),                             # 4
        Turn("agent", "Your order has shipped and arrives Tuesday.", start_s=5.0),  # 5
        Turn("customer", "", kind="interruption", start_s=7.0),                  # 6
        Turn("customer", "Great, and my other order?", start_s=7.1),             # 7
        Turn("agent", "Let me check the other order.", start_s=65.0),            # 8
        Turn("agent", "No time on this one."),                                   # 9
    ])


def test_format_offset():
    assert format_offset(None) == ""
    assert format_offset(0) == "0:00"
    assert format_offset(65.9) == "1:05"
    assert format_offset(3725) == "1:02:05"


def test_model_passes_the_model_tester(qtmodeltester):
    model = TranscriptModel()
    model.set_turns(small_call().transcript + [Turn("customer", h) for h in HOSTILE])
    qtmodeltester.check(model)
    model.set_expanded(3, True)
    model.set_playing_row(2)
    model.set_matches("order", model.find("order"))
    qtmodeltester.check(model)


def test_1500_turns_open_fast_and_have_size_hints(view, qtbot):
    call = Call(provider="atlas", provider_call_id="big", transcript=make_turns(1500))
    t0 = time.perf_counter()
    view.set_call(call)
    QApplication.processEvents()
    view.grab()
    elapsed = time.perf_counter() - t0
    model, lv = view.model(), view.list_view()
    assert model.rowCount() == 1500
    assert view.empty_text() == ""
    for row in (0, 1, 749, 1499):
        hint = lv.sizeHintForIndex(model.index(row, 0))
        assert hint.height() > 0 and hint.width() > 0
    qtbot.waitUntil(lv.is_fully_laid_out, timeout=5000)  # batched: the rest follows the first paint
    lv.scrollToBottom()
    QApplication.processEvents()
    assert lv.visualRect(model.index(1499, 0)).intersects(lv.viewport().rect())
    view.set_turns(make_turns(1500))
    assert not lv.is_fully_laid_out()
    lv.scrollTo(model.index(1400, 0))  # jumping far before the batches are done lays out first
    assert lv.visualRect(model.index(1400, 0)).intersects(lv.viewport().rect())
    assert elapsed < 2.0  # the budget is 200 ms (bench/bench_transcript.py); generous for CI


def test_hostile_text_is_shown_literally_and_paints(view, qtbot):
    huge = ("a 1 MB turn " * 90_000)[:1_048_576]
    many_lines = "\n".join(f"line {i}" for i in range(5000))
    texts = HOSTILE + [RTL, COMBINING, huge, many_lines, "\x00\x07\u202e reversed \u2028sep", ""]
    turns = [Turn("customer" if i % 2 else "agent", t, start_s=float(i)) for i, t in enumerate(texts)]
    turns.append(Turn("tool", "<b>" + huge, kind="tool_result", tool_name="<i>x</i>"))
    view.set_turns(turns)
    model = view.model()
    for row, text in enumerate(texts):
        assert model.index(row, 0).data(Qt.ItemDataRole.DisplayRole) == text
    for label in view.findChildren(QLabel):
        assert label.textFormat() == Qt.TextFormat.PlainText
    t0 = time.perf_counter()
    model.set_expanded(len(turns) - 1, True)
    lv = view.list_view()
    for row in range(len(turns)):
        lv.scrollTo(model.index(row, 0))
        QApplication.processEvents()
        assert not view.grab().isNull()
    assert time.perf_counter() - t0 < 10
    # one huge turn paints a capped height but copies in full
    line_h = lv.fontMetrics().height()
    huge_row = texts.index(huge)
    assert lv.sizeHintForIndex(model.index(huge_row, 0)).height() < 400 * line_h
    lines_row = texts.index(many_lines)
    assert lv.sizeHintForIndex(model.index(lines_row, 0)).height() < (MAX_PAINT_LINES + 10) * line_h * 1.5
    lv.setCurrentIndex(model.index(huge_row, 0))
    assert view.copy_selection(text_only=True) == huge
    assert QGuiApplication.clipboard().text() == huge


def test_find_cycles_through_matches_with_a_counter(view, qtbot):
    view.set_call(small_call())
    assert view.find_bar.isHidden()
    view.show_find()
    assert view.find_bar.isVisible()
    qtbot.keyClicks(view.find_bar.edit, "ORDER")  # case-insensitive; also matches tool names
    expected = [2, 3, 4, 5, 7, 8]
    assert view.model().find("order") == expected
    assert view.match_count() == len(expected)
    counter = view.find_bar.counter
    assert counter.textFormat() == Qt.TextFormat.PlainText
    lv = view.list_view()
    assert counter.text() == "1 of 6"
    assert lv.currentIndex().row() == 2
    assert view.selected_rows() == [2]
    qtbot.keyClick(view.find_bar.edit, Qt.Key.Key_Return)
    assert counter.text() == "2 of 6" and lv.currentIndex().row() == 3
    assert view.model().is_expanded(3)  # a collapsed card that matches opens
    view.find_previous()
    view.find_previous()
    assert counter.text() == "6 of 6" and lv.currentIndex().row() == 8
    qtbot.keyClick(view.find_bar.edit, Qt.Key.Key_Return)
    assert counter.text() == "1 of 6"
    qtbot.keyClick(view.find_bar.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert counter.text() == "6 of 6"
    view.find_next()
    assert counter.text() == "1 of 6"
    assert all(view.model().is_match(r) for r in expected)
    assert not view.model().is_match(1)
    view.find_bar.edit.setText("no such words")
    assert counter.text() == "No matches" and view.match_count() == 0
    qtbot.keyClick(view.find_bar.edit, Qt.Key.Key_Escape)
    assert view.find_bar.isHidden()


def test_ctrl_f_on_the_view_opens_the_find_bar(view, qtbot):
    view.set_call(small_call())
    view.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is view)
    view.list_view().setFocus()
    qtbot.keyClick(view.list_view(), Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert view.find_bar.isVisible()


def _click_row(qtbot, view, row, point=None):
    lv = view.list_view()
    rect = lv.visualRect(view.model().index(row, 0))
    qtbot.mouseClick(lv.viewport(), Qt.MouseButton.LeftButton, pos=point or rect.center())


def test_clicking_a_turn_emits_its_start(view, qtbot):
    view.set_call(small_call())
    with qtbot.waitSignal(view.turnActivated, timeout=1000) as blocker:
        _click_row(qtbot, view, 5)
    assert blocker.args == [5.0]
    with qtbot.waitSignal(view.turnActivated, timeout=1000) as blocker:
        _click_row(qtbot, view, 2)
    assert blocker.args == [2.5]
    # a turn without a time does not seek
    with qtbot.assertNotEmitted(view.turnActivated):
        _click_row(qtbot, view, 9)


def test_tool_cards_toggle_and_system_prompt_starts_collapsed(view, qtbot):
    view.set_call(small_call())
    model, lv = view.model(), view.list_view()
    assert model.is_collapsible(0) and not model.is_expanded(0)
    assert model.index(0, 0).data(TranscriptModel.HeaderRole) == "System prompt (3 lines)"
    assert model.index(3, 0).data(TranscriptModel.HeaderRole) == "⚙ lookup_order(…)"
    assert not model.is_collapsible(1)
    idx = model.index(3, 0)
    collapsed_h = lv.sizeHintForIndex(idx).height()
    assert collapsed_h <= lv.sizeHintForIndex(model.index(1, 0)).height()
    with qtbot.assertNotEmitted(view.turnActivated):
        _click_row(qtbot, view, 3)  # the header toggles, it does not seek
    assert model.is_expanded(3)
    expanded_h = lv.sizeHintForIndex(idx).height()
    assert expanded_h > collapsed_h + lv.fontMetrics().height() * 2  # pretty JSON: 3 lines
    QApplication.processEvents()
    assert lv.visualRect(idx).height() == expanded_h  # the view re-laid the row out
    rect = lv.visualRect(idx)
    _click_row(qtbot, view, 3, point=QPoint(rect.center().x(), rect.top() + 8))  # the header
    assert not model.is_expanded(3)
    assert lv.sizeHintForIndex(idx).height() == collapsed_h
    assert model.setData(model.index(0, 0), True, TranscriptModel.ExpandedRole)
    assert model.is_expanded(0)
    assert not view.grab().isNull()


def test_set_position_highlights_the_spoken_turn(view, qtbot):
    view.set_call(small_call())
    model = view.model()
    view.set_position(0.1)
    assert view.playing_row() == -1
    view.set_position(0.5)
    assert view.playing_row() == 1
    view.set_position(4.1)  # tool rows (4.0) are skipped: the customer turn is still spoken
    assert view.playing_row() == 2
    view.set_position(7.05)  # the interruption marker is not a message
    assert view.playing_row() == 5
    view.set_position(100)
    assert view.playing_row() == 8
    assert model.index(8, 0).data(TranscriptModel.PlayingRole) is True
    assert model.index(5, 0).data(TranscriptModel.PlayingRole) is False
    # only the old and the new row change
    changes = []
    model.dataChanged.connect(lambda a, b, roles: changes.append((a.row(), b.row())))
    view.set_position(5.5)
    assert sorted(changes) == [(5, 5), (8, 8)]
    changes.clear()
    view.set_position(5.6)
    assert changes == []


def test_set_position_follows_but_not_after_a_manual_scroll(view, qtbot):
    view.set_turns(make_turns(400))
    model, lv = view.model(), view.list_view()
    view.set_position(900.0)
    row = view.playing_row()
    assert row > 300
    QApplication.processEvents()
    assert lv.visualRect(model.index(row, 0)).intersects(lv.viewport().rect())
    lv.verticalScrollBar().triggerAction(lv.verticalScrollBar().SliderAction.SliderToMinimum)
    view.set_position(950.0)
    QApplication.processEvents()
    assert lv.verticalScrollBar().value() == 0  # the user is reading the top: leave them there


def test_set_position_is_cheap(view):
    view.set_turns(make_turns(1500))
    QApplication.processEvents()
    t0 = time.perf_counter()
    for i in range(500):
        view.set_position(i * 0.2)
    assert time.perf_counter() - t0 < 1.0


def test_copy_selected_turns(view, qtbot):
    view.set_call(small_call())
    lv, model = view.list_view(), view.model()
    _click_row(qtbot, view, 1)
    rect = lv.visualRect(model.index(2, 0))
    qtbot.mouseClick(lv.viewport(), Qt.MouseButton.LeftButton,
                     Qt.KeyboardModifier.ShiftModifier, rect.center())
    assert view.selected_rows() == [1, 2]
    qtbot.keyClick(lv, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == (
        "0:00 Agent: Hello, thanks for calling.\n0:02 Customer: Hi, I need my ORDER status.")
    assert view.copy_selection(text_only=True) == (
        "Hello, thanks for calling.\nHi, I need my ORDER status.")
    lv.clearSelection()
    lv.selectionModel().select(model.index(9, 0), lv.selectionModel().SelectionFlag.Select)
    lv.selectionModel().select(model.index(3, 0), lv.selectionModel().SelectionFlag.Select)
    assert view.copy_selection() == ('0:04 Tool call lookup_order: {"order_id": "A1"}\n'
                                     "Agent: No time on this one.")
    menu = view.build_context_menu(3)
    assert [a.text() for a in menu.actions()][:2] == ["Copy", "Copy text only"]


def test_plain_text_dialog_has_the_full_transcript(view, qtbot):
    view.set_call(small_call())
    dlg = view.open_plain_text()
    edit = dlg.findChild(QPlainTextEdit)
    assert "0:05 Agent: Your order has shipped and arrives Tuesday." in edit.toPlainText()
    assert edit.isReadOnly()
    dlg.close()


def test_empty_and_cleared_states(view):
    view.set_call(Call(provider="vatel", provider_call_id="x"))
    assert view.empty_text() == "No transcript for this call"
    view.set_call(small_call())
    assert view.empty_text() == ""
    view.set_call(None)
    assert view.model().rowCount() == 0
    view.clear()
    assert view.model().rowCount() == 0
    assert not view.grab().isNull()
    assert view.model().index(0, 0).data() is None
    assert view.model().rowCount(QModelIndex()) == 0


def test_window_wide_find_action_can_take_over(qtbot):
    from PySide6.QtGui import QAction, QKeySequence
    from PySide6.QtWidgets import QMainWindow

    win = QMainWindow()
    qtbot.addWidget(win)
    view = TranscriptView(own_find_shortcuts=False)
    win.setCentralWidget(view)
    action = QAction("Find", win)
    action.setShortcut(QKeySequence(QKeySequence.StandardKey.Find))
    action.triggered.connect(view.show_find)
    win.addAction(action)
    win.show()
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win)
    view.set_call(small_call())
    view.list_view().setFocus()
    qtbot.keyClick(view.list_view(), Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert view.find_bar.isVisible()


def test_relayout_keeps_the_reading_position(view, qtbot):
    view.set_turns(make_turns(1500))
    view.ensure_laid_out()
    lv, model = view.list_view(), view.model()
    card = 1407  # a tool call near the end
    assert model.is_collapsible(card)
    lv.scrollTo(model.index(card, 0), lv.ScrollHint.PositionAtCenter)
    QApplication.processEvents()
    top = lv.visualRect(model.index(card, 0)).top()
    model.toggle(card)  # expanding a card re-lays every row out
    QApplication.processEvents()
    assert lv.visualRect(model.index(card, 0)).top() == top
    first = lv.indexAt(QPoint(1, 0)).row()
    view.resize(460, 700)  # narrower: every row re-wraps, the top row stays on top
    qtbot.waitUntil(lambda: lv.visualRect(model.index(card, 0)).width() < 460)
    assert abs(lv.indexAt(QPoint(1, 0)).row() - first) <= 1


# -- keyboard and screen reader --------------------------------------------------------------------

@pytest.fixture
def pane(qtbot):
    """The detail pane in small, as the window builds it: a button, the player (no recording),
    the transcript, a button; 415 px wide, shown and active (Tab needs an active window)."""
    top = QWidget()
    qtbot.addWidget(top)
    before = QPushButton("Before", top)  # (created in Tab order)
    player = RecordingPlayer(top)
    view = TranscriptView(top, own_find_shortcuts=False)
    after = QPushButton("After", top)
    lay = QVBoxLayout(top)
    for w in (before, player, view, after):
        lay.addWidget(w)
    top.resize(415, 700)
    top.show()
    top.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is top)
    yield SimpleNamespace(top=top, before=before, after=after, player=player, view=view)
    player.clear()


def _tab_stops(qtbot, start: QWidget, count: int, backward: bool = False) -> list[QWidget]:
    """Where the focus goes on `count` presses of Tab (Shift+Tab) from `start`."""
    start.setFocus(Qt.FocusReason.OtherFocusReason)
    assert QApplication.focusWidget() is start
    stops = []
    for _ in range(count):
        if backward:
            qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
        else:
            qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        stops.append(QApplication.focusWidget())
    return stops


@pytest.mark.parametrize("has_turns", [False, True], ids=["no transcript", "transcript"])
def test_tab_leaves_the_player_whether_or_not_there_is_a_transcript(pane, qtbot, has_turns):
    """QA: with no transcript, Tab from the volume slider stayed on it for ever (the view was
    the focus proxy of its hidden list)."""
    pane.view.set_turns(small_call().transcript if has_turns else [])
    lv, player = pane.view.list_view(), pane.player
    assert not player.save_button.isEnabled()  # no recording: the last stop is the volume
    listed = [lv] if has_turns else []
    assert _tab_stops(qtbot, player.volume_slider, len(listed) + 2) == listed + [pane.after, pane.before]
    assert _tab_stops(qtbot, pane.after, len(listed) + 1, backward=True) == listed + [player.volume_slider]
    # The find bar comes first, as on screen; an empty transcript is still passed by.
    pane.view.show_find()
    bar = pane.view.find_bar
    stops = [bar.edit, bar.prev_button, bar.next_button, bar.close_button] + listed + [pane.after]
    assert _tab_stops(qtbot, player.volume_slider, len(stops)) == stops
    assert _tab_stops(qtbot, pane.after, len(stops), backward=True) == \
        stops[-2::-1] + [player.volume_slider]
    # setFocus() on the view itself lands where typing makes sense.
    pane.before.setFocus()
    pane.view.setFocus()
    assert QApplication.focusWidget() is (lv if has_turns else bar.edit)


def _spoken_name(w: QWidget) -> str:
    """What a screen reader announces as `w`'s name. (On Linux Qt gives a combo box the current
    text as its name and says what it is through a relation: there the property counts.)"""
    if isinstance(w, QComboBox):
        return w.accessibleName()
    return QAccessible.queryAccessibleInterface(w).text(QAccessible.Text.Name)


def unnamed_controls(root: QWidget) -> list[str]:
    """The controls under `root` (buttons, fields, sliders, lists, whatever Tab reaches) whose
    spoken name has no word in it: none at all, or a symbol such as "▲"."""
    bad = []
    for w in root.findChildren(QWidget):
        if isinstance(w, QScrollBar) or isinstance(w.parent(), QComboBox) \
                or w.objectName().startswith("qt_"):
            continue  # Qt's own parts, named by Qt
        control = isinstance(w, (QAbstractButton, QLineEdit, QAbstractSlider, QComboBox,
                                 QAbstractItemView)) or bool(w.focusPolicy() & Qt.FocusPolicy.TabFocus)
        if control and not any(c.isalpha() for c in _spoken_name(w)):
            bad.append(f"{type(w).__name__} {_spoken_name(w)!r} ({w.toolTip()!r})")
    return bad


def test_every_control_has_a_spoken_name_and_the_find_buttons_say_their_keys(view):
    view.set_call(small_call())
    view.show_find()
    view.find("order")  # the edit's clear button appears
    assert unnamed_controls(view) == []
    bar = view.find_bar
    assert _spoken_name(bar.edit) == "Find in transcript"
    assert [(_spoken_name(b), b.toolTip()) for b in (bar.prev_button, bar.next_button, bar.close_button)] == [
        ("Previous match", "Previous match (Shift+F3 or Shift+Enter)"),
        ("Next match", "Next match (F3 or Enter)"),
        ("Close find bar", "Close find bar (Escape)")]
    assert "Ctrl+F" in bar.edit.toolTip()
    assert _spoken_name(bar.counter) == "1 of 6"  # no fixed name hiding the count


@pytest.mark.parametrize("own", [True, False], ids=["own shortcuts", "window's Ctrl+F"])
def test_f3_and_shift_f3_go_to_the_next_and_previous_match(qtbot, own):
    view = TranscriptView(own_find_shortcuts=own)
    qtbot.addWidget(view)
    view.resize(640, 700)
    view.show()
    view.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is view)
    view.set_call(small_call())
    view.show_find()
    assert view.find("order") == 6 and view.find_bar.counter.text() == "1 of 6"
    counter, edit, lv = view.find_bar.counter, view.find_bar.edit, view.list_view()
    qtbot.keyClick(edit, Qt.Key.Key_F3)  # in the find bar
    assert counter.text() == "2 of 6" and lv.currentIndex().row() == 3
    qtbot.keyClick(edit, Qt.Key.Key_F3, Qt.KeyboardModifier.ShiftModifier)
    assert counter.text() == "1 of 6"
    lv.setFocus()
    qtbot.keyClick(lv, Qt.Key.Key_F3, Qt.KeyboardModifier.ShiftModifier)  # in the list: wraps
    assert counter.text() == "6 of 6" and lv.currentIndex().row() == 8
    qtbot.keyClick(lv, Qt.Key.Key_F3)
    assert counter.text() == "1 of 6" and lv.currentIndex().row() == 2


BIDI = "pay \u202eevil\u202c now"


def test_bidi_controls_are_shown_visibly_but_copied_as_received(view, qtbot):
    """QA: a U+202E in a turn reversed what was shown. Painted: `for_screen` ("[U+202E]");
    copied, the DisplayRole and the plain-text dialog: the text exactly as received."""
    turns = [
        Turn("agent", BIDI, start_s=1.0),
        Turn("tool", '{"note": "a\\u202eb"}', kind="tool_call", start_s=2.0, tool_name="look\u202eup"),
        Turn("cust\u202eomer", "hello", start_s=3.0),
        Turn("customer", "wait \u2067no", kind="interruption", start_s=4.0),
        Turn("tool", "x\u202dy", kind="tool_result", start_s=5.0, tool_name="r\u2066t"),
    ]
    view.set_turns(turns)
    model, lv = view.model(), view.list_view()
    model.set_all_expanded(True)
    info = [model.row_info(r) for r in range(len(turns))]
    assert info[0].paragraphs == ["pay [U+202E]evil[U+202C] now"]
    assert info[1].header == f"{TOOL_CALL_MARK} look[U+202E]up(…)"
    assert info[1].paragraphs == ["{", '  "note": "a[U+202E]b"', "}"]  # the JSON escape, decoded
    assert info[2].label == "Cust[U+202E]Omer"
    assert info[3].marker_text == "⤺ customer interrupted — wait [U+2067]no"
    assert info[4].header == "↳ r[U+2066]t → result" and info[4].paragraphs == ["x[U+202D]y"]
    painted = [i.label + i.header + "".join(i.paragraphs) for i in info] + [info[3].marker_text]
    assert not any(c in p for p in painted for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
    for row in range(len(turns)):
        lv.scrollTo(model.index(row, 0))
        assert not view.grab().isNull()
    # as received: the model, the clipboard, the plain-text dialog
    assert model.index(0, 0).data() == BIDI
    lv.setCurrentIndex(model.index(0, 0))
    assert view.copy_selection(text_only=True) == BIDI
    assert QGuiApplication.clipboard().text() == BIDI
    assert view.copy_selection() == f"0:01 Agent: {BIDI}"
    lv.setCurrentIndex(model.index(1, 0))
    assert view.copy_selection() == '0:02 Tool call look\u202eup: {"note": "a\\u202eb"}'
    dlg = view.open_plain_text()
    assert f"0:01 Agent: {BIDI}" in dlg.findChild(QPlainTextEdit).toPlainText()
    dlg.close()
    # find: as received, as shown, and the plain words either side
    assert view.find("evil") == 1 and view.current_match() == 0
    assert view.find("pay \u202eevil") == 1
    assert view.find("[u+202e]evil") == 1
    assert view.find("lookup") == 0 and view.find("look[U+202E]up") == 1


def test_the_symbols_painted_are_in_the_ui_font(view):
    """QA: the tool call card's wrench (an emoji) was a box without an emoji font. The marks
    the delegate paints are Basic Multilingual Plane symbols that DejaVu Sans (the one font
    some Linux machines have) holds."""
    view.set_call(small_call())
    model = view.model()
    header = model.index(3, 0).data(TranscriptModel.HeaderRole)
    assert header.startswith(TOOL_CALL_MARK + " ")
    marks = {TOOL_CALL_MARK, "↳", "→", "▸", "▾", "⤺", "—", "…"}
    assert all(ord(c) < 0x10000 for c in marks)
    if "DejaVu Sans" not in QFontDatabase.families():
        pytest.skip("DejaVu Sans is not installed")
    fm = QFontMetrics(QFont("DejaVu Sans"))
    assert [c for c in marks if not fm.inFontUcs4(ord(c))] == []


def test_part_of_a_turn_can_be_selected_and_copied(view, qtbot):
    """Rows are painted, so a double-click (or F2) opens the turn's text read-only over it:
    any part of it can be selected and copied, exactly as received; Esc closes it."""
    from PySide6.QtGui import QTextCursor
    from PySide6.QtWidgets import QPlainTextEdit

    view.set_turns([Turn("agent", "Your booking code is QX-4417, see you then.", start_s=1.0),
                    Turn("customer", BIDI, start_s=3.0)])
    model, lv = view.model(), view.list_view()
    rect = lv.visualRect(model.index(0, 0))
    # (as a real double-click arrives: a press first, then the double-click)
    qtbot.mousePress(lv.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(lv.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    editor = lv.indexWidget(model.index(0, 0))
    assert isinstance(editor, QPlainTextEdit) and editor.isVisible() and editor.isReadOnly()
    assert editor.toPlainText() == "Your booking code is QX-4417, see you then."
    assert editor.accessibleName() == "Turn text"
    cursor = editor.textCursor()
    cursor.setPosition(21)
    cursor.setPosition(28, QTextCursor.MoveMode.KeepAnchor)
    editor.setTextCursor(cursor)
    editor.copy()
    assert QGuiApplication.clipboard().text() == "QX-4417"
    # the model is never written to
    assert model.index(0, 0).data() == "Your booking code is QX-4417, see you then."
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: lv.indexWidget(model.index(0, 0)) is None)
    # F2 (and the context menu) open it too; the text is the one received, controls and all
    lv.setFocus()
    lv.setCurrentIndex(model.index(1, 0))
    qtbot.keyClick(lv, Qt.Key.Key_F2)
    editor = lv.indexWidget(model.index(1, 0))
    assert isinstance(editor, QPlainTextEdit) and editor.toPlainText() == BIDI
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert isinstance(view.edit_turn_text(0), QPlainTextEdit)
    menu = view.build_context_menu(0)
    assert "Select text in this turn…" in [a.text() for a in menu.actions()]
