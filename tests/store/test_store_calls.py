"""Writing calls (new / updated / unchanged), reading them back, errors, re-derivation."""

from __future__ import annotations

import pytest

from callviewer.domain import Call, Turn
from callviewer.errors import NormalizeError, UsageError
from callviewer.store import CallQuery, CallRecord
from store_helpers import make_call, record


def test_upsert_new_updated_unchanged(store, account):
    calls = [make_call(i) for i in range(10)]
    r = store.upsert_calls(account.id, [record(c) for c in calls])
    assert (r.new, r.updated, r.unchanged) == (10, 0, 0)

    calls[3].status = "ended"
    calls[3].summary = "changed"
    r = store.upsert_calls(account.id, [record(c) for c in calls])
    assert (r.new, r.updated, r.unchanged) == (0, 1, 9)
    assert store.get_call("call-000003").summary == "changed"
    assert store.count() == 10


def test_identical_sync_writes_nothing(store, account):
    records = [record(make_call(i)) for i in range(50)]
    store.upsert_calls(account.id, records)
    before = store.conn.execute("SELECT id, updated_at, fetched_at FROM calls ORDER BY id").fetchall()
    changes = store.conn.total_changes

    r = store.upsert_calls(account.id, records)

    assert (r.new, r.updated, r.unchanged) == (0, 0, 50)
    assert store.conn.total_changes == changes
    after = store.conn.execute("SELECT id, updated_at, fetched_at FROM calls ORDER BY id").fetchall()
    assert after == before


def test_only_list_hash_changed(store, account):
    rec = record(make_call(1), list_hash="L1")
    store.upsert_calls(account.id, [rec])
    updated_at = store.conn.execute("SELECT updated_at FROM calls").fetchone()[0]
    rec2 = CallRecord(rec.provider_call_id, rec.raw, rec.call, "L2", rec.detail_hash, None, 1)
    r = store.upsert_calls(account.id, [rec2])
    assert r.unchanged == 1
    assert store.known_hashes(account.id) == {"call-000001": ("L2", rec.detail_hash)}
    assert store.conn.execute("SELECT updated_at FROM calls").fetchone()[0] == updated_at

    assert store.touch_list_hash(account.id, {"call-000001": "L3", "missing": "x"}) == 1
    assert store.touch_list_hash(account.id, {"call-000001": "L3"}) == 0
    assert store.known_hashes(account.id)["call-000001"] == ("L3", rec.detail_hash)


def test_newer_normalizer_rewrites_same_detail(store, account):
    rec = record(make_call(1), version=1)
    store.upsert_calls(account.id, [rec])
    newer = CallRecord(rec.provider_call_id, rec.raw, make_call(1, summary="better"),
                       rec.list_hash, rec.detail_hash, None, 2)
    assert store.upsert_calls(account.id, [newer]).updated == 1
    assert store.get_call("call-000001").summary == "better"
    older = CallRecord(rec.provider_call_id, rec.raw, rec.call, rec.list_hash, rec.detail_hash,
                       None, 1)
    assert store.upsert_calls(account.id, [older]).unchanged == 1


def test_duplicate_ids_in_one_batch(store, account):
    a = make_call(1, summary="first")
    b = make_call(1, summary="second")
    r = store.upsert_calls(account.id, [record(a), record(b)])
    assert (r.new, r.updated) == (1, 1)
    assert store.get_call("call-000001").summary == "second"


def test_unknown_account_id(store):
    with pytest.raises(UsageError):
        store.upsert_calls(12345, [record(make_call(1))])


def test_transcript_round_trip_verbatim(store, account):
    texts = [
        "<b>bold</b> & <script>alert('x')</script>",
        "مرحبا، كيف يمكنني مساعدتك؟",  # RTL
        "שלום עולם",
        "emoji 👩‍👩‍👧 🎉 ok",
        "tabs\tand\nnewlines\r\n and  spaces ",
        "quotes \" ' ` and backslash \\ and NUL-free controls \x07",
        "",
    ]
    turns = [
        Turn(
            speaker=["agent", "customer", "system", "tool"][i % 4],
            text=texts[i % len(texts)] + f" #{i}",
            kind=["message", "tool_call", "tool_result", "interruption"][i % 4],
            start_s=i * 1.25 if i % 5 else None,
            end_s=i * 1.25 + 1 if i % 5 else None,
            tool_name="lookup" if i % 4 in (1, 2) else None,
        )
        for i in range(1500)
    ]
    call = make_call(7, transcript=turns, summary="Résumé: <i>ok</i> 👍\nline 2")
    store.upsert_calls(account.id, [record(call)])
    got = store.get_call("call-000007")
    assert got.transcript == turns
    assert got.summary == call.summary
    expected = call.to_dict()
    expected["account"] = "prod"
    assert got.to_dict() == expected
    # listings carry no transcript
    assert store.list_calls(CallQuery())[0].transcript == []
    # large transcripts are stored compressed
    blob = store.conn.execute("SELECT transcript FROM call_data").fetchone()[0]
    assert isinstance(blob, bytes)


def test_raw_json_kept(store, account):
    raw = {"id": "x1", "nested": {"a": [1, 2.5, None, True]}, "text": "héllo 👋"}
    store.upsert_calls(account.id, [record(make_call(1, provider_call_id="x1"), raw=raw)])
    rowid = store.rowid_of(account.id, "x1")
    assert store.get_raw(rowid) == raw
    assert isinstance(store.conn.execute("SELECT raw FROM call_data").fetchone()[0], bytes)
    with pytest.raises(UsageError):
        store.get_raw(999_999)


def test_get_call_lookup_rules(store, account):
    other = store.add_account("staging", "atlas", "https://x")
    store.upsert_calls(account.id, [record(make_call(1)), record(make_call(2))])
    store.upsert_calls(other.id, [record(make_call(1, summary="staging copy"))])

    assert store.get_call("call-000002").account == "prod"
    with pytest.raises(UsageError, match="'prod', 'staging'"):
        store.get_call("call-000001")
    assert store.get_call("call-000001", account="staging").summary == "staging copy"
    assert store.get_call("call-000001", account="prod").account == "prod"
    with pytest.raises(UsageError, match="unknown call 'nope'"):
        store.get_call("nope")
    with pytest.raises(UsageError, match="unknown call"):
        store.get_call("call-000002", account="staging")
    with pytest.raises(UsageError, match="unknown account"):
        store.get_call("call-000001", account="nope")

    rowid = store.rowid_of(other.id, "call-000001")
    assert store.get_call_by_rowid(rowid).summary == "staging copy"
    with pytest.raises(UsageError):
        store.get_call_by_rowid(10**9)


def test_normalize_error_rows_are_stored_but_hidden(store, account):
    store.upsert_calls(account.id, [record(make_call(i, summary="refund")) for i in range(3)])
    store.upsert_calls(account.id, [
        record(None, pcid="bad-1", raw={"weird": "refund"}, error="missing field 'id'"),
        record(None, pcid="bad-2", raw=[1, 2, 3], error="not an object"),
    ])
    assert store.count() == 3
    assert len(store.list_calls(CallQuery())) == 3
    assert store.count(CallQuery(search="refund")) == 3
    rows, _ = store.page(CallQuery(), None, 100)
    assert {r.provider_call_id for r in rows} == {f"call-00000{i}" for i in range(3)}
    assert sorted(store.normalize_errors(account.id)) == [
        ("bad-1", "missing field 'id'"), ("bad-2", "not an object"),
    ]
    assert store.count_errors() == 2
    assert store.count(CallQuery(include_errors=True)) == 5
    with_errors, _ = store.page(CallQuery(include_errors=True), None, 100)
    assert sum(1 for r in with_errors if r.normalize_error) == 2
    assert store.get_raw(store.rowid_of(account.id, "bad-2")) == [1, 2, 3]
    with pytest.raises(NormalizeError, match="not an object"):
        store.get_call("bad-2")
    # a later successful fetch replaces the error row
    fixed = record(make_call(9, provider_call_id="bad-1"), raw={"id": "bad-1"})
    assert store.upsert_calls(account.id, [fixed]).updated == 1
    assert store.count() == 4 and store.count_errors() == 1


def test_known_hashes(store, account):
    recs = [record(make_call(i)) for i in range(100)]
    store.upsert_calls(account.id, recs)
    other = store.add_account("other", "atlas", "https://x")
    store.upsert_calls(other.id, [record(make_call(1000))])
    hashes = store.known_hashes(account.id)
    assert hashes == {r.provider_call_id: (r.list_hash, r.detail_hash) for r in recs}


def test_unsettled_calls(store, account):
    def c(i, status, ended_at="2024-05-01T00:10:00Z", **kw):
        return make_call(i, status=status, ended_at=ended_at, **kw)

    store.upsert_calls(account.id, [
        record(c(1, "ended")),
        record(c(2, "in-progress")),
        record(c(3, "Queued")),
        record(c(4, None, ended_at=None)),
        record(c(5, None)),  # no status but it ended: settled
        record(c(6, "failed")),
        record(c(7, "ringing")),
        record(None, pcid="bad", error="x"),
    ])
    ids = store.unsettled_calls(account.id, None, 100)
    assert set(ids) == {"call-000002", "call-000003", "call-000004", "call-000007"}
    assert ids == sorted(ids, reverse=True)  # newest first (make_call times grow with i)
    assert store.unsettled_calls(account.id, None, 2) == ids[:2]
    ts3 = store.conn.execute("SELECT ts FROM calls WHERE provider_call_id = 'call-000003'").fetchone()[0]
    assert set(store.unsettled_calls(account.id, ts3, 100)) == {
        "call-000003", "call-000004", "call-000007",
    }


def test_rederive(store, account):
    raws = [{"id": f"r{i}", "s": f"summary {i}"} for i in range(7)] + [{"id": "r7", "broken": 1}]
    store.upsert_calls(account.id, [
        CallRecord(r["id"], r, Call(provider="atlas", provider_call_id=r["id"], summary="old"),
                   "L", f"D{i}", None, 1)
        for i, r in enumerate(raws)
    ])

    def normalize(raw, _call_id):
        if "broken" in raw:
            raise NormalizeError(raw["id"], "cannot read")
        return Call(provider="atlas", provider_call_id=raw["id"], summary=raw["s"],
                    transcript=[Turn("agent", "rederived words")])

    assert [x[1] for x in store.all_raw(account.id)] == [r["id"] for r in raws]
    result = store.rederive(normalize, 2)
    assert (result.updated, result.failed) == (7, 1)
    assert store.get_call("r3").summary == "summary 3"
    assert store.count(CallQuery(search="rederived")) == 7
    assert store.normalize_errors(account.id) == [("r7", "call r7: cannot read")]
    assert store.known_hashes(account.id)["r3"] == ("L", "D3")
    # already at version 2: nothing to do
    assert store.rederive(normalize, 2).updated == 0


def test_same_call_twice_in_a_batch_last_wins(store, account):
    call = make_call(1)
    first = record(call, list_hash="L1")
    store.upsert_calls(account.id, [first])
    same_detail = CallRecord(first.provider_call_id, first.raw, call, "L2", first.detail_hash, None, 1)
    changed = record(make_call(1, summary="new"), list_hash="L3")
    r = store.upsert_calls(account.id, [same_detail, changed])
    assert (r.unchanged, r.updated) == (1, 1)
    assert store.known_hashes(account.id)["call-000001"] == ("L3", changed.detail_hash)
    assert store.get_call("call-000001").summary == "new"
