"""Opening the cache: pragmas, migrations, version checks, corruption, threads and processes."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from callviewer.store import SCHEMA_VERSION, CallQuery, CorruptCache, SchemaTooNew, Store
from callviewer.store.db import MIGRATIONS, Database
from store_helpers import damage_table as _damage
from store_helpers import make_call, record


def test_fresh_file_gets_schema_and_pragmas(tmp_path):
    path = tmp_path / "sub" / "callviewer.db"
    store = Store.open(path)
    try:
        conn = store.conn
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == len(MIGRATIONS)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 15000
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert {"accounts", "directories", "calls", "call_data", "calls_fts"} <= names
    finally:
        store.close()


def test_reopen_keeps_data_and_does_not_migrate_again(tmp_path):
    path = tmp_path / "callviewer.db"
    with Store(path) as store:
        acct = store.add_account("prod", "atlas", "https://x")
        store.upsert_calls(acct.id, [record(make_call(1))])
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert [a.call_count for a in store.accounts()] == [1]
        assert store.get_call("call-000001").account == "prod"


def test_migrations_run_in_order_from_any_version(tmp_path):
    path = tmp_path / "callviewer.db"
    Database(path).close()  # version 1

    seen = []

    def m2(conn):
        seen.append(conn.execute("PRAGMA user_version").fetchone()[0])
        conn.execute("CREATE TABLE extra (x)")

    def m3(conn):
        conn.execute("INSERT INTO extra VALUES (3)")

    db = Database(path, _migrations=[*MIGRATIONS, m2, m3])
    assert db.schema_version == 3
    assert seen == [1]
    assert db.conn.execute("SELECT x FROM extra").fetchall() == [(3,)]
    db.close()


def test_failed_migration_leaves_file_unchanged(tmp_path):
    path = tmp_path / "callviewer.db"
    Database(path).close()

    def bad(conn):
        conn.execute("CREATE TABLE half_done (x)")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        Database(path, _migrations=[*MIGRATIONS, bad])
    with Store(path) as store:
        assert store.schema_version == 1
        assert not store.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'half_done'"
        ).fetchone()


def test_newer_schema_is_a_clear_error(tmp_path):
    path = tmp_path / "callviewer.db"
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    conn.commit()
    conn.close()
    with pytest.raises(SchemaTooNew) as info:
        Store(path)
    assert info.value.found == SCHEMA_VERSION + 5
    assert "newer" in str(info.value) or "update callviewer" in str(info.value)
    assert "\n" not in str(info.value)


def test_garbage_file_is_corrupt_cache(tmp_path):
    path = tmp_path / "callviewer.db"
    path.write_bytes(b"this is not a database, just some text\n" * 500)
    with pytest.raises(CorruptCache) as info:
        Store(path)
    assert info.value.path == path


def _filled(path, n=400):
    with Store(path) as store:
        acct = store.add_account("prod", "atlas", "https://x")
        store.upsert_calls(acct.id, [record(make_call(i, turns=30)) for i in range(n)])


def test_damaged_calls_table_is_detected_on_open(tmp_path):
    path = tmp_path / "callviewer.db"
    _filled(path)
    _damage(path, "calls")
    with pytest.raises(CorruptCache) as info:
        Store(path)
    assert str(path) in str(info.value)


def test_damaged_bulk_data_is_found_by_a_full_verify(tmp_path):
    path = tmp_path / "callviewer.db"
    _filled(path)
    _damage(path, "call_data")
    store = Store(path)  # the open check covers only the small tables, to stay fast
    try:
        with pytest.raises(CorruptCache):
            store.verify(full=True)
    finally:
        store.close()


def test_read_only_clone_works_from_another_thread(store, account):
    store.upsert_calls(account.id, [record(make_call(i)) for i in range(20)])
    result = {}
    clone = store.read_only_clone()  # made here, used there

    def worker():
        try:
            result["count"] = clone.count()
            with pytest.raises(sqlite3.OperationalError):
                clone.conn.execute("DELETE FROM calls")
        finally:
            clone.close()

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert result["count"] == store.count() > 0


def test_store_refuses_other_threads(store):
    errors = []

    def worker():
        try:
            store.accounts()
        except sqlite3.ProgrammingError as err:
            errors.append(err)

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert errors


def test_two_writers_on_one_file_never_see_locked(tmp_path):
    path = tmp_path / "callviewer.db"
    with Store(path) as setup:
        ids = [setup.add_account(n, "atlas", "https://x").id for n in ("a", "b")]
    errors: list[BaseException] = []
    counts = {}

    def writer(n: int, account_id: int):
        try:
            with Store(path) as s:
                for batch in range(15):
                    calls = [make_call(n * 10_000 + batch * 40 + i) for i in range(40)]
                    s.upsert_calls(account_id, [record(c) for c in calls])
                    s.set_sync_result(account_id, "ok")
                    s.set_cursor(account_id, {"batch": batch})
                    s.page(CallQuery(), None, 50)
                counts[n] = s.count(CallQuery(account_ids=[account_id]))
        except BaseException as err:  # noqa: BLE001 - the test reports any failure
            errors.append(err)

    def reader():
        try:
            with Store(path) as s:
                ro = s.read_only_clone()
                for _ in range(40):
                    ro.page(CallQuery(search="refund"), None, 100)
                    ro.totals(CallQuery())
                ro.close()
        except BaseException as err:  # noqa: BLE001
            errors.append(err)

    threads = [threading.Thread(target=writer, args=(k, ids[k])) for k in (0, 1)]
    threads.append(threading.Thread(target=reader))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert counts == {0: 600, 1: 600}


def test_writer_waits_for_a_long_transaction(tmp_path):
    path = tmp_path / "callviewer.db"
    with Store(path) as s:
        acct = s.add_account("a", "atlas", "https://x")
    holder = Store(path)
    started = threading.Event()
    done = []

    def other():
        with Store(path) as s:
            started.set()
            t0 = time.monotonic()
            s.upsert_calls(acct.id, [record(make_call(1))])
            done.append(time.monotonic() - t0)

    with holder.write() as conn:
        conn.execute("UPDATE accounts SET last_error = 'x'")
        t = threading.Thread(target=other)
        t.start()
        started.wait()
        time.sleep(0.5)  # the other writer is now blocked on BEGIN IMMEDIATE
    t.join()
    holder.close()
    assert done and done[0] >= 0.3



def test_unopenable_path_is_a_clear_error(tmp_path):
    from callviewer.store import StoreError

    folder = tmp_path / "callviewer.db"
    folder.mkdir()
    with pytest.raises(StoreError) as info:
        Store(folder)
    assert not isinstance(info.value, CorruptCache)
    assert str(folder) in str(info.value)
