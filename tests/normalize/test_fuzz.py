"""Property tests: any JSON-ish payload either normalizes to a contract-shaped, JSON-serializable
call or raises NormalizeError; never another exception, and the payload is left untouched."""

from __future__ import annotations

import json
import math
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callviewer.domain import COST_COUNTS, COST_PARTS
from callviewer.errors import NormalizeError
from callviewer.normalize import atlas, callab, vatel

FUZZ = settings(max_examples=300, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# ---------------------------------------------------------------- value strategies

ENUM_WORDS = [
    "inbound", "outbound", "web", "inboundPhoneCall", "outboundPhoneCall", "webCall", "incoming",
    "bot", "assistant", "user", "system", "agent", "tool", "tool_calls", "tool_call_result",
    "tool_call_invocation", "message", "tool_call", "tool_call_output", "interruption", "transcriber",
    "model", "voice", "ended", "connected", "in_progress", "usd", "",
]
TRICKY_STRINGS = ENUM_WORDS + [
    " ", "<string>", "string", "null", "nan", "-inf", "1e400", "1,234.5", "0.0123", "-3", "42",
    "2024-05-01T12:00:00Z", "2024-05-01T14:00:00+02:00", "2024-05-01T12:00:00.123456789Z", "2024-05-01",
    "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "1714564800", "1714564800123", "true",
    "AI: hi\nUser: hello\ncontinued\n\nAgent: bye", "<script>alert(1)</script>", "שלום 👋",
    "\x00", "a\ud800b", '[{"role": "agent", "content": "hi"}]',
]
text = st.one_of(st.sampled_from(TRICKY_STRINGS), st.text(st.characters(exclude_categories=()), max_size=20))
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), text)
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=10)
numbers = st.one_of(st.integers(min_value=-10**15, max_value=10**15), st.floats(), st.sampled_from(
    ["0.5", "1,234.5", "12", "-1", "abc", "1e400"]), json_values)
recent = st.datetimes(min_value=datetime(2024, 5, 1), max_value=datetime(2024, 5, 1, 0, 5),
                      timezones=st.sampled_from([None, timezone.utc, timezone(timedelta(hours=2))]))
times = st.one_of(
    recent.map(datetime.isoformat),
    st.datetimes().map(lambda d: d.isoformat() + "Z"),
    st.integers(min_value=-10**14, max_value=10**14),
    st.floats(), json_values)
epoch_ms = st.one_of(st.integers(min_value=1714521600000, max_value=1714521900000), numbers)  # in `recent`
ids = st.one_of(st.uuids().map(str), st.text(min_size=1, max_size=8), st.integers(), json_values)
#: For enum-like fields (roles, types, statuses, directions): mostly a known word.
enums = st.one_of(*[st.sampled_from(ENUM_WORDS)] * 3, json_values)


def shape(spec):
    """A strategy for a value shaped like `spec`, and sometimes anything else instead.

    `spec` is a leaf strategy, a one-item list (a list of items shaped like that item), or a dict of
    keys; keys starting with "!" are always present (their value may still be anything).
    """
    if isinstance(spec, dict):
        shaped = payload(spec)
    elif isinstance(spec, list):
        shaped = st.lists(shape(spec[0]), max_size=5)
    else:
        return spec
    return st.one_of(shaped, shaped, shaped, json_values)


def payload(spec: dict):
    required = {k[1:]: shape(v) for k, v in spec.items() if k.startswith("!")}
    optional = {k: shape(v) for k, v in spec.items() if not k.startswith("!")}
    return st.fixed_dictionaries(required, optional=optional)


def pascal(spec: dict) -> dict:
    """`spec` with every optional top-level key also in PascalCase, as Atlas list entries have them."""
    return {**spec, **{k[:1].upper() + k[1:]: v for k, v in spec.items() if not k.startswith("!")}}


J = json_values

ATLAS = pascal({
    "!id": ids, "rowKey": ids, "type": enums, "callType": enums, "status": enums, "endedReason": J,
    "assistantId": J, "campaignId": J, "createdAt": times, "!startedAt": times, "endedAt": times,
    "cost": numbers, "customer": {"number": J}, "customerPhoneNumber": J, "summary": J, "transcript": J,
    "recordingUrl": J, "stereoRecordingUrl": J, "duration": numbers, "durationSeconds": numbers,
    "durationMs": numbers, "durationMinutes": numbers, "tags": [J],
    "!costBreakdown": {
        "stt": numbers, "llm": numbers, "tts": numbers, "vapi": numbers, "transport": numbers,
        "chat": numbers, "total": numbers, "llmPromptTokens": numbers, "llmCompletionTokens": numbers,
        "ttsCharacters": numbers,
        "analysisCostBreakdown": {"summary": numbers, "summaryPromptTokens": numbers},
    },
    "costs": [{"!type": enums, "!cost": numbers, "promptTokens": numbers, "completionTokens": numbers,
               "characters": numbers}],
    "analysis": {"summary": J, "successEvaluation": J, "structuredData": {"sentiment": J}},
    "!artifact": {
        "!messages": [{"!role": enums, "message": J, "content": J, "!time": epoch_ms, "endTime": epoch_ms,
                       "secondsFromStart": numbers, "duration": numbers, "name": J, "result": J,
                       "toolCalls": [{"function": {"name": J, "arguments": J}, "name": J, "arguments": J}]}],
        "transcript": J, "recordingUrl": J, "presignedStereoUrl": J,
        "recording": {"stereoUrl": J, "mono": {"combinedUrl": J}},
    },
    "messages": [{"role": enums, "message": J, "secondsFromStart": numbers, "time": epoch_ms}],
})

CALLAB_CALL = {
    "!id": ids, "call_from": J, "call_to": J, "call_duration": numbers, "call_status": enums,
    "call_direction": enums, "record_url": J, "transcript": J, "cost": numbers, "price_unit": enums,
    "disconnect_reason": J, "analysis_sentiment": J, "agent_task_status": J, "summary": J,
    "metadata": {"summary": J}, "agent_post_call_outcomes": [{"name": J, "value": J}], "tags": [J],
    "created_at": times, "started_at": times, "ended_at": times, "ai_agent_id": J, "campaign_id": J,
    "!transcript_object": [{"!role": enums, "content": J, "name": J, "arguments": J, "tool_call_id": J,
                            "start": numbers, "end": numbers,
                            "words": [{"word": J, "start": numbers, "end": numbers}]}],
}
CALLAB_ENVELOPE = {"status": enums, "message": J, "!data": CALLAB_CALL}

VATEL = {
    "!id": ids, "agent_id": J, "party_number": J, "status": enums, "source": J, "termination_reason": J,
    "extracted_variables": [{"name": J, "value": J, "type": enums}],
    "outbound": st.one_of(st.booleans(), json_values), "campaign_id": J,
    "created_at": times, "connected_at": times, "!started_at": times, "ended_at": times, "summary": J,
    "cost": numbers, "tags": [J], "duration_seconds": numbers,
    "!transcript": {"!entries": [{
        "index": numbers, "!role": enums, "message": J, "!type": enums, "toolCallOutput": J,
        "!createdAt": times, "durationMs": numbers,
        "toolCall": {"toolName": J, "arguments": J, "output": J, "startedAt": times, "endedAt": times},
    }]},
}

# ---------------------------------------------------------------- the property

SPEAKERS = {"agent", "customer", "system", "tool"}
KINDS = {"message", "tool_call", "tool_result", "interruption"}
STRING_FIELDS = ("provider_call_id", "status", "ended_reason", "customer_number", "agent_id", "campaign_id",
                 "currency", "summary", "success", "sentiment")


def _optional_number(value) -> bool:
    return value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)
                             and math.isfinite(value))


def check(normalize, raw) -> None:
    before = repr(raw)
    try:
        call = normalize(raw)
    except NormalizeError:
        return
    finally:
        assert repr(raw) == before, "the normalizer changed its input"
    d = call.to_dict()
    json.dumps(d, allow_nan=False, ensure_ascii=False).encode("utf-8")
    assert d["direction"] in (None, "inbound", "outbound", "web")
    for key in STRING_FIELDS:
        assert d[key] is None or isinstance(d[key], str), key
    assert d["provider_call_id"]
    for key in ("created_at", "started_at", "ended_at"):
        assert d[key] is None or (isinstance(d[key], str) and d[key].endswith("Z")), key
    assert _optional_number(d["cost"]) and _optional_number(d["duration_s"])
    assert d["duration_s"] is None or d["duration_s"] >= 0
    assert d["currency"] is None or d["cost"] is not None
    breakdown = d["cost_breakdown"]
    # only contract keys, and never counts without a money part (only a total: {})
    assert set(breakdown) <= set(COST_PARTS) | set(COST_COUNTS)
    assert breakdown == {} or set(COST_PARTS) & set(breakdown)
    assert all(_optional_number(v) and v is not None for v in breakdown.values())
    assert isinstance(d["extracted"], dict)
    assert all(isinstance(tag, str) for tag in d["tags"])
    assert isinstance(d["has_recording"], bool)
    for turn in d["transcript"]:
        assert turn["speaker"] in SPEAKERS and turn["kind"] in KINDS
        assert isinstance(turn["text"], str)
        assert turn["tool_name"] is None or isinstance(turn["tool_name"], str)
        assert _optional_number(turn["start_s"]) and _optional_number(turn["end_s"])


@FUZZ
@given(payload(ATLAS))
def test_atlas_shaped_payloads(raw):
    check(atlas.normalize, raw)


@FUZZ
@given(st.one_of(payload(CALLAB_ENVELOPE), payload(CALLAB_CALL)))
def test_callab_shaped_payloads(raw):
    check(callab.normalize, raw)


@FUZZ
@given(payload(VATEL))
def test_vatel_shaped_payloads(raw):
    check(vatel.normalize, raw)


@pytest.mark.parametrize("normalize", [atlas.normalize, callab.normalize, vatel.normalize])
@settings(max_examples=100, deadline=None)
@given(raw=json_values)
def test_arbitrary_json(normalize, raw):
    check(normalize, raw)
