"""The shared defensive readers, and the package's dispatcher."""

from __future__ import annotations

import json
import math

import pytest

from callviewer.domain import Turn
from callviewer.errors import NormalizeError
from callviewer.normalize import NORMALIZER_VERSION, normalize
from callviewer.normalize.common import (
    clean_text, json_safe, name_value_map, offset_s, parse_plain_transcript, pick, render_text,
    require_id, speaker_for, to_bool, to_direction, to_float, to_iso_utc, to_phone, to_str,
    to_tags, tool_call_text, tool_kind,
)


# ---------------------------------------------------------------- lookups

def test_pick_prefers_exact_key_then_any_case():
    assert pick({"rowKey": "a", "RowKey": "b"}, "RowKey") == "b"
    assert pick({"RowKey": "b"}, "rowKey") == "b"
    assert pick({"EndedReason": "silence-timed-out"}, "endedReason") == "silence-timed-out"


def test_pick_skips_nulls_and_tries_names_in_order():
    assert pick({"id": None, "rowKey": "r1"}, "id", "rowKey") == "r1"
    assert pick({"a": 1, "b": 2}, "b", "a") == 2
    assert pick({"a": None}, "a") is None


@pytest.mark.parametrize("obj", [None, [], "x", 3, [{"id": 1}]])
def test_pick_on_non_dict_is_none(obj):
    assert pick(obj, "id") is None


def test_require_id():
    assert require_id({"id": 42}, "id") == "42"
    assert require_id({"RowKey": " r1 "}, "id", "rowKey") == "r1"
    with pytest.raises(NormalizeError, match="no call id"):
        require_id({"id": ""}, "id")
    with pytest.raises(NormalizeError, match="no call id"):
        require_id({"id": True}, "id")
    with pytest.raises(NormalizeError, match="not a JSON object"):
        require_id(["id"], "id")


# ---------------------------------------------------------------- numbers

@pytest.mark.parametrize("value, expected", [
    (3, 3.0), (0.25, 0.25), ("12.5", 12.5), (" 7 ", 7.0), ("1,234.5", 1234.5), ("-1,000", -1000.0),
    ("1e3", 1000.0), (".5", 0.5), ("-0.75", -0.75),
    (True, None), (False, None), (None, None), ("", None), ("abc", None), ("1,2", None),
    ("12 USD", None), ("nan", None), ("inf", None), ("1e400", None), (float("nan"), None),
    (float("inf"), None), (10 ** 400, None), ([1], None), ({"v": 1}, None), ("1_000", None),
])
def test_to_float(value, expected):
    assert to_float(value) == expected


@pytest.mark.parametrize("value, expected", [
    (True, True), (False, False), ("true", True), ("False", False), ("yes", True), (1, True),
    (0, False), ("maybe", None), (2, None), (None, None), ([], None),
])
def test_to_bool(value, expected):
    assert to_bool(value) is expected


# ---------------------------------------------------------------- time

@pytest.mark.parametrize("value, expected", [
    ("2024-05-01T12:00:00Z", "2024-05-01T12:00:00Z"),
    ("2024-05-01T14:00:00+02:00", "2024-05-01T12:00:00Z"),
    ("2024-05-01T07:30:00.5-04:30", "2024-05-01T12:00:00.500Z"),
    ("2024-05-01T12:00:00.123Z", "2024-05-01T12:00:00.123Z"),
    ("2024-05-01T12:00:00.123456Z", "2024-05-01T12:00:00.123456Z"),
    ("2024-05-01T12:00:00.123456789Z", "2024-05-01T12:00:00.123456Z"),
    ("2024-05-01T12:00:00", "2024-05-01T12:00:00Z"),
    ("2024-05-01 12:00:00", "2024-05-01T12:00:00Z"),
    ("2024-05-01", "2024-05-01T00:00:00Z"),
    ("  2024-05-01T12:00:00Z ", "2024-05-01T12:00:00Z"),
    (1714564800, "2024-05-01T12:00:00Z"),
    (1714564800.25, "2024-05-01T12:00:00.250Z"),
    (1714564800000, "2024-05-01T12:00:00Z"),
    (1714564800123, "2024-05-01T12:00:00.123Z"),
    ("1714564800", "2024-05-01T12:00:00Z"),
    ("1714564800123", "2024-05-01T12:00:00.123Z"),
    ("0001-01-01T00:00:00+01:00", None),
    ("2019-13-45T00:00:00Z", None),
    ("<string>", None), ("", None), ("string", None),
    (0, None), (-5, None), (True, None), (None, None), (1e300, None), ([], None), ({}, None),
])
def test_to_iso_utc(value, expected):
    assert to_iso_utc(value) == expected


@pytest.mark.parametrize("seconds, expected", [
    (None, None), (0, 0.0), (1.23456, 1.235), (-0.2, 0.0), (-5.0, None), (math.inf, None),
])
def test_offset_s(seconds, expected):
    assert offset_s(seconds) == expected


# ---------------------------------------------------------------- text

def test_clean_text_keeps_unicode_and_markup_verbatim():
    text = "<script>alert('x')</script> <b>bold</b> &amp; שלום مرحبا 👋🏽 e\u0301 \u202eRTL"
    assert clean_text(text) == text


def test_clean_text_drops_nul_and_lone_surrogates():
    assert clean_text("a\x00b") == "ab"
    assert clean_text("a\ud800b\udc00") == "ab"
    assert clean_text("split pair: \ud83d\ude00") == "split pair: 😀"
    clean_text("x\ud83dy").encode("utf-8")  # storable


@pytest.mark.parametrize("value, expected", [
    (" ended ", "ended"), ("", None), ("   ", None), (None, None), (5, "5"), (8.0, "8"),
    (0.75, "0.75"), (True, "true"), (False, "false"), (float("nan"), None), ({"a": 1}, None),
    ([1], None),
])
def test_to_str(value, expected):
    assert to_str(value) == expected


@pytest.mark.parametrize("value, expected", [
    ("+15551234567", "+15551234567"), (15551234567, "15551234567"), (15551234567.0, "15551234567"),
    (" +44 20 7123 4567 ", "+44 20 7123 4567"), ("", None), (None, None), (True, None), ({}, None),
])
def test_to_phone(value, expected):
    assert to_phone(value) == expected


def test_to_tags():
    assert to_tags(["vip", 3, None, "", {"x": 1}, " a "]) == ["vip", "3", "a"]
    assert to_tags("solo") == ["solo"]
    assert to_tags(None) == []
    assert to_tags({"a": 1}) == []


def test_json_safe_makes_values_serializable():
    value = {"a": float("nan"), "b": [1, float("inf"), "x\x00y"], "c": {"d": True, 1: None}, "e": (1, 2)}
    safe = json_safe(value)
    assert safe == {"a": None, "b": [1, None, "xy"], "c": {"d": True, "1": None}, "e": [1, 2]}
    json.dumps(safe, allow_nan=False)


def test_json_safe_cuts_very_deep_nesting():
    deep: list = []
    for _ in range(500):
        deep = [deep]
    json.dumps(json_safe(deep))


def test_render_text():
    assert render_text(None) == ""
    assert render_text("as <i>is</i>") == "as <i>is</i>"
    assert render_text({"a": 1, "b": "é"}) == '{"a":1,"b":"é"}'
    assert render_text([{"type": "text", "text": "Hel"}, {"type": "text", "text": "lo"}]) == "Hello"
    assert render_text(3) == "3"


def test_name_value_map():
    assert name_value_map({"k": 1}) == {"k": 1}
    items = [{"name": "a", "value": 1}, {"name": "b"}, {"value": 3}, "junk", {"name": None, "value": 4}]
    assert name_value_map(items) == {"a": 1, "b": None}
    assert name_value_map(None) == {}
    assert name_value_map("x") == {}


# ---------------------------------------------------------------- roles

@pytest.mark.parametrize("role, speaker", [
    ("bot", "agent"), ("assistant", "agent"), ("agent", "agent"), ("AI", "agent"), ("model", "agent"),
    ("user", "customer"), ("human", "customer"), ("Caller", "customer"), ("customer", "customer"),
    ("system", "system"), ("tool_calls", "tool"), ("tool_call_result", "tool"), ("tool", "tool"),
    ("function_call", "tool"), ("tool_call_invocation", "tool"), ("user_speech", "customer"),
    ("assistant-message", "agent"), ("dtmf", "system"), ("", "system"), (None, "system"), (7, "system"),
    ({"r": 1}, "system"),
])
def test_speaker_for(role, speaker):
    assert speaker_for(role) == speaker


@pytest.mark.parametrize("role, kind", [
    ("tool_calls", "tool_call"), ("toolCalls", "tool_call"), ("tool_call_invocation", "tool_call"),
    ("function_call", "tool_call"), ("tool_call_result", "tool_result"), ("tool", "tool_result"),
    ("tool_call_output", "tool_result"), ("function_result", "tool_result"),
])
def test_tool_kind(role, kind):
    assert tool_kind(role) == kind


def test_tool_call_text():
    assert tool_call_text("lookup", '{"id":1}') == 'lookup({"id":1})'
    assert tool_call_text("lookup", {"id": 1}) == 'lookup({"id":1})'
    assert tool_call_text(None, "raw") == "raw"
    assert tool_call_text("noargs", None) == "noargs()"


@pytest.mark.parametrize("value, expected", [
    ("inboundPhoneCall", "inbound"), ("outboundPhoneCall", "outbound"), ("webCall", "web"),
    ("vapi.websocketCall", "web"), ("Outbound", "outbound"), ("incoming", "inbound"),
    ("outgoing", "outbound"), ("WEB", "web"), ("sideways", None), ("", None), (None, None), (1, None),
])
def test_to_direction(value, expected):
    assert to_direction(value) == expected


# ---------------------------------------------------------------- plain transcripts

def test_parse_plain_transcript_speakers_and_continuations():
    text = ("Some preamble\nAI: Hello, how can I help?\nUser: Hi:  I need\r\nhelp with 10:30\n\n"
            "agent: Sure.\nCUSTOMER: thanks\nBot:\nSystem: call transferred")
    assert parse_plain_transcript(text) == [
        Turn("system", "Some preamble"),
        Turn("agent", "Hello, how can I help?"),
        Turn("customer", "Hi:  I need\nhelp with 10:30"),
        Turn("agent", "Sure."),
        Turn("customer", "thanks"),
        Turn("agent", ""),
        Turn("system", "call transferred"),
    ]


@pytest.mark.parametrize("value", [None, "", "  \n \n", 12, ["AI: hi"]])
def test_parse_plain_transcript_empty(value):
    assert parse_plain_transcript(value) == []


def test_parse_plain_transcript_is_linear():
    text = "\n".join(f"{'AI' if i % 2 else 'User'}: line {i}\ncontinued {i}" for i in range(20_000))
    turns = parse_plain_transcript(text)
    assert len(turns) == 20_000
    assert turns[-1] == Turn("agent", "line 19999\ncontinued 19999")


# ---------------------------------------------------------------- dispatcher

def test_normalizer_version_is_an_int():
    assert isinstance(NORMALIZER_VERSION, int) and NORMALIZER_VERSION >= 1


@pytest.mark.parametrize("provider", ["atlas", "callab", "vatel"])
def test_normalize_dispatches(provider):
    call = normalize(provider, {"id": "abc"})
    assert (call.provider, call.provider_call_id, call.account) == (provider, "abc", "")


def test_normalize_unknown_provider():
    with pytest.raises(ValueError, match="unknown provider"):
        normalize("retell", {"id": "abc"})


@pytest.mark.parametrize("provider", ["atlas", "callab", "vatel"])
@pytest.mark.parametrize("raw", [None, [], "id", 42, {}, {"id": None}, {"id": "  "}, {"id": {"x": 1}}])
def test_normalize_rejects_payloads_without_id(provider, raw):
    with pytest.raises(NormalizeError):
        normalize(provider, raw)
