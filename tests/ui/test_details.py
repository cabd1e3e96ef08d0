"""Header, cost breakdown, analysis and raw JSON views of one call."""

from __future__ import annotations

import json
import time

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QWidget

from callviewer.domain import Call
from callviewer.ui.details import (
    AnalysisView,
    CallHeader,
    CollapsibleSection,
    CostBreakdownView,
    RawJsonView,
    format_duration,
    format_local_time,
    format_money,
)

MARKUP = '<b>bold</b> <img src=x> <a href="file:///etc/passwd">x</a>'


def full_call(**kw) -> Call:
    base = dict(
        provider="atlas", provider_call_id="c-1", account="prod", direction="outbound",
        status="ended", ended_reason="customer-ended-call", customer_number="+15550100",
        agent_id="agent-7", campaign_id="camp-3", created_at="2024-05-01T11:59:58Z",
        started_at="2024-05-01T12:00:00Z", ended_at="2024-05-01T12:02:05Z", duration_s=125.0,
        cost=0.1234, currency="USD",
        cost_breakdown={"stt": 0.01, "llm": 0.05, "tts": 0.03, "platform": 0.0334,
                        "llm_prompt_tokens": 12345, "llm_completion_tokens": 678,
                        "tts_characters": 2048},
        summary="Customer asked about an order. " + MARKUP, success="true", sentiment="positive",
        extracted={"name": "Ada", "slots": ["Tue", "Wed"], "meta": {"vip": True, "n": 2},
                   "confirmed": False, "score": 0.5, "nothing": None},
        tags=["order", "<i>vip</i>"], has_recording=True,
    )
    base.update(kw)
    return Call(**base)


def shown(qtbot, w: QWidget) -> QWidget:
    qtbot.addWidget(w)
    w.resize(480, 400)
    w.show()
    qtbot.waitExposed(w)
    return w


def assert_plain_labels(w: QWidget) -> None:
    labels = w.findChildren(QLabel)
    assert labels
    for label in labels:
        assert label.textFormat() == Qt.TextFormat.PlainText, label.text()


def test_formatting_helpers():
    assert format_money(0.1234, "USD") == "$0.1234"
    assert format_money(0.00005, "usd") == "$0.0001"
    assert format_money(12.5, "EUR") == "€12.50"
    assert format_money(0.05, "CHF") == "0.0500 CHF"
    assert format_money(3, None) == "3.00"
    assert format_money(None, "USD") == "—"
    assert format_duration(125.0) == "2:05"
    assert format_duration(3725) == "1:02:05"
    assert format_duration(None) == "—"
    assert format_local_time(None) == "—"
    assert format_local_time("not a time") == "not a time"


@pytest.fixture
def berlin(monkeypatch):
    if not hasattr(time, "tzset"):
        pytest.skip("needs time.tzset (POSIX)")
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_local_time_is_readable_local_time(berlin):
    assert format_local_time("2024-05-01T12:00:00Z") == "Wed 1 May 2024, 14:00:00 CEST"
    assert format_local_time("2024-01-02T03:04:05.5+00:00") == "Tue 2 Jan 2024, 04:04:05 CET"


def test_call_header_shows_the_call(qtbot):
    h = shown(qtbot, CallHeader())
    h.set_call(full_call(ended_reason=MARKUP))
    assert h.text("number") == "+15550100"
    assert "Outbound" in h.text("direction")
    assert "2024" in h.text("started")
    assert h.text("duration") == "2:05"
    assert h.text("status") == "ended"
    assert h.text("ended_reason") == MARKUP
    assert h.text("cost") == "$0.1234"
    assert h.text("account") == "prod (atlas)"
    assert h.text("agent") == "agent-7" and h.text("campaign") == "camp-3"
    assert_plain_labels(h)
    assert not h.grab().isNull()
    h.set_call(full_call(started_at=None, duration_s=None, cost=None, customer_number=None))
    assert h.text("duration") == "—" and h.text("cost") == "—" and h.text("number") == "—"
    assert "2024" in h.text("started")  # falls back to created_at
    h.set_call(None)
    assert h.text("number") == "—"


def test_cost_breakdown_with_parts(qtbot):
    v = shown(qtbot, CostBreakdownView())
    v.set_call(full_call())
    assert [r[0] for r in v.rows()] == ["STT", "LLM", "TTS", "Platform"]
    assert v.rows()[1][2] == "$0.0500"
    assert v.total_label.text() == "Total $0.1234"
    assert "12,345 prompt" in v.counts_label.text() and "678 completion" in v.counts_label.text()
    assert "TTS characters: 2,048" in v.counts_label.text()
    assert v.note_label.isHidden()
    assert not v.bars.isHidden()
    assert_plain_labels(v)
    assert not v.grab().isNull()


def test_cost_total_only_and_no_cost(qtbot):
    v = shown(qtbot, CostBreakdownView())
    v.set_call(full_call(cost=1.5, currency="EUR", cost_breakdown={}))
    assert v.rows() == []
    assert v.total_label.text() == "Total €1.50"
    assert v.note() == "This provider reports only the total cost."
    assert v.bars.isHidden()
    assert not v.grab().isNull()
    v.set_call(full_call(cost=None, cost_breakdown={}))
    assert v.note() == "No cost reported (yet)"
    assert v.total_label.isHidden()
    assert not v.grab().isNull()


def test_cost_partly_itemized_says_what_is_not(qtbot):
    v = shown(qtbot, CostBreakdownView())
    v.set_call(full_call(cost=0.3345, cost_breakdown={"platform": 0.0871, "transport": 0.0253}))
    assert [r[0] for r in v.rows()] == ["Platform", "Transport"]
    assert v.note() == ("The parts above add up to $0.1124; "
                        "$0.2221 of the total is not itemized.")
    assert not v.note_label.isHidden()
    # parts that add up to the total (to within rounding) need no note
    v.set_call(full_call(cost=0.1125, cost_breakdown={"platform": 0.0871, "transport": 0.0253}))
    assert v.note() == "" and v.note_label.isHidden()
    assert_plain_labels(v)


def test_analysis_view_extracted_variables_and_plain_text(qtbot):
    v = shown(qtbot, AnalysisView())
    call = full_call()
    v.set_call(call)
    assert v.summary_label.text() == call.summary  # markup stays literal
    assert v.summary_label.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse
    assert v.summary_label.wordWrap()
    assert v.success_label.text() == "✓ true"
    assert v.sentiment_label.text() == "positive"
    assert v.tags_label.text() == "order, <i>vip</i>"
    assert v.extracted_rows() == [
        ("name", "Ada"), ("slots", '["Tue", "Wed"]'), ("meta", '{"vip": true, "n": 2}'),
        ("confirmed", "false"), ("score", "0.5"), ("nothing", "null"),
    ]
    assert_plain_labels(v)
    assert not v.grab().isNull()
    v.extracted_table.selectRow(1)
    assert v.copy_extracted() == 'slots\t["Tue", "Wed"]'
    assert QGuiApplication.clipboard().text() == 'slots\t["Tue", "Wed"]'
    v.set_call(full_call(summary=None, success=None, sentiment=None, extracted={}, tags=[]))
    assert v.summary_label.text() == "No summary"
    assert v.extracted_rows() == [] and v.extracted_table.isHidden()


def test_collapsible_section_toggles(qtbot):
    content = QLabel("inside")
    s = shown(qtbot, CollapsibleSection("Details", content))
    assert not s.is_expanded() and content.isHidden()
    assert s.button.text() == "Details ▸"
    with qtbot.waitSignal(s.expandedChanged) as blocker:
        qtbot.mouseClick(s.button, Qt.MouseButton.LeftButton)
    assert blocker.args == [True]
    assert s.is_expanded() and content.isVisible() and s.button.text() == "Details ▾"
    s.set_expanded(False)
    assert content.isHidden()


def test_raw_json_is_lazy_and_pretty(qtbot):
    v = shown(qtbot, RawJsonView())
    payload = {"id": "c-1", "note": "<script>alert(1)</script>",
               "messages": [{"role": "bot", "message": "x" * 200} for _ in range(20_000)]}
    v.set_payload(payload)
    assert not v.section.is_expanded()
    assert v.section.button.text() == "Raw JSON ▸"
    assert not v.is_loaded() and v.text() == ""
    v.section.set_expanded(True)
    assert v.is_loaded()
    text = v.text()
    assert json.loads(text) == payload
    assert text.startswith('{\n  "id": "c-1"')
    editor = v.findChild(QPlainTextEdit)
    assert editor.isReadOnly()
    assert not v.grab().isNull()
    # a new payload while open shows at once; JSON text is pretty-printed; junk stays as is
    v.set_payload('{"a":[1,2]}')
    assert v.text() == '{\n  "a": [\n    1,\n    2\n  ]\n}'
    v.set_payload(b"not json <b>")
    assert v.text() == "not json <b>"
    v.set_expanded(False)
    v.set_payload(None)
    assert not v.is_loaded()
    v.set_expanded(True)
    assert v.text() == "No raw payload stored for this call."


@pytest.mark.parametrize("cls", [CallHeader, CostBreakdownView, AnalysisView])
def test_clear_and_none(qtbot, cls):
    w = shown(qtbot, cls())
    w.set_call(full_call())
    w.set_call(None)
    assert not w.grab().isNull()


def test_call_header_shows_directory_names(qtbot):
    h = shown(qtbot, CallHeader())
    long_id = "203daab1-27ae-4cfd-ab66-d170e5eb814"
    h.set_directory_names({"agent-7": "Front desk <b>bot</b>"})
    h.set_call(full_call(campaign_id=long_id))
    assert h.text("agent") == "Front desk <b>bot</b>"  # the name, as plain text
    assert h.text("campaign") == "203daab1-2…"  # unknown: a short id ...
    tip = h.values["campaign"].toolTip()
    assert long_id in tip  # ... with the full one in the tool tip
    agent_tip = h.values["agent"].toolTip()
    assert "<b>" not in agent_tip and "&lt;b&gt;" in agent_tip  # escaped, never rendered
    h.set_call(full_call(agent_id=None, campaign_id=None))
    assert h.text("agent") == h.text("campaign") == "—"
    assert not h.values["agent"].toolTip()
    assert_plain_labels(h)


def test_analysis_view_scrolls_as_a_whole(qtbot):
    v = AnalysisView()
    qtbot.addWidget(v)
    v.resize(400, 150)
    v.show()
    qtbot.waitExposed(v)
    v.set_call(full_call(extracted={f"var_{i}": i for i in range(30)}))
    t = v.extracted_table
    assert t.verticalScrollBar().maximum() == 0  # every row shown: the view scrolls instead
    qtbot.waitUntil(lambda: v.scroll.verticalScrollBar().maximum() > 0)
