"""The transcript pane: model, painting with hostile text, find, seek, cards, copy."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QModelIndex, QPoint, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QLabel, QPlainTextEdit

from callviewer.domain import Call, Turn
from callviewer.ui.transcript import (
    MAX_PAINT_LINES,
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
    assert model.index(3, 0).data(TranscriptModel.HeaderRole) == "🔧 lookup_order(…)"
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
