"""The local cache: one SQLite file per profile holding accounts, calls and their search index.

    store = Store.open(profile.db_path)
    acct = store.add_account("prod", "atlas", "https://api.youratlas.com/v1/api")
    store.upsert_calls(acct.id, records)
    rows, after = store.page(CallQuery(search="refund"), None, 200)

A `Store` is one connection, for the thread that opened it; another thread opens its own with
`store.read_only_clone()`. No Qt here.
"""

from __future__ import annotations

from pathlib import Path

from callviewer.store.calls import (
    UNSETTLED_STATUSES,
    CallRecord,
    RawJson,
    RederiveResult,
    UpsertResult,
)
from callviewer.store.db import SCHEMA_VERSION, CacheBusy, CorruptCache, SchemaTooNew, StoreError
from callviewer.store.query import SORT_COLUMNS, CallQuery, CallRow, QueriesMixin, Totals
from callviewer.store.search import fts_query

__all__ = [
    "SCHEMA_VERSION", "SORT_COLUMNS", "UNSETTLED_STATUSES",
    "CacheBusy", "CallQuery", "CallRecord", "RawJson", "CallRow", "CorruptCache", "RederiveResult", "SchemaTooNew",
    "Store", "StoreError", "Totals", "UpsertResult", "fts_query",
]


class Store(QueriesMixin):
    """The cache of one profile (see the module docstring).

    Opening checks the file (`CorruptCache` when it is not a database or `PRAGMA quick_check`
    fails; `SchemaTooNew` when a newer callviewer wrote it) and migrates it to `SCHEMA_VERSION`.
    `check`: True checks the small tables (accounts, directories, calls); "light" only accounts
    and directories (the caller checks `calls` later with `verify(full=False)`); False nothing.
    """

    def __init__(
        self, path: str | Path, *, check: bool | str = True, read_only: bool = False,
        check_same_thread: bool = True,
    ) -> None:
        super().__init__(path, check=check, read_only=read_only, check_same_thread=check_same_thread)

    @classmethod
    def open(cls, path: str | Path, *, check: bool | str = True) -> Store:
        return cls(path, check=check)

    def read_only_clone(self) -> Store:
        """A new read-only connection (`PRAGMA query_only`) to the same file, for another thread.

        Cheap: no check, no migration. It may be created here and used in the worker thread
        (one thread at a time). Close it when done.
        """
        return Store(self.path, check=False, read_only=True, check_same_thread=False)

    def clone(self) -> Store:
        """A new read-write connection to the same file, e.g. for a sync worker thread."""
        return Store(self.path, check=False, check_same_thread=False)
