"""The core services of one profile, shared by the command line and the window (no Qt here).

`Core` ties the profile's store and key store to the provider adapters: add/remove accounts with
their keys, sync, and fetch recordings into the profile's recording cache.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
from collections.abc import Callable, Iterable
from concurrent.futures import Executor
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from callviewer.domain import Account
from callviewer.errors import CallviewerError, RecordingError, UsageError
from callviewer.logs import remember_secret
from callviewer.profile import Profile
from callviewer.secrets import KeyStore, OsKeyStore, Secret
from callviewer.store import CorruptCache, Store

# The network side (providers -> httpx, sync, its worker) is imported when first used: the
# window's first rows do not wait for it.
if TYPE_CHECKING:
    from callviewer.providers.base import ProviderAdapter
    from callviewer.sync import SyncProgress, SyncReport

log = logging.getLogger(__name__)

_NAME_RE = re.compile(r"^[\w][\w .@+-]{0,63}$")

AUDIO_TYPES = {
    "audio/wav": ".wav", "audio/x-wav": ".wav", "audio/wave": ".wav", "audio/vnd.wave": ".wav",
    "audio/mpeg": ".mp3", "audio/mp3": ".mp3", "audio/ogg": ".ogg", "audio/opus": ".opus",
    "audio/flac": ".flac", "audio/x-flac": ".flac", "audio/mp4": ".m4a", "audio/aac": ".aac",
    "audio/webm": ".webm",
}


def sniff_audio(head: bytes) -> str | None:
    """The file extension for audio bytes, or None when they are not a known audio format."""
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return ".wav"
    if head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return ".mp3"
    if head[:4] == b"OggS":
        return ".ogg"
    if head[:4] == b"fLaC":
        return ".flac"
    if head[4:8] == b"ftyp":
        return ".m4a"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return ".webm"
    return None


def check_account_name(name: str) -> str:
    name = (name or "").strip()
    if not _NAME_RE.match(name):
        raise UsageError(f"invalid account name {name!r}: use letters, digits, spaces and . _ - @ + "
                         "(at most 64 characters)")
    return name


def check_base_url(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"invalid base URL {url!r}: it must start with https:// (or http://)")
    if parts.username or parts.password:
        raise UsageError("the base URL must not contain credentials; the key goes in the keyring")
    return url.strip().rstrip("/")


class Core:
    def __init__(self, profile: Profile, store: Store, keys: KeyStore, *,
                 client_kw: dict[str, Any] | None = None, sync_worker: str = "process") -> None:
        """`sync_worker`: where syncs parse, normalize and store what they fetch: "process" (a
        worker process, started on the first sync) or "thread" (in this process)."""
        self.profile = profile
        self.store = store
        self.keys = keys
        self.client_kw = dict(client_kw or {})
        if sync_worker not in ("process", "thread"):
            raise ValueError(f"sync_worker must be 'process' or 'thread', not {sync_worker!r}")
        self._sync_worker = sync_worker
        self._executor: Executor | None = None

    @classmethod
    def open(cls, profile: Profile, keys: KeyStore | None = None, **kw: Any) -> Core:
        store = Store.open(profile.db_path)
        return cls(profile, store, keys if keys is not None else OsKeyStore(profile.profile_id), **kw)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        self.store.close()

    def sync_executor(self) -> Executor | None:
        """The worker that parses, normalizes and stores synced calls (None: a thread per sync)."""
        if self._sync_worker == "process" and self._executor is None:
            from callviewer.writer import process_executor

            self._executor = process_executor(self.profile.logs_dir)
        return self._executor

    # -- accounts -------------------------------------------------------------------------------

    def adapter_for(self, account: Account, key: Secret | None = None) -> ProviderAdapter:
        from callviewer.providers import make_adapter

        key = key if key is not None else self.keys.get(account.name)
        remember_secret(key.reveal())
        return make_adapter(account.provider, account.base_url, key, **self.client_kw)

    async def verify_key(self, provider: str, base_url: str, key: Secret) -> None:
        from callviewer.providers import make_adapter

        remember_secret(key.reveal())
        adapter = make_adapter(provider, base_url, key, **self.client_kw)
        try:
            await adapter.verify()
        finally:
            await adapter.client.aclose()

    async def add_account(self, name: str, provider: str, key: Secret, *, base_url: str | None = None,
                          verify: bool = True) -> Account:
        from callviewer.providers import adapter_class, default_base_url

        name = check_account_name(name)
        adapter_class(provider)
        base_url = check_base_url(base_url or default_base_url(provider))
        if any(a.name == name for a in self.store.accounts()):
            raise UsageError(f"account {name!r} already exists")
        if verify:
            await self.verify_key(provider, base_url, key)
        await asyncio.to_thread(self.keys.set, name, key)
        try:
            return self.store.add_account(name, provider, base_url)
        except BaseException:
            await asyncio.to_thread(self.keys.delete, name)
            raise

    def remove_account(self, name: str) -> None:
        account = self.store.get_account(name)
        self.keys.delete(account.name)  # first: if the keyring fails, nothing is removed
        self.store.remove_account(account.name)
        folder = self._recording_dir(account)
        if folder.exists():
            for f in folder.iterdir():
                f.unlink(missing_ok=True)
            folder.rmdir()

    def accounts_named(self, names: Iterable[str]) -> list[Account]:
        names = list(names)
        if not names:
            return self.store.accounts()
        return [self.store.get_account(n) for n in names]

    # -- sync -----------------------------------------------------------------------------------

    async def sync(self, account: Account, *, full: bool = False,
                   on_progress: Callable[[SyncProgress], None] | None = None,
                   key: Secret | None = None) -> SyncReport:
        from callviewer.sync import SyncReport, sync_account

        try:
            if key is None:
                key = await asyncio.to_thread(self.keys.get, account.name)
            adapter = self.adapter_for(account, key)
        except CallviewerError as e:
            report = SyncReport(account.name, account.provider, state=e.state, error=str(e))
            self.store.set_sync_result(account.id, report.state, report.error)
            return report
        try:
            return await sync_account(self.store, account, adapter, full=full, on_progress=on_progress,
                                      executor=self.sync_executor())
        finally:
            await adapter.client.aclose()

    def stored_raw(self, account: Account, call_id: str) -> Any:
        rowid = self.store.rowid_of(account.id, call_id)
        return self.store.get_raw(rowid) if rowid is not None else None

    # -- recordings -----------------------------------------------------------------------------

    def _recording_dir(self, account: Account) -> Path:
        return self.profile.recordings_dir / f"account-{account.id}"

    def cached_recording(self, account: Account, call_id: str) -> Path | None:
        folder = self._recording_dir(account)
        stem = _file_stem(call_id)
        if folder.is_dir():
            for f in folder.glob(stem + ".*"):
                if not f.name.endswith(".part"):
                    return f
        return None

    async def fetch_recording(self, account: Account, call_id: str, *, key: Secret | None = None) -> Path:
        """The call's recording as a local file, downloaded on first use into the profile's cache.

        Recording URLs are never trusted from the cache: a fresh call detail is asked for first
        (links expire), falling back to the stored payload when the provider cannot be reached.
        """
        cached = self.cached_recording(account, call_id)
        if cached is not None:
            return cached
        call = self.store.get_call(call_id, account.name)
        if key is None:
            key = await asyncio.to_thread(self.keys.get, account.name)
        adapter = self.adapter_for(account, key)
        try:
            raw = None
            if account.provider != "vatel":
                try:
                    raw = await adapter.get_call(call_id)
                except CallviewerError as e:
                    log.info("fresh detail for %s failed (%s); using the stored payload", call_id, e)
            if raw is None:
                raw = self.stored_raw(account, call_id)
            source = adapter.recording_source(call_id, raw if isinstance(raw, dict) else {})
            if source is None or (not call.has_recording and account.provider != "vatel"):
                raise RecordingError("this call has no recording")
            folder = self._recording_dir(account)
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / (_file_stem(call_id) + ".download")
            ctype = await adapter.client.download(source.url, tmp, with_auth=source.with_auth)
            with open(tmp, "rb") as fh:
                head = fh.read(16)
            ext = sniff_audio(head)
            if ext is None:
                tmp.unlink(missing_ok=True)
                kind = (ctype or "unknown type").split(";")[0]
                raise RecordingError(f"the provider sent a file that is not audio ({kind})")
            final = folder / (_file_stem(call_id) + ext)
            tmp.replace(final)
            return final
        finally:
            await adapter.client.aclose()


def _file_stem(call_id: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", call_id)[:60]
    digest = hashlib.sha1(call_id.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{safe}-{digest}"


def move_corrupt_cache(db_path: Path, now: datetime | None = None) -> Path:
    """Moves a damaged cache file (and its -wal/-shm) aside as `<name>.corrupt-YYYYmmdd-HHMMSS`."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    target = db_path.with_name(f"{db_path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = db_path.with_name(f"{db_path.name}.corrupt-{stamp}-{n}")
    for suffix in ("", "-wal", "-shm"):
        src = Path(str(db_path) + suffix)
        if src.exists():
            os.replace(src, Path(str(target) + suffix))
    return target


def open_core(profile: Profile, keys: KeyStore | None = None, **kw: Any) -> tuple[Core, str | None]:
    """Opens the profile's core; a damaged cache is moved aside and a fresh one created. Returns
    the core and, in that case, the notice to show."""
    try:
        return Core.open(profile, keys, **kw), None
    except CorruptCache as e:
        log.error("%s; moving it aside", e)
        moved = move_corrupt_cache(profile.db_path)
        core = Core.open(profile, keys, **kw)
        return core, (f"The local cache was damaged ({e.detail}). It was moved aside as {moved.name} "
                      "and a fresh one was created; a sync will rebuild it.")
