"""Defensive helpers shared by the provider normalizers.

Every reader here takes whatever a provider sent (any JSON value, or garbage) and returns either a
value of the expected type or None. None of them raise on bad input: a field that can't be read is
simply not given. Only `require_id` raises, because a call without an id can't be stored.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime, timedelta, timezone
from typing import Any

from callviewer.domain import Speaker, Turn, TurnKind
from callviewer.errors import MissingCallId, NormalizeError

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
#: Epoch numbers at or above this are milliseconds (1e11 s is the year 5138; 1e11 ms is 1973).
_EPOCH_MS_FROM = 1e11
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_SURROGATE = re.compile("[\ud800-\udfff]")
#: Deeper JSON than this is cut off (replaced by None) when copied into the normalized call.
_MAX_DEPTH = 64


# ---------------------------------------------------------------- lookups

def pick(obj: Any, *names: str) -> Any:
    """The first non-null value of `names` in `obj`, keys matched exactly, then case-insensitively.

    Returns None when `obj` is not a dict, so lookups can be chained through missing levels.
    """
    if not isinstance(obj, dict) or not obj:
        return None
    for name in names:
        value = obj.get(name)
        if value is not None:
            return value
    # Case-insensitive fallback (Atlas mixes `EndedReason` and `endedReason`). Most lookups that
    # get here are for one key that is simply absent: rule that out first, at C speed (a key that
    # is not text raises TypeError; then the scan below looks at the keys one by one).
    if len(names) == 1:
        try:
            if names[0].lower() not in map(str.lower, obj):
                return None
        except TypeError:
            pass
    wanted = [name.lower() for name in names]
    found: Any = None
    rank = len(wanted)
    for key, value in obj.items():
        if value is None or not isinstance(key, str):
            continue
        low = key.lower()
        if low in wanted:
            r = wanted.index(low)
            if r < rank:
                found, rank = value, r
                if r == 0:
                    break
    return found


def coalesce(*values: Any) -> Any:
    """The first value that is not None."""
    for value in values:
        if value is not None:
            return value
    return None


def as_dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else []


def require_id(obj: Any, *names: str) -> str:
    """The call id under one of `names`, as a string; NormalizeError when there is none."""
    if not isinstance(obj, dict):
        raise NormalizeError(None, f"payload is not a JSON object ({type(obj).__name__})")
    value = pick(obj, *names)
    call_id = None if isinstance(value, bool) else to_str(value)
    if call_id is None:
        raise MissingCallId()
    return call_id


# ---------------------------------------------------------------- scalars

def to_float(value: Any) -> float | None:
    """A finite number from a number or a numeric string ("12.5", " 1,234.5 "); else None.

    Booleans are not numbers, and NaN/infinity are treated as missing.
    """
    if type(value) is float:  # the usual case first (float(value) would be the very same)
        return value if math.isfinite(value) else None
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if _THOUSANDS.fullmatch(text):
            text = text.replace(",", "")
        elif not _NUMBER.fullmatch(text):
            return None
        value = text
    elif not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except (OverflowError, ValueError):
        return None
    return number if math.isfinite(number) else None


def finite(number: float | None) -> float | None:
    """`number` unless it is None or overflowed to infinity/NaN."""
    return number if number is not None and math.isfinite(number) else None


def to_bool(value: Any) -> bool | None:
    """A real boolean, or the strings/numbers that plainly spell one ("true", "0"...)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        return {"true": True, "yes": True, "1": True,
                "false": False, "no": False, "0": False}.get(value.strip().lower())
    return None


def clean_text(text: str) -> str:
    """`text` verbatim, minus what UTF-8 storage can't hold: NUL characters and lone surrogates.

    A surrogate pair split into two code units is joined back into its character.
    """
    if "\x00" in text:
        text = text.replace("\x00", "")
    if not text.isascii() and _SURROGATE.search(text):  # isascii() is free: str knows it
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "ignore")
    return text


def to_str(value: Any) -> str | None:
    """A scalar as a trimmed, clean string (numbers in plain form, booleans as "true"/"false").

    None for null, empty strings, non-finite numbers and containers.
    """
    if isinstance(value, str):
        text = clean_text(value).strip()
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            return None
        text = str(int(value)) if value.is_integer() else repr(value)
    else:
        return None
    return text or None


def has_text(value: Any) -> bool:
    """Whether `value` is a string with something other than whitespace in it (a URL, say)."""
    return isinstance(value, str) and bool(value.strip())


def to_lower(value: Any) -> str | None:
    text = to_str(value)
    return text.lower() if text is not None else None


def to_phone(value: Any) -> str | None:
    """A phone number as a string; numbers sent as JSON numbers keep their digits."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    return None if isinstance(value, bool) else to_str(value)


def to_tags(value: Any) -> list[str]:
    """A list of tag strings; a lone string is one tag, unreadable entries are dropped."""
    if isinstance(value, str):
        value = [value]
    return [tag for tag in (to_str(v) for v in as_list(value)) if tag is not None]


def json_safe(value: Any, depth: int = 0) -> Any:
    """A copy of a JSON-ish value that `json.dumps(..., allow_nan=False)` accepts and UTF-8 stores."""
    if depth > _MAX_DEPTH:
        return None
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(str(k)): json_safe(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v, depth + 1) for v in value]
    return clean_text(str(value))


def render_text(value: Any) -> str:
    """Any value as transcript text: strings verbatim, null as "", structures as compact JSON.

    A list of content parts (`[{"type": "text", "text": "..."}]`, OpenAI style) is joined.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list) and value and all(isinstance(p, dict) and isinstance(p.get("text"), str)
                                                 for p in value):
        return "".join(clean_text(p["text"]) for p in value)
    if isinstance(value, (dict, list)):
        return json.dumps(json_safe(value), ensure_ascii=False, separators=(",", ":"))
    return to_str(value) or ""


def name_value_map(value: Any) -> dict[str, Any]:
    """A dict as it is, or a list of `{name, value}` items as `{name: value}` (JSON-safe)."""
    if isinstance(value, dict):
        return json_safe(value)
    out: dict[str, Any] = {}
    for item in as_list(value):
        name = to_str(pick(item, "name", "key"))
        if name is not None:
            out[name] = json_safe(as_dict(item).get("value"))
    return out


# ---------------------------------------------------------------- time

def parse_time(value: Any) -> datetime | None:
    """An aware UTC datetime from an ISO 8601 string (offset, 'Z', fraction, date-only or naive,
    read as UTC) or an epoch in seconds or milliseconds (number or numeric string); else None.

    Epoch values at or below zero are treated as "not set".
    """
    if isinstance(value, str):
        text = value.strip()
        if _NUMBER.fullmatch(text):
            return _from_epoch(to_float(text))
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        try:
            return moment.astimezone(timezone.utc)
        except (OverflowError, ValueError):
            return None
    return _from_epoch(to_float(value))


def _from_epoch(number: float | None) -> datetime | None:
    if number is None or number <= 0:
        return None
    if number >= _EPOCH_MS_FROM:
        number /= 1000
    try:
        return _EPOCH + timedelta(seconds=number)
    except OverflowError:
        return None


def iso_utc(moment: datetime | None) -> str | None:
    """`2024-05-01T12:00:00Z`, with `.123` or `.123456` when the time has a fraction."""
    if moment is None:
        return None
    if moment.year >= 1000:  # what strftime gives, much faster (it does not pad smaller years)
        text = "%04d-%02d-%02dT%02d:%02d:%02d" % (moment.year, moment.month, moment.day,
                                                  moment.hour, moment.minute, moment.second)
    else:
        text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    micros = moment.microsecond
    if micros:
        text += f".{micros // 1000:03d}" if micros % 1000 == 0 else f".{micros:06d}"
    return text + "Z"


def to_iso_utc(value: Any) -> str | None:
    return iso_utc(parse_time(value))


def seconds_between(start: datetime | None, end: datetime | None) -> float | None:
    """`end - start` in seconds, or None when either is unknown or the result is negative."""
    if start is None or end is None or end < start:
        return None
    return (end - start).total_seconds()


def non_negative(value: Any) -> float | None:
    number = to_float(value)
    return number if number is not None and number >= 0 else None


def offset_s(seconds: float | None) -> float | None:
    """A time offset from call start, to the millisecond; tiny negatives (clock skew) become 0.0,
    larger ones None."""
    if seconds is None or not math.isfinite(seconds):
        return None
    if seconds < 0:
        return 0.0 if seconds > -1.0 else None
    return round(seconds, 3)


# ---------------------------------------------------------------- direction, speakers, transcripts

def to_direction(value: Any) -> str | None:
    """The contract direction from Vapi's call types (`inboundPhoneCall`, `webCall`,
    `vapi.websocketCall`...) or plain words (also "incoming"/"outgoing"); None otherwise."""
    word = to_lower(value) or ""
    if "inbound" in word or "incoming" in word:
        return "inbound"
    if "outbound" in word or "outgoing" in word:
        return "outbound"
    if "web" in word:
        return "web"
    return None


_AGENT_ROLES = {"bot", "assistant", "agent", "ai", "model", "llm", "ivr"}
_CUSTOMER_ROLES = {"user", "human", "caller", "customer", "client", "callee", "contact", "lead"}
_SYSTEM_ROLES = {"system", "developer"}
_TOOL_RESULT_WORDS = ("result", "output", "response")


#: `speaker_for` of the role strings seen (a provider uses a handful; capped all the same).
_SPEAKER_OF: dict[str, Speaker] = {}


def speaker_for(role: Any) -> Speaker:
    """The contract speaker for a provider role, by the nearest meaning; unknown roles are system."""
    if type(role) is not str:
        return _speaker_for(role)
    speaker = _SPEAKER_OF.get(role)
    if speaker is None:
        speaker = _speaker_for(role)
        if len(_SPEAKER_OF) < 1000:
            _SPEAKER_OF[role] = speaker
    return speaker


def _speaker_for(role: Any) -> Speaker:
    word = (to_lower(role) or "").replace("-", "_")
    if word in _AGENT_ROLES:
        return "agent"
    if word in _CUSTOMER_ROLES:
        return "customer"
    if word in _SYSTEM_ROLES:
        return "system"
    if "tool" in word or "function" in word:
        return "tool"
    if any(w in word for w in ("user", "customer", "caller", "human")):
        return "customer"
    if any(w in word for w in ("bot", "assistant", "agent")):
        return "agent"
    return "system"


def tool_kind(role: Any) -> TurnKind:
    """Whether a tool role is the call (`tool_calls`) or its answer (`tool_call_result`, `tool`)."""
    word = to_lower(role) or ""
    if word in ("tool", "function") or any(w in word for w in _TOOL_RESULT_WORDS):
        return "tool_result"
    return "tool_call"


def tool_call_text(name: str | None, arguments: Any) -> str:
    """A readable tool invocation: `name(arguments)`, or the arguments alone when unnamed."""
    args = render_text(arguments)
    return f"{name}({args})" if name else args


_SPEAKER_LINE = re.compile(
    r"\s*(ai|bot|assistant|agent|user|customer|caller|human|system)\s*:\s?(.*)", re.IGNORECASE)


def parse_plain_transcript(text: Any) -> list[Turn]:
    """Turns from a plain "AI: ... / User: ..." transcript, times unknown.

    A line without a speaker prefix continues the previous turn (or opens a system turn when it
    comes first), so no text is lost. Blank lines are dropped.
    """
    if not isinstance(text, str):
        return []
    turns: list[Turn] = []
    lines: list[list[str]] = []  # each turn's lines, joined once at the end (no quadratic concat)
    for raw_line in clean_text(text).split("\n"):
        line = raw_line.rstrip("\r")
        if not line.strip():
            continue
        match = _SPEAKER_LINE.match(line)
        if match:
            turns.append(Turn(speaker=speaker_for(match.group(1)), text=""))
            lines.append([match.group(2)])
        elif turns:
            lines[-1].append(line)
        else:
            turns.append(Turn(speaker="system", text=""))
            lines.append([line])
    for turn, parts in zip(turns, lines):
        turn.text = "\n".join(parts)
    return turns

