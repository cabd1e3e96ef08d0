"""Fixtures for the store tests (data helpers are in store_helpers.py)."""

from __future__ import annotations

import pytest

from callviewer.store import Store


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "callviewer.db")
    yield s
    s.close()


@pytest.fixture
def account(store):
    return store.add_account("prod", "atlas", "https://api.youratlas.com/v1/api")
