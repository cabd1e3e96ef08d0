"""Accounts, sync bookkeeping and directories."""

from __future__ import annotations

import pytest

from callviewer.domain import Directory
from callviewer.errors import UsageError
from callviewer.store import CallQuery
from store_helpers import make_call, record


def test_add_get_list(store):
    a = store.add_account("prod", "atlas", "https://api.youratlas.com/v1/api")
    b = store.add_account("dev", "vatel", "https://api.vatel.ai/v1")
    assert a.id and b.id and a.id != b.id
    got = store.get_account("prod")
    assert (got.name, got.provider, got.base_url, got.id) == ("prod", "atlas", a.base_url, a.id)
    assert got.last_sync_at is None and got.call_count == 0
    assert [x.name for x in store.accounts()] == ["dev", "prod"]


def test_duplicate_and_unknown_names(store, account):
    with pytest.raises(UsageError, match="account 'prod' already exists"):
        store.add_account("prod", "vatel", "https://x")
    with pytest.raises(UsageError, match="unknown account 'nope'"):
        store.get_account("nope")
    with pytest.raises(UsageError, match="unknown account 'nope'"):
        store.remove_account("nope")
    with pytest.raises(UsageError, match="unknown account 'nope'"):
        store.update_account("nope", base_url="https://y")
    with pytest.raises(UsageError):
        store.add_account("  ", "atlas", "https://x")


def test_call_count_excludes_unnormalizable_calls(store, account):
    store.upsert_calls(account.id, [record(make_call(i)) for i in range(5)])
    store.upsert_calls(account.id, [record(None, pcid="bad-1", error="no id field")])
    assert store.get_account("prod").call_count == 5
    assert store.accounts()[0].call_count == 5
    assert store.count_errors(account.id) == 1


def test_update_account(store, account):
    store.add_account("other", "atlas", "https://x")
    store.upsert_calls(account.id, [record(make_call(1))])
    updated = store.update_account("prod", base_url="https://proxy.local/v1")
    assert updated.base_url == "https://proxy.local/v1" and updated.name == "prod"
    renamed = store.update_account("prod", new_name="production")
    assert renamed.id == account.id and renamed.call_count == 1
    assert store.get_call("call-000001").account == "production"
    with pytest.raises(UsageError, match="unknown account 'prod'"):
        store.get_account("prod")
    with pytest.raises(UsageError, match="account 'other' already exists"):
        store.update_account("production", new_name="other")


def test_remove_account_removes_calls_directories_and_index(store, account):
    keep = store.add_account("keep", "vatel", "https://x")
    store.upsert_calls(account.id, [record(make_call(i, summary="refund please")) for i in range(30)])
    store.upsert_calls(account.id, [record(None, pcid="bad", error="broken")])
    store.upsert_calls(keep.id, [record(make_call(100, summary="refund please"))])
    store.save_directories(account.id, [Directory("agent", "a1", "Alice")])
    assert store.count(CallQuery(search="refund")) == 31

    store.remove_account("prod")

    conn = store.conn
    assert [a.name for a in store.accounts()] == ["keep"]
    assert conn.execute("SELECT count(*) FROM calls").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM call_data").fetchone()[0] == 1
    assert conn.execute("SELECT count(*) FROM directories").fetchone()[0] == 0
    assert store.count(CallQuery(search="refund")) == 1
    # the FTS index holds exactly what call_data holds
    conn.execute("INSERT INTO calls_fts (calls_fts, rank) VALUES ('integrity-check', 1)")
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


def test_sync_result_and_cursor(store, account):
    assert store.get_cursor(account.id) == {}
    store.set_cursor(account.id, {"since": "2024-05-01T00:00:00Z", "pages": [1, 2]})
    assert store.get_cursor(account.id) == {"since": "2024-05-01T00:00:00Z", "pages": [1, 2]}

    store.set_sync_result(account.id, "ok", synced_at="2024-05-02T10:00:00Z")
    a = store.get_account("prod")
    assert (a.last_sync_state, a.last_error, a.last_sync_at) == ("ok", None, "2024-05-02T10:00:00Z")

    store.set_sync_result(account.id, "offline", "provider unreachable")
    a = store.get_account("prod")
    assert (a.last_sync_state, a.last_error) == ("offline", "provider unreachable")
    assert a.last_sync_at == "2024-05-02T10:00:00Z"  # a failed sync keeps the last good time

    store.set_sync_result(account.id, "ok")
    a = store.get_account("prod")
    assert a.last_sync_at > "2024-05-02T10:00:00Z" and a.last_sync_at.endswith("Z")
    assert a.last_error is None

    with pytest.raises(UsageError):
        store.set_cursor(9999, {})
    with pytest.raises(UsageError):
        store.get_cursor(9999)
    with pytest.raises(UsageError):
        store.set_sync_result(9999, "ok")


def test_directories_replace(store, account):
    dirs = [
        Directory("agent", "a2", "Zed"), Directory("agent", "a1", "Alice"),
        Directory("campaign", "c1", "Spring"),
    ]
    store.save_directories(account.id, dirs)
    assert store.directories(account.id) == dirs
    store.save_directories(account.id, [Directory("campaign", "c9", "Autumn")])
    assert store.directories(account.id) == [Directory("campaign", "c9", "Autumn")]
    store.save_directories(account.id, [])
    assert store.directories(account.id) == []
    other = store.add_account("other", "atlas", "https://x")
    assert store.directories(other.id) == []
