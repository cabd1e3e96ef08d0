"""Callab normalization (Retell-style transcript_object, plain-text fallback)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from callviewer.domain import Turn
from callviewer.errors import NormalizeError
from callviewer.normalize.callab import normalize

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def test_seed_envelope_from_the_docs():
    call = normalize(load("callab_seed_envelope.json"))
    assert call.to_dict() == {
        "account": "",
        "provider": "callab",
        "provider_call_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
        "direction": None,  # "<string>"
        "status": "<string>",
        "ended_reason": "<string>",
        "customer_number": "<string>",
        "agent_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
        "campaign_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
        "created_at": "2023-11-07T05:31:56Z",
        "started_at": "2023-11-07T05:31:56Z",
        "ended_at": "2023-11-07T05:31:56Z",
        "duration_s": 0.0,  # ended_at - started_at wins over call_duration
        "cost": 123.0,
        "currency": "<STRING>",
        "cost_breakdown": {},
        "summary": None,
        "success": "<string>",
        "sentiment": "<string>",
        "extracted": {},
        "tags": [],
        "has_recording": True,
        "transcript": [  # transcript_object is {}: the plain transcript, no speaker prefix
            {"start_s": None, "end_s": None, "speaker": "system", "kind": "message", "text": "<string>",
             "tool_name": None},
        ],
    }


def test_retell_style_transcript_object_with_words_and_tools():
    call = normalize(load("callab_retell_call.json"))
    assert call.to_dict(transcript=False) == {
        "account": "",
        "provider": "callab",
        "provider_call_id": "6f1c2b9e-4d3a-4c7e-9f11-0a2b3c4d5e6f",
        "direction": "outbound",
        "status": "completed",
        "ended_reason": "user_hangup",
        "customer_number": "+14155550199",  # call_to, as the call is outbound
        "agent_id": "a9e1b2c3-0000-4000-8000-00000000a11e",
        "campaign_id": "c0ffee00-1234-4abc-8def-000000000042",
        "created_at": "2024-05-01T09:59:50Z",
        "started_at": "2024-05-01T10:00:00Z",
        "ended_at": "2024-05-01T10:00:42.500Z",
        "duration_s": 42.5,
        "cost": 0.42,
        "currency": "USD",
        "cost_breakdown": {},
        "summary": "Customer booked a demo for May 2.",
        "success": "completed",
        "sentiment": "Positive",
        "extracted": {"demo_booked": True, "slot": "2024-05-02T10:00:00Z"},
        "tags": [],
        "has_recording": True,
    }
    assert call.transcript == [
        Turn("agent", "Hi, this is Max from Acme.", start_s=0.42, end_s=2.35),
        Turn("customer", "Hi Max.", start_s=3.1, end_s=3.72),
        Turn("tool", 'check_availability({"date":"2024-05-02"})', "tool_call",
             tool_name="check_availability"),
        Turn("tool", '{"slots":["10:00","14:00"]}', "tool_result", tool_name="check_availability"),
        Turn("agent", "I have 10 or 2 tomorrow.", start_s=5.02, end_s=6.98),
    ]


def test_plain_transcript_string_only():
    call = normalize(load("callab_plain_transcript.json"))
    d = call.to_dict(transcript=False)
    assert d["provider_call_id"] == "9d0e8f7a-6b5c-4d3e-8f2a-1b0c9d8e7f6a"
    assert d["direction"] == "inbound"  # "incoming"
    assert d["customer_number"] == "+442071234567"  # call_from, as the call is inbound
    assert (d["created_at"], d["started_at"], d["ended_at"]) == (
        "2024-05-01T08:59:58Z", "2024-05-01T09:00:00Z", None)
    assert d["duration_s"] == 31.0  # call_duration, as ended_at is unknown
    assert (d["cost"], d["currency"]) == (0.1, None)  # no price_unit
    assert d["has_recording"] is False  # record_url is ""
    assert d["extracted"] == {"order_id": "5512", "cancelled": True}
    assert call.transcript == [
        Turn("agent", "Thanks for calling Acme, how can I help?"),
        Turn("customer", "I'd like to cancel my order.\nIt's order 5512."),
        Turn("agent", "Done — order 5512 is cancelled."),
    ]


def test_bare_and_wrapped_payloads_give_the_same_call():
    bare = load("callab_retell_call.json")["data"]
    assert normalize(bare) == normalize({"status": "ok", "message": "", "data": bare})


@pytest.mark.parametrize("wrapper", ["turns", "entries", "transcript", "messages"])
def test_transcript_object_as_dict_wrapping_a_list(wrapper):
    turns = [{"role": "user", "content": "hey", "start": 1, "end": 2}]
    raw = {"id": "x", "transcript": "Agent: ignored", "transcript_object": {"meta": 1, wrapper: turns}}
    assert normalize(raw).transcript == [Turn("customer", "hey", start_s=1.0, end_s=2.0)]


def test_transcript_object_as_json_string():
    raw = {"id": "x", "transcript_object": json.dumps([{"role": "agent", "content": "hello"}])}
    assert normalize(raw).transcript == [Turn("agent", "hello")]


@pytest.mark.parametrize("obj", [{}, [], None, "not json", {"turns": "nope"}, [1, "x", None], 5])
def test_unusable_transcript_object_falls_back_to_plain_text(obj):
    raw = {"id": "x", "transcript_object": obj, "transcript": "User: hi\nAgent: hello"}
    assert normalize(raw).transcript == [Turn("customer", "hi"), Turn("agent", "hello")]


def test_turn_text_from_words_when_content_is_missing():
    raw = {"id": "x", "transcript_object": [
        {"role": "user",
         "words": [{"word": "two", "start": 1.0}, {"word": "words", "end": 1.8}, {"end": None}]},
    ]}
    assert normalize(raw).transcript == [Turn("customer", "two words", start_s=1.0, end_s=1.8)]


@pytest.mark.parametrize("direction, expected_direction, expected_number", [
    ("outbound", "outbound", "+1222"), ("OUTGOING", "outbound", "+1222"),
    ("inbound", "inbound", "+1111"), ("Incoming", "inbound", "+1111"),
    ("web", "web", "+1222"), (None, None, "+1222"), ("phone", None, "+1222"),
])
def test_direction_and_customer_number(direction, expected_direction, expected_number):
    call = normalize({"id": "x", "call_direction": direction, "call_from": "+1111", "call_to": "+1222"})
    assert (call.direction, call.customer_number) == (expected_direction, expected_number)


def test_customer_number_unknown_direction_falls_back_to_call_from():
    assert normalize({"id": "x", "call_from": 15550001}).customer_number == "15550001"


@pytest.mark.parametrize("unit, expected", [
    ("usd", "USD"), ("EUR", "EUR"), ("credits", "CREDITS"), ("", None), (None, None),
])
def test_currency_from_price_unit(unit, expected):
    assert normalize({"id": "x", "cost": 1, "price_unit": unit}).currency == expected


def test_summary_top_level_first_then_metadata():
    assert normalize({"id": "x", "metadata": {"summary": "meta"}}).summary == "meta"
    assert normalize({"id": "x", "summary": "top", "metadata": {"summary": "meta"}}).summary == "top"
    assert normalize({"id": "x", "metadata": ["summary"]}).summary is None


def test_text_is_kept_verbatim():
    text = "<img src=x onerror=alert(1)> מה שלומך? 🙂"
    raw = {"id": "x", "transcript_object": [{"role": "user", "content": text}]}
    assert normalize(raw).transcript[0].text == text


def test_1500_turn_transcript_is_fast():
    turns = [{"role": "agent" if i % 2 else "user", "content": f"turn {i}",
              "words": [{"word": "w", "start": i + k / 10, "end": i + k / 10 + 0.05} for k in range(10)]}
             for i in range(1500)]
    began = time.perf_counter()
    call = normalize({"data": {"id": "x", "transcript_object": turns}})
    assert time.perf_counter() - began < 1.0
    assert len(call.transcript) == 1500
    assert call.transcript[-1] == Turn("agent", "turn 1499", start_s=1499.0, end_s=1499.95)


@pytest.mark.parametrize("raw", [
    None, "x", [], {"status": "error", "message": "not found", "data": None},
    {"status": "ok", "data": {"call_status": "ended"}}, {"data": []},
])
def test_no_id_raises(raw):
    with pytest.raises(NormalizeError):
        normalize(raw)
