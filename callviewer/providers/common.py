"""Small helpers the adapters share (the normalizers have their own in `callviewer.normalize`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote


def ci_get(obj: Any, key: str) -> Any:
    """`obj[key]`, else the first key equal ignoring case; None when absent or not a mapping."""
    if not isinstance(obj, Mapping):
        return None
    if key in obj:
        return obj[key]
    low = key.lower()
    for k, v in obj.items():
        if isinstance(k, str) and k.lower() == low:
            return v
    return None


def first_str(obj: Any, *keys: str) -> str | None:
    """The first of `keys` (case-insensitive) holding a non-empty string or number, as a string."""
    for key in keys:
        v = ci_get(obj, key)
        if isinstance(v, bool):
            continue
        if isinstance(v, (int, float)):
            return str(v)
        if isinstance(v, str) and v.strip():
            return v.strip()
    return None


def iso_z(when: datetime) -> str:
    """RFC 3339 in UTC with milliseconds and a Z, as the APIs document their date-times."""
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def path_id(call_id: str) -> str:
    """A provider id made safe as one path segment."""
    return quote(call_id, safe="")


def unwrap(data: Any) -> Any:
    """Callab's `{status, message, data}` envelope, removed when present."""
    if isinstance(data, Mapping) and "data" in data and ("status" in data or "message" in data):
        return data["data"]
    return data


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 string (offset or Z; naive is taken as UTC) or epoch s/ms, as an aware datetime."""
    if value is None or isinstance(value, bool):
        return None
    try:
        if isinstance(value, (int, float)):
            seconds = value / 1000 if abs(value) > 1e11 else value
            return datetime.fromtimestamp(seconds, timezone.utc)
        if isinstance(value, str) and value.strip():
            text = value.strip()
            if text.isdigit():
                return parse_time(int(text))
            when = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
            return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
    except (ValueError, OverflowError, OSError):
        return None
    return None
