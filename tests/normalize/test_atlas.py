"""Atlas (Vapi call object) normalization."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from callviewer.domain import Turn
from callviewer.errors import NormalizeError
from callviewer.normalize.atlas import normalize

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def load(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def test_seed_sample_from_the_docs():
    call = normalize(load("atlas_seed_detail.json"))
    assert call.to_dict() == {
        "account": "",
        "provider": "atlas",
        "provider_call_id": "string",
        "direction": None,  # "type": "string" is no call type
        "status": "string",
        "ended_reason": "string",
        "customer_number": "string",
        "agent_id": "string",
        "campaign_id": None,
        "created_at": "2019-08-24T14:15:22.123Z",
        "started_at": "2019-08-24T14:15:22.123Z",
        "ended_at": "2019-08-24T14:15:22.123Z",
        "duration_s": 0.0,
        "cost": 0.0,
        "currency": "USD",
        "cost_breakdown": {
            "stt": 0.0, "llm": 0.0, "tts": 0.0, "platform": 0.0, "other": 0.0,  # no transport given
            "llm_prompt_tokens": 0, "llm_completion_tokens": 0, "tts_characters": 0,
        },
        "summary": "string",
        "success": "string",
        "sentiment": None,
        "extracted": {},
        "tags": [],
        "has_recording": True,
        "transcript": [
            {"start_s": 0.0, "end_s": 0.0, "speaker": "system", "kind": "message", "text": "string",
             "tool_name": None},
        ],
    }


def test_vapi_call_with_tools_and_cost_breakdown():
    call = normalize(load("atlas_vapi_call.json"))
    d = call.to_dict(transcript=False)
    assert d == {
        "account": "",
        "provider": "atlas",
        "provider_call_id": "c1a5e0d2-7b1f-4c39-9a55-2f0d3b7e9a10",
        "direction": "outbound",
        "status": "ended",
        "ended_reason": "customer-ended-call",
        "customer_number": "+15551234567",
        "agent_id": "asst-ava-01",
        "campaign_id": "camp-42",
        "created_at": "2024-05-01T11:59:58.512Z",
        "started_at": "2024-05-01T12:00:00Z",  # given as 14:00:00+02:00
        "ended_at": "2024-05-01T12:01:05.250Z",
        "duration_s": 65.25,
        "cost": 0.1181,
        "currency": "USD",
        "cost_breakdown": {
            "stt": 0.0131, "llm": 0.0213, "tts": 0.0325, "platform": 0.05, "transport": 0.0,
            "other": 0.0012,  # chat + analysis (summary, structuredData, successEvaluation)
            "llm_prompt_tokens": 2310, "llm_completion_tokens": 142, "tts_characters": 389,
        },
        "summary": "Dana moved her cleaning to May 2 at 10 am.",
        "success": "true",
        "sentiment": "positive",
        "extracted": {"sentiment": "positive", "new_slot": "2024-05-02T10:00:00Z", "rescheduled": True},
        "tags": [],
        "has_recording": True,
    }
    assert call.transcript == [
        Turn("system", "You are Ava, the scheduling assistant for <b>Bright Dental</b>.", start_s=0.0),
        Turn("agent", "Hi, this is Ava from Bright Dental. Is this Dana?", start_s=0.59, end_s=3.78),
        Turn("customer", "Yes, speaking. I need to move my appointment.", start_s=4.9, end_s=7.4),
        Turn("tool", 'find_appointment({"phone":"+15551234567"})', "tool_call", 8.1, None,
             "find_appointment"),
        Turn("tool", 'list_slots({"day":"2024-05-02"})', "tool_call", 8.1, None, "list_slots"),
        Turn("tool", '{"id":"apt_77","when":"2024-05-01T16:00:00Z"}', "tool_result", 8.9, None,
             "find_appointment"),
        Turn("agent", "I can move you to tomorrow at 10 am. Does that work?", start_s=10.0, end_s=13.5),
        # no secondsFromStart: (time - startedAt) / 1000, end from endTime
        Turn("customer", "Perfect, thanks!", start_s=15.25, end_s=16.0),
    ]
    json.dumps(call.to_dict(), allow_nan=False)


def test_list_entry_in_pascal_case_with_plain_transcript():
    entry = {
        "partitionKey": "camp-9",
        "RowKey": "row-123",
        "Type": "inboundPhoneCall",
        "Status": "Ended",
        "EndedReason": "silence-timed-out",
        "CustomerPhoneNumber": 15557654321,
        "CampaignId": "camp-9",
        "AssistantId": "asst-2",
        "StartedAt": 1714564800000,
        "EndedAt": "1714564830",
        "Cost": "0.25",
        "Summary": "Caller asked who was calling.",
        "RecordingUrl": "https://example.com/rec.wav",
        "Transcript": "AI: Hello?\nUser: Hi\nwho is this?\nAI: It's Ava.",
    }
    d = normalize(entry).to_dict()
    assert d["provider_call_id"] == "row-123"
    assert d["direction"] == "inbound"
    assert d["status"] == "ended"
    assert d["ended_reason"] == "silence-timed-out"
    assert d["customer_number"] == "15557654321"
    assert d["campaign_id"] == "camp-9"
    assert d["agent_id"] == "asst-2"
    assert (d["started_at"], d["ended_at"], d["duration_s"]) == (
        "2024-05-01T12:00:00Z", "2024-05-01T12:00:30Z", 30.0)
    assert (d["cost"], d["currency"], d["cost_breakdown"]) == (0.25, "USD", {})
    assert d["summary"] == "Caller asked who was calling."
    assert d["has_recording"] is True
    untimed = {"start_s": None, "end_s": None, "kind": "message", "tool_name": None}
    assert d["transcript"] == [
        {**untimed, "speaker": "agent", "text": "Hello?"},
        {**untimed, "speaker": "customer", "text": "Hi\nwho is this?"},
        {**untimed, "speaker": "agent", "text": "It's Ava."},
    ]


def test_id_is_preferred_over_row_key():
    assert normalize({"id": "call-1", "rowKey": "row-1"}).provider_call_id == "call-1"


def test_cost_breakdown_derived_from_costs_list():
    raw = {"id": "x", "cost": 0.3, "costs": [
        {"type": "transcriber", "cost": 0.01, "minutes": 1},
        {"type": "model", "cost": 0.02, "promptTokens": 1000, "completionTokens": 50},
        {"type": "model", "cost": "0.01", "promptTokens": 500, "completionTokens": 25},
        {"type": "voice", "cost": 0.03, "characters": 420},
        {"type": "vapi", "cost": 0.05},
        {"type": "transport", "cost": 0.1},
        {"type": "analysis", "cost": 0.004},
        {"type": "voicemail-detection", "cost": 0.006},
        {"type": "knowledge-base", "cost": None},
        "junk",
    ]}
    assert normalize(raw).cost_breakdown == {
        "stt": 0.01, "llm": 0.03, "tts": 0.03, "platform": 0.05, "transport": 0.1, "other": 0.01,
        "llm_prompt_tokens": 1500, "llm_completion_tokens": 75, "tts_characters": 420,
    }


def test_breakdown_holds_only_the_parts_given():
    # costs[] with two items: stt, llm, tts (and other) were not itemized, so they are not 0
    raw = {"id": "x", "cost": 0.3, "costs": [{"type": "transport", "cost": 0.0253},
                                             {"type": "vapi", "cost": "0.0871"}]}
    assert normalize(raw).cost_breakdown == {"platform": 0.0871, "transport": 0.0253}
    raw = {"id": "x", "costBreakdown": {"llm": 0.02, "total": 0.02, "llmPromptTokens": 10}}
    assert normalize(raw).cost_breakdown == {"llm": 0.02, "llm_prompt_tokens": 10}
    # token counts alone are no breakdown of the money
    assert normalize({"id": "x", "costBreakdown": {"total": 1, "llmPromptTokens": 10}}).cost_breakdown == {}


def test_total_only_gives_empty_breakdown_and_cost_from_total():
    call = normalize({"id": "x", "costBreakdown": {"total": 0.5, "llmPromptTokens": 10}})
    assert (call.cost, call.currency, call.cost_breakdown) == (0.5, "USD", {})


def test_no_cost_no_currency():
    call = normalize({"id": "x"})
    assert (call.cost, call.currency, call.cost_breakdown) == (None, None, {})


@pytest.mark.parametrize("artifact, top, expected", [
    ({}, {}, False),
    ({"recordingUrl": ""}, {"recordingUrl": "  "}, False),
    ({"recording": {"stereoUrl": "https://s/1.wav"}}, {}, True),
    ({"recording": {"mono": {"combinedUrl": "https://s/1.wav"}}}, {}, True),
    ({"recording": "https://s/old.wav"}, {}, True),
    ({"presignedStereoUrl": "https://s/1.wav?X-Amz-Expires=1800"}, {}, True),
    ({"stereoRecordingUrl": "https://s/1.wav"}, {}, True),
    ({}, {"stereoRecordingUrl": "https://s/1.wav"}, True),
    ({"recording": {"mono": "not-a-dict"}}, {}, False),
])
def test_has_recording(artifact, top, expected):
    assert normalize({"id": "x", "artifact": artifact, **top}).has_recording is expected


@pytest.mark.parametrize("value, expected", [
    (True, "true"), (False, "false"), (8, "8"), ("Pass", "Pass"), ({"score": 1}, None), (None, None),
])
def test_success_evaluation_types(value, expected):
    assert normalize({"id": "x", "analysis": {"successEvaluation": value}}).success == expected


def test_summary_falls_back_to_top_level():
    assert normalize({"id": "x", "analysis": {"summary": ""}, "summary": "Top"}).summary == "Top"
    assert normalize({"id": "x", "analysis": {"summary": "A"}, "summary": "Top"}).summary == "A"


def test_top_level_messages_when_artifact_has_none():
    raw = {"id": "x", "artifact": {"messages": []},
           "messages": [{"role": "assistant", "content": "hi", "secondsFromStart": 1.5, "duration": 500}]}
    assert normalize(raw).transcript == [Turn("agent", "hi", start_s=1.5, end_s=2.0)]


def test_artifact_transcript_string_when_no_messages():
    raw = {"id": "x", "artifact": {"transcript": "User: hello\nAI: hi there"}, "transcript": "ignored"}
    assert normalize(raw).transcript == [Turn("customer", "hello"), Turn("agent", "hi there")]


def test_unknown_roles_and_odd_messages_never_crash():
    raw = {"id": "x", "artifact": {"messages": [
        {"role": "human", "message": "a"},
        {"role": "ai", "message": "b"},
        {"role": "narrator", "message": "c"},
        {"role": None, "message": None},
        {"role": "tool_calls", "message": "calling", "toolCalls": "not-a-list"},
        {"role": "tool_calls", "toolCalls": [{"name": "bare", "arguments": {"a": 1}}, 5, {"function": "x"}]},
        {"role": "tool_call_result", "result": {"ok": True}},
        {"role": "user", "message": ["not", "text"], "secondsFromStart": "2.5", "endTime": 10, "time": 20},
        "junk", None, 3,
    ]}}
    assert normalize(raw).transcript == [
        Turn("customer", "a"),
        Turn("agent", "b"),
        Turn("system", "c"),
        Turn("system", ""),
        Turn("tool", "calling", "tool_call"),
        Turn("tool", 'bare({"a":1})', "tool_call", tool_name="bare"),
        Turn("tool", "", "tool_call"),
        Turn("tool", '{"ok":true}', "tool_result"),
        Turn("customer", '["not","text"]', start_s=2.5),
    ]


def test_message_time_before_call_start_is_unknown():
    raw = {"id": "x", "startedAt": "2024-05-01T12:00:00Z", "messages": [
        {"role": "system", "message": "prompt", "time": 0},
        {"role": "bot", "message": "skew", "time": 1714564799500, "endTime": 1714564800500},
    ]}
    assert normalize(raw).transcript == [
        Turn("system", "prompt"),
        Turn("agent", "skew", start_s=0.0, end_s=1.0),
    ]


def test_wrong_types_become_none():
    raw = {"id": "x", "type": ["webCall"], "status": {"s": 1}, "customer": "+1555", "analysis": [],
           "artifact": "nope", "costBreakdown": [1, 2], "costs": {"a": 1}, "startedAt": "yesterday",
           "endedAt": True, "duration": "-4", "tags": {"a": 1}, "messages": {"role": "bot"}}
    d = normalize(raw).to_dict()
    assert d["direction"] is d["status"] is d["customer_number"] is None
    assert d["started_at"] is d["ended_at"] is d["duration_s"] is None
    assert (d["cost_breakdown"], d["tags"], d["transcript"], d["extracted"]) == ({}, [], [], {})


@pytest.mark.parametrize("raw, expected", [
    ({"durationSeconds": 12.5}, 12.5), ({"duration": "40"}, 40.0), ({"durationMs": 1500}, 1.5),
    ({"durationMinutes": 2}, 120.0), ({"durationSeconds": -3}, None),
    ({"startedAt": "2024-05-01T12:00:10Z", "endedAt": "2024-05-01T12:00:00Z", "durationSeconds": 7}, 7.0),
])
def test_provider_duration(raw, expected):
    assert normalize({"id": "x", **raw}).duration_s == expected


def test_text_is_kept_verbatim_but_storable():
    text = "<script>alert('hi')</script> &lt;ok&gt; שלום עולם مرحبا 😀👍🏽"
    raw = {"id": "x", "messages": [{"role": "user", "message": text},
                                   {"role": "bot", "message": "nul\x00 and lone \ud800 surrogate"}]}
    call = normalize(raw)
    assert call.transcript[0].text == text
    assert call.transcript[1].text == "nul and lone  surrogate"
    json.dumps(call.to_dict(), ensure_ascii=False, allow_nan=False).encode("utf-8")


def test_1500_turn_transcript_is_fast():
    messages = [{"role": "bot" if i % 2 else "user", "message": f"turn {i} " * 20,
                 "time": 1714564800000 + i * 1000, "endTime": 1714564800000 + i * 1000 + 800,
                 "secondsFromStart": i} for i in range(1500)]
    raw = {"id": "x", "startedAt": "2024-05-01T12:00:00Z", "artifact": {"messages": messages}}
    began = time.perf_counter()
    call = normalize(raw)
    assert time.perf_counter() - began < 1.0
    assert len(call.transcript) == 1500
    assert call.transcript[-1] == Turn("agent", "turn 1499 " * 20, start_s=1499.0, end_s=1499.8)


@pytest.mark.parametrize("raw", [None, [], "x", {"artifact": {}}, {"rowKey": ""}])
def test_no_id_raises(raw):
    with pytest.raises(NormalizeError):
        normalize(raw)
