"""Sync: pull new and changed calls of one account into the local cache.

How a sync runs:
1. Walk the provider's call list (newest first). Incremental syncs after a completed walk only
   ask for calls created since the newest known call minus a settle window (`SETTLE`), which catches
   calls whose status or cost settles after creation; `full=True` walks everything.
2. Each list item is fingerprinted. An item identical to what is stored is skipped. Providers whose
   list items are full call objects (Callab, Vatel) are stored from the list; the others (Atlas)
   get one detail request per new or changed call, at most `concurrency` in flight.
3. Calls stored as not yet final (ringing, in progress, ...) that the walk did not return are
   re-read by id, so a call that settles after the window still gets its final status and cost.
4. Records are written in batches, each its own transaction, so an interruption loses at most a
   batch in flight; the walk is only marked complete at the end, so the next sync after an
   interruption walks again and fetches only what is missing (no duplicates: rows are keyed by the
   provider's id).

A payload that cannot be normalized is stored raw with its error and reported by id; the rest of
the sync goes on. A rejected key or an unreachable provider stops the sync with that state; what
was stored stays.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from concurrent.futures import Executor, ThreadPoolExecutor
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from callviewer.domain import Account
from callviewer.errors import CallviewerError, CutShort, KeyRejected, NotFound, Offline
from callviewer.normalize import NORMALIZER_VERSION
from callviewer.providers.base import ProviderAdapter
from callviewer.store import Store
from callviewer.writer import BatchResult, WriteJob, close_stores, rederive_job, write_job

log = logging.getLogger(__name__)

SETTLE = timedelta(days=3)
#: Calls per write job (one transaction). A multiple of the list pages' 100, so that a list page
#: usually goes to one job only (a job parses every page it holds); 200 rather than 100: half the
#: commits (and FTS index segments), ~5% less CPU per call written.
BATCH = 200
RECHECK_LIMIT = 500
#: A listed call that could not be fetched or read (a 404 right after it was listed, a broken
#: body) is asked for again by id in this many following syncs before it is given up on.
RETRY_FAILED_SYNCS = 3


@dataclass
class SyncProgress:
    account: str
    #: "updating" (stored calls, by a newer normalizer), "listing", "fetching", "rechecking", "done"
    phase: str
    listed: int = 0       # list items seen
    done: int = 0         # calls written or found unchanged
    total: int | None = None  # calls known to need work (grows while listing)
    message: str = ""


@dataclass
class SyncReport:
    account: str
    provider: str
    state: str = "ok"     # ok, partial, key_rejected, offline, rate_limited, busy, error, cancelled
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (call id, why)
    requests: int = 0
    seconds: float = 0.0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.state in ("ok", "partial")

    def summary_line(self) -> str:
        text = (f"{self.account}: {self.new} new, {self.updated} updated, {self.unchanged} unchanged, "
                f"{len(self.failed)} failed ({self.requests} requests, {self.seconds:.1f} s)")
        if self.error:
            text += f" - {self.state.replace('_', ' ')}: {self.error}"
        return text


BAD_ID = "the provider sent a call id that is not valid text (not stored)"


def valid_id(call_id: str) -> bool:
    """Whether a provider's call id can be stored and sent back (a JSON string may hold lone
    surrogates, which no database, URL or terminal takes)."""
    try:
        call_id.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return len(call_id) <= 1000


def shown_id(call_id: str) -> str:
    """A call id as it can be printed and stored, whatever it holds."""
    return call_id[:1000].encode("utf-8", "backslashreplace").decode("utf-8")


def fingerprint(obj: Any) -> str:
    blob = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.blake2b(blob.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


class _Writer:
    """Feeds `callviewer.writer.write_job` batches to an executor (a worker process, or a thread).

    At most `MAX_QUEUED` jobs wait, so a slow disk slows the fetching instead of filling memory.
    """

    MAX_QUEUED = 3

    def __init__(self, store: Store, account: Account, executor: Executor | None) -> None:
        self._own = executor is None
        self._executor = executor or ThreadPoolExecutor(1, thread_name_prefix="sync-writer")
        self._futures: list[asyncio.Future] = []
        self.job = self._new_job(store, account)

    @staticmethod
    def _new_job(store: Store, account: Account) -> WriteJob:
        return WriteJob(str(store.path), account.id, account.name, account.provider)

    def add_page_item(self, page: bytes, index: int, call_id: str) -> None:
        job = self.job
        if not job.pages or job.pages[-1] is not page:
            job.pages.append(page)
        job.items.append((call_id, len(job.pages) - 1, index, None))

    def add_detail(self, body: bytes, call_id: str, list_hash: str | None) -> None:
        self.job.details.append(body)
        self.job.items.append((call_id, -1, len(self.job.details) - 1, list_hash))

    async def submit(self, *, force: bool = False) -> None:
        job = self.job
        if not job.items or (len(job) < BATCH and not force):
            return
        self.job = WriteJob(job.db_path, job.account_id, job.account_name, job.provider)
        loop = asyncio.get_running_loop()
        self._futures.append(loop.run_in_executor(self._executor, write_job, job))
        while sum(not f.done() for f in self._futures) > self.MAX_QUEUED:
            await asyncio.wait([f for f in self._futures if not f.done()],
                               return_when=asyncio.FIRST_COMPLETED)

    def finished(self) -> list[BatchResult]:
        """Results of the jobs done so far, in order (a failed job raises its error here)."""
        done = []
        while self._futures and self._futures[0].done():
            done.append(self._futures.pop(0).result())
        return done

    async def drain(self) -> None:
        """Wait for every submitted job (even while the sync is being cancelled)."""
        pending = [f for f in self._futures if not f.done()]
        if pending:
            await asyncio.shield(asyncio.gather(*pending, return_exceptions=True))

    async def rederive(self) -> tuple[int, int]:
        """Re-derives the account's calls stored by an older normalizer (`writer.rederive_job`)."""
        job = self.job
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, rederive_job, job.db_path, job.account_id,
                                          job.provider)

    async def close(self) -> None:
        await self.drain()
        if self._own:
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(self._executor, close_stores)
            self._executor.shutdown(wait=False)


class _Run:
    """The state of one account's sync."""

    def __init__(self, store: Store, account: Account, adapter: ProviderAdapter, *, full: bool,
                 concurrency: int, on_progress: Callable[[SyncProgress], None] | None,
                 executor: Executor | None) -> None:
        self.store = store
        self.account = account
        self.adapter = adapter
        self.full = full
        self.concurrency = concurrency
        self.on_progress = on_progress
        self.report = SyncReport(account.name, account.provider)
        self.progress = SyncProgress(account.name, "listing")
        self.seen: set[str] = set()
        self.high_ts: float | None = None
        #: The provider's list skipped or repeated a page: calls may be missing from this walk.
        self.gap = False
        self._last_emit = 0.0
        self.writer = _Writer(store, account, executor)

    def emit(self, force: bool = False) -> None:
        if self.on_progress is None:
            return
        now = time.monotonic()
        if force or now - self._last_emit > 0.1:
            self._last_emit = now
            self.on_progress(self.progress)

    async def flush(self, *, force: bool = False) -> None:
        await self.writer.submit(force=force)
        self.collect()

    def collect(self) -> None:
        """Take the writer's finished batches into the report and the progress."""
        for result in self.writer.finished():
            self.report.new += result.new
            self.report.updated += result.updated
            self.report.unchanged += result.unchanged
            self.report.failed.extend(result.failed)
            if result.high_ts is not None and (self.high_ts is None or result.high_ts > self.high_ts):
                self.high_ts = result.high_ts
            self.progress.done += result.count
        self.emit()

    async def fetch_details(self, queue: asyncio.Queue) -> None:
        while True:
            item = await queue.get()
            try:
                if item is None:
                    return
                call_id, list_hash = item
                try:
                    # the worker parses it (here it is only checked as far as a retry can mend it)
                    _, body = await self.adapter.get_call_body(call_id, parse=False)
                except NotFound:
                    self.report.failed.append((call_id, "listed, but the provider has no such call (404)"))
                    self.progress.done += 1
                    continue
                except CutShort as e:  # this call's answer breaks off each time: not the network
                    self.report.failed.append((call_id, str(e)))
                    self.progress.done += 1
                    continue
                except (KeyRejected, Offline):
                    raise
                except CallviewerError as e:
                    self.report.failed.append((call_id, str(e)))
                    self.progress.done += 1
                    continue
                self.writer.add_detail(body, call_id, list_hash)
                await self.flush()
            finally:
                queue.task_done()

    async def run(self) -> SyncReport:
        if self.store.has_older_calls(self.account.id, NORMALIZER_VERSION):
            # a newer normalizer reads what is stored first (from the raw JSON kept for this)
            self.progress.phase = "updating"
            self.emit(force=True)
            updated, failed = await self.writer.rederive()
            log.info("%s: %d stored calls re-derived by the current normalizer (%d unreadable)",
                     self.account.name, updated, failed)
        cursor = self.store.get_cursor(self.account.id)
        known = self.store.known_hashes(self.account.id)
        since: datetime | None = None
        if not self.full and cursor.get("complete") and cursor.get("high_ts") is not None:
            since = datetime.fromtimestamp(cursor["high_ts"], timezone.utc) - SETTLE
        self.high_ts = cursor.get("high_ts")
        retry = cursor.get("retry")
        retry = {k: v for k, v in retry.items() if isinstance(k, str) and isinstance(v, int)} \
            if isinstance(retry, dict) else {}

        queue: asyncio.Queue = asyncio.Queue(maxsize=self.concurrency * 4)
        workers = [asyncio.create_task(self.fetch_details(queue)) for _ in range(self.concurrency)]
        try:
            async for page in self.adapter.list_calls(since):
                if page.gap and not self.gap:
                    self.gap = True
                    log.warning("%s: the provider's call list skipped or repeated a page; the next "
                                "sync walks the whole list again", self.account.name)
                for index, item in enumerate(page.items):
                    call_id = self.adapter.item_id(item)
                    if not call_id or call_id in self.seen:
                        continue
                    self.seen.add(call_id)
                    if not valid_id(call_id):
                        self.report.failed.append((shown_id(call_id), BAD_ID))
                        continue
                    self.progress.listed += 1
                    if self.adapter.item_is_complete(item) and page.body is not None:
                        # the writer skips it cheaply if it is stored unchanged
                        self.progress.total = (self.progress.total or 0) + 1
                        self.writer.add_page_item(page.body, index, call_id)
                        await self.flush()
                    else:
                        lh = fingerprint(item)
                        stored = known.get(call_id)
                        if stored and stored[0] == lh and not self.full:
                            self.report.unchanged += 1
                            continue
                        self.progress.total = (self.progress.total or 0) + 1
                        await self._put(queue, workers, (call_id, lh))
                self.progress.phase = "fetching" if self.progress.total else "listing"
                self.emit()
            # Calls the last syncs could not fetch or read, and calls stored as unfinished that
            # the walk did not return: re-read them by id.
            self.progress.phase = "rechecking"
            for call_id in list(retry)[:RECHECK_LIMIT]:
                if call_id not in self.seen and valid_id(call_id):
                    self.seen.add(call_id)
                    self.progress.total = (self.progress.total or 0) + 1
                    await self._put(queue, workers, (call_id, None))
            recheck_since = (self.high_ts - 7 * 86400) if self.high_ts else None
            for call_id in self.store.unsettled_calls(self.account.id, recheck_since, RECHECK_LIMIT):
                if call_id not in self.seen:
                    self.seen.add(call_id)
                    self.progress.total = (self.progress.total or 0) + 1
                    await self._put(queue, workers, (call_id, known.get(call_id, (None, None))[0]))
            for _ in workers:
                await self._put(queue, workers, None)
            await asyncio.gather(*workers)
        except BaseException:
            for w in workers:
                w.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            # keep what was fetched: write it before giving up
            await self.writer.submit(force=True)
            await self.writer.drain()
            self.collect()
            raise
        await self.writer.submit(force=True)
        await self.writer.drain()
        self.collect()
        self.store.set_cursor(self.account.id, {
            # after a walk with a gap, the next sync walks everything again (not only what is new)
            "complete": not self.gap,
            "high_ts": self.high_ts,
            "normalizer_version": NORMALIZER_VERSION,
            "walked_at": time.time(),
            "retry": self._still_missing(retry),
        })
        self.progress.phase = "done"
        self.emit(force=True)
        return self.report

    def _still_missing(self, retry: dict[str, int]) -> dict[str, int]:
        """The failed calls of this sync that are not stored (not even raw), with how many syncs
        in a row have missed them; those missed RETRY_FAILED_SYNCS times are given up on."""
        out: dict[str, int] = {}
        for call_id, _why in self.report.failed:
            if call_id in out or not valid_id(call_id) or len(out) >= RECHECK_LIMIT:
                continue
            if self.store.rowid_of(self.account.id, call_id) is None:
                times = retry.get(call_id, 0) + 1
                if times <= RETRY_FAILED_SYNCS:
                    out[call_id] = times
        return out

    async def _put(self, queue: asyncio.Queue, workers: list[asyncio.Task], item: Any) -> None:
        """Queue work; a worker's fatal error (key rejected, offline) surfaces here at once."""
        if queue.full():
            put = asyncio.ensure_future(queue.put(item))
            await asyncio.wait([put, *workers], return_when=asyncio.FIRST_COMPLETED)
            if not put.done():
                put.cancel()
        else:
            queue.put_nowait(item)
        for w in workers:
            if w.done() and not w.cancelled() and w.exception() is not None:
                raise w.exception()


async def sync_account(
    store: Store,
    account: Account,
    adapter: ProviderAdapter,
    *,
    full: bool = False,
    concurrency: int = 8,
    on_progress: Callable[[SyncProgress], None] | None = None,
    executor: Executor | None = None,
) -> SyncReport:
    """Sync one account. Never raises for provider trouble: the report's `state` says what happened.

    Cancelling the task stops the sync; what was fetched so far is written first.
    """
    run = _Run(store, account, adapter, full=full, concurrency=concurrency, on_progress=on_progress,
               executor=executor)
    started = time.monotonic()
    report = run.report
    try:
        await run.run()
        problems = []
        if report.failed:
            n = len(report.failed)
            first_id, first_why = report.failed[0]
            problems.append(f"{n} call{'s' if n != 1 else ''} could not be read "
                            f"(first: {first_id}: {first_why})")
        if run.gap:
            problems.append("the provider's call list skipped or repeated a page; "
                            "the next sync reads the whole list again")
        if problems:
            report.state, report.error = "partial", "; ".join(problems)
        try:
            dirs = await adapter.directories()
            store.save_directories(account.id, dirs)
        except CallviewerError as e:
            log.info("%s: could not list agents/campaigns: %s", account.name, e)
    except asyncio.CancelledError:
        report.state, report.error = "cancelled", "sync cancelled"
        raise
    except CallviewerError as e:
        report.state = e.state if e.state in ("key_rejected", "offline", "rate_limited", "busy") else "error"
        report.error = str(e)
    except Exception as e:  # a bug (or a broken worker process) ends this sync, not the program
        log.exception("the sync of %s failed", account.name)
        report.state = "error"
        report.error = f"unexpected {type(e).__name__} (details in the log)"
    finally:
        await run.writer.close()
        report.seconds = time.monotonic() - started
        report.requests = adapter.client.requests
        try:
            # `last_sync_at` is the time of the last sync that worked: a failed one keeps it
            good = report.state in ("ok", "partial")
            store.set_sync_result(account.id, report.state, report.error,
                                  synced_at=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
                                  if good else None)
        except Exception:
            log.exception("could not record the sync result of %s", account.name)
    return report


def jsonable(report: SyncReport) -> Mapping[str, Any]:
    return {
        "account": report.account, "provider": report.provider, "state": report.state,
        "new": report.new, "updated": report.updated, "unchanged": report.unchanged,
        "failed": [{"id": i, "error": e} for i, e in report.failed],
        "requests": report.requests, "seconds": round(report.seconds, 3), "error": report.error,
    }
