"""Accounts, their sync bookkeeping, and their directories (agents/campaigns for the sidebar)."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable
from typing import Any

from callviewer.domain import Account, Directory
from callviewer.errors import UsageError
from callviewer.store.db import Database, reads_cache, utc_now_iso

log = logging.getLogger(__name__)

_ACCOUNT_COLS = "a.id, a.name, a.provider, a.base_url, a.last_sync_at, a.last_sync_state, a.last_error"

#: States after which `last_sync_at` moves on its own (it is "when the last good sync finished").
_SYNCED_STATES = frozenset({"ok", "partial"})


def _account(row: sqlite3.Row | tuple, call_count: int | None = 0) -> Account:
    return Account(
        id=row[0], name=row[1], provider=row[2], base_url=row[3],
        last_sync_at=row[4], last_sync_state=row[5], last_error=row[6], call_count=call_count,
    )


class AccountsMixin(Database):
    #: Called (with no arguments) after an account was added, renamed, re-pointed or removed:
    #: the core keeps a copy of the account definitions beside the cache with it.
    on_accounts_changed: Callable[[], None] | None = None

    def _accounts_changed(self) -> None:
        hook = self.on_accounts_changed
        if hook is not None:
            try:
                hook()
            except Exception:  # the copy is a safety net: never fail the change itself
                log.exception("could not save the account definitions")

    # -- accounts ----------------------------------------------------------------------------

    def add_account(self, name: str, provider: str, base_url: str) -> Account:
        if not name or not name.strip():
            raise UsageError("an account name must not be empty")
        with self.write() as conn:
            if conn.execute("SELECT 1 FROM accounts WHERE name = ?", (name,)).fetchone():
                raise UsageError(f"account '{name}' already exists")
            cur = conn.execute(
                "INSERT INTO accounts (name, provider, base_url, created_at) VALUES (?, ?, ?, ?)",
                (name, provider, base_url, utc_now_iso()),
            )
            account_id = cur.lastrowid
        self._accounts_changed()
        return Account(name=name, provider=provider, base_url=base_url, id=account_id)

    def get_account(self, name: str) -> Account:
        row = self.conn.execute(
            f"SELECT {_ACCOUNT_COLS} FROM accounts a WHERE a.name = ?", (name,)
        ).fetchone()
        if row is None:
            raise UsageError(f"unknown account '{name}'")
        return _account(row, self._call_count(row[0]))

    def get_account_by_id(self, account_id: int) -> Account:
        row = self.conn.execute(
            f"SELECT {_ACCOUNT_COLS} FROM accounts a WHERE a.id = ?", (account_id,)
        ).fetchone()
        if row is None:
            raise UsageError(f"unknown account id {account_id}")
        return _account(row, self._call_count(row[0]))

    @reads_cache
    def accounts(self, *, counts: bool = True) -> list[Account]:
        """All accounts by name, with the number of (normalized) calls each has in the cache
        (`counts=False`: call_count None; counting reads an index entry per call, ~6 ms at
        100,000 calls)."""
        with self.snapshot() as conn:
            rows = conn.execute(f"SELECT {_ACCOUNT_COLS} FROM accounts a ORDER BY a.name").fetchall()
            return [_account(r, self._call_count(r[0]) if counts else None) for r in rows]

    def _call_count(self, account_id: int) -> int:
        # Both counts come from indexes only: (account_id, id) and the partial errors index.
        total = self.conn.execute(
            "SELECT count(*) FROM calls WHERE account_id = ?",
            (account_id,),
        ).fetchone()[0]
        errors = self.conn.execute(
            "SELECT count(*) FROM calls WHERE account_id = ? AND normalize_error IS NOT NULL",
            (account_id,),
        ).fetchone()[0]
        return total - errors

    def account_definitions(self) -> list[dict[str, str]]:
        """name, provider, base_url and created_at of every account, by name (never a key)."""
        rows = self.conn.execute(
            "SELECT name, provider, base_url, created_at FROM accounts ORDER BY name").fetchall()
        return [{"name": n, "provider": p, "base_url": u, "created_at": c} for n, p, u, c in rows]

    def account_names(self) -> dict[int, str]:
        return dict(self.conn.execute("SELECT id, name FROM accounts"))

    def remove_account(self, name: str) -> None:
        """Deletes the account with its calls, their search index entries and its directories."""
        with self.write() as conn:
            account_id = self._account_id(name)
            # call_data rows go first so that their trigger removes the FTS entries.
            conn.execute(
                "DELETE FROM call_data WHERE id IN (SELECT id FROM calls WHERE account_id = ?)",
                (account_id,),
            )
            conn.execute("DELETE FROM calls WHERE account_id = ?", (account_id,))
            conn.execute("DELETE FROM directories WHERE account_id = ?", (account_id,))
            conn.execute("DELETE FROM accounts WHERE id = ?", (account_id,))
        self._accounts_changed()

    def update_account(
        self, name: str, *, base_url: str | None = None, new_name: str | None = None
    ) -> Account:
        with self.write() as conn:
            account_id = self._account_id(name)
            if new_name is not None and new_name != name:
                if not new_name.strip():
                    raise UsageError("an account name must not be empty")
                if conn.execute("SELECT 1 FROM accounts WHERE name = ?", (new_name,)).fetchone():
                    raise UsageError(f"account '{new_name}' already exists")
                conn.execute("UPDATE accounts SET name = ? WHERE id = ?", (new_name, account_id))
            if base_url is not None:
                conn.execute("UPDATE accounts SET base_url = ? WHERE id = ?", (base_url, account_id))
        self._accounts_changed()
        return self.get_account_by_id(account_id)

    def _account_id(self, name: str) -> int:
        row = self.conn.execute("SELECT id FROM accounts WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise UsageError(f"unknown account '{name}'")
        return row[0]

    def _check_account_id(self, account_id: int) -> None:
        if not self.conn.execute("SELECT 1 FROM accounts WHERE id = ?", (account_id,)).fetchone():
            raise UsageError(f"unknown account id {account_id}")

    # -- sync bookkeeping --------------------------------------------------------------------

    def set_sync_result(
        self, account_id: int, state: str, error: str | None = None, synced_at: str | None = None
    ) -> None:
        """Records how the last sync ended.

        `last_sync_at` is set to `synced_at` when given, else to now when the state is "ok" or
        "partial"; after a failed sync it keeps the time of the last good one.
        """
        if synced_at is None and state in _SYNCED_STATES:
            synced_at = utc_now_iso()
        with self.write() as conn:
            self._check_account_id(account_id)
            conn.execute(
                "UPDATE accounts SET last_sync_state = ?, last_error = ?,"
                " last_sync_at = coalesce(?, last_sync_at) WHERE id = ?",
                (state, error, synced_at, account_id),
            )

    def get_cursor(self, account_id: int) -> dict[str, Any]:
        row = self.conn.execute(
            "SELECT sync_cursor FROM accounts WHERE id = ?", (account_id,)
        ).fetchone()
        if row is None:
            raise UsageError(f"unknown account id {account_id}")
        try:
            value = json.loads(row[0] or "{}")
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    def set_cursor(self, account_id: int, cursor: dict[str, Any]) -> None:
        text = json.dumps(cursor, separators=(",", ":"), ensure_ascii=False, default=str)
        with self.write() as conn:
            self._check_account_id(account_id)
            conn.execute("UPDATE accounts SET sync_cursor = ? WHERE id = ?", (text, account_id))

    # -- directories -------------------------------------------------------------------------

    def save_directories(self, account_id: int, directories: list[Directory]) -> None:
        """Replaces the account's agents and campaigns (order kept)."""
        with self.write() as conn:
            self._check_account_id(account_id)
            conn.execute("DELETE FROM directories WHERE account_id = ?", (account_id,))
            conn.executemany(
                "INSERT OR REPLACE INTO directories (account_id, kind, id, name, position)"
                " VALUES (?, ?, ?, ?, ?)",
                [(account_id, d.kind, d.id, d.name, i) for i, d in enumerate(directories)],
            )

    @reads_cache
    def directories(self, account_id: int) -> list[Directory]:
        rows = self.conn.execute(
            "SELECT kind, id, name FROM directories WHERE account_id = ? ORDER BY position",
            (account_id,),
        )
        return [Directory(kind=k, id=i, name=n) for k, i, n in rows]
