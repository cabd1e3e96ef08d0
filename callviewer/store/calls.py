"""Writing calls into the cache and reading single calls back.

A call is two rows: `calls` (the small columns the list filters, sorts and shows) and `call_data`
(normalized JSON, transcript, raw provider JSON, search text). The raw JSON is kept so that a better
normalizer can re-derive every call without fetching it again (`rederive`).
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from callviewer.domain import Call, Turn, iso_to_epoch
from callviewer.errors import NormalizeError, UsageError
from callviewer.store.accounts import AccountsMixin
from callviewer.store.db import reads_cache, utc_now_iso
from callviewer.store.search import search_text, summary_line

#: Provider statuses that mean "this call may still change"; compared lowercased.
UNSETTLED_STATUSES = (
    "queued", "ringing", "in-progress", "in_progress", "started", "connected", "scheduled",
    "forwarding", "initiated", "ongoing", "registered", "pending",
)

#: Transcripts whose JSON is longer than this many characters are stored zlib-compressed.
_COMPRESS_OVER = 512
#: zlib level 1: about twice as fast as the default 6, and only ~8% larger on call JSON.
_ZLEVEL = 1
_CHUNK = 500


@dataclass(slots=True)
class CallRecord:
    """One call as the sync engine hands it to the store.

    `call` is None (and `normalize_error` says why) when the payload could not be normalized; the
    raw payload is stored anyway, hidden from listings, and `rederive` can retry it later.
    """

    provider_call_id: str
    raw: Any
    call: Call | None
    list_hash: str | None
    detail_hash: str
    normalize_error: str | None = None
    normalizer_version: int = 0
    #: The `call_data` values, encoded ahead by `encode_record` (None: `upsert_calls` encodes
    #: them). Whoever changes `call` or `raw` afterwards sets this back to None.
    encoded: tuple | None = None


@dataclass(slots=True)
class UpsertResult:
    new: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.new + self.updated + self.unchanged

    def __add__(self, other: UpsertResult) -> UpsertResult:
        return UpsertResult(
            self.new + other.new, self.updated + other.updated, self.unchanged + other.unchanged
        )


@dataclass(slots=True)
class RederiveResult:
    updated: int = 0
    failed: int = 0


# -- encoding --------------------------------------------------------------------------------

def dumps(obj: Any) -> str:
    return json.dumps(
        obj, separators=(",", ":"), ensure_ascii=False, check_circular=False, default=str
    )


def _pack_transcript(turns: list[Turn]) -> str | bytes:
    # Rows, not objects: a third less to encode and decode, and smaller on disk.
    text = dumps([[t.start_s, t.end_s, t.speaker, t.kind, t.text, t.tool_name] for t in turns])
    if len(text) > _COMPRESS_OVER:
        return zlib.compress(text.encode("utf-8"), _ZLEVEL)
    return text


class RawJson(str):
    """A raw payload already serialized as JSON text (the sync's worker has it at hand), stored
    as it is instead of being serialized again."""

    __slots__ = ()


def _unpack_turn(t: list | dict) -> Turn:
    if isinstance(t, dict):  # the first format, one object per turn
        return Turn.from_dict(t)
    start_s, end_s, speaker, kind, text, tool_name = t
    return Turn(speaker=speaker, text=text, kind=kind, start_s=start_s, end_s=end_s, tool_name=tool_name)


def _pack_raw(raw: Any) -> bytes:
    text = raw if isinstance(raw, RawJson) else dumps(raw)
    return zlib.compress(text.encode("utf-8", "surrogatepass"), _ZLEVEL)


def load_json(value: str | bytes | None) -> Any:
    """JSON stored as TEXT, or as a zlib-compressed BLOB."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = zlib.decompress(value).decode("utf-8")
    return json.loads(value)


def _num(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


#: `calls` columns a record writes, in this order (see `_call_values`).
_CALL_COLS = (
    "list_hash", "detail_hash", "normalizer_version", "normalize_error", "ts",
    "direction", "status", "ended_reason", "customer_number", "agent_id", "campaign_id",
    "created_at", "started_at", "ended_at", "duration_s", "cost", "currency", "success",
    "sentiment", "has_recording", "turn_count", "summary_line", "fetched_at", "updated_at",
)
_INSERT_CALL = (
    f"INSERT INTO calls (account_id, provider_call_id, {', '.join(_CALL_COLS)})"
    f" VALUES (?, ?, {', '.join('?' * len(_CALL_COLS))})"
)
_UPDATE_CALL = (
    "UPDATE calls SET "
    + ", ".join(
        "list_hash = coalesce(?, list_hash)" if c == "list_hash" else f"{c} = ?" for c in _CALL_COLS
    )
    + " WHERE id = ?"
)
#: Rows per multi-row statement on call_data (5 parameters each; stays under the 999-parameter
#: limit of older SQLite builds).
_DATA_ROWS = 150


def write_call_data(
    conn: sqlite3.Connection, inserts: dict[int, tuple], updates: dict[int, tuple],
    columns: tuple[str, ...] = ("doc", "transcript", "raw", "search_text"),
) -> None:
    """Inserts/updates call_data rows ({rowid: values in `columns` order}) in multi-row statements.

    Why not one statement per row: the FTS triggers then run inside a separate statement each,
    and FTS5 flushes its pending index data at every statement boundary, writing one tiny index
    segment per call and merging them again (twice the time of the whole insert).
    """
    width = len(columns) + 1
    names = ", ".join(columns)
    for rows, make_sql in (
        (list(inserts.items()), lambda n: (
            f"INSERT INTO call_data (id, {names}) VALUES "
            + ", ".join(["(" + ", ".join("?" * width) + ")"] * n)
        )),
        (list(updates.items()), lambda n: (
            "UPDATE call_data SET "
            + ", ".join(f"{c} = v.column{i + 2}" for i, c in enumerate(columns))
            + " FROM (VALUES "
            + ", ".join(["(" + ", ".join("?" * width) + ")"] * n)
            + ") AS v WHERE call_data.id = v.column1"
        )),
    ):
        for start in range(0, len(rows), _DATA_ROWS):
            part = rows[start:start + _DATA_ROWS]
            params: list[Any] = []
            for rowid, values in part:
                params.append(rowid)
                params.extend(values)
            conn.execute(make_sql(len(part)), params)


def _call_values(
    call: Call | None, list_hash: str | None, detail_hash: str | None, version: int,
    error: str | None, now: str,
) -> tuple:
    if call is None:
        return (list_hash, detail_hash, version, error) + (None,) * 15 + (0, 0, None, now, now)
    return (
        list_hash, detail_hash, version, error,
        iso_to_epoch(call.started_at) or iso_to_epoch(call.created_at),
        _text(call.direction), _text(call.status), _text(call.ended_reason),
        _text(call.customer_number), _text(call.agent_id), _text(call.campaign_id),
        _text(call.created_at), _text(call.started_at), _text(call.ended_at),
        _num(call.duration_s), _num(call.cost), _text(call.currency),
        _text(call.success), _text(call.sentiment),
        1 if call.has_recording else 0, len(call.transcript), summary_line(_text(call.summary)),
        now, now,
    )


def _data_values(call: Call | None, raw: Any) -> tuple:
    if call is None:
        return (None, None, _pack_raw(raw), None)
    doc = call.to_dict(transcript=False)
    doc.pop("account", None)  # the account's name can change; it is joined in on read
    return (dumps(doc), _pack_transcript(call.transcript), _pack_raw(raw), search_text(call))


def encode_record(rec: CallRecord) -> None:
    """Encodes the large part of a record (`rec.encoded`: JSON, zlib, search text) now.

    `upsert_calls` would do it inside its write transaction, and on a batch of calls that is most
    of the transaction's time: meanwhile every other writer of the file (the sync's other worker)
    waits. Raises what the encoding raises (then `upsert_calls` meets the same error)."""
    call = rec.call
    if call is not None and call.provider_call_id != rec.provider_call_id:
        call = _with_id(call, rec.provider_call_id)
    rec.encoded = _data_values(call, rec.raw)


def _chunks(items: list, n: int = _CHUNK) -> Iterator[list]:
    for i in range(0, len(items), n):
        yield items[i:i + n]


class CallsMixin(AccountsMixin):
    # -- writing -----------------------------------------------------------------------------

    def upsert_calls(self, account_id: int, records: Iterable[CallRecord]) -> UpsertResult:
        """Stores a batch of calls in one transaction.

        A record whose `detail_hash` equals the stored one, and whose normalizer is not newer than
        the stored row's, is "unchanged" and not rewritten (only a changed `list_hash` is noted).
        Later records of the batch win over earlier ones with the same id.
        """
        records = list(records)
        result = UpsertResult()
        if not records:
            return result
        now = utc_now_iso()
        with self.write() as conn:
            self._check_account_id(account_id)
            # provider_call_id -> (rowid or None while not yet inserted, list_hash, detail_hash, version)
            known: dict[str, tuple[int | None, str | None, str | None, int]] = {}
            ids = list({r.provider_call_id for r in records})
            for part in _chunks(ids):
                marks = ", ".join("?" * len(part))
                for pcid, rowid, lh, dh, ver in conn.execute(
                    "SELECT provider_call_id, id, list_hash, detail_hash, normalizer_version"
                    f" FROM calls WHERE account_id = ? AND provider_call_id IN ({marks})",
                    (account_id, *part),
                ):
                    known[pcid] = (rowid, lh, dh, ver)

            # 1. Decide what each record does.
            writes: list[tuple[CallRecord, Call | None, int]] = []
            list_only: dict[str, str] = {}
            for rec in records:
                pcid = rec.provider_call_id
                version = int(rec.normalizer_version or 0)
                old = known.get(pcid)
                if old is not None and old[2] == rec.detail_hash and old[3] >= version:
                    if rec.list_hash is not None and rec.list_hash != old[1]:
                        list_only[pcid] = rec.list_hash
                        known[pcid] = (old[0], rec.list_hash, old[2], old[3])
                    result.unchanged += 1
                    continue
                call = rec.call
                if call is not None and call.provider_call_id != pcid:
                    call = _with_id(call, pcid)
                writes.append((rec, call, version))
                list_only.pop(pcid, None)  # this write sets list_hash itself
                list_hash = rec.list_hash if rec.list_hash is not None else (old[1] if old else None)
                known[pcid] = (old[0] if old else None, list_hash, rec.detail_hash, version)

            # 2. Write, in record order: `calls` row by row (to learn new rowids), `call_data`
            #    in multi-row statements at the end.
            rowids: dict[str, int] = {
                pcid: v[0] for pcid, v in known.items() if v[0] is not None
            }
            data_inserts: dict[int, tuple] = {}
            data_updates: dict[int, tuple] = {}
            for rec, call, version in writes:
                pcid = rec.provider_call_id
                values = _call_values(
                    call, rec.list_hash, rec.detail_hash, version, rec.normalize_error, now
                )
                data = rec.encoded if rec.encoded is not None else _data_values(call, rec.raw)
                rowid = rowids.get(pcid)
                if rowid is not None:
                    conn.execute(_UPDATE_CALL, (*values, rowid))
                    if rowid in data_inserts:  # inserted earlier in this same batch
                        data_inserts[rowid] = data
                    else:
                        data_updates[rowid] = data
                    result.updated += 1
                else:
                    rowid = conn.execute(_INSERT_CALL, (account_id, pcid, *values)).lastrowid
                    rowids[pcid] = rowid
                    data_inserts[rowid] = data
                    result.new += 1
            write_call_data(conn, data_inserts, data_updates)
            for pcid, list_hash in list_only.items():
                conn.execute(
                    "UPDATE calls SET list_hash = ? WHERE id = ?", (list_hash, rowids[pcid])
                )
        return result

    def detail_hashes(self, account_id: int, ids: Iterable[str]) -> dict[str, tuple[str | None, int]]:
        """{provider_call_id: (detail_hash, normalizer_version)} for those of `ids` stored."""
        out: dict[str, tuple[str | None, int]] = {}
        with self.snapshot() as conn:
            for part in _chunks(list(ids)):
                marks = ", ".join("?" * len(part))
                for pcid, dh, ver in conn.execute(
                    "SELECT provider_call_id, detail_hash, normalizer_version FROM calls"
                    f" WHERE account_id = ? AND provider_call_id IN ({marks})", (account_id, *part)):
                    out[pcid] = (dh, ver or 0)
        return out

    def known_hashes(self, account_id: int) -> dict[str, tuple[str | None, str | None]]:
        """provider_call_id -> (list_hash, detail_hash) of every call of the account."""
        rows = self.conn.execute(
            "SELECT provider_call_id, list_hash, detail_hash FROM calls WHERE account_id = ?",
            (account_id,),
        )
        return {pcid: (lh, dh) for pcid, lh, dh in rows}

    def touch_list_hash(self, account_id: int, hashes: dict[str, str]) -> int:
        """Notes new list fingerprints of calls whose detail did not change. Returns rows changed."""
        if not hashes:
            return 0
        with self.write() as conn:
            before = conn.total_changes
            conn.executemany(
                "UPDATE calls SET list_hash = ?"
                " WHERE account_id = ? AND provider_call_id = ? AND list_hash IS NOT ?",
                [(h, account_id, pcid, h) for pcid, h in hashes.items()],
            )
            return conn.total_changes - before

    def unsettled_calls(self, account_id: int, since_ts: float | None, limit: int) -> list[str]:
        """Provider ids of calls that may still change (not in a final status), newest first."""
        marks = ", ".join("?" * len(UNSETTLED_STATUSES))
        sql = (
            "SELECT provider_call_id FROM calls WHERE account_id = ? AND normalize_error IS NULL"
            f" AND (lower(status) IN ({marks}) OR (status IS NULL AND ended_at IS NULL))"
        )
        params: list[Any] = [account_id, *UNSETTLED_STATUSES]
        if since_ts is not None:
            sql += " AND ts >= ?"
            params.append(float(since_ts))
        sql += " ORDER BY ts DESC, id DESC LIMIT ?"
        params.append(int(limit))
        return [r[0] for r in self.conn.execute(sql, params)]

    # -- reading one call --------------------------------------------------------------------

    _CALL_SELECT = (
        "SELECT c.id, c.provider_call_id, c.normalize_error, a.name, a.provider, d.doc, d.transcript"
        " FROM calls c JOIN accounts a ON a.id = c.account_id JOIN call_data d ON d.id = c.id"
    )

    @reads_cache
    def get_call(self, provider_call_id: str, account: str | None = None) -> Call:
        """One call with its full transcript, by the provider's id."""
        if account is not None:
            account_id = self._account_id(account)
            rows = self.conn.execute(
                self._CALL_SELECT + " WHERE c.account_id = ? AND c.provider_call_id = ?",
                (account_id, provider_call_id),
            ).fetchall()
            if not rows:
                raise UsageError(f"unknown call '{provider_call_id}' in account '{account}'")
        else:
            rows = self.conn.execute(
                self._CALL_SELECT + " WHERE c.provider_call_id = ? ORDER BY a.name",
                (provider_call_id,),
            ).fetchall()
            if not rows:
                raise UsageError(f"unknown call '{provider_call_id}'")
            if len(rows) > 1:
                names = ", ".join(f"'{r[3]}'" for r in rows)
                raise UsageError(
                    f"call '{provider_call_id}' exists in accounts {names}; name one with --account"
                )
        return _call_from_row(rows[0])

    @reads_cache
    def get_call_by_rowid(self, rowid: int) -> Call:
        row = self.conn.execute(self._CALL_SELECT + " WHERE c.id = ?", (rowid,)).fetchone()
        if row is None:
            raise UsageError(f"unknown call row {rowid}")
        return _call_from_row(row)

    @reads_cache
    def get_raw(self, rowid: int) -> Any:
        """The provider's JSON of a call, as received."""
        row = self.conn.execute("SELECT raw FROM call_data WHERE id = ?", (rowid,)).fetchone()
        if row is None:
            raise UsageError(f"unknown call row {rowid}")
        return load_json(row[0])

    def rowid_of(self, account_id: int, provider_call_id: str) -> int | None:
        row = self.conn.execute(
            "SELECT id FROM calls WHERE account_id = ? AND provider_call_id = ?",
            (account_id, provider_call_id),
        ).fetchone()
        return row[0] if row else None

    def normalize_errors(self, account_id: int) -> list[tuple[str, str]]:
        """(provider_call_id, error) of the account's calls that could not be normalized."""
        rows = self.conn.execute(
            "SELECT provider_call_id, normalize_error FROM calls"
            " WHERE account_id = ? AND normalize_error IS NOT NULL ORDER BY id",
            (account_id,),
        )
        return [(r[0], r[1]) for r in rows]

    # -- re-derivation -----------------------------------------------------------------------

    def all_raw(
        self, account_id: int | None = None, provider: str | None = None, *,
        below_version: int | None = None,
    ) -> Iterator[tuple[int, str, Any]]:
        """(rowid, provider_call_id, raw JSON) of stored calls, in chunks (safe to write between)."""
        where = ["1"]
        params: list[Any] = []
        if account_id is not None:
            where.append("c.account_id = ?")
            params.append(account_id)
        if provider is not None:
            where.append("c.account_id IN (SELECT id FROM accounts WHERE provider = ?)")
            params.append(provider)
        if below_version is not None:
            where.append("c.normalizer_version < ?")
            params.append(below_version)
        last = 0
        while True:
            rows = self.conn.execute(
                "SELECT c.id, c.provider_call_id, d.raw FROM calls c JOIN call_data d ON d.id = c.id"
                f" WHERE {' AND '.join(where)} AND c.id > ? ORDER BY c.id LIMIT ?",
                (*params, last, _CHUNK),
            ).fetchall()
            if not rows:
                return
            for rowid, pcid, raw in rows:
                yield rowid, pcid, load_json(raw)
            last = rows[-1][0]

    def has_older_calls(self, account_id: int, version: int) -> bool:
        """Whether some stored call of the account was derived by a normalizer older than `version`."""
        return self.conn.execute(
            "SELECT 1 FROM calls WHERE account_id = ? AND normalizer_version < ? LIMIT 1",
            (account_id, version)).fetchone() is not None

    def rederive(
        self, normalize_fn: Callable[[Any, str], Call], version: int, *,
        provider: str | None = None, account_id: int | None = None,
    ) -> RederiveResult:
        """Re-normalizes stored raw JSON of calls whose normalizer_version is below `version`.

        `normalize_fn(raw, provider_call_id) -> Call` (the id the call is stored under: a payload
        may leave its own out) raises on a payload it cannot read; that call then keeps its raw
        JSON with the error (hidden from listings) until a later version succeeds.
        """
        result = RederiveResult()
        batch: list[tuple[int, str, Any]] = []

        def flush() -> None:
            now = utc_now_iso()
            data_updates: dict[int, tuple] = {}
            with self.write() as conn:
                for rowid, pcid, raw in batch:
                    try:
                        call = normalize_fn(raw, pcid)
                        if not isinstance(call, Call):
                            raise TypeError(f"normalizer returned {type(call).__name__}")
                    except Exception as err:  # any failure is recorded, never fatal
                        conn.execute(
                            "UPDATE calls SET normalize_error = ?, normalizer_version = ?,"
                            " updated_at = ? WHERE id = ?",
                            (str(err) or type(err).__name__, version, now, rowid),
                        )
                        result.failed += 1
                        continue
                    if call.provider_call_id != pcid:
                        call = _with_id(call, pcid)
                    # the sync's fingerprints (list_hash, detail_hash) and fetched_at stay as they are
                    values = _call_values(call, None, None, version, None, now)[2:-2]
                    conn.execute(_REDERIVE_CALL, (*values, now, rowid))
                    data_updates[rowid] = _data_values_no_raw(call)
                    result.updated += 1
                write_call_data(conn, {}, data_updates, ("doc", "transcript", "search_text"))
            batch.clear()

        for item in self.all_raw(account_id, provider, below_version=version):
            batch.append(item)
            if len(batch) >= _CHUNK:
                flush()
        if batch:
            flush()
        return result


_REDERIVE_CALL = (
    "UPDATE calls SET "
    + ", ".join(f"{c} = ?" for c in _CALL_COLS[2:-2])
    + ", updated_at = ? WHERE id = ?"
)


def _data_values_no_raw(call: Call) -> tuple:
    doc = call.to_dict(transcript=False)
    doc.pop("account", None)
    return (dumps(doc), _pack_transcript(call.transcript), search_text(call))


def _with_id(call: Call, provider_call_id: str) -> Call:
    d = call.to_dict()
    d["provider_call_id"] = provider_call_id
    return Call.from_dict(d)


def _call_from_row(row: tuple) -> Call:
    rowid, pcid, error, account, provider, doc, transcript = row
    if doc is None:
        raise NormalizeError(pcid, error or "the stored call has no normalized form")
    call = Call.from_dict(json.loads(doc))
    call.account = account
    call.transcript = [_unpack_turn(t) for t in load_json(transcript) or []]
    return call
