"""The provider simulator: one HTTP/1.1 server on 127.0.0.1 speaking the Atlas, Callab and Vatel
call APIs under a path prefix each, with deterministic calls, real recordings, fault injection and
a request log.

    sim = Simulator(calls_per_provider=200, seed=1).start()
    sim.base_urls   # {"atlas": "http://127.0.0.1:PORT/atlas/v1/api", "callab": ..., "vatel": ...}
    ...
    sim.stop()

The server is a small asyncio HTTP/1.1 implementation (keep-alive, HEAD, byte ranges on audio)
running in its own daemon thread. Response bodies are serialized once per call and cached; list
pages are joins of those cached bytes. See `callviewer/simulator/__init__.py` for the public API.
"""

from __future__ import annotations

import asyncio
import errno
import json
import random
import re
import socket
import struct
import sys
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, unquote

from callviewer.simulator import generate, render
from callviewer.simulator.audio import VoiceBank, default_bank, stereo_wav
from callviewer.simulator.faults import FaultRule, Faults
from callviewer.simulator.generate import CallSpec, Directory, iso_ms, iso_s

PROVIDERS = ("atlas", "callab", "vatel")
DEFAULT_KEYS = {"atlas": "sim-atlas-key", "callab": "sim-callab-key", "vatel": "sim-vatel-key"}
PREFIXES = (("/atlas/v1/api", "atlas"), ("/callab/v1", "callab"), ("/vatel/v1", "vatel"))
RECORDING_CACHE_BYTES = 192 * 1024 * 1024
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
REASONS = {200: "OK", 206: "Partial Content", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
           404: "Not Found", 405: "Method Not Allowed", 416: "Range Not Satisfiable", 429: "Too Many Requests",
           431: "Request Header Fields Too Large", 500: "Internal Server Error", 502: "Bad Gateway",
           503: "Service Unavailable"}
HTML_500 = (b"<html>\r\n<head><title>500 Internal Server Error</title></head>\r\n<body>\r\n"
            b"<center><h1>500 Internal Server Error</h1></center>\r\n<hr><center>nginx</center>\r\n"
            b"</body>\r\n</html>\r\n")
CALLAB_SORT = ("created_at", "updated_at", "started_at", "ended_at", "call_duration", "cost", "call_status",
               "call_direction", "call_to", "call_from")
VATEL_STATUS = ("connected", "started", "in_progress", "auth_failed", "ended")
VATEL_SOURCE = ("twilio", "sip", "simulation", "api")
VATEL_OUTCOME = ("transferred", "ended_by_agent", "ended_by_user")

# ---------------------------------------------------------------- small HTTP pieces


@dataclass(slots=True)
class Resp:
    status: int
    body: bytes = b""
    ctype: str | None = "application/json"
    headers: list[tuple[str, str]] = field(default_factory=list)


class HttpError(Exception):
    def __init__(self, resp: Resp) -> None:
        super().__init__(resp.status)
        self.resp = resp


def _json(status: int, obj: Any) -> Resp:
    return Resp(status, render.dumps(obj))


def error(provider: str | None, status: int, message: str) -> Resp:
    """An error in the provider's documented error shape."""
    if provider == "atlas":
        return _json(status, {"statusCode": status, "error": REASONS.get(status, "Error"), "message": message})
    if provider == "callab":
        return _json(status, {"status": "error", "message": message, "data": None})
    if provider == "vatel":
        if status == 401:
            return Resp(401, b"", None)
        return _json(status, {"error": message})
    return Resp(status, (message + "\n").encode(), "text/plain; charset=utf-8")


def _parse_instant(value: str) -> int:
    """ms since the epoch of an ISO 8601 / RFC 3339 date-time or date (naive = UTC)."""
    v = value.strip()
    if not v:
        raise ValueError("empty")
    if len(v) == 10:
        d = date.fromisoformat(v)
        dt = datetime(d.year, d.month, d.day, tzinfo=timezone.utc)
    else:
        if v.endswith(("z", "Z")):
            v = v[:-1] + "+00:00"
        dt = datetime.fromisoformat(v.replace(" ", "T", 1) if "T" not in v else v)
    return generate.to_ms(dt)


def _parse_day(value: str) -> date:
    v = value.strip()
    try:
        return date.fromisoformat(v)
    except ValueError:
        return datetime.fromtimestamp(_parse_instant(v) / 1000, timezone.utc).date()


def _int(params: dict[str, str], name: str, default: int) -> int:
    v = params.get(name)
    if v is None or v == "":
        return default
    return int(v)  # ValueError -> caller's 400


# ---------------------------------------------------------------- call storage


class _Rec:
    __slots__ = ("spec", "overrides", "raw", "body", "entry_body")

    def __init__(self, spec: CallSpec) -> None:
        self.spec = spec
        self.overrides: dict[str, Any] = {}
        self.raw: dict[str, Any] | None = None
        self.body: bytes | None = None
        self.entry_body: bytes | None = None

    def reset(self) -> None:
        self.raw = self.body = self.entry_body = None


class _Store:
    """One provider account's calls, newest first."""

    def __init__(self, provider: str, directory: Directory) -> None:
        self.provider = provider
        self.directory = directory
        self.recs: dict[str, _Rec] = {}
        self.order: list[_Rec] = []
        self.next_index = 0
        self.views: dict[Any, list[_Rec]] = {}
        self.static: dict[str, bytes] = {}

    def resort(self) -> None:
        self.order.sort(key=lambda r: (r.spec.created_ms, r.spec.id), reverse=True)
        self.views.clear()


# ---------------------------------------------------------------- the simulator


class Simulator:
    """Simulated Atlas, Callab and Vatel accounts behind one local HTTP server.

    Data is deterministic in (calls_per_provider, seed, now): ``now`` (a datetime, ISO string, or
    None for 2026-11-01T12:00:00Z) anchors the ~60 days the calls are spread over.
    ``keys`` maps provider -> valid key (or a collection of valid keys); missing providers keep
    the defaults ``sim-atlas-key`` / ``sim-callab-key`` / ``sim-vatel-key``.
    """

    def __init__(self, calls_per_provider: int = 200, seed: int = 1, keys: dict[str, Any] | None = None,
                 now: datetime | str | None = None, *, voices: VoiceBank | None = None) -> None:
        if isinstance(now, str):
            now = datetime.fromisoformat(now.replace("Z", "+00:00"))
        self.seed = seed
        self.calls_per_provider = calls_per_provider
        self.now = now or generate.DEFAULT_NOW
        self.now_ms = generate.to_ms(self.now)
        self.keys: dict[str, frozenset[str]] = {}
        for p in PROVIDERS:
            k = (keys or {}).get(p, DEFAULT_KEYS[p])
            self.keys[p] = frozenset([k] if isinstance(k, str) else k)
        self.bank = voices or default_bank()
        self.faults = Faults()
        #: The most entries one Atlas `GET /call` answers (a server-side cap, which Atlas's docs
        #: neither confirm nor rule out): which of the matches is not tied to their times (the
        #: first by id), shown newest first. None answers every match.
        self.atlas_list_cap: int | None = None
        self.request_log: list[tuple[str | None, str, str, int]] = []
        #: (provider, path) of every request to the public recording host that carried an API key
        #: (`api-key` or `Authorization`): a client must never send its key there.
        self.key_leaks: list[tuple[str, str]] = []
        self._lock = threading.RLock()
        self._rec_cache: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self._rec_cache_bytes = 0
        self._clock_ms = self.now_ms
        self.host = "127.0.0.1"
        self.port: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._servers: list[asyncio.AbstractServer] = []
        self._writers: set[asyncio.StreamWriter] = set()
        self._stores: dict[str, _Store] = {}
        self._ctx: dict[str, render.Ctx] = {}
        for p in PROVIDERS:
            st = _Store(p, generate.make_directory(p, seed, self.now_ms))
            self._stores[p] = st
            n = calls_per_provider
            live = max(1, round(n * 0.01)) if n >= 20 else 0
            for i, created in enumerate(generate.created_times(p, seed, n, self.now_ms)):
                spec = generate.build_call(p, i, seed, created, st.directory, self.bank, now_ms=self.now_ms,
                                           in_progress=i < live)
                self._add_spec(st, spec)
            st.next_index = n
            st.resort()
        self._set_rec_base("http://localhost:0")

    # ------------------------------------------------------------ data access (thread-safe)

    def _add_spec(self, st: _Store, spec: CallSpec) -> None:
        rec = _Rec(spec)
        st.recs[spec.id] = rec
        st.order.append(rec)

    def _set_rec_base(self, base: str) -> None:
        with self._lock:
            for p, st in self._stores.items():
                self._ctx[p] = render.Ctx(rec_base=base, directory=st.directory)
                for rec in st.order:
                    rec.reset()
                st.views.clear()

    def _raw(self, st: _Store, rec: _Rec) -> dict[str, Any]:
        raw = rec.raw
        if raw is None:
            raw = render.RENDER[st.provider](rec.spec, self._ctx[st.provider])
            if rec.overrides:
                raw.update(rec.overrides)
            rec.raw = raw
        return raw

    def _body(self, st: _Store, rec: _Rec) -> bytes:
        b = rec.body
        if b is None:
            b = rec.body = render.dumps(self._raw(st, rec))
        return b

    def _entry_body(self, st: _Store, rec: _Rec) -> bytes:
        b = rec.entry_body
        if b is None:
            b = rec.entry_body = render.dumps(render.atlas_entry(self._raw(st, rec)))
        return b

    def _store(self, provider: str) -> _Store:
        try:
            return self._stores[provider]
        except KeyError:
            raise ValueError(f"unknown provider {provider!r}") from None

    def _rec(self, provider: str, call_id: str) -> tuple[_Store, _Rec]:
        st = self._store(provider)
        rec = st.recs.get(call_id)
        if rec is None:
            raise KeyError(f"{provider} has no call {call_id!r}")
        return st, rec

    def _tick(self) -> int:
        self._clock_ms += 1000
        return self._clock_ms

    def warm(self, providers: tuple[str, ...] = PROVIDERS) -> None:
        """Serialize every call now (the first sync is then pure I/O)."""
        with self._lock:
            for p in providers:
                st = self._stores[p]
                for rec in st.order:
                    self._body(st, rec)
                    if p == "atlas":
                        self._entry_body(st, rec)

    def call_ids(self, provider: str) -> list[str]:
        """Ids of the provider's calls, newest first."""
        with self._lock:
            return [r.spec.id for r in self._store(provider).order]

    def raw_call(self, provider: str, call_id: str) -> dict[str, Any]:
        """A copy of the call as the provider's detail endpoint serves it. KeyError if unknown."""
        with self._lock:
            st, rec = self._rec(provider, call_id)
            return json.loads(self._body(st, rec))

    def spec(self, provider: str, call_id: str) -> CallSpec:
        """The provider-neutral description of a call (turn times, outcome, ...)."""
        with self._lock:
            return self._rec(provider, call_id)[1].spec

    def add_calls(self, provider: str, n: int) -> list[str]:
        """n new finished calls, newer than every existing call. Returns their ids, oldest first."""
        with self._lock:
            st = self._store(provider)
            newest = max([r.spec.created_ms for r in st.order] + [self._clock_ms])
            ids = []
            for _ in range(n):
                i = st.next_index
                st.next_index += 1
                rng = random.Random(f"{self.seed}:{provider}:added:{i}")
                newest += rng.randint(20_000, 300_000)
                spec = generate.build_call(provider, i, self.seed, newest, st.directory, self.bank,
                                           now_ms=self.now_ms)
                self._add_spec(st, spec)
                self._clock_ms = max(self._clock_ms, spec.updated_ms)
                ids.append(spec.id)
            st.resort()
            return ids

    def update_call(self, provider: str, call_id: str, **changes: Any) -> dict[str, Any]:
        """Change top-level fields of a call's provider JSON (provider field names, e.g. Atlas
        ``status="ended", cost=0.12``; Callab ``call_status="completed"``). Bumps Atlas ``updatedAt``
        / Callab ``updated_at`` (unless given) and the Atlas list entry. Returns the new raw call."""
        with self._lock:
            st, rec = self._rec(provider, call_id)
            now = self._tick()
            if provider == "atlas":
                changes.setdefault("updatedAt", iso_ms(now))
            elif provider == "callab":
                changes.setdefault("updated_at", iso_s(now))
            rec.overrides.update(changes)
            rec.reset()
            st.views.clear()
            return json.loads(self._body(st, rec))

    def settle_call(self, provider: str, call_id: str) -> dict[str, Any]:
        """Finish an in-progress call for real: full transcript, recording, cost, summary, and a new
        updated time. (A finished call is left as it is.) Returns the new raw call."""
        with self._lock:
            st, rec = self._rec(provider, call_id)
            if rec.spec.in_progress:
                rec.spec = generate.settle(rec.spec, self._tick())
                self._clock_ms = max(self._clock_ms, rec.spec.updated_ms)
                rec.reset()
                st.views.clear()
                self._drop_recording(provider, call_id)
            return json.loads(self._body(st, rec))

    def remove_call(self, provider: str, call_id: str) -> None:
        with self._lock:
            st, rec = self._rec(provider, call_id)
            del st.recs[call_id]
            st.order.remove(rec)
            st.views.clear()
            self._drop_recording(provider, call_id)

    def directory(self, provider: str) -> Directory:
        return self._store(provider).directory

    # ------------------------------------------------------------ recordings

    def _drop_recording(self, provider: str, call_id: str) -> None:
        b = self._rec_cache.pop((provider, call_id), None)
        if b is not None:
            self._rec_cache_bytes -= len(b)

    def recording_bytes(self, provider: str, call_id: str) -> bytes | None:
        """The call's stereo WAV (left agent, right customer), or None without a recording/call."""
        key = (provider, call_id)
        with self._lock:
            b = self._rec_cache.get(key)
            if b is not None:
                self._rec_cache.move_to_end(key)
                return b
            rec = self._stores[provider].recs.get(call_id) if provider in self._stores else None
            if rec is None or not rec.spec.has_recording:
                return None
            spec = rec.spec
        b = stereo_wav(spec.placements(self.bank), spec.duration)  # outside the lock: pure CPU
        with self._lock:
            if key not in self._rec_cache and self._stores[provider].recs.get(call_id) is rec \
                    and rec.spec is spec:
                self._rec_cache[key] = b
                self._rec_cache_bytes += len(b)
                while self._rec_cache_bytes > RECORDING_CACHE_BYTES and len(self._rec_cache) > 1:
                    _, old = self._rec_cache.popitem(last=False)
                    self._rec_cache_bytes -= len(old)
        return b

    # ------------------------------------------------------------ request log

    def count(self, provider: str | None = None, path_regex: str | None = None) -> int:
        """Requests logged for `provider` (None: all) whose path-with-query matches `path_regex`."""
        rx = re.compile(path_regex) if path_regex else None
        return sum(1 for p, _m, path, _s in list(self.request_log)
                   if (provider is None or p == provider) and (rx is None or rx.search(path)))

    def reset_log(self) -> None:
        """Forget the request log (and `key_leaks`)."""
        self.request_log.clear()
        self.key_leaks.clear()

    # ------------------------------------------------------------ server lifecycle

    @property
    def base_urls(self) -> dict[str, str]:
        if self.port is None:
            raise RuntimeError("the simulator is not started")
        root = f"http://{self.host}:{self.port}"
        return {p: root + prefix for prefix, p in PREFIXES}

    @property
    def recording_base(self) -> str:
        return f"http://localhost:{self.port}"

    def start(self, host: str = "127.0.0.1", port: int = 0) -> Simulator:
        """Serve in a background daemon thread; returns self once the port is bound."""
        if self._thread is not None:
            raise RuntimeError("the simulator is already running")
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                for _attempt in range(8):
                    srv = loop.run_until_complete(asyncio.start_server(
                        self._serve_conn, host, port, backlog=1024, limit=1 << 16, reuse_address=True))
                    self._servers = [srv]
                    bound = srv.sockets[0].getsockname()[1]
                    if host not in ("127.0.0.1", "localhost"):
                        break
                    try:  # so that "localhost" (the recording host) works where it resolves to ::1 first
                        self._servers.append(loop.run_until_complete(asyncio.start_server(
                            self._serve_conn, "::1", bound, backlog=1024, limit=1 << 16)))
                        break
                    except OSError as e:
                        if e.errno != errno.EADDRINUSE or port != 0 or host == "localhost":
                            break  # no IPv6 here (fine), or a fixed port: keep IPv4 only
                        srv.close()  # someone else has [::1]:bound; try another free port
                        loop.run_until_complete(srv.wait_closed())
                self.port = bound
            except BaseException as e:  # noqa: BLE001 - reported to start()
                failure.append(e)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
                loop.close()

        self._thread = threading.Thread(target=run, name="callviewer-simulator", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            self._thread = None
            raise failure[0]
        self.host = "127.0.0.1" if host in ("0.0.0.0", "", "localhost") else host
        self._set_rec_base(self.recording_base)
        return self

    def stop(self) -> None:
        """Close the server and every open connection; the data stays (start() may be called again)."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return

        async def shutdown() -> None:
            for s in self._servers:
                s.close()
            for w in list(self._writers):
                w.transport.abort()
            me = asyncio.current_task()
            tasks = [t for t in asyncio.all_tasks() if t is not me]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            loop.stop()

        try:
            asyncio.run_coroutine_threadsafe(shutdown(), loop)
        except RuntimeError:  # the loop is already closed
            pass
        thread.join(timeout=10)
        self._thread = None
        self._loop = None
        self._servers = []
        self._writers.clear()

    def __enter__(self) -> Simulator:
        if self._thread is None:
            self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # ------------------------------------------------------------ HTTP

    async def _serve_conn(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.LimitOverrunError:
                    self._write(writer, Resp(431, b"", None), False, True)
                    break
                except asyncio.IncompleteReadError:
                    break
                lines = head.decode("latin-1").split("\r\n")
                try:
                    method, target, version = lines[0].split(" ")
                except ValueError:
                    self._write(writer, Resp(400, b"", None), False, True)
                    break
                headers: dict[str, str] = {}
                for line in lines[1:]:
                    if line:
                        k, _, v = line.partition(":")
                        headers[k.strip().lower()] = v.strip()
                if "chunked" in headers.get("transfer-encoding", "").lower():
                    self._write(writer, Resp(400, b"", None), False, True)
                    break
                length = headers.get("content-length")
                if length:
                    await reader.readexactly(int(length))
                conn = headers.get("connection", "").lower()
                keep = ("close" not in conn) if version == "HTTP/1.1" else ("keep-alive" in conn)
                if not await self._handle(method, target, headers, writer, keep):
                    break
        except (ConnectionError, asyncio.IncompleteReadError, ValueError, OSError):
            pass
        except asyncio.CancelledError:
            pass  # stop(): end quietly (a cancelled handler task makes 3.11's asyncio log a traceback)
        finally:
            self._writers.discard(writer)
            try:
                writer.close()
            except Exception:  # noqa: BLE001
                pass

    def _write(self, writer: asyncio.StreamWriter, resp: Resp, head_only: bool, close: bool,
               *, length: int | None = None, body: bytes | None = None) -> None:
        body = resp.body if body is None else body
        parts = [f"HTTP/1.1 {resp.status} {REASONS.get(resp.status, 'Status')}", "Server: callviewer-sim"]
        if resp.ctype:
            parts.append("Content-Type: " + resp.ctype)
        if length != -1:
            parts.append(f"Content-Length: {len(resp.body) if length is None else length}")
        for k, v in resp.headers:
            parts.append(f"{k}: {v}")
        if close:
            parts.append("Connection: close")
        head = ("\r\n".join(parts) + "\r\n\r\n").encode("latin-1")
        if head_only or not body:
            writer.write(head)
        elif len(body) < 65536:
            writer.write(head + body)
        else:
            writer.write(head)
            writer.write(body)

    async def _handle(self, method: str, target: str, headers: dict[str, str], writer: asyncio.StreamWriter,
                      keep: bool) -> bool:
        """Answers one request; False when the connection must be closed."""
        path, _, query = target.partition("?")
        path = unquote(path)
        provider, sub = None, path
        recording = False
        for prefix, p in PREFIXES:
            if path == prefix or path.startswith(prefix + "/"):
                provider, sub = p, (path[len(prefix):] or "/")
                break
        else:
            m = re.match(r"^/recordings/([a-z]+)/", path)
            if m and m.group(1) in ("atlas", "callab"):
                provider, recording = m.group(1), True
        if len(sub) > 1 and sub.endswith("/"):
            sub = sub.rstrip("/")
        logged = sub + ("?" + query if query else "")
        params = dict(parse_qsl(query, keep_blank_values=True))

        # fault injection
        page_index, has_items = None, False
        if len(self.faults) and provider in ("callab", "vatel") and method in ("GET", "HEAD"):
            try:
                page_index, has_items = self._page_info(provider, sub, params)
            except (HttpError, ValueError):
                pass
        rule = self.faults.take(provider, sub, query, page_index=page_index, page_has_items=has_items)
        if rule is not None and rule.delay > 0:
            await asyncio.sleep(rule.delay)
        mode = "normal"
        if rule is not None:
            resp = self._fault_resp(provider, rule, recording)
            if resp is not None:
                self.request_log.append((provider, method, logged, resp.status))
                self._write(writer, resp, method == "HEAD", not keep)
                await writer.drain()
                return keep
            if rule.kind in ("repeat_page", "empty_page"):
                mode = rule.kind

        try:
            if method not in ("GET", "HEAD"):
                raise HttpError(error(provider, 405, "Method not allowed"))
            if provider is None:
                raise HttpError(error(None, 404, "Not Found"))
            if recording:
                if "api-key" in headers or "authorization" in headers:
                    self.key_leaks.append((provider, path))
                resp = await self._recording(provider, path, headers, public=True)
            else:
                self._check_key(provider, headers)
                if provider == "vatel" and re.fullmatch(r"/calls/[^/]+/recording", sub):
                    resp = await self._recording("vatel", sub, headers, public=False)
                else:
                    with self._lock:
                        resp = self._route(provider, sub, params, mode)
        except HttpError as e:
            resp = e.resp
        except Exception as e:  # noqa: BLE001 - a bug in the simulator must not kill the server
            print(f"simulator: {method} {target}: {e!r}", file=sys.stderr)
            resp = error(provider, 500, "Internal server error")

        self.request_log.append((provider, method, logged, resp.status))
        kind = rule.kind if rule is not None else None
        if kind == "truncate":
            cut = resp.body[: max(1, len(resp.body) // 2)]
            self._write(writer, resp, method == "HEAD", True, length=-1, body=cut)
            await writer.drain()
            return False
        if kind == "reset":
            cut = resp.body[: max(1, len(resp.body) // 2)]
            self._write(writer, resp, method == "HEAD", False, body=cut)
            await writer.drain()
            sock = writer.get_extra_info("socket")
            try:
                if sock is not None:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
            writer.transport.abort()
            return False
        self._write(writer, resp, method == "HEAD", not keep)
        await writer.drain()
        return keep

    def _fault_resp(self, provider: str | None, rule: FaultRule, recording: bool) -> Resp | None:
        """The response a fault rule answers with, or None when the request proceeds (slow,
        truncate, reset, repeat_page, empty_page)."""
        kind = rule.kind
        if kind in ("slow", "truncate", "reset", "repeat_page", "empty_page"):
            return None
        who = None if recording else provider
        if kind == "html500":
            return Resp(500, HTML_500, "text/html")
        status = int(kind)
        msg = {429: "Too many requests, please slow down", 500: "Internal server error", 502: "Bad gateway",
               503: "Service temporarily unavailable", 401: "Invalid API key", 403: "Forbidden",
               404: "Not found"}[status]
        if provider == "callab" and status == 401:
            msg = "Unauthorized"
        if provider == "vatel" and status == 404:
            msg = "call not found"
        resp = error(who, status, msg)
        if rule.retry_after is not None and status in (429, 503):
            ra = rule.retry_after
            resp.headers.append(("Retry-After", str(int(ra)) if isinstance(ra, (int, float)) and ra == int(ra)
                                 else str(ra)))
        return resp

    def _check_key(self, provider: str, headers: dict[str, str]) -> None:
        if provider == "atlas":
            key = headers.get("api-key")
            if key is None or key not in self.keys["atlas"]:
                raise HttpError(error("atlas", 401, "Invalid API key"))
            return
        auth = headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or token.strip() not in self.keys[provider]:
            raise HttpError(error(provider, 401, "Unauthorized"))

    # ------------------------------------------------------------ routing (under self._lock)

    def _route(self, provider: str, sub: str, params: dict[str, str], mode: str) -> Resp:
        st = self._stores[provider]
        parts = sub.strip("/").split("/") if sub != "/" else []
        if provider == "atlas":
            if parts == ["call"]:
                return self._atlas_list(st, params)
            if len(parts) == 2 and parts[0] == "call":
                rec = st.recs.get(parts[1])
                if rec is None:
                    return error("atlas", 404, f"Call record {parts[1]} not found")
                return Resp(200, self._body(st, rec))
            if parts == ["campaign"]:
                return self._static(st, "campaigns", lambda: {"value": render.atlas_campaigns(st.directory)})
            if len(parts) == 2 and parts[0] == "campaign":
                for c in render.atlas_campaigns(st.directory):
                    if c["rowKey"] == parts[1]:
                        return _json(200, c)
                return error("atlas", 404, f"Campaign {parts[1]} not found")
            return error("atlas", 404, f"Cannot GET {sub}")
        if provider == "callab":
            if parts == ["calls", "query"]:
                return self._callab_list(st, params, mode)
            if len(parts) == 2 and parts[0] == "calls":
                rec = st.recs.get(parts[1])
                if rec is None:
                    return error("callab", 404, "Call not found")
                return Resp(200, b'{"status":"ok","message":"Call fetched successfully","data":'
                            + self._body(st, rec) + b"}")
            if parts == ["ai-agent"]:
                ws = params.get("workspace", "default")
                if ws not in ("default", st.directory.workspace_id):
                    return _json(200, {"status": "ok", "message": "AI agents fetched successfully", "data": []})
                return self._static(st, "agents", lambda: {"status": "ok", "message": "AI agents fetched successfully",
                                                            "data": render.callab_agents(st.directory)})
            if len(parts) == 2 and parts[0] == "ai-agent":
                for a in render.callab_agents(st.directory):
                    if a["id"] == parts[1]:
                        return _json(200, {"status": "ok", "message": "AI agent fetched successfully", "data": a})
                return error("callab", 404, "AI agent not found")
            if len(parts) == 3 and parts[:2] == ["campaigns", "by-workspace"]:
                data = render.callab_campaigns(st.directory) if parts[2] in (
                    "default", st.directory.workspace_id) else []
                return _json(200, {"status": "ok", "message": "Campaigns fetched successfully", "data": data})
            return error("callab", 404, "Route not found")
        # vatel
        if parts == ["calls"]:
            return self._vatel_list(st, params, mode)
        if len(parts) == 2 and parts[0] == "calls":
            if not UUID_RE.match(parts[1]):
                return error("vatel", 400, "invalid call id")
            rec = st.recs.get(parts[1])
            if rec is None:
                return error("vatel", 404, "call not found")
            return Resp(200, self._body(st, rec))
        if parts == ["agents"]:
            return self._static(st, "agents", lambda: render.vatel_agents(st.directory))
        if len(parts) == 2 and parts[0] == "agents":
            for a in render.vatel_agents(st.directory):
                if a["id"] == parts[1]:
                    return _json(200, a)
            return error("vatel", 404, "agent not found")
        if parts == ["organization"]:
            return self._static(st, "org", lambda: render.vatel_organization(st.directory))
        return error("vatel", 404, "not found")

    def _static(self, st: _Store, name: str, make) -> Resp:
        b = st.static.get(name)
        if b is None:
            b = st.static[name] = render.dumps(make())
        return Resp(200, b)

    # Atlas: GET /call -> {"value": [CallHistoryEntry...]}, all matches, newest first
    def _atlas_list(self, st: _Store, params: dict[str, str]) -> Resp:
        try:
            lo = _parse_instant(params["startDate"]) if params.get("startDate") else None
            hi = _parse_instant(params["endDate"]) if params.get("endDate") else None
        except ValueError:
            raise HttpError(error("atlas", 400, "startDate and endDate must be ISO 8601 date-times")) from None
        recs = st.order
        if lo is not None or hi is not None:
            recs = [r for r in recs if (lo is None or r.spec.created_ms >= lo)
                    and (hi is None or r.spec.created_ms < hi)]
        flt = []
        for name, field_ in (("campaignId", "campaignId"), ("assistantId", "assistantId")):
            if params.get(name):
                flt.append((field_, params[name]))
        if flt or params.get("callType") or params.get("customerPhoneNumber") or params.get("successResult") \
                or params.get("campaignType"):
            out = []
            ctype = params.get("callType", "").lower()
            camp_type = params.get("campaignType", "").lower()
            outbound_campaigns = {a["campaign_id"] for a in st.directory.agents if a["direction"] == "outbound"}
            for r in recs:
                raw = self._raw(st, r)
                if any(raw.get(f) != v for f, v in flt):
                    continue
                if ctype and not str(raw.get("type", "")).lower().startswith(ctype):
                    continue
                num = (raw.get("customer") or {}).get("number") or ""
                if params.get("customerPhoneNumber") and params["customerPhoneNumber"] not in num:
                    continue
                if params.get("successResult"):
                    se = str((raw.get("analysis") or {}).get("successEvaluation", "")).lower()
                    if se != params["successResult"].lower():
                        continue
                if camp_type:
                    is_out = raw.get("campaignId") in outbound_campaigns
                    if camp_type != ("outbound" if is_out else "inbound"):
                        continue
                out.append(r)
            recs = out
        if self.atlas_list_cap is not None and len(recs) > self.atlas_list_cap:
            kept = set(sorted(r.spec.id for r in recs)[:self.atlas_list_cap])
            recs = [r for r in recs if r.spec.id in kept]
        body = b'{"value":[' + b",".join(self._entry_body(st, r) for r in recs) + b"]}"
        return Resp(200, body)

    # Callab: GET /calls/query -> {"status","message","data":[Call...]}, 0-based pages
    def _callab_query(self, st: _Store, params: dict[str, str]) -> tuple[list[_Rec], int, int]:
        try:
            page = _int(params, "page", 0)
            per_page = _int(params, "per_page", 10)
        except ValueError:
            raise HttpError(error("callab", 400, "page and per_page must be integers")) from None
        if page < 0:
            raise HttpError(error("callab", 400, "page must be >= 0"))
        per_page = max(1, min(per_page, 100))
        col = params.get("sort_column") or "created_at"
        order = (params.get("order") or "desc").lower()
        if col not in CALLAB_SORT:
            raise HttpError(error("callab", 400, f"Invalid sort_column {col!r}"))
        if order not in ("asc", "desc"):
            raise HttpError(error("callab", 400, "order must be asc or desc"))
        try:
            d0 = _parse_day(params["start_date"]) if params.get("start_date") else None
            d1 = _parse_day(params["end_date"]) if params.get("end_date") else None
        except ValueError:
            raise HttpError(error("callab", 400, "start_date and end_date must be YYYY-MM-DD")) from None
        ws = params.get("workspace")
        key = ("callab", col, order, d0, d1, ws, params.get("campaign_id"), params.get("ai_agent_id"),
               params.get("status"), params.get("search"))
        view = st.views.get(key)
        if view is None:
            view = self._callab_view(st, col, order, d0, d1, ws, params)
            st.views[key] = view
        return view, page, per_page

    def _callab_view(self, st: _Store, col: str, order: str, d0: date | None, d1: date | None, ws: str | None,
                     params: dict[str, str]) -> list[_Rec]:
        recs = st.order
        if ws and ws not in ("default", st.directory.workspace_id):
            return []
        if d0 or d1:
            lo = d0.isoformat() if d0 else ""
            hi = d1.isoformat() if d1 else "9999"
            recs = [r for r in recs if lo <= iso_s(r.spec.started_ms)[:10] <= hi]
        camp, agent = params.get("campaign_id"), params.get("ai_agent_id")
        status = (params.get("status") or "").lower()
        search = (params.get("search") or "").lower()
        if camp or agent or status or search:
            out = []
            for r in recs:
                raw = self._raw(st, r)
                if camp and raw.get("campaign_id") != camp:
                    continue
                if agent and raw.get("ai_agent_id") != agent:
                    continue
                if status and status not in str(raw.get("call_status") or "").lower():
                    continue
                if search and not any(search in str(raw.get(f) or "").lower()
                                      for f in ("call_to", "notes", "call_feedback", "transcript")):
                    continue
                out.append(r)
            recs = out
        if col == "created_at" and not any(r.overrides.get("created_at") for r in recs):
            return list(recs) if order == "desc" else list(reversed(recs))
        have = [(self._raw(st, r).get(col), r) for r in recs]
        vals = [(v, r) for v, r in have if v is not None]
        nulls = [r for v, r in have if v is None]
        vals.sort(key=lambda x: (x[0], x[1].spec.id), reverse=order == "desc")
        return [r for _, r in vals] + nulls

    def _callab_list(self, st: _Store, params: dict[str, str], mode: str) -> Resp:
        view, page, per_page = self._callab_query(st, params)
        if mode == "repeat_page" and page > 0:
            page -= 1
        rows = [] if mode == "empty_page" else view[page * per_page:(page + 1) * per_page]
        body = (b'{"status":"ok","message":"Calls fetched successfully","data":['
                + b",".join(self._body(st, r) for r in rows) + b"]}")
        return Resp(200, body)

    # Vatel: GET /calls -> {"calls":[Call...],"pagination":{...}}, 1-based pages
    def _vatel_query(self, st: _Store, params: dict[str, str]) -> tuple[list[_Rec], int, int]:
        try:
            page = _int(params, "page", 1)
            size = _int(params, "page_size", 20)
        except ValueError:
            raise HttpError(error("vatel", 400, "page and page_size must be integers")) from None
        if page < 1:
            raise HttpError(error("vatel", 400, "page must be >= 1"))
        if size < 1:
            raise HttpError(error("vatel", 400, "page_size must be >= 1"))
        if size > 100:
            raise HttpError(error("vatel", 400, "page_size must be <= 100"))
        agents = None
        if params.get("agent_ids"):
            agents = {a.strip() for a in params["agent_ids"].split(",") if a.strip()}
            if not all(UUID_RE.match(a) for a in agents):
                raise HttpError(error("vatel", 400, "invalid agent_ids"))
        status, source, outcome = params.get("status"), params.get("source"), params.get("outcome")
        if status and status not in VATEL_STATUS:
            raise HttpError(error("vatel", 400, "invalid status"))
        if source and source not in VATEL_SOURCE:
            raise HttpError(error("vatel", 400, "invalid source"))
        if outcome and outcome not in VATEL_OUTCOME:
            raise HttpError(error("vatel", 400, "invalid outcome"))
        outbound = params.get("outbound")
        if outbound and outbound not in ("true", "false"):
            raise HttpError(error("vatel", 400, "outbound must be true or false"))
        search, tag = params.get("search") or "", params.get("tag") or ""
        if len(search) > 256:
            raise HttpError(error("vatel", 400, "search must be at most 256 characters"))
        if len(tag) > 128:
            raise HttpError(error("vatel", 400, "tag must be at most 128 characters"))
        try:
            lo = _parse_instant(params["date_from"]) if params.get("date_from") else None
            hi = _parse_instant(params["date_to"]) if params.get("date_to") else None
        except ValueError:
            raise HttpError(error("vatel", 400, "invalid date_from or date_to (expected RFC3339)")) from None
        key = ("vatel", tuple(sorted(agents)) if agents else None, status, source, outcome, outbound, search, tag,
               lo, hi)
        view = st.views.get(key)
        if view is None:
            recs = st.order
            if lo is not None or hi is not None:
                recs = [r for r in recs if (lo is None or r.spec.created_ms >= lo)
                        and (hi is None or r.spec.created_ms <= hi)]
            if agents or status or source or outcome or outbound or search or tag:
                out = []
                for r in recs:
                    raw = self._raw(st, r)
                    if agents and raw.get("agent_id") not in agents:
                        continue
                    if status and raw.get("status") != status:
                        continue
                    if source and raw.get("source") != source:
                        continue
                    if outcome and raw.get("termination_reason") != outcome:
                        continue
                    if outbound and bool(raw.get("outbound")) != (outbound == "true"):
                        continue
                    if search and search not in (raw.get("party_number") or ""):
                        continue
                    if tag and tag not in (raw.get("tags") or []):
                        continue
                    out.append(r)
                recs = out
            view = st.views[key] = list(recs)
        return view, page, size

    def _vatel_list(self, st: _Store, params: dict[str, str], mode: str) -> Resp:
        view, page, size = self._vatel_query(st, params)
        if mode == "repeat_page" and page > 1:
            page -= 1
        total = len(view)
        pages = (total + size - 1) // size
        rows = [] if mode == "empty_page" else view[(page - 1) * size: page * size]
        pag = {"page": page, "page_size": size, "total": total, "total_pages": pages,
               "has_next": page < pages, "has_prev": page > 1}
        body = (b'{"calls":[' + b",".join(self._body(st, r) for r in rows) + b'],"pagination":'
                + render.dumps(pag) + b"}")
        return Resp(200, body)

    def _page_info(self, provider: str, sub: str, params: dict[str, str]) -> tuple[int | None, bool]:
        """(0-based page index, whether that page has items) of a list request, else (None, False)."""
        if provider == "callab" and sub == "/calls/query":
            with self._lock:
                view, page, per_page = self._callab_query(self._stores["callab"], params)
            return page, len(view) > page * per_page
        if provider == "vatel" and sub == "/calls":
            with self._lock:
                view, page, size = self._vatel_query(self._stores["vatel"], params)
            return page - 1, len(view) > (page - 1) * size
        return None, False

    # ------------------------------------------------------------ recordings over HTTP

    async def _recording(self, provider: str, path: str, headers: dict[str, str], public: bool) -> Resp:
        if public:
            m = re.fullmatch(r"/recordings/[a-z]+/([^/]+)\.wav", path)
            call_id = m.group(1) if m else None
        else:
            call_id = path.split("/")[2]
            if not UUID_RE.match(call_id):
                raise HttpError(error("vatel", 400, "invalid call id"))
        with self._lock:
            rec = self._stores[provider].recs.get(call_id) if call_id else None
            cached = self._rec_cache.get((provider, call_id))
        if rec is None:
            raise HttpError(error(None if public else provider, 404, "call not found"))
        if not rec.spec.has_recording:
            raise HttpError(error(None if public else provider, 404, "recording not found"))
        data = cached
        if data is None:
            loop = asyncio.get_running_loop()
            data = await loop.run_in_executor(None, self.recording_bytes, provider, call_id)
            if data is None:
                raise HttpError(error(None if public else provider, 404, "recording not found"))
        extra = [("Accept-Ranges", "bytes")]
        if not public:
            extra.append(("Content-Disposition", f'attachment; filename="{call_id}.wav"'))
        rng = headers.get("range")
        if rng:
            m = re.fullmatch(r"bytes=(\d*)-(\d*)", rng.strip())
            n = len(data)
            if m and (m.group(1) or m.group(2)):
                if m.group(1):
                    a = int(m.group(1))
                    b = int(m.group(2)) if m.group(2) else n - 1
                else:
                    a, b = max(0, n - int(m.group(2))), n - 1
                b = min(b, n - 1)
                if a > b or a >= n:
                    return Resp(416, b"", None, [("Content-Range", f"bytes */{n}")])
                return Resp(206, data[a:b + 1], "audio/wav", extra + [("Content-Range", f"bytes {a}-{b}/{n}")])
        return Resp(200, data, "audio/wav", extra)


# ---------------------------------------------------------------- foreground use (callviewer simulate)


def run_forever(port: int = 8765, calls: int = 200, seed: int = 1, host: str = "127.0.0.1",
                now: datetime | str | None = None) -> None:
    """Serve the simulator in the foreground until Ctrl+C, printing its base URLs and keys."""
    t0 = time.perf_counter()
    sim = Simulator(calls_per_provider=calls, seed=seed, now=now)
    sim.start(host=host, port=port)
    sim.warm()
    took = time.perf_counter() - t0
    print(f"callviewer provider simulator: {calls} calls per provider, seed {seed} (ready in {took:.1f} s)")
    for p in PROVIDERS:
        key = sorted(sim.keys[p])[0]
        print(f"  {p:7} base URL {sim.base_urls[p]}   key {key}")
    print("Press Ctrl+C to stop.", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
