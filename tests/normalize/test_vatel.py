"""Vatel normalization (OpenAPI `Call`, transcript entries)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from callviewer.domain import Turn
from callviewer.errors import NormalizeError
from callviewer.normalize.vatel import normalize

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def test_seed_sample_from_the_docs():
    call = normalize(load("vatel_seed_call.json"))
    assert call.to_dict() == {
        "account": "",
        "provider": "vatel",
        "provider_call_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
        "direction": "outbound",
        "status": "connected",
        "ended_reason": "<string>",
        "customer_number": "<string>",
        "agent_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
        "campaign_id": None,
        "created_at": None,  # "<string>" timestamps are unreadable
        "started_at": None,
        "ended_at": None,
        "duration_s": 123.0,  # duration_seconds
        "cost": 123.0,
        "currency": None,  # the spec names no currency
        "cost_breakdown": {},
        "summary": "<string>",
        "success": None,
        "sentiment": None,
        "extracted": {"<string>": "<unknown>"},
        "tags": ["<string>"],
        "has_recording": False,  # "connected": still going on, the recording comes when it ends
        "transcript": [
            # type "message" with role "<string>": an unknown role is system; no call start, no times
            {"start_s": None, "end_s": None, "speaker": "system", "kind": "message", "text": "<string>",
             "tool_name": None},
        ],
    }


def test_call_with_tools_interruption_and_extracted_variables():
    call = normalize(load("vatel_tools_call.json"))
    assert call.to_dict(transcript=False) == {
        "account": "",
        "provider": "vatel",
        "provider_call_id": "0b6d3c1e-8f4a-4b2c-9d7e-5a6b7c8d9e0f",
        "direction": "inbound",
        "status": "ended",
        "ended_reason": "ended_by_user",
        "customer_number": "+15550001111",
        "agent_id": "7e57a9e1-1111-4222-8333-444455556666",
        "campaign_id": None,
        "created_at": "2024-05-01T12:00:00Z",
        "started_at": "2024-05-01T12:00:01.500Z",  # nanoseconds in the payload
        "ended_at": "2024-05-01T12:01:31.500Z",
        "duration_s": 90.0,
        "cost": 0.087,
        "currency": None,  # the spec names no currency
        "cost_breakdown": {},
        "summary": "Dana booked a table for four.",
        "success": None,
        "sentiment": None,
        "extracted": {"caller_name": "Dana", "callback_requested": False, "party_size": 4},
        "tags": ["vip", "dinner"],
        "has_recording": True,
    }
    assert call.transcript == [
        Turn("agent", "Good evening, Luigi's, how can I help?", start_s=0.5, end_s=2.9),
        Turn("customer", "<script>alert(1)</script> שלום 👋 مرحبا, a table for 4?",
             start_s=3.6, end_s=5.4),
        # index 2 comes before index 3 although the payload lists them the other way round
        Turn("tool", '{"party_size":4}', "tool_call", start_s=5.7, end_s=6.3, tool_name="check_table"),
        Turn("tool", '{"available":true}', "tool_result", start_s=6.4, tool_name="check_table"),
        Turn("agent", "Great news, we have a table at eight.", start_s=7.0, end_s=10.0),
        Turn("customer", "wait—", "interruption", start_s=8.5, end_s=8.9),
    ]


@pytest.mark.parametrize("outbound, expected", [
    (True, "outbound"), (False, "inbound"), ("true", "outbound"), ("false", "inbound"), (None, None),
    ("sometimes", None), ([], None),
])
def test_direction_from_outbound_flag(outbound, expected):
    assert normalize({"id": "x", "outbound": outbound}).direction == expected


SPOKEN = {"entries": [{"index": 0, "role": "assistant", "type": "message", "message": "Hello"}]}
SILENT = {"entries": [{"index": 0, "role": "", "type": "interruption", "message": ""}]}


@pytest.mark.parametrize("raw, expected", [
    ({"status": "ended", "transcript": SPOKEN}, True),
    ({"status": "ended", "started_at": "2024-05-01T12:00:00Z", "transcript": SILENT}, False),
    ({"status": "in_progress", "transcript": SPOKEN}, False),  # not available until it ends
    ({"status": "connected", "transcript": SPOKEN}, False),
    ({"status": "ended", "duration_seconds": 0}, False),
    ({"status": "ended"}, False),
    ({"status": "auth_failed", "transcript": SPOKEN}, False),
    ({"transcript": SPOKEN}, False),
])
def test_has_recording_heuristic(raw, expected):
    assert normalize({"id": "x", **raw}).has_recording is expected


def test_started_at_falls_back_to_connected_at():
    call = normalize({"id": "x", "connected_at": "2024-05-01T12:00:05Z", "ended_at": "2024-05-01T12:00:35Z",
                      "duration_seconds": 31})
    assert (call.started_at, call.duration_s) == ("2024-05-01T12:00:05Z", 30.0)


def test_entry_times_relative_to_created_at_when_call_start_unknown_and_skew_clamped():
    raw = {"id": "x", "created_at": "2024-05-01T12:00:00Z", "transcript": {"entries": [
        {"index": 0, "role": "assistant", "message": "early", "createdAt": "2024-05-01T11:59:59.700Z",
         "durationMs": 1000},
        {"index": 1, "role": "user", "message": "way early", "createdAt": "2024-05-01T11:59:00Z"},
        {"index": 2, "role": "user", "message": "later", "createdAt": "2024-05-01T12:00:03.25Z",
         "durationMs": "x"},
    ]}}
    assert normalize(raw).transcript == [
        Turn("agent", "early", start_s=0.0, end_s=1.0),
        Turn("customer", "way early"),
        Turn("customer", "later", start_s=3.25),
    ]


def test_entries_without_index_keep_their_order_at_the_end():
    raw = {"id": "x", "transcript": {"entries": [
        {"role": "user", "message": "c"}, {"index": 1, "role": "user", "message": "b"},
        {"index": "0", "role": "assistant", "message": "a"}, {"role": "user", "message": "d"}, "junk",
    ]}}
    assert [t.text for t in normalize(raw).transcript] == ["a", "b", "c", "d"]


def test_odd_entries():
    raw = {"id": "x", "transcript": {"entries": [
        {"type": "tool_call", "role": "assistant", "message": "fallback args", "toolCall": None},
        {"type": "tool_call_output", "toolCall": {"toolName": "t", "output": "from toolCall"}},
        {"type": "interruption", "role": "assistant", "message": "agent barged in"},
        {"type": "INTERRUPTION"},
        {"type": "something_new", "role": "user", "message": "kept"},
        {"type": "message", "role": "", "message": "no role"},
        {"type": "message", "role": "user", "message": {"structured": ["x"]}},
    ]}}
    assert normalize(raw).transcript == [
        Turn("tool", "fallback args", "tool_call"),
        Turn("tool", "from toolCall", "tool_result", tool_name="t"),
        Turn("agent", "agent barged in", "interruption"),
        Turn("customer", "", "interruption"),
        Turn("customer", "kept"),
        Turn("system", "no role"),
        Turn("customer", '{"structured":["x"]}'),
    ]


def test_transcript_given_as_bare_list():
    raw = {"id": "x", "transcript": [{"role": "user", "message": "hi"}]}
    assert normalize(raw).transcript == [Turn("customer", "hi")]


def test_campaign_only_from_an_explicit_key():
    assert normalize({"id": "x", "outbound_list_run_id": "run-1"}).campaign_id is None
    assert normalize({"id": "x", "campaign_id": "camp-1"}).campaign_id == "camp-1"


def test_extracted_variables_tolerates_junk():
    raw = {"id": "x", "extracted_variables": [
        {"name": "a", "value": {"nested": [1, float("nan")]}}, {"name": "", "value": 1}, {"value": 2}, None,
        {"name": "b", "value": None},
    ]}
    assert normalize(raw).extracted == {"a": {"nested": [1, None]}, "b": None}


def test_1500_turn_transcript_is_fast():
    entries = [{"index": n, "role": "user" if n % 2 else "assistant", "type": "message",
                "message": f"turn {n}", "createdAt": f"2024-05-01T12:{n // 60:02d}:{n % 60:02d}Z",
                "durationMs": 500} for n in reversed(range(1500))]
    raw = {"id": "x", "started_at": "2024-05-01T12:00:00Z", "transcript": {"entries": entries}}
    began = time.perf_counter()
    call = normalize(raw)
    assert time.perf_counter() - began < 1.0
    assert len(call.transcript) == 1500
    assert call.transcript[0] == Turn("agent", "turn 0", start_s=0.0, end_s=0.5)
    assert call.transcript[-1] == Turn("customer", "turn 1499", start_s=1499.0, end_s=1499.5)


@pytest.mark.parametrize("raw", [None, [], "x", {"error": "not found"}, {"calls": []}])
def test_no_id_raises(raw):
    with pytest.raises(NormalizeError):
        normalize(raw)


def test_currency_only_when_a_payload_gives_one():
    assert normalize({"id": "v1", "cost": 0.5}).currency is None  # the spec names none
    assert normalize({"id": "v1", "cost": 0.5, "currency": " eur "}).currency == "EUR"
    assert normalize({"id": "v1", "cost": None, "currency": "EUR"}).currency is None
