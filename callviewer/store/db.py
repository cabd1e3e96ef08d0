"""The SQLite file behind a profile: opening it, its schema migrations, and write transactions.

One `Database` owns one `sqlite3.Connection`, usable from the thread that opened it. Two processes
(the window and a cron `callviewer sync`) may share one file: the file is in WAL mode, every write
runs in a `BEGIN IMMEDIATE` transaction, and a busy file is waited for (busy_timeout, then retries)
instead of failing with "database is locked".
"""

from __future__ import annotations

import functools
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from callviewer.errors import CallviewerError

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 15_000
#: How long a writer keeps retrying `BEGIN IMMEDIATE` after busy_timeout ran out, in seconds.
WRITE_RETRY_S = 120.0
#: Seconds a busy cache is waited for in all (busy_timeout, then retries) before giving up with
#: `CacheBusy`; overrides the two above (tests set it short).
BUSY_TIMEOUT_ENV = "CALLVIEWER_BUSY_TIMEOUT"

_SQLITE_CORRUPT = 11
_SQLITE_NOTADB = 26


class StoreError(CallviewerError):
    """Base of the local cache's own failures."""


class CacheBusy(StoreError):
    """Another process kept the cache locked for writing longer than we wait."""

    state = "busy"

    def __init__(self, message: str = "the cache is busy (another callviewer is writing); try again") -> None:
        super().__init__(message)


class CorruptCache(StoreError):
    """The cache file is not a database, or SQLite reports it damaged."""

    state = "corrupt"

    def __init__(self, path: Path | str, detail: str) -> None:
        super().__init__(f"the local cache {path} is damaged ({detail})")
        self.path = Path(path)
        self.detail = detail

    def __reduce__(self):  # crosses from the sync's worker process intact
        return (type(self), (str(self.path), self.detail))


class SchemaTooNew(StoreError):
    """The file was written by a newer callviewer whose schema this version does not know."""

    def __init__(self, path: Path | str, found: int, known: int) -> None:
        super().__init__(
            f"the local cache {path} has schema version {found}, but this callviewer knows only "
            f"up to {known}; update callviewer or use another profile"
        )
        self.path = Path(path)
        self.found = found
        self.known = known

    def __reduce__(self):
        return (type(self), (str(self.path), self.found, self.known))


def utc_now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _is_corruption(err: sqlite3.DatabaseError) -> bool:
    code = getattr(err, "sqlite_errorcode", None)
    if code is not None and code & 0xFF in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return True
    msg = str(err).lower()
    return "not a database" in msg or "malformed" in msg or "corrupt" in msg


def reads_cache(fn: Callable) -> Callable:
    """For the store's reads: SQLite finding the file damaged ("database disk image is
    malformed") becomes CorruptCache, which callers show as a message (the window, on the
    rows it lists, the call it opens) instead of a raw sqlite3 error."""

    @functools.wraps(fn)
    def read(self, *args, **kwargs):
        try:
            return fn(self, *args, **kwargs)
        except sqlite3.DatabaseError as err:
            if _is_corruption(err):
                raise CorruptCache(self.path, str(err)) from err
            raise

    return read


def _is_busy(err: sqlite3.OperationalError) -> bool:
    msg = str(err).lower()
    return "locked" in msg or "busy" in msg


def busy_limits() -> tuple[int, float]:
    """(busy_timeout in ms, seconds of retries after it) from `BUSY_TIMEOUT_ENV`, else the
    defaults."""
    value = os.environ.get(BUSY_TIMEOUT_ENV, "").strip()
    if value:
        try:
            total = max(0.0, float(value))
        except ValueError:
            log.warning("ignoring %s=%r (not a number of seconds)", BUSY_TIMEOUT_ENV, value)
        else:
            busy_ms = int(min(total, BUSY_TIMEOUT_MS / 1000) * 1000)
            return busy_ms, max(0.0, total - busy_ms / 1000)
    return BUSY_TIMEOUT_MS, WRITE_RETRY_S


# --------------------------------------------------------------------------------------------
# Schema. Each migration takes the connection inside an open write transaction and brings the
# schema from version i to i + 1. Never edit a released migration; append a new one.

def run_script(conn: sqlite3.Connection, script: str) -> None:
    """Runs SQL statements one by one inside the current transaction.

    (`Connection.executescript` would COMMIT first, breaking the migration's transaction.)
    """
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            if statement.strip():
                conn.execute(statement)
            statement = ""
    if statement.strip():
        conn.execute(statement)


def _migration_1(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        CREATE TABLE accounts (
            id              INTEGER PRIMARY KEY,
            name            TEXT NOT NULL UNIQUE,
            provider        TEXT NOT NULL,
            base_url        TEXT NOT NULL,
            created_at      TEXT NOT NULL,
            last_sync_at    TEXT,
            last_sync_state TEXT,
            last_error      TEXT,
            sync_cursor     TEXT NOT NULL DEFAULT '{}'
        );

        CREATE TABLE directories (
            account_id  INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            kind        TEXT NOT NULL CHECK (kind IN ('agent', 'campaign')),
            id          TEXT NOT NULL,
            name        TEXT NOT NULL,
            position    INTEGER NOT NULL,
            PRIMARY KEY (account_id, kind, id)
        ) WITHOUT ROWID;

        -- One row per call: only the small columns the list filters, sorts and shows, so that
        -- the table and its indexes stay compact (~13 rows per page) for 100k-row scans.
        -- The large parts live 1:1 in call_data.
        CREATE TABLE calls (
            id                  INTEGER PRIMARY KEY,
            account_id          INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
            provider_call_id    TEXT NOT NULL,
            list_hash           TEXT,
            detail_hash         TEXT,
            normalizer_version  INTEGER NOT NULL DEFAULT 0,
            normalize_error     TEXT,
            ts                  REAL,     -- epoch seconds of coalesce(started_at, created_at)
            direction           TEXT,
            status              TEXT,
            ended_reason        TEXT,
            customer_number     TEXT,
            agent_id            TEXT,
            campaign_id         TEXT,
            created_at          TEXT,
            started_at          TEXT,
            ended_at            TEXT,
            duration_s          REAL,
            cost                REAL,
            currency            TEXT,
            success             TEXT,
            sentiment           TEXT,
            has_recording       INTEGER NOT NULL DEFAULT 0,
            turn_count          INTEGER NOT NULL DEFAULT 0,
            summary_line        TEXT COLLATE NOCASE,  -- first line of summary, <= 200 chars
            fetched_at          TEXT NOT NULL,
            updated_at          TEXT NOT NULL,
            UNIQUE (account_id, provider_call_id)
        );

        CREATE TABLE call_data (
            id          INTEGER PRIMARY KEY REFERENCES calls(id) ON DELETE CASCADE,
            doc         TEXT,   -- normalized call JSON without transcript (and without account)
            transcript  BLOB,   -- JSON list of turns; zlib-compressed BLOB when large, else TEXT
            raw         BLOB,   -- provider JSON as received, zlib-compressed
            search_text TEXT    -- what calls_fts indexes
        );

        -- Keyset walks: every sortable column has an index ending in id.
        CREATE INDEX calls_ts           ON calls (ts DESC, id DESC);
        CREATE INDEX calls_account_ts   ON calls (account_id, ts, id);
        CREATE INDEX calls_account_id   ON calls (account_id, id);
        CREATE INDEX calls_status       ON calls (status, id);
        CREATE INDEX calls_ended_reason ON calls (ended_reason, id);
        CREATE INDEX calls_direction    ON calls (direction, id);
        CREATE INDEX calls_agent        ON calls (agent_id, id);
        CREATE INDEX calls_campaign     ON calls (campaign_id, id);
        CREATE INDEX calls_cost         ON calls (cost, id);
        CREATE INDEX calls_duration     ON calls (duration_s, id);
        CREATE INDEX calls_customer     ON calls (customer_number, id);
        CREATE INDEX calls_summary      ON calls (summary_line, id);
        CREATE INDEX calls_errors       ON calls (account_id) WHERE normalize_error IS NOT NULL;
        CREATE INDEX calls_provider_id  ON calls (provider_call_id);  -- `calls show ID`

        -- prefix '1 2': search-as-you-type ("a*", "ab*") reads one prefix list instead of
        -- merging the lists of thousands of terms.
        CREATE VIRTUAL TABLE calls_fts USING fts5 (
            search_text,
            content = 'call_data',
            content_rowid = 'id',
            tokenize = 'unicode61 remove_diacritics 2',
            prefix = '1 2'
        );

        CREATE TRIGGER call_data_ai AFTER INSERT ON call_data BEGIN
            INSERT INTO calls_fts (rowid, search_text) VALUES (new.id, new.search_text);
        END;
        CREATE TRIGGER call_data_ad AFTER DELETE ON call_data BEGIN
            INSERT INTO calls_fts (calls_fts, rowid, search_text)
                VALUES ('delete', old.id, old.search_text);
        END;
        CREATE TRIGGER call_data_au AFTER UPDATE OF search_text ON call_data BEGIN
            INSERT INTO calls_fts (calls_fts, rowid, search_text)
                VALUES ('delete', old.id, old.search_text);
            INSERT INTO calls_fts (rowid, search_text) VALUES (new.id, new.search_text);
        END;
        """
    )


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_migration_1]
SCHEMA_VERSION = len(MIGRATIONS)


# --------------------------------------------------------------------------------------------

class Database:
    """One connection to the cache file, for one thread at a time.

    By default only the opening thread may use it; with `check_same_thread=False` it may be
    handed to another thread (never used by two at once).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        check: bool | str = True,
        read_only: bool = False,
        check_same_thread: bool = True,
        _migrations: list[Callable[[sqlite3.Connection], None]] | None = None,
    ) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self._busy_ms, self._write_retry_s = busy_limits()
        migrations = MIGRATIONS if _migrations is None else _migrations
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = sqlite3.connect(
                str(self.path), timeout=self._busy_ms / 1000, isolation_level=None,
                check_same_thread=check_same_thread,
            )
        except sqlite3.Error as err:  # e.g. the folder cannot be written
            raise StoreError(f"cannot open the local cache {self.path}: {err}") from err
        self._conn: sqlite3.Connection | None = conn
        try:
            self._setup(migrations, check=check)
        except BaseException:
            conn.close()
            self._conn = None
            raise

    # -- opening -----------------------------------------------------------------------------

    def _setup(self, migrations: list, *, check: bool | str) -> None:
        conn = self.conn
        try:
            conn.execute(f"PRAGMA busy_timeout = {self._busy_ms}")
            # The first statement that reads the file: garbage fails here with "not a database".
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > len(migrations):
                raise SchemaTooNew(self.path, version, len(migrations))
            conn.execute("PRAGMA cache_size = -32768")  # 32 MiB
            conn.execute("PRAGMA temp_store = MEMORY")
            if check:  # before anything is written to it: a damaged file is moved aside as it is
                self._quick_check(full=version == 0,
                                  tables=self.LIGHT_CHECK_TABLES if check == "light" else None)
            if not self.read_only:
                self._retry_busy(lambda: conn.execute("PRAGMA journal_mode = WAL").fetchone())
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            if not self.read_only and version < len(migrations):
                self._migrate(migrations)
            if self.read_only:
                conn.execute("PRAGMA query_only = ON")
        except sqlite3.DatabaseError as err:
            if _is_corruption(err):
                raise CorruptCache(self.path, str(err)) from err
            if isinstance(err, sqlite3.OperationalError) and _is_busy(err):
                raise CacheBusy() from err
            raise StoreError(f"cannot open the local cache {self.path}: {err}") from err

    #: What the check on open covers: the small tables every screen reads (and their indexes).
    #: The bulk (call_data, the FTS index: ~95% of a big file) takes seconds to check, so it is
    #: only checked by `verify(full=True)`.
    OPEN_CHECK_TABLES = ("accounts", "directories", "calls")
    #: `check="light"` covers only these (a few ms); the window checks `calls` (~100 ms at
    #: 100,000 calls) on a worker thread once its first rows are on screen (`verify(tables=...)`).
    LIGHT_CHECK_TABLES = ("accounts", "directories")

    def _quick_check(self, *, full: bool, tables: tuple[str, ...] | None = None) -> None:
        conn = self.conn
        if full:
            targets: tuple[str | None, ...] = (None,)
        else:
            present = {
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
            wanted = self.OPEN_CHECK_TABLES if tables is None else tables
            targets = tuple(t for t in wanted if t in present) or (None,)
        problems: list[str] = []
        for table in targets:
            sql = "PRAGMA quick_check" if table is None else f"PRAGMA quick_check({table})"
            problems += [r[0] for r in conn.execute(sql).fetchall() if r[0] != "ok"]
        if problems:
            raise CorruptCache(self.path, "; ".join(problems[:3]))

    def verify(self, *, full: bool = True, tables: tuple[str, ...] | None = None) -> None:
        """Raises CorruptCache when SQLite's quick_check finds damage: in the whole file when
        `full`, else in `tables` (default: those checked on open)."""
        try:
            self._quick_check(full=full, tables=tables)
        except sqlite3.DatabaseError as err:
            if _is_corruption(err):
                raise CorruptCache(self.path, str(err)) from err
            raise

    def _migrate(self, migrations: list) -> None:
        with self.write() as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]  # again, under the lock
            if version > len(migrations):
                raise SchemaTooNew(self.path, version, len(migrations))
            for i in range(version, len(migrations)):
                log.info("migrating %s to schema %d", self.path, i + 1)
                migrations[i](conn)
            conn.execute(f"PRAGMA user_version = {len(migrations)}")

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError("the local cache is closed")
        return self._conn

    @property
    def schema_version(self) -> int:
        return self.conn.execute("PRAGMA user_version").fetchone()[0]

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if not self.read_only:
            try:
                conn.execute("PRAGMA analysis_limit = 1000")
                conn.execute("PRAGMA optimize")
            except sqlite3.Error:
                pass
        conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- transactions ------------------------------------------------------------------------

    def _retry_busy(self, fn: Callable):
        """Runs `fn`; while the file is locked by another writer, waits and tries again, and
        after the busy limits (`busy_limits`) raises `CacheBusy` (never "database is locked")."""
        deadline = time.monotonic() + self._write_retry_s
        delay = 0.05
        while True:
            try:
                return fn()
            except sqlite3.OperationalError as err:
                if not _is_busy(err):
                    raise
                if time.monotonic() >= deadline:
                    log.warning("the cache stayed locked by another writer: %s", err)
                    raise CacheBusy() from err
                log.debug("cache busy (%s), retrying", err)
                time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
                delay = min(delay * 2, 1.0)

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A `BEGIN IMMEDIATE` transaction: committed on success, rolled back on any exception."""
        conn = self.conn
        if conn.in_transaction:  # nested use joins the outer transaction
            yield conn
            return
        self._retry_busy(lambda: conn.execute("BEGIN IMMEDIATE"))
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        else:
            try:
                self._retry_busy(lambda: conn.execute("COMMIT"))
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: several SELECTs that see one consistent state of the file."""
        conn = self.conn
        if conn.in_transaction:
            yield conn
            return
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            if conn.in_transaction:
                conn.execute("COMMIT")
