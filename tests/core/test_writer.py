"""The sync's writer (`write_job`): what it stores of a list page and of a detail body."""

from __future__ import annotations

import json
import zlib

import pytest

from callviewer.store import Store
from callviewer.store.calls import encode_record
from callviewer.writer import WriteJob, close_stores, digest, write_job

CALLS = [
    {"id": "v1", "status": "ended", "created_at": "2024-05-01T10:00:00Z", "cost": 0.25,
     "transcript": {"entries": [{"index": 0, "role": "agent", "message": "Hallo, wie geht's? ☎"}]}},
    {"id": "v2", "status": "started", "created_at": "2024-05-01T09:00:00Z"},
]


def _stored_raw(path, account_id, call_id) -> bytes:
    with Store(path) as store:
        rowid = store.rowid_of(account_id, call_id)
        blob = store.conn.execute("SELECT raw FROM call_data WHERE id = ?", (rowid,)).fetchone()[0]
        hashes = store.detail_hashes(account_id, [call_id])
    return zlib.decompress(blob), hashes[call_id][0]


def _run(path, account_id, **lists) -> object:
    job = WriteJob(str(path), account_id, "acc", "vatel")
    for page in lists.get("pages", []):
        job.pages.append(page)
        for index, item in enumerate(json.loads(page)["calls"]):
            job.items.append((item["id"], len(job.pages) - 1, index, None))
    for call_id, body in lists.get("details", []):
        job.details.append(body)
        job.items.append((call_id, -1, len(job.details) - 1, None))
    try:
        return write_job(job)
    finally:
        close_stores()


@pytest.mark.parametrize("layout", [{"separators": (",", ":")}, {"indent": 2}])
def test_list_items_are_stored_as_the_page_has_them(tmp_path, layout):
    path = tmp_path / "c.db"
    with Store(path) as store:
        account = store.add_account("acc", "vatel", "https://x")
    page = json.dumps({"calls": CALLS, "pagination": {"page": 1}}, ensure_ascii=False, **layout)
    result = _run(path, account.id, pages=[page.encode("utf-8")])
    assert (result.new, result.failed) == (2, [])
    for call in CALLS:
        raw, detail_hash = _stored_raw(path, account.id, call["id"])
        text = raw.decode("utf-8")
        assert text in page and json.loads(text) == call  # cut out of the page, not re-serialized
        assert detail_hash == digest(text)
    with Store(path) as store:
        assert store.get_call("v1", "acc").transcript[0].text == "Hallo, wie geht's? ☎"


def test_a_detail_read_again_fingerprints_like_its_list_item(tmp_path):
    path = tmp_path / "c.db"
    with Store(path) as store:
        account = store.add_account("acc", "vatel", "https://x")
    page = json.dumps({"calls": CALLS}, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    assert _run(path, account.id, pages=[page]).new == 2
    # the unsettled call, read again by id: the same call object, alone in the body
    detail = json.dumps(CALLS[1], ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    result = _run(path, account.id, details=[("v2", detail)])
    assert (result.new, result.updated, result.unchanged) == (0, 0, 1)
    # and once it changed, it is rewritten
    changed = json.dumps({**CALLS[1], "status": "ended"}, separators=(",", ":")).encode("utf-8")
    assert _run(path, account.id, details=[("v2", changed)]).updated == 1
    assert _stored_raw(path, account.id, "v2")[0] == changed


def test_an_encoded_record_stores_the_same_as_one_encoded_on_write(tmp_path):
    from tests.store.store_helpers import make_call, record

    with Store(tmp_path / "a.db") as a, Store(tmp_path / "b.db") as b:
        rows = []
        for store, ahead in ((a, False), (b, True)):
            account = store.add_account("acc", "atlas", "https://x")
            # a call whose own id differs from the record's: the store keeps the record's
            rec = record(make_call(1, provider_call_id="other"), pcid="x1")
            if ahead:
                encode_record(rec)
                assert rec.encoded is not None
            store.upsert_calls(account.id, [rec])
            rows.append(store.conn.execute("SELECT doc, transcript, raw, search_text FROM call_data").fetchall())
            assert store.get_call("x1", "acc").provider_call_id == "x1"
        assert rows[0] == rows[1]


def test_the_worker_side_imports_no_http_client():
    """The sync's worker processes parse, normalize and store: they start without httpx."""
    import subprocess
    import sys

    code = ("import sys, callviewer.writer, callviewer.providers, callviewer.normalize, callviewer.store\n"
            "from callviewer.providers import adapter_class, page_parser\n"
            "page_parser('atlas'); adapter_class('vatel').lists_full_calls\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('httpx', 'httpcore')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_detail_without_its_own_id_takes_the_id_it_was_listed_under(tmp_path):
    """An Atlas list entry names its call by `rowKey`; a detail that leaves `id` out is still
    that call (stored as received: the id is not written into the raw JSON)."""
    path = tmp_path / "c.db"
    with Store(path) as store:
        account = store.add_account("acc", "atlas", "https://x")
    body = json.dumps({"status": "ended", "startedAt": "2024-05-01T10:00:00Z",
                       "cost": 0.2}).encode("utf-8")
    job = WriteJob(str(path), account.id, "acc", "atlas")
    job.details.append(body)
    job.items.append(("row-key-1", -1, 0, None))
    try:
        result = write_job(job)
    finally:
        close_stores()
    assert (result.new, result.failed) == (1, [])
    with Store(path) as store:
        call = store.get_call("row-key-1", "acc")
        assert call.provider_call_id == "row-key-1" and call.status == "ended" and call.cost == 0.2
    assert _stored_raw(path, account.id, "row-key-1")[0] == body


def test_re_deriving_a_detail_without_its_own_id_keeps_the_call(tmp_path):
    """The same payload, derived again by a newer normalizer: the call stays listed."""
    from callviewer.normalize import NORMALIZER_VERSION
    from callviewer.writer import rederive_job

    path = tmp_path / "c.db"
    with Store(path) as store:
        account = store.add_account("acc", "atlas", "https://x")
    job = WriteJob(str(path), account.id, "acc", "atlas")
    job.details.append(json.dumps({"status": "ended", "cost": 0.2}).encode("utf-8"))
    job.items.append(("row-key-1", -1, 0, None))
    try:
        assert write_job(job).new == 1
        with Store(path) as store:  # as an older normalizer stored it
            with store.write() as conn:
                conn.execute("UPDATE calls SET normalizer_version = ?", (NORMALIZER_VERSION - 1,))
        assert rederive_job(str(path), account.id, "atlas") == (1, 0)
    finally:
        close_stores()
    with Store(path) as store:
        assert store.normalize_errors(account.id) == []
        assert store.get_call("row-key-1", "acc").cost == 0.2
