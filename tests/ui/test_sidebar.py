"""The sidebar tree: providers, accounts with counts and sync state, agents and campaigns."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from ui_helpers import fill_store

from callviewer.domain import Account
from callviewer.store import CallQuery, Store
from callviewer.ui.models.sidebar import (
    AccountNameRole,
    FilterRole,
    NodeKindRole,
    SidebarModel,
    SyncStateRole,
    apply_filter,
    sync_state_text,
)

N = 300


@pytest.fixture
def store(tmp_path):
    s = Store.open(tmp_path / "db")
    fill_store(s, N)
    yield s
    s.close()


@pytest.fixture
def model(qapp, store):
    m = SidebarModel()
    m.refresh(store)
    return m


def texts(model: SidebarModel, parent: QModelIndex = QModelIndex()) -> list:
    out = []
    for r in range(model.rowCount(parent)):
        idx = model.index(r, 0, parent)
        children = texts(model, idx)
        out.append((idx.data(), children) if children else idx.data())
    return out


def test_tree(model):
    tree = texts(model)
    assert tree[0] == f"All calls ({N:,})"
    assert [t[0] for t in tree[1:]] == ["Atlas", "Callab", "Vatel"]
    atlas = tree[1][1]
    assert atlas[0][0].startswith("prod (100)\nnever synced")
    assert atlas[0][1] == ["Agent: Front desk", "Agent: Billing bot", "Campaign: Spring promo"]
    assert tree[2][1] == [("sales (100)\nnever synced", ["Agent: Closer"])]
    assert tree[3][1] == ["support (100)\nnever synced"]


def test_roles_and_filters(model, store):
    ids = {a.name: a.id for a in store.accounts()}
    all_idx = model.index(0, 0)
    assert all_idx == model.all_calls_index()
    assert all_idx.data(NodeKindRole) == "all"
    assert all_idx.data(FilterRole) == {"account_ids": None, "agent_id": None, "campaign_id": None}
    assert all_idx.data(AccountNameRole) is None
    atlas = model.index(1, 0)
    assert atlas.data(NodeKindRole) == "provider"
    assert atlas.data(FilterRole)["account_ids"] == [ids["prod"]]
    prod = model.index_for_account("prod")
    assert prod.parent() == atlas
    assert prod.data(NodeKindRole) == "account"
    assert prod.data(AccountNameRole) == "prod"
    assert prod.data(FilterRole) == {"account_ids": [ids["prod"]], "agent_id": None,
                                     "campaign_id": None}
    agent = model.index(0, 0, prod)
    assert agent.data(NodeKindRole) == "agent"
    assert agent.data(AccountNameRole) is None
    assert agent.data(FilterRole) == {"account_ids": [ids["prod"]], "agent_id": "agent-a",
                                      "campaign_id": None}
    campaign = model.index(2, 0, prod)
    assert campaign.data(NodeKindRole) == "campaign"
    assert campaign.data(FilterRole)["campaign_id"] == "camp-1"
    assert not model.index_for_account("nope").isValid()
    assert model.index_for_filter(agent.data(FilterRole)) == agent
    assert not model.flags(agent) & Qt.ItemFlag.ItemIsEditable


def test_filters_select_the_right_calls(model, store):
    base = CallQuery(search=None, sort="cost", descending=False)
    for idx, expected in (
        (model.all_calls_index(), N),
        (model.index_for_account("prod"), 100),
    ):
        q = apply_filter(base, idx.data(FilterRole))
        assert q.sort == "cost" and not q.descending
        assert store.count(q) == expected
    agent = model.index(0, 0, model.index_for_account("prod"))
    q = apply_filter(base, agent.data(FilterRole))
    assert q.agent_id == "agent-a"
    assert 0 < store.count(q) < 100
    assert apply_filter(q, None) == base


@pytest.mark.qt_log_level_fail("WARNING")
@pytest.mark.parametrize("force_py", [False, True])
def test_model_tester(qtmodeltester, model, store, force_py):
    qtmodeltester.check(model, force_py=force_py)
    model.set_account_state("prod", "syncing", "")
    model.refresh(store)
    store.add_account("extra", "atlas", "https://x")
    model.refresh(store)


def test_live_and_stored_sync_states(model, store):
    prod = QPersistentModelIndex(model.index_for_account("prod"))
    changes = []
    model.dataChanged.connect(lambda a, b, roles: changes.append(a.data(AccountNameRole)))
    model.set_account_state("prod", "syncing", "")
    assert prod.data().endswith("\nsyncing…")
    assert prod.data(SyncStateRole) == "syncing"
    assert prod.data(Qt.ItemDataRole.DecorationRole) is not None
    assert "prod" in changes
    long = "error: HTTP 500 from https://api.example.com/v1/calls?page=3 " + "x" * 80
    model.set_account_state("prod", "error", long)
    assert prod.data().endswith("…") and len(prod.data()) < 80
    assert long in prod.data(Qt.ItemDataRole.ToolTipRole)
    # refresh keeps nodes (and so a view's expansion and selection) when nothing moved
    acct = store.get_account("prod")
    store.set_sync_result(acct.id, "key_rejected", "401 invalid key")
    model.refresh(store)
    assert prod.isValid()
    assert prod.data().endswith("\nkey rejected")
    assert "401 invalid key" in prod.data(Qt.ItemDataRole.ToolTipRole)
    store.set_sync_result(acct.id, "ok")
    model.refresh(store)
    assert "\nsynced " in prod.data()
    model.set_account_state("prod", "syncing", "")
    model.refresh(store)
    assert prod.data().endswith("\nsyncing…")  # a running sync outlives a refresh
    model.set_account_state("prod", "", "")
    assert "\nsynced " in prod.data()


def test_sync_state_texts():
    now = datetime(2024, 5, 1, 12, 0, tzinfo=timezone.utc)
    base = dict(name="a", provider="atlas", base_url="u")
    ten_ago = (now - timedelta(minutes=10)).isoformat()
    ok = Account(**base, last_sync_at=ten_ago, last_sync_state="ok")
    state, short, tip = sync_state_text(ok, now)
    local = (now - timedelta(minutes=10)).astimezone()
    assert (state, short) == ("ok", f"synced {local:%H:%M}")
    assert "10 min ago" in tip
    assert sync_state_text(Account(**base), now)[1] == "never synced"
    assert sync_state_text(Account(**base, last_sync_state="offline"), now)[1] == "offline"
    failed = Account(**base, last_sync_state="error", last_error="boom")
    assert sync_state_text(failed, now)[1] == "error: boom"
    old = Account(**base, last_sync_at="2020-01-02T03:04:05Z", last_sync_state="partial")
    assert sync_state_text(old, now)[1] == "synced 2020-01-02 (partial)"


def test_empty_store(qapp, tmp_path):
    s = Store.open(tmp_path / "empty")
    m = SidebarModel()
    m.refresh(s)
    assert texts(m) == ["All calls (0)"]
    s.close()


def test_delegate_gives_accounts_two_lines(qtbot, model):
    from PySide6.QtWidgets import QTreeView

    from callviewer.ui.models.sidebar import SidebarDelegate

    view = QTreeView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.setItemDelegate(SidebarDelegate(view))
    view.setHeaderHidden(True)
    view.expandAll()
    view.resize(200, 400)
    view.show()
    qtbot.waitExposed(view)
    one_line = view.visualRect(model.all_calls_index()).height()
    account = view.visualRect(model.index_for_account("prod")).height()
    agent = view.visualRect(model.index(0, 0, model.index_for_account("prod"))).height()
    assert agent == one_line
    assert one_line + 8 <= account < 2 * one_line + 4  # a second, smaller line; no empty third
    assert not view.grab().isNull()
