"""Full-text search: what gets indexed for a call, and turning what a user types into FTS5 syntax.

Pure functions, no SQLite connection. The index (table `calls_fts`, tokenizer
`unicode61 remove_diacritics 2`) holds per call: the summary, the customer number in several forms,
and every transcript line.
"""

from __future__ import annotations

import re
import unicodedata

from callviewer.domain import Call

#: Characters a typed phone number may contain besides digits.
_PHONE_PUNCT = frozenset("+()-./")
_MAX_TOKENS = 32
_MAX_TOKEN_CHARS = 200
_MIN_SUFFIX = 4
_MAX_NUMBER_DIGITS = 15  # E.164


def _digits(s: str) -> str:
    return "".join(ch for ch in s if "0" <= ch <= "9")


def number_forms(number: str | None) -> list[str]:
    """The customer number as given, plus its digits and every digit suffix of 4+ digits.

    For "+1 (555) 123-4567": "+1 (555) 123-4567", "15551234567", "5551234567" (without the
    country code), ..., "1234567" (last 7), ..., "4567" (last 4). With FTS prefix matching this
    makes any run of 4+ consecutive digits of the number find the call.
    """
    if not number:
        return []
    forms = [number]
    digits = _digits(number)[-_MAX_NUMBER_DIGITS:]
    for start in range(0, len(digits) - _MIN_SUFFIX + 1):
        forms.append(digits[start:])
    return forms


def search_text(call: Call) -> str:
    """The text the full-text index holds for one call."""
    parts: list[str] = []
    if call.summary:
        parts.append(call.summary)
    parts.extend(number_forms(call.customer_number))
    parts.extend(t.text for t in call.transcript if t.text)
    return "\n".join(parts)


# ----------------------------------------------------------------------------------------------

def _is_word_char(ch: str) -> bool:
    """Characters the unicode61 tokenizer keeps inside a token (letters, digits, marks, private use)."""
    cat = unicodedata.category(ch)
    return cat[0] in "LNM" or cat == "Co"


def _is_base_char(ch: str) -> bool:
    cat = unicodedata.category(ch)
    return cat[0] in "LN" or cat == "Co"


def _phone_digits(token: str) -> str | None:
    """The digits of a token made only of ASCII digits and phone punctuation, else None."""
    if not any("0" <= ch <= "9" for ch in token):
        return None
    if all(("0" <= ch <= "9") or ch in _PHONE_PUNCT for ch in token):
        return _digits(token)
    return None


def _clean_word(token: str) -> str | None:
    """Separators become spaces; None when nothing the tokenizer would index is left."""
    cleaned = "".join(ch if _is_word_char(ch) else " " for ch in token)
    cleaned = " ".join(cleaned.split())
    if not any(_is_base_char(ch) for ch in cleaned):
        return None
    return cleaned[:_MAX_TOKEN_CHARS]


def _phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"*'


def fts_query(user_text: str | None) -> str | None:
    """A safe FTS5 MATCH expression for what a user typed, or None when nothing searchable is left.

    Whitespace separates tokens; every token becomes a quoted prefix phrase and all are ANDed. A
    token of digits and phone punctuation (`+1`, `(555)`, `123-4567`) is reduced to its digits.
    When the whole input looks like one phone number split by spaces (`+1 555 123 4567`), the
    run of all its digits is accepted as an alternative. FTS operators typed by the user (`OR`,
    `NEAR`, `"`, `*`, `-`, `:`, parentheses) are only ever searched for as text, never parsed.
    """
    if not user_text:
        return None
    phrases: list[str] = []
    all_digits: list[str] = []
    phone_like = True
    for raw in user_text.split()[:_MAX_TOKENS]:
        digits = _phone_digits(raw)
        if digits is not None:
            phrases.append(_phrase(digits))
            all_digits.append(digits)
            continue
        if not all(ch in _PHONE_PUNCT for ch in raw):
            phone_like = False
        word = _clean_word(raw)
        if word is not None:
            phrases.append(_phrase(word))
    if not phrases:
        return None
    expr = " AND ".join(phrases)
    joined = "".join(all_digits)
    if phone_like and len(all_digits) > 1 and len(joined) >= 7:
        expr = f"({expr}) OR {_phrase(joined)}"
    return expr


_WS = re.compile(r"\s+")


def summary_line(summary: str | None, limit: int = 200) -> str | None:
    """The first non-empty line of a summary, whitespace collapsed, at most `limit` characters."""
    if not summary:
        return None
    for line in summary.splitlines():
        line = _WS.sub(" ", line).strip()
        if line:
            return line[:limit]
    return None
