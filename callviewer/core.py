"""The core services of one profile, shared by the command line and the window (no Qt here).

`Core` ties the profile's store and key store to the provider adapters: add/remove accounts with
their keys, sync, and fetch recordings into the profile's recording cache.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from callviewer.domain import PROVIDER_NAMES, Account
from callviewer.errors import CallviewerError, RecordingError, UsageError
from callviewer.logs import remember_secret
from callviewer.profile import Profile
from callviewer.secrets import KeyStore, OsKeyStore, Secret
from callviewer.store import CorruptCache, Store

# The network side (providers -> httpx, sync, its worker) is imported when first used: the
# window's first rows do not wait for it.
if TYPE_CHECKING:
    from concurrent.futures import Executor

    from callviewer.providers.base import ProviderAdapter
    from callviewer.sync import SyncProgress, SyncReport

log = logging.getLogger(__name__)

_NAME_RE = re.compile(r"^[\w][\w .@+-]{0,63}$")

#: Recordings larger than this are refused (a provider pointing at something else entirely).
RECORDING_MAX_BYTES = 512 * 1024 * 1024
#: The account definitions (name, provider, base URL; never a key) are also kept in this file
#: beside the cache, so that a damaged cache moved aside does not lose the accounts.
ACCOUNTS_FILE = "accounts.json"
#: Written beside the cache when it is found damaged while in use: the next open moves it aside.
DAMAGED_MARK = ".damaged"

AUDIO_TYPES = {
    "audio/wav": ".wav", "audio/x-wav": ".wav", "audio/wave": ".wav", "audio/vnd.wave": ".wav",
    "audio/mpeg": ".mp3", "audio/mp3": ".mp3", "audio/ogg": ".ogg", "audio/opus": ".opus",
    "audio/flac": ".flac", "audio/x-flac": ".flac", "audio/mp4": ".m4a", "audio/aac": ".aac",
    "audio/webm": ".webm",
}


async def _to_thread(fn: Callable[..., Any], *args: Any) -> Any:
    """`asyncio.to_thread`, with asyncio imported when first needed (not at the window's start)."""
    import asyncio

    return await asyncio.to_thread(fn, *args)


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
        self.recording_max_bytes = RECORDING_MAX_BYTES
        #: Names of the accounts re-created from the accounts file when this core was opened.
        self.restored_accounts: list[str] = []
        store.on_accounts_changed = self.save_accounts_file

    @classmethod
    def open(cls, profile: Profile, keys: KeyStore | None = None, *, check: bool | str = True,
             **kw: Any) -> Core:
        """`check`: see `Store` ("light" leaves the calls table to a later `verify`)."""
        store = Store.open(profile.db_path, check=check)
        try:
            core = cls(profile, store, keys if keys is not None else OsKeyStore(profile.profile_id), **kw)
            core.restored_accounts = core._reconcile_accounts_file()
        except BaseException:
            store.close()
            raise
        return core

    # -- the accounts file ----------------------------------------------------------------------

    @property
    def accounts_file(self) -> Path:
        return self.profile.root / ACCOUNTS_FILE

    def save_accounts_file(self) -> None:
        """Writes the account definitions to `accounts.json` (atomically: a new file, then a
        rename), so that they survive a damaged cache. Keys are never in it."""
        data = {"version": 1, "accounts": self.store.account_definitions()}
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        path = self.accounts_file
        try:
            if path.read_text(encoding="utf-8") == text:
                return
        except (OSError, UnicodeDecodeError):
            pass
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)

    def read_accounts_file(self) -> list[dict[str, str]]:
        """The definitions in `accounts.json` that look sound ([] when there is none)."""
        try:
            data = json.loads(self.accounts_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as e:
            log.warning("ignoring %s: %s", self.accounts_file, e)
            return []
        rows = data.get("accounts") if isinstance(data, dict) else None
        out = []
        for row in rows if isinstance(rows, list) else []:
            if not isinstance(row, dict):
                continue
            name, provider, base_url = row.get("name"), row.get("provider"), row.get("base_url")
            if all(isinstance(v, str) and v for v in (name, provider, base_url)):
                out.append({"name": name, "provider": provider, "base_url": base_url})
        return out

    def _reconcile_accounts_file(self) -> list[str]:
        """A cache without accounts (new, or rebuilt after damage) gets the accounts of the
        accounts file back (their keys are still in the keyring; the next sync refills their
        calls). Otherwise the file is brought up to date with the cache. Returns the names
        restored."""
        restored: list[str] = []
        try:
            if not self.store.account_definitions():
                for row in self.read_accounts_file():
                    if row["provider"] not in PROVIDER_NAMES:
                        continue
                    try:
                        name = check_account_name(row["name"])
                        base_url = check_base_url(row["base_url"])
                    except UsageError:
                        continue
                    self.store.add_account(name, row["provider"], base_url)
                    restored.append(name)
                if restored:
                    log.info("restored %d account(s) from %s", len(restored), self.accounts_file)
            self.save_accounts_file()
        except OSError as e:
            log.warning("could not update %s: %s", self.accounts_file, e)
        return restored

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
        await _to_thread(self.keys.set, name, key)
        try:
            return self.store.add_account(name, provider, base_url)
        except BaseException:
            await _to_thread(self.keys.delete, name)
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
                key = await _to_thread(self.keys.get, account.name)
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
            key = await _to_thread(self.keys.get, account.name)
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
            ctype = await adapter.client.download(source.url, tmp, with_auth=source.with_auth,
                                                  max_bytes=self.recording_max_bytes)
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
    import hashlib

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


def damaged_mark(profile: Profile) -> Path:
    return profile.db_path.with_name(profile.db_path.name + DAMAGED_MARK)


def mark_damaged(profile: Profile, detail: str) -> None:
    """Notes that SQLite found the cache damaged while it was in use: the next `open_core` checks
    it in full and moves it aside if the damage is confirmed."""
    try:
        damaged_mark(profile).write_text(detail + "\n", encoding="utf-8")
    except OSError as e:
        log.warning("could not mark the cache as damaged: %s", e)


def open_core(profile: Profile, keys: KeyStore | None = None, **kw: Any) -> tuple[Core, str | None]:
    """Opens the profile's core; a damaged cache is moved aside (never deleted: it may hold what
    cannot be fetched again) and a fresh one created, with the accounts of the accounts file.
    Returns the core and, in that case, the notice to show."""
    mark = damaged_mark(profile)
    try:
        core = Core.open(profile, keys, **kw)
        if mark.exists():
            try:
                core.store.verify(full=True)
            except CorruptCache:
                core.close()
                raise
            log.info("the cache was reported damaged, but a full check finds it sound")
            mark.unlink(missing_ok=True)
        return core, None
    except CorruptCache as e:
        log.error("%s; moving it aside", e)
        moved = move_corrupt_cache(profile.db_path)
        mark.unlink(missing_ok=True)
        core = Core.open(profile, keys, **kw)
        n = len(core.restored_accounts)
        accounts = (f" with your {n} account{'s' if n != 1 else ''}" if n else "")
        return core, (f"The local cache was damaged ({e.detail}). It was moved aside as {moved.name} "
                      f"(kept, not deleted) and a fresh one was created{accounts}; a sync will rebuild it.")
