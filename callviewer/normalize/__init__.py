"""Pure normalizers: a provider's raw call JSON -> the contract's normalized `Call`.

No I/O, no Qt. Each provider module has `normalize(raw) -> Call`; it tolerates missing, null and
wrongly typed fields (they become None/[]/{}), and raises `NormalizeError` only for a payload that
is not a JSON object or has no call id. `account` is left "" for the sync layer to fill in.
"""

from __future__ import annotations

from typing import Any

from callviewer.domain import Call
from callviewer.errors import MissingCallId
from callviewer.normalize import atlas, callab, vatel

#: Bumped whenever the output for the same raw JSON changes, so stored calls can be re-derived.
NORMALIZER_VERSION = 2

_NORMALIZERS = {"atlas": atlas.normalize, "callab": callab.normalize, "vatel": vatel.normalize}


def normalize(provider: str, raw: Any) -> Call:
    """Normalize `raw` from `provider` ("atlas", "callab" or "vatel"); ValueError for another name."""
    try:
        normalizer = _NORMALIZERS[provider]
    except KeyError:
        raise ValueError(f"unknown provider {provider!r}") from None
    return normalizer(raw)


def normalize_listed(provider: str, raw: Any, call_id: str) -> Call:
    """`normalize`, for a payload the provider gave for the call `call_id` (listed, fetched or
    stored under that id): one that leaves its own id out (an Atlas list names a call by
    `rowKey` only) is that call."""
    try:
        return normalize(provider, raw)
    except MissingCallId:
        return normalize(provider, with_call_id(raw, call_id))


def with_call_id(raw: Any, call_id: str) -> Any:
    """A copy of the payload `raw` with `call_id` as its id (inside Callab's `data` envelope)."""
    if not isinstance(raw, dict):
        return raw
    data = raw.get("data")
    if isinstance(data, dict) and ("status" in raw or "message" in raw):
        return {**raw, "data": {**data, "id": call_id}}
    return {**raw, "id": call_id}
