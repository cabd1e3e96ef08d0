"""Vatel call (`GET /v1/calls/{id}`, a bare `Call` of its OpenAPI spec) -> Call."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from callviewer.domain import Call, Turn
from callviewer.normalize.common import (
    as_dict, as_list, coalesce, iso_utc, name_value_map, non_negative, offset_s, parse_time, pick,
    render_text, require_id, seconds_between, speaker_for, to_bool, to_float, to_lower, to_phone,
    to_str, to_tags,
)

#: Statuses of a call that got through (the others: `started` = still dialing, `auth_failed`).


def normalize(raw: Any) -> Call:
    call_id = require_id(raw, "id")
    # `started_at` may be missing while `connected_at` is known: the call began when it connected.
    started = coalesce(parse_time(pick(raw, "started_at")), parse_time(pick(raw, "connected_at")))
    created = parse_time(pick(raw, "created_at"))
    ended = parse_time(pick(raw, "ended_at"))
    status = to_lower(pick(raw, "status"))
    duration = coalesce(seconds_between(started, ended), non_negative(pick(raw, "duration_seconds")))
    cost = to_float(pick(raw, "cost"))
    turns = _transcript(pick(raw, "transcript"), coalesce(started, created))
    call = Call(
        provider="vatel",
        provider_call_id=call_id,
        direction=_direction(pick(raw, "outbound")),
        status=status,
        ended_reason=to_str(pick(raw, "termination_reason")),
        customer_number=to_phone(pick(raw, "party_number")),
        agent_id=to_str(pick(raw, "agent_id")),
        campaign_id=to_str(pick(raw, "campaign_id")),  # not in the spec: Vatel has no campaigns
        created_at=iso_utc(created),
        started_at=iso_utc(started),
        ended_at=iso_utc(ended),
        duration_s=duration,
        cost=cost,
        # The spec gives `cost` (the marked-up total) with no currency: null unless a payload says.
        currency=_currency(pick(raw, "currency")) if cost is not None else None,
        summary=to_str(pick(raw, "summary")),
        extracted=name_value_map(pick(raw, "extracted_variables")),
        tags=to_tags(pick(raw, "tags")),
        transcript=turns,
    )
    call.has_recording = _has_recording(status, turns)
    return call


def _currency(value: Any) -> str | None:
    text = to_str(value)
    return text.strip().upper() or None if text is not None else None


def _direction(outbound: Any) -> str | None:
    flag = to_bool(outbound)
    return None if flag is None else "outbound" if flag else "inbound"


def _has_recording(status: str | None, turns: list[Turn]) -> bool:
    """A guess: the Call object has no recording URL, and `GET /calls/{id}/recording` 404s when
    there is none (nor while the call is still going on). An ended call in which someone spoke
    should have one; the download says so clearly if not."""
    return status == "ended" and any(t.kind == "message" and t.text.strip() for t in turns)


# ---------------------------------------------------------------- transcript

def _transcript(transcript: Any, base: datetime | None) -> list[Turn]:
    """`transcript.entries` in `index` order (rows without an index keep their place at the end)."""
    entries = transcript if isinstance(transcript, list) else as_list(pick(transcript, "entries"))
    rows = sorted((e for e in entries if isinstance(e, dict)), key=_index_key)
    return [_entry_turn(row, base) for row in rows]


def _index_key(entry: dict) -> tuple[bool, float]:
    index = to_float(pick(entry, "index"))
    return (index is None, index or 0.0)


def _entry_turn(entry: dict, base: datetime | None) -> Turn:
    kind = to_lower(pick(entry, "type"))
    role = pick(entry, "role")
    tool = as_dict(pick(entry, "toolCall"))
    tool_name = to_str(pick(tool, "toolName"))
    message = pick(entry, "message")
    start_s, end_s = _entry_times(entry, tool, base)
    if kind == "tool_call":
        return Turn(speaker="tool", kind="tool_call", start_s=start_s, end_s=end_s,
                    text=render_text(coalesce(pick(tool, "arguments"), message)), tool_name=tool_name)
    if kind == "tool_call_output":
        output = coalesce(pick(entry, "toolCallOutput"), pick(tool, "output"), message)
        return Turn(speaker="tool", kind="tool_result", start_s=start_s, end_s=end_s,
                    text=render_text(output), tool_name=tool_name)
    if kind == "interruption":
        speaker = speaker_for(role) if to_str(role) else "customer"  # an unattributed barge-in
        return Turn(speaker=speaker, kind="interruption", start_s=start_s, end_s=end_s,
                    text=render_text(message))
    return Turn(speaker=speaker_for(role), text=render_text(message), start_s=start_s, end_s=end_s)


def _entry_times(entry: dict, tool: dict, base: datetime | None) -> tuple[float | None, float | None]:
    """Seconds from call start: `createdAt` (tool rows: else `toolCall.startedAt`) minus the call's
    start; the end adds `durationMs`, else comes from `toolCall.endedAt`."""
    created = parse_time(pick(entry, "createdAt"))
    if created is None:
        created = parse_time(pick(tool, "startedAt"))
    start_s = _since(created, base)
    duration_ms = non_negative(pick(entry, "durationMs"))
    if start_s is not None and duration_ms is not None:
        return start_s, offset_s(start_s + duration_ms / 1000)
    return start_s, _since(parse_time(pick(tool, "endedAt")), base)


def _since(moment: datetime | None, base: datetime | None) -> float | None:
    if moment is None or base is None:
        return None
    return offset_s((moment - base).total_seconds())
