"""Parse a JSON document and keep the text its top objects were parsed from.

A list page of Callab or Vatel holds full call objects, and the sync keeps each call's JSON as it
came. Cutting each call's text out of the page is much cheaper than serializing the parsed object
again (floats especially: a Callab call carries thousands of word timings), and for the usual
compact JSON it is the very same text.

    doc, parts = loads_with_parts(body)   # doc == json.loads(body)
    text = parts.text_of(item)            # the text `item` (a dict in doc) was parsed from

Only the top of the document is walked by hand (the document itself, the values of a top-level
object or array, and the elements of arrays among those); everything below is parsed by `json`'s
C scanner in one call per value, so this costs about what `json.loads` does.
"""

from __future__ import annotations

import json
import re
from typing import Any

_DECODER = json.JSONDecoder()
_WS = re.compile(r"[ \t\n\r]*")  # JSON's whitespace, as `json.decoder` skips it
#: Containers down to this depth are walked by hand (0: the document); deeper values are parsed
#: whole. Objects (dicts) found down to depth `_WALK + 1` get their text recorded.
_WALK = 1


class Parts:
    """Where the dicts at the top of a parsed document are in its text."""

    __slots__ = ("doc", "text", "_spans")

    def __init__(self, doc: Any, text: str, spans: dict[int, tuple[int, int]]) -> None:
        self.doc = doc  # keeps every dict of `_spans` alive, so no other object can take its id
        self.text = text
        self._spans = spans

    def text_of(self, obj: Any) -> str | None:
        """The text `obj` was parsed from, if it is one of the document's top dicts (the very
        object, not an equal copy); else None."""
        span = self._spans.get(id(obj))
        return self.text[span[0]:span[1]] if span is not None else None

    def find(self, obj: Any) -> str | None:
        """The text of the document, or of one of its members, if it equals `obj` (a copy made of
        it, say); else None."""
        doc = self.doc
        members = doc.values() if isinstance(doc, dict) else doc if isinstance(doc, list) else ()
        for candidate in (doc, *members):
            if type(candidate) is dict and candidate == obj:
                return self.text_of(candidate)
        return None


def loads_with_parts(body: bytes) -> tuple[Any, Parts]:
    """`json.loads(body)`, and where its top dicts are in the text (see the module docstring).
    Raises what `json.loads` raises for a body that is not JSON."""
    text = body.decode(json.detect_encoding(body), "surrogatepass")
    spans: dict[int, tuple[int, int]] = {}
    start = _WS.match(text, 0).end()
    doc, end = _value(text, start, 0, spans)
    if _WS.match(text, end).end() != len(text):
        raise json.JSONDecodeError("Extra data", text, end)
    return doc, Parts(doc, text, spans)


def _value(text: str, i: int, depth: int, spans: dict[int, tuple[int, int]]) -> tuple[Any, int]:
    char = text[i:i + 1]
    if depth <= _WALK and char == "{":
        value, end = _object(text, i, depth, spans)
    elif depth <= _WALK and char == "[":
        value, end = _array(text, i, depth, spans)
    else:
        value, end = _DECODER.raw_decode(text, i)
    if type(value) is dict:
        spans[id(value)] = (i, end)
    return value, end


def _object(text: str, i: int, depth: int, spans: dict[int, tuple[int, int]]) -> tuple[dict, int]:
    obj: dict[str, Any] = {}  # a repeated key keeps its first place and its last value, as in json
    i = _WS.match(text, i + 1).end()
    if text[i:i + 1] == "}":
        return obj, i + 1
    while True:
        if text[i:i + 1] != '"':
            raise json.JSONDecodeError("Expecting property name enclosed in double quotes", text, i)
        key, i = _DECODER.raw_decode(text, i)
        i = _WS.match(text, i).end()
        if text[i:i + 1] != ":":
            raise json.JSONDecodeError("Expecting ':' delimiter", text, i)
        i = _WS.match(text, i + 1).end()
        obj[key], i = _value(text, i, depth + 1, spans)
        i, done = _after_member(text, i, "}")
        if done:
            return obj, i


def _array(text: str, i: int, depth: int, spans: dict[int, tuple[int, int]]) -> tuple[list, int]:
    items: list[Any] = []
    i = _WS.match(text, i + 1).end()
    if text[i:i + 1] == "]":
        return items, i + 1
    while True:
        item, i = _value(text, i, depth + 1, spans)
        items.append(item)
        i, done = _after_member(text, i, "]")
        if done:
            return items, i


def _after_member(text: str, i: int, close: str) -> tuple[int, bool]:
    """After a member of an object or array: (where the next one starts, False), or (just past
    the `close` bracket, True)."""
    i = _WS.match(text, i).end()
    char = text[i:i + 1]
    if char == close:
        return i + 1, True
    if char != ",":
        raise json.JSONDecodeError("Expecting ',' delimiter", text, i)
    return _WS.match(text, i + 1).end(), False
