"""Pure normalizers: a provider's raw call JSON -> the contract's normalized `Call`.

No I/O, no Qt. Each provider module has `normalize(raw) -> Call`; it tolerates missing, null and
wrongly typed fields (they become None/[]/{}), and raises `NormalizeError` only for a payload that
is not a JSON object or has no call id. `account` is left "" for the sync layer to fill in.
"""

from __future__ import annotations

from typing import Any

from callviewer.domain import Call
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
