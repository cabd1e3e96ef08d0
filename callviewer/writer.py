"""The sync's writer: parse, normalize, fingerprint and store batches of fetched calls.

Per call, this costs more CPU than fetching it (JSON, the normalizer, serializing, the FTS index),
and Python runs one thread at a time: done beside the HTTP client, it would double a sync's time,
and in the window it would stutter the UI. So the sync hands the response bodies, as bytes, to a
worker process (`process_executor`) with its own connection to the cache; SQLite's WAL lets the
window read meanwhile. A thread executor runs the very same code in-process (tests use it).

A job names calls either by a list page body and an index into its items (providers whose list
items are full calls) or by a detail body. Items stored unchanged are skipped before they are
normalized: the fingerprint is taken over the call's JSON text as it came (the detail body, or the
call's part of the list page, cut out by `callviewer.jsonparts`), which is also what is stored, so
nothing is serialized again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
import sqlite3
import threading
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from callviewer.domain import iso_to_epoch
from callviewer.jsonparts import Parts, loads_with_parts

log = logging.getLogger(__name__)


@dataclass
class WriteJob:
    db_path: str
    account_id: int
    account_name: str
    provider: str
    #: list page bodies referenced by `items`
    pages: list[bytes] = field(default_factory=list)
    #: detail bodies referenced by `items`
    details: list[bytes] = field(default_factory=list)
    #: (call id, page number or -1 for a detail, index, list hash or None)
    items: list[tuple[str, int, int, str | None]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.items)


@dataclass
class BatchResult:
    count: int
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    high_ts: float | None = None


def canonical(raw: Any) -> str:
    return json.dumps(raw, ensure_ascii=False, separators=(",", ":"), default=str)


def digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


# One store connection per (process, thread, file): the worker keeps it between jobs.
_stores: dict[tuple[int, int, str], Any] = {}
_lock = threading.Lock()


def _store_for(db_path: str):
    from callviewer.store import Store

    key = (os.getpid(), threading.get_ident(), db_path)
    with _lock:
        store = _stores.get(key)
        if store is None:
            store = _stores[key] = Store(db_path, check=False)
    return store


def close_stores() -> None:
    """Close this thread's connections (for thread executors; a worker process just exits)."""
    me = (os.getpid(), threading.get_ident())
    with _lock:
        for key in [k for k in _stores if k[:2] == me]:
            _stores.pop(key).close()


def write_job(job: WriteJob) -> BatchResult:
    """Runs in the worker: everything between a response body and a stored row."""
    from callviewer.errors import CallviewerError, NormalizeError
    from callviewer.normalize import NORMALIZER_VERSION, normalize_listed
    from callviewer.providers import adapter_class, page_parser
    from callviewer.store import CallRecord, RawJson
    from callviewer.store.calls import encode_record

    store = _store_for(job.db_path)
    parse_page, parse_detail = page_parser(job.provider)
    # Providers whose list items are full calls fingerprint them by their text in the list page;
    # a detail of theirs (an unsettled call read again) must be fingerprinted the same way.
    list_complete = adapter_class(job.provider).lists_full_calls
    out = BatchResult(count=len(job.items))
    pages: dict[int, tuple[list[dict], Parts]] = {}
    prepared: list[tuple[str, Any, str, str, str | None]] = []
    for call_id, page_no, index, list_hash in job.items:
        try:
            call_id.encode("utf-8")
        except UnicodeEncodeError:
            out.failed.append((call_id.encode("utf-8", "backslashreplace").decode(),
                               "the provider sent a call id that is not valid text (not stored)"))
            continue
        try:
            if page_no < 0 and not list_complete:
                # the body is the call object itself: store it as sent
                body = job.details[index]
                raw = parse_detail(json.loads(body), call_id)
                text = body.decode("utf-8", "replace")
                h = hashlib.blake2b(body, digest_size=16).hexdigest()
            else:
                # The call's JSON as the body has it: cut out, not serialized again. A detail of
                # such a provider (an unsettled call read again) is cut out of its envelope the
                # same way, so that it fingerprints like its list item.
                if page_no >= 0:
                    if page_no not in pages:
                        doc, parts = loads_with_parts(job.pages[page_no])
                        pages[page_no] = parse_page(doc), parts
                    items, parts = pages[page_no]
                    raw = items[index]
                    text = parts.text_of(raw)
                else:
                    doc, parts = loads_with_parts(job.details[index])
                    raw = parse_detail(doc, call_id)
                    text = parts.find(raw)
                if text is None:  # not where it was expected (an unusual envelope)
                    text = canonical(raw)
                h = digest(text)
        except CallviewerError as e:  # the provider module's own words ("... not a JSON object")
            out.failed.append((call_id, str(e)))
            continue
        except (ValueError, IndexError, TypeError, RecursionError) as e:
            out.failed.append((call_id, f"unreadable payload ({type(e).__name__})"))
            continue
        prepared.append((call_id, raw, text, h, list_hash if list_hash is not None else (h if page_no >= 0 else None)))

    known = store.detail_hashes(job.account_id, [p[0] for p in prepared])
    records = []
    for call_id, raw, text, h, list_hash in prepared:
        old = known.get(call_id)
        if old is not None and old[0] == h and old[1] >= NORMALIZER_VERSION and list_hash in (None, h):
            out.unchanged += 1
            continue
        call = None
        error = None
        try:
            call = normalize_listed(job.provider, raw, call_id)
        except NormalizeError as e:
            error = str(e)
        except Exception as e:  # a normalizer bug must not stop the sync either
            log.exception("normalizer crashed on %s call %s", job.provider, call_id)
            error = f"could not be read ({type(e).__name__})"
        if call is not None:
            call.account = job.account_name
            ts = iso_to_epoch(call.started_at) or iso_to_epoch(call.created_at)
            if ts is not None and (out.high_ts is None or ts > out.high_ts):
                out.high_ts = ts
        else:
            out.failed.append((call_id, error or "could not be read"))
        record = CallRecord(provider_call_id=call_id, raw=RawJson(text), call=call,
                            list_hash=list_hash, detail_hash=h, normalize_error=error,
                            normalizer_version=NORMALIZER_VERSION)
        try:
            encode_record(record)  # now, not inside the write transaction
        except (ValueError, TypeError, OverflowError, RecursionError):
            pass  # the upsert meets the same error, and stores such a record on its own
        records.append(record)
    try:
        result = store.upsert_calls(job.account_id, records)
    except (ValueError, TypeError, OverflowError, sqlite3.InterfaceError, sqlite3.IntegrityError,
            sqlite3.DataError) as e:
        # One record the database will not take must not cost the batch: store them one by one,
        # and one that still fails as its raw payload with the reason.
        log.warning("a batch of %s calls could not be stored (%s); storing them one by one",
                    job.provider, type(e).__name__)
        result = _upsert_one_by_one(store, job.account_id, records, out)
    out.new += result.new
    out.updated += result.updated
    out.unchanged += result.unchanged
    return out


def rederive_job(db_path: str, account_id: int, provider: str) -> tuple[int, int]:
    """Runs in the worker: re-normalizes, from their stored raw JSON, the account's calls that an
    older normalizer derived (see NORMALIZER_VERSION). Returns (re-derived, still unreadable)."""
    from callviewer.normalize import NORMALIZER_VERSION, normalize_listed

    result = _store_for(db_path).rederive(
        lambda raw, call_id: normalize_listed(provider, raw, call_id), NORMALIZER_VERSION,
        account_id=account_id)
    return result.updated, result.failed


def _upsert_one_by_one(store, account_id: int, records: list, out: BatchResult):
    from callviewer.store import UpsertResult

    total = UpsertResult()
    for rec in records:
        try:
            total += store.upsert_calls(account_id, [rec])
            continue
        except (ValueError, TypeError, OverflowError, sqlite3.InterfaceError, sqlite3.IntegrityError,
                sqlite3.DataError) as e:
            why = f"could not be stored ({type(e).__name__})"
        rec.call = None
        rec.encoded = None
        rec.normalize_error = why
        out.failed.append((rec.provider_call_id, why))
        try:
            total += store.upsert_calls(account_id, [rec])
        except (ValueError, TypeError, OverflowError, sqlite3.Error):
            log.exception("call %s could not be stored even raw", rec.provider_call_id)
    return total


#: Worker processes: two keep up with the fetching on a 2-core machine (one does not).
WORKERS = max(1, min(2, os.cpu_count() or 1))
#: How much lower the workers' CPU priority is (`os.nice`). On 2 cores, two busy workers would
#: take CPU from the process that fetches (and draws the window) as often as it gets it: the
#: fetching, which everything waits for, slowed down, and so did the window. Lower, they take
#: what that process leaves; they cannot fall behind far (`sync._Writer.MAX_QUEUED`).
WORKER_NICE = 5


def _exit_with_parent() -> None:
    """In a worker process: exit as soon as the process that started it is gone (killed, or
    crashed), instead of waiting for work that never comes (or writing on for nobody).

    A store transaction cut short by the exit is rolled back by SQLite, like any crash."""
    parent = multiprocessing.parent_process()
    sentinel = getattr(parent, "sentinel", None)
    if sentinel is None:
        return

    def watch() -> None:
        from multiprocessing.connection import wait

        try:
            wait([sentinel])
        except Exception:  # noqa: BLE001 - then watch by polling instead
            ppid = os.getppid()
            while os.getppid() == ppid:
                time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="callviewer-parent-watch", daemon=True).start()


def _worker_init(logs_dir: str | None) -> None:
    from callviewer.logs import setup_logging

    _exit_with_parent()
    try:
        os.nice(WORKER_NICE)
    except (AttributeError, OSError):  # no nice() on Windows; a sandbox may not allow it
        pass
    setup_logging(Path(logs_dir) if logs_dir else None)
    # import now, while the sync is still listing, rather than with the first batch
    import callviewer.normalize  # noqa: F401
    import callviewer.providers  # noqa: F401
    import callviewer.store  # noqa: F401


def _ready() -> bool:
    return True


def process_executor(logs_dir: Path | None = None) -> Executor:
    """One worker process (spawned: safe with threads, Qt and PyInstaller's frozen apps)."""
    ctx = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=WORKERS, mp_context=ctx, initializer=_worker_init,
                               initargs=(str(logs_dir) if logs_dir else None,))
    for _ in range(WORKERS):
        pool.submit(_ready)  # start the processes now: they spawn while the first pages arrive
    return pool
