"""Provider text made safe to show. Transcripts, numbers and summaries come from strangers (a
caller's words, whatever a provider stores), so what shows them must not obey them:

* `for_terminal` (the command line): control characters (escape sequences) and the invisible
  characters that reorder a line (bidirectional controls, a "Trojan Source" line reads
  differently from what it is) or break it (Unicode line and paragraph separators) are shown
  escaped, `\\x1b` / `\\u202e`.
* `for_screen` (the window, which never renders markup in the first place): the explicit
  bidirectional embeddings, overrides and isolates are shown as `[U+202E]` instead of obeyed, so
  a phone number or a line cannot be shown reversed. The marks that right-to-left text uses
  (U+200E, U+200F, U+061C) stay.

Letters of any script, combining marks and emoji stay as they are. No Qt here.
"""

from __future__ import annotations

import re

#: Invisible characters that reorder or break what is shown.
INVISIBLE = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029"

#: What `for_terminal` escapes: C0 controls but tab and newline, DEL and C1 controls, the
#: invisible characters above, and lone surrogates.
_TERMINAL_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff" + INVISIBLE + "]")

#: What `for_screen` shows instead of obeying: LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI.
_REORDERING = re.compile("[\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def for_terminal(text: str | None) -> str:
    """`text` for a terminal (see the module docstring); "" for None."""
    if not text:
        return ""
    return _TERMINAL_UNSAFE.sub(_escape, text)


def for_screen(text: str | None) -> str:
    """`text` for the window (see the module docstring); "" for None."""
    if not text:
        return ""
    return _REORDERING.sub(lambda m: f"[U+{ord(m.group()):04X}]", text)


def json_for_screen(text: str) -> str:
    """JSON text for the window: the reordering controls written as the JSON escapes they stand
    for (`\\u202e`), so the text shown is still exactly the same JSON document."""
    return _REORDERING.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
