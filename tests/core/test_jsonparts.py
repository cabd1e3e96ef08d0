"""`callviewer.jsonparts`: parsing like `json.loads`, and the text of each call in a page."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callviewer.jsonparts import loads_with_parts

_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
_json = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(st.text(max_size=5), inner, max_size=4), max_leaves=25)


def _dumps(doc, rng: random.Random) -> str:
    """`doc` as JSON in one of several layouts (compact, spaced, indented, ASCII-escaped)."""
    return json.dumps(doc, ensure_ascii=rng.random() < 0.5,
                      **rng.choice([{"separators": (",", ":")}, {}, {"indent": 2}, {"indent": "\t"}]))


@settings(max_examples=300, deadline=None)
@given(_json, st.integers(0, 2**32))
def test_parses_what_json_parses(doc, seed):
    text = " \n" + _dumps(doc, random.Random(seed)) + "\r\n "
    got, parts = loads_with_parts(text.encode("utf-8"))
    assert got == json.loads(text)
    # every dict of the top levels maps back to the text it came from
    members = got.values() if isinstance(got, dict) else got if isinstance(got, list) else []
    for member in [got, *members]:
        if isinstance(member, dict):
            assert json.loads(parts.text_of(member)) == member


@pytest.mark.parametrize("body", [
    b"", b" ", b"{", b"[", b"[1,]", b"[,1]", b"{,}", b'{"a":1,}', b'{"a" 1}', b'{"a":1 "b":2}', b"[1 2]",
    b'{1:2}', b'{"a":[}', b'{"a":{"b":}}', b"[1] 2", b'{"a":1}}', b"nul", b'"\\x"', b"\xff\xfe\x00",
    b"\xef\xbb\xbf", b'[{"a":1},{"b":2]', b'{"calls":[{"id":1},]}',
])
def test_rejects_what_json_rejects(body):
    with pytest.raises(ValueError):
        json.loads(body)
    with pytest.raises(ValueError):
        loads_with_parts(body)


def test_mutated_documents_fail_or_parse_alike():
    rng = random.Random(5)
    seeds = [b'{"data":[{"id":"a","x":[1,2.5,{"y":null}]},{"id":"b"}],"status":"ok"}',
             b' [ {"a" : 1} , {"b":2} ] ', b'{"calls":[],"pagination":{"next":null}}', b'{"a":NaN}']
    alphabet = b' {}[]:,"a1\\\t\n.-e'
    for _ in range(20000):
        body = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 3)):
            pos = rng.randrange(len(body) + 1)
            if rng.random() < 0.5 and body:
                del body[min(pos, len(body) - 1)]
            else:
                body[pos:pos] = bytes([rng.choice(alphabet)])
        try:
            expected = ("ok", repr(json.loads(bytes(body))))
        except ValueError:
            expected = ("error",)
        try:
            got = ("ok", repr(loads_with_parts(bytes(body))[0]))
        except ValueError:
            got = ("error",)
        assert got == expected, bytes(body)


def test_page_items_are_cut_out_as_sent():
    calls = [{"id": "c1", "words": [{"w": "hi", "start": 0.1}], "note": "café ☎"}, {"id": "c2"}]
    body = json.dumps({"status": "ok", "data": calls}, indent=2, ensure_ascii=False).encode("utf-8")
    doc, parts = loads_with_parts(body)
    text = body.decode("utf-8")
    for item, original in zip(doc["data"], calls):
        cut = parts.text_of(item)
        assert cut in text and "\n" in cut  # the provider's own layout, not a new serialization
        assert json.loads(cut) == original
    assert parts.text_of(dict(doc["data"][0])) is None  # a copy is not the object parsed


def test_a_detail_is_found_in_its_envelope_or_as_the_body():
    call = {"id": "c1", "cost": 1.5}
    wrapped = b'{"status": "ok", "message": "", "data": {"id": "c1", "cost": 1.5}}'
    doc, parts = loads_with_parts(wrapped)
    assert parts.find(dict(doc["data"])) == '{"id": "c1", "cost": 1.5}'
    bare = b' {"id": "c1", "cost": 1.5}\n'
    doc, parts = loads_with_parts(bare)
    assert parts.find(dict(doc)) == '{"id": "c1", "cost": 1.5}'
    assert parts.find({"id": "other"}) is None
    assert json.loads(parts.find(call)) == call
