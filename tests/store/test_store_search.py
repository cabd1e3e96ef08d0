"""Full-text search: the query builder, what is indexed, and hostile input."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from callviewer.domain import Turn
from callviewer.store import CallQuery, fts_query
from callviewer.store.search import number_forms, summary_line
from store_helpers import make_call, record


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("", None),
        ("   ", None),
        ("refund", '"refund"*'),
        ("Refund  policy", '"Refund"* AND "policy"*'),
        ('say "hi"', '"say"* AND "hi"*'),
        ("OR", '"OR"*'),
        ("a OR b", '"a"* AND "OR"* AND "b"*'),
        ("NEAR(a b)", '"NEAR a"* AND "b"*'),
        ("-x col:val", '"x"* AND "col val"*'),
        ("don't", '"don t"*'),
        ("* ( ) \" : ^ -", None),
        ("555-1234", '"5551234"*'),
        ("(555)", '"555"*'),
        ("+1 (555) 123-4567", '("1"* AND "555"* AND "1234567"*) OR "15551234567"*'),
        ("call 555 1234", '"call"* AND "555"* AND "1234"*'),
        ("x1234", '"x1234"*'),
    ],
)
def test_fts_query(typed, expected):
    assert fts_query(typed) == expected


def test_number_forms():
    forms = number_forms("+1 (555) 123-4567")
    assert forms[0] == "+1 (555) 123-4567"
    for f in ("15551234567", "5551234567", "1234567", "4567"):
        assert f in forms
    assert "567" not in forms
    assert number_forms(None) == []
    assert number_forms("sip:bob@example.com") == ["sip:bob@example.com"]


def test_summary_line():
    assert summary_line("\n\n  First   line \nsecond") == "First line"
    assert summary_line("x" * 500) == "x" * 200
    assert summary_line("  \n ") is None
    assert summary_line(None) is None


@pytest.fixture
def searchable(store, account):
    calls = [
        make_call(1, customer_number="+1 (555) 123-4567", summary="Customer requested a refund",
                  transcript=[Turn("agent", "Hello, how can I help?"),
                              Turn("customer", "My parcel never arrived, quelle déception")]),
        make_call(2, customer_number="+15559876543", summary="Booked an appointment",
                  transcript=[Turn("agent", "Your appointment is on Tuesday"),
                              Turn("customer", "Thanks! Call me at 555 0000")]),
        make_call(3, customer_number="020 7946 0018", summary=None,
                  transcript=[Turn("customer", "Je voudrais annuler ma commande"),
                              Turn("agent", "D'accord, c'est annulé")]),
    ]
    store.upsert_calls(account.id, [record(c) for c in calls])
    return store


def found(store, text):
    return sorted(c.provider_call_id[-1] for c in store.list_calls(CallQuery(search=text)))


def test_search_transcript_summary_and_prefixes(searchable):
    s = searchable
    assert found(s, "parcel") == ["1"]
    assert found(s, "refund") == ["1"]           # summary
    assert found(s, "appoint") == ["2"]          # prefix
    assert found(s, "APPOINTMENT tuesday") == ["2"]
    assert found(s, "deception") == ["1"]        # diacritics folded
    assert found(s, "annule") == ["3"]
    assert found(s, "parcel tuesday") == []       # tokens are ANDed
    assert found(s, "nothingmatches") == []
    assert found(s, "") == ["1", "2", "3"]       # no search text: no filter


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("+1 (555) 123-4567", ["1"]),
        ("+15551234567", ["1"]),
        ("15551234567", ["1"]),
        ("5551234567", ["1"]),
        ("(555) 123-4567", ["1"]),
        ("555-123-4567", ["1"]),
        ("123-4567", ["1"]),
        ("1234567", ["1"]),
        ("4567", ["1"]),
        ("34567", ["1"]),   # any trailing 4+ digits
        ("6543", ["2"]),
        ("555 987 6543", ["2"]),
        ("0018", ["3"]),
        ("02079460018", ["3"]),
        ("7946", ["3"]),
        ("555", ["1", "2"]),   # the number as given and the transcript's "555 0000"
    ],
)
def test_search_phone_numbers(searchable, typed, expected):
    assert found(searchable, typed) == expected


def test_search_follows_updates_and_deletes(searchable, account):
    s = searchable
    call = s.get_call("call-000001")
    call.summary = "Now about a chargeback"
    call.transcript = [Turn("agent", "completely different words")]
    s.upsert_calls(account.id, [record(call, detail_hash="changed")])
    assert found(s, "parcel") == []
    assert found(s, "chargeback") == ["1"]
    assert found(s, "refund") == []
    s.conn.execute("INSERT INTO calls_fts (calls_fts, rank) VALUES ('integrity-check', 1)")


_FTS_SPECIALS = st.sampled_from(
    ['"', "*", "(", ")", "OR", "AND", "NOT", "NEAR", "NEAR(", "-", ":", "^", "+", "{", "}",
     "'", "\\", "\x00", "col:", "a*b", '""', "\u0301", "\ufeff", "𝔘", "٣", "\u200b"]
)
_HOSTILE = st.one_of(
    st.text(),
    st.lists(st.one_of(_FTS_SPECIALS, st.text(max_size=5)), max_size=12).map(" ".join),
    st.lists(st.one_of(_FTS_SPECIALS, st.text(max_size=3)), max_size=12).map("".join),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_HOSTILE)
def test_hostile_input_never_raises(searchable, text):
    expr = fts_query(text)
    assert expr is None or isinstance(expr, str)
    searchable.count(CallQuery(search=text))
    searchable.page(CallQuery(search=text, sort="cost", descending=False), None, 5)


@settings(max_examples=200, deadline=None)
@given(text=_HOSTILE)
def test_fts_query_is_always_valid_fts5(text):
    expr = fts_query(text)
    if expr is None:
        return
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE f USING fts5(t, tokenize='unicode61 remove_diacritics 2')")
    conn.execute("INSERT INTO f VALUES (?)", (text,))
    conn.execute("SELECT count(*) FROM f WHERE f MATCH ?", (expr,)).fetchone()
    conn.close()


@settings(max_examples=100, deadline=None)
@given(words=st.lists(st.text(alphabet=st.characters(categories=["L", "N"]), min_size=1,
                              max_size=8), min_size=1, max_size=4))
def test_typed_words_find_the_text_they_came_from(words):
    text = " ".join(words)
    expr = fts_query(text)
    assert expr is not None
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE f USING fts5(t, tokenize='unicode61 remove_diacritics 2')")
    conn.execute("INSERT INTO f VALUES (?)", (text,))
    n = conn.execute("SELECT count(*) FROM f WHERE f MATCH ?", (expr,)).fetchone()[0]
    conn.close()
    # Letters SQLite's (older) Unicode tables do not know as letters are the only excuse.
    assert n == 1 or any(not _sqlite_token_char(ch) for ch in text)


def _sqlite_token_char(ch: str) -> bool:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE f USING fts5(t)")
    conn.execute("CREATE VIRTUAL TABLE v USING fts5vocab(f, 'row')")
    conn.execute("INSERT INTO f VALUES (?)", ("a" + ch + "a",))
    terms = [r[0] for r in conn.execute("SELECT term FROM v")]
    conn.close()
    return len(terms) == 1
