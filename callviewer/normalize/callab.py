"""Callab call (`GET /calls/{id}`, wrapped as `{status, message, data}`, or bare) -> Call.

Callab's field names mirror Retell's call object, so `transcript_object` is read as Retell's turn
list (`{role, content, words: [{word, start, end}]}`, times in seconds from call start, tool turns
`tool_call_invocation` / `tool_call_result`), possibly wrapped in a dict. When it gives no turns, the
plain `transcript` ("Agent: ..." / "User: ..." lines) is parsed instead.
"""

from __future__ import annotations

import json
from typing import Any

from callviewer.domain import Call, Turn
from callviewer.normalize.common import (
    as_dict, as_list, coalesce, has_text, iso_utc, name_value_map, non_negative, offset_s,
    parse_plain_transcript, parse_time, pick, render_text, require_id, seconds_between,
    speaker_for, to_direction, to_float, to_lower, to_phone, to_str, to_tags, tool_call_text,
    tool_kind,
)

#: Keys under which a dict-shaped `transcript_object` may hold its list of turns.
_TURN_LIST_KEYS = ("turns", "entries", "transcript", "messages", "items", "utterances", "data")


def normalize(raw: Any) -> Call:
    call = _unwrap(raw)
    call_id = require_id(call, "id")
    direction = to_direction(pick(call, "call_direction"))
    started = parse_time(pick(call, "started_at"))
    ended = parse_time(pick(call, "ended_at"))
    cost = to_float(pick(call, "cost"))
    unit = to_str(pick(call, "price_unit"))
    return Call(
        provider="callab",
        provider_call_id=call_id,
        direction=direction,
        status=to_lower(pick(call, "call_status")),
        ended_reason=to_str(pick(call, "disconnect_reason")),
        customer_number=_customer_number(call, direction),
        agent_id=to_str(pick(call, "ai_agent_id")),
        campaign_id=to_str(pick(call, "campaign_id")),
        created_at=iso_utc(parse_time(pick(call, "created_at"))),
        started_at=iso_utc(started),
        ended_at=iso_utc(ended),
        duration_s=coalesce(seconds_between(started, ended), non_negative(pick(call, "call_duration"))),
        cost=cost,
        currency=unit.upper() if unit is not None and cost is not None else None,
        summary=coalesce(to_str(pick(call, "summary")), to_str(pick(pick(call, "metadata"), "summary"))),
        success=to_str(pick(call, "agent_task_status")),
        sentiment=to_str(pick(call, "analysis_sentiment")),
        extracted=name_value_map(pick(call, "agent_post_call_outcomes")),
        tags=to_tags(pick(call, "tags")),
        has_recording=has_text(pick(call, "record_url")),
        transcript=(_object_turns(pick(call, "transcript_object"))
                    or parse_plain_transcript(pick(call, "transcript"))),
    )


def _unwrap(raw: Any) -> Any:
    """The call: the envelope's `data` when the payload has no id of its own, else the payload."""
    data = pick(raw, "data")
    return data if isinstance(data, dict) and pick(raw, "id") is None else raw


def _customer_number(call: dict, direction: str | None) -> str | None:
    """The other party: whom we called (outbound) or who called us (inbound)."""
    called, caller = to_phone(pick(call, "call_to")), to_phone(pick(call, "call_from"))
    if direction == "outbound":
        return called
    if direction == "inbound":
        return caller
    return coalesce(called, caller)


# ---------------------------------------------------------------- transcript_object

def _turn_list(obj: Any) -> list:
    """The list of turns in a `transcript_object`: the list itself, a list under a usual key of a
    wrapping dict, or the same inside a JSON string."""
    if isinstance(obj, str):
        try:
            obj = json.loads(obj)
        except (ValueError, RecursionError):
            return []
    if isinstance(obj, list):
        return obj
    for key in _TURN_LIST_KEYS:
        turns = pick(obj, key)
        if isinstance(turns, list):
            return turns
    return []


def _object_turns(obj: Any) -> list[Turn]:
    tool_names: dict[str, str] = {}  # tool_call_id -> name, to name the results
    return [_turn(item, tool_names) for item in _turn_list(obj) if isinstance(item, dict)]


def _turn(item: dict, tool_names: dict[str, str]) -> Turn:
    role = pick(item, "role", "speaker")
    speaker = speaker_for(role)
    start_s, end_s = _turn_times(item)
    if speaker != "tool":
        return Turn(speaker=speaker, text=_turn_text(item), start_s=start_s, end_s=end_s)
    call_id = to_str(pick(item, "tool_call_id"))
    name = to_str(pick(item, "name"))
    if tool_kind(role) == "tool_result":
        return Turn(speaker="tool", kind="tool_result", start_s=start_s, end_s=end_s,
                    text=render_text(pick(item, "content", "result", "output")),
                    tool_name=coalesce(name, tool_names.get(call_id or "")))
    if call_id and name:
        tool_names[call_id] = name
    return Turn(speaker="tool", kind="tool_call", start_s=start_s, end_s=end_s,
                text=tool_call_text(name, pick(item, "arguments", "content")), tool_name=name)


def _turn_text(item: dict) -> str:
    """`content` (or `text`/`message`); failing those, the turn's words joined."""
    text = pick(item, "content", "text", "message")
    if text is not None:
        return render_text(text)
    words = (render_text(pick(w, "word")) for w in as_list(pick(item, "words")) if isinstance(w, dict))
    return " ".join(w for w in words if w)


def _turn_times(item: dict) -> tuple[float | None, float | None]:
    """(first word's start, last word's end), else the turn's own `start`/`end`; seconds."""
    words = as_list(pick(item, "words"))
    start = end = None
    for w in words:
        if isinstance(w, dict) and (start := to_float(pick(w, "start"))) is not None:
            break
    for w in reversed(words):
        if isinstance(w, dict) and (end := to_float(pick(w, "end"))) is not None:
            break
    if start is None:
        start = to_float(pick(item, "start"))
    if end is None:
        end = to_float(pick(item, "end"))
    return offset_s(start), offset_s(end)
