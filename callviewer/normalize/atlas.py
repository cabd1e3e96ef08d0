"""Atlas call record -> Call.

Atlas serves Vapi's Call object from `GET /call/{id}` (older payloads also carry the top-level
`recordingUrl`/`transcript`/`summary` that Vapi has since moved into `artifact`/`analysis`), and
Azure-Table-like entries from `GET /call` (id in `rowKey`). Field names are read case-insensitively
because Atlas mixes PascalCase and camelCase.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from callviewer.domain import COST_PARTS, Call, Turn
from callviewer.normalize.common import (
    as_dict, as_list, coalesce, finite, has_text, iso_utc, name_value_map, non_negative, offset_s,
    parse_plain_transcript, parse_time, pick, render_text, require_id, seconds_between,
    speaker_for, to_direction, to_float, to_lower, to_phone, to_str, to_tags, tool_call_text,
    tool_kind,
)

#: `costBreakdown` money keys (lowercased) -> contract parts; other money keys go to "other".
_BREAKDOWN_PARTS = {"stt": "stt", "llm": "llm", "tts": "tts", "vapi": "platform", "transport": "transport"}
_BREAKDOWN_COUNTS = {"llmprompttokens": "llm_prompt_tokens",
                     "llmcompletiontokens": "llm_completion_tokens",
                     "ttscharacters": "tts_characters"}
#: `costs[].type` -> contract parts; other types (analysis, voicemail-detection...) go to "other".
_COSTS_PARTS = {"transcriber": "stt", "model": "llm", "voice": "tts", "vapi": "platform",
                "transport": "transport"}


def normalize(raw: Any) -> Call:
    call_id = require_id(raw, "id", "rowKey")
    analysis = as_dict(pick(raw, "analysis"))
    artifact = as_dict(pick(raw, "artifact"))
    structured = pick(analysis, "structuredData")
    started = parse_time(pick(raw, "startedAt"))
    ended = parse_time(pick(raw, "endedAt"))
    cost = coalesce(to_float(pick(raw, "cost")), to_float(pick(pick(raw, "costBreakdown"), "total")))
    return Call(
        provider="atlas",
        provider_call_id=call_id,
        direction=to_direction(pick(raw, "type", "callType")),
        status=to_lower(pick(raw, "status")),
        ended_reason=to_str(pick(raw, "endedReason")),
        customer_number=coalesce(to_phone(pick(pick(raw, "customer"), "number")),
                                 to_phone(pick(raw, "customerPhoneNumber", "customerNumber"))),
        agent_id=to_str(pick(raw, "assistantId")),
        campaign_id=to_str(pick(raw, "campaignId")),
        created_at=iso_utc(parse_time(pick(raw, "createdAt"))),
        started_at=iso_utc(started),
        ended_at=iso_utc(ended),
        duration_s=coalesce(seconds_between(started, ended), _provider_duration(raw)),
        cost=cost,
        currency="USD" if cost is not None else None,  # Vapi bills in USD
        cost_breakdown=_cost_breakdown(raw),
        summary=coalesce(to_str(pick(analysis, "summary")), to_str(pick(raw, "summary"))),
        success=to_str(pick(analysis, "successEvaluation")),
        sentiment=to_str(pick(structured, "sentiment")),
        extracted=name_value_map(structured),
        tags=to_tags(pick(raw, "tags")),
        has_recording=_has_recording(raw, artifact),
        transcript=_transcript(raw, artifact, started),
    )


def _provider_duration(raw: dict) -> float | None:
    """The call's own duration field, in seconds (Vapi reports use all three spellings)."""
    seconds = non_negative(pick(raw, "durationSeconds", "duration"))
    if seconds is not None:
        return seconds
    millis = non_negative(pick(raw, "durationMs"))
    if millis is not None:
        return millis / 1000
    minutes = non_negative(pick(raw, "durationMinutes"))
    return finite(minutes * 60) if minutes is not None else None


# ---------------------------------------------------------------- cost

def _cost_breakdown(raw: dict) -> dict[str, float | int]:
    """The itemized cost from `costBreakdown`, else from `costs[]`; {} when only a total is known."""
    return (_from_cost_breakdown(as_dict(pick(raw, "costBreakdown")))
            or _from_costs(as_list(pick(raw, "costs"))))


def _from_cost_breakdown(breakdown: dict) -> dict[str, float | int]:
    money: dict[str, float] = {}  # only the parts the payload itemizes: none is invented as 0
    counts: dict[str, float] = {}
    for key, value in breakdown.items():
        name = key.lower() if isinstance(key, str) else ""
        if name in _BREAKDOWN_COUNTS:
            _add_count(counts, _BREAKDOWN_COUNTS[name], value)
            continue
        if name in ("", "total") or name.endswith(("tokens", "characters")):
            continue
        amount = _analysis_total(value) if name == "analysiscostbreakdown" else to_float(value)
        if amount is not None:
            _add(money, _BREAKDOWN_PARTS.get(name, "other"), amount)
    return _itemized(money, counts)


def _analysis_total(breakdown: Any) -> float | None:
    """The money in `analysisCostBreakdown` (its token counts left out); None when it has none."""
    amounts = [to_float(v) for k, v in as_dict(breakdown).items()
               if isinstance(k, str) and not k.lower().endswith("tokens")]
    amounts = [a for a in amounts if a is not None]
    return sum(amounts) if amounts else None


def _from_costs(costs: list) -> dict[str, float | int]:
    money: dict[str, float] = {}
    counts: dict[str, float] = {}
    for item in costs:
        kind = to_lower(pick(item, "type")) or ""
        amount = to_float(pick(item, "cost"))
        if amount is not None:
            _add(money, _COSTS_PARTS.get(kind, "other"), amount)
        if kind == "model":
            _add_count(counts, "llm_prompt_tokens", pick(item, "promptTokens"))
            _add_count(counts, "llm_completion_tokens", pick(item, "completionTokens"))
        elif kind == "voice":
            _add_count(counts, "tts_characters", pick(item, "characters"))
    return _itemized(money, counts)


def _add(money: dict[str, float], part: str, amount: float) -> None:
    money[part] = money.get(part, 0.0) + amount


def _add_count(counts: dict[str, float], key: str, value: Any) -> None:
    number = to_float(value)
    if number is not None:
        counts[key] = counts.get(key, 0.0) + number


def _itemized(money: dict[str, float], counts: dict[str, float]) -> dict[str, float | int]:
    """The money parts given, in the contract's order (float noise from sums rounded off),
    then the counts given (whole counts as ints). {} when no money part is itemized (only a
    total is known), or if a sum overflowed: such a payload has no believable breakdown."""
    if not money:
        return {}
    parts = {k: round(money[k], 10) for k in COST_PARTS if k in money}
    if any(finite(v) is None for v in [*parts.values(), *counts.values()]):
        return {}
    return {**parts, **{k: int(v) if v.is_integer() else v for k, v in counts.items()}}


# ---------------------------------------------------------------- recording

def _has_recording(raw: dict, artifact: dict) -> bool:
    recording = pick(artifact, "recording")  # a {stereoUrl, mono{...}} object, or a URL in old payloads
    mono = pick(recording, "mono")
    urls = [
        pick(raw, "recordingUrl"), pick(raw, "stereoRecordingUrl"),
        pick(artifact, "recordingUrl"), pick(artifact, "stereoRecordingUrl"),
        recording, pick(recording, "stereoUrl"),
        pick(mono, "combinedUrl"), pick(mono, "assistantUrl"), pick(mono, "customerUrl"),
    ]
    urls += [v for k, v in artifact.items()
             if isinstance(k, str) and k.lower().startswith("presigned") and k.lower().endswith("url")]
    return any(has_text(url) for url in urls)


# ---------------------------------------------------------------- transcript

def _transcript(raw: dict, artifact: dict, started: datetime | None) -> list[Turn]:
    """Turns from `artifact.messages` (else top-level `messages`), else from the plain transcript."""
    messages = as_list(pick(artifact, "messages")) or as_list(pick(raw, "messages"))
    start_ms = started.timestamp() * 1000 if started is not None else None
    turns = [turn for message in messages if isinstance(message, dict)
             for turn in _message_turns(message, start_ms)]
    return (turns
            or parse_plain_transcript(pick(artifact, "transcript"))
            or parse_plain_transcript(pick(raw, "transcript")))


def _message_turns(message: dict, start_ms: float | None) -> list[Turn]:
    """One Turn per message; a `tool_calls` message gives one Turn per tool call."""
    role = pick(message, "role")
    speaker = speaker_for(role)
    start_s, end_s = _message_times(message, start_ms)
    if speaker != "tool":
        text = render_text(pick(message, "message", "content"))
        return [Turn(speaker=speaker, text=text, start_s=start_s, end_s=end_s)]
    if tool_kind(role) == "tool_result":
        return [Turn(speaker="tool", kind="tool_result", start_s=start_s, end_s=end_s,
                     text=render_text(pick(message, "result", "message", "content")),
                     tool_name=to_str(pick(message, "name")))]
    calls = [c for c in as_list(pick(message, "toolCalls", "tool_calls")) if isinstance(c, dict)]
    if not calls:
        return [Turn(speaker="tool", kind="tool_call", start_s=start_s, end_s=end_s,
                     text=render_text(pick(message, "message", "content")))]
    turns = []
    for call in calls:
        function = pick(call, "function")
        name = coalesce(to_str(pick(function, "name")), to_str(pick(call, "name")))
        arguments = coalesce(pick(function, "arguments"), pick(call, "arguments"))
        turns.append(Turn(speaker="tool", kind="tool_call", start_s=start_s, end_s=end_s,
                          text=tool_call_text(name, arguments), tool_name=name))
    return turns


def _message_times(message: dict, start_ms: float | None) -> tuple[float | None, float | None]:
    """(start_s, end_s) from `secondsFromStart`, else from the epoch-ms `time` and the call start.

    The length comes from `endTime - time` (epoch ms), else from `duration`. Vapi's schema calls
    `duration` seconds, but real payloads carry milliseconds (it equals `endTime - time`).
    """
    time_ms = to_float(pick(message, "time"))
    start_s = to_float(pick(message, "secondsFromStart"))
    if start_s is None and time_ms is not None and start_ms is not None:
        start_s = (time_ms - start_ms) / 1000
    start_s = offset_s(start_s)
    if start_s is None:
        return None, None
    end_ms = to_float(pick(message, "endTime"))
    if end_ms is not None and time_ms is not None and end_ms >= time_ms:
        length_ms = end_ms - time_ms
    else:
        length_ms = non_negative(pick(message, "duration"))
    end_s = offset_s(start_s + length_ms / 1000) if length_ms is not None else None
    return start_s, end_s
