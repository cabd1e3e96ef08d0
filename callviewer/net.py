"""HTTP for provider APIs: one `httpx.AsyncClient` per account, bounded concurrency, retries.

Retries: 429 honours `Retry-After` (seconds or an HTTP date); 5xx, timeouts, resets and broken
JSON bodies back off exponentially with jitter; everything is bounded (no retry storm). Errors are
mapped to the classes in `callviewer.errors` with one-line messages that never contain the key.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import json
import logging
import errno
import random
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from callviewer.errors import (
    BadPayload,
    Cancelled,
    CutShort,
    KeyRejected,
    NotFound,
    Offline,
    ProviderError,
    RateLimited,
    RecordingError,
)
from callviewer.logs import without_secrets

log = logging.getLogger(__name__)

USER_AGENT = "callviewer"


def connect_problem(e: BaseException) -> tuple[str, bool]:
    """Why a connection could not be made, in a few words, and whether trying again may help
    (an untrusted TLS certificate will not mend itself; a refused connection, a name that does
    not resolve, as on a laptop without network, or a handshake cut off may)."""
    seen: BaseException | None = e
    for _ in range(8):  # httpx's error, httpcore's, then the OS's
        if seen is None:
            break
        if isinstance(seen, ssl.SSLCertVerificationError):
            return f"its TLS certificate is not trusted ({seen.verify_message or 'verify failed'})", False
        if isinstance(seen, ssl.SSLError):  # (an EOF or reset mid-handshake: a flaky link)
            return "the TLS handshake failed", True
        if isinstance(seen, socket.gaierror):
            return "host name not found", True
        if isinstance(seen, ConnectionRefusedError):
            return "connection refused", True
        if isinstance(seen, OSError) and seen.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            return "network unreachable", True
        seen = seen.__cause__ or seen.__context__
    return "connection failed", True


@dataclass
class RetryPolicy:
    attempts: int = 5            # total tries per request
    backoff_base: float = 0.5    # seconds; doubles each try, with jitter
    backoff_max: float = 20.0
    retry_after_max: float = 120.0  # a longer Retry-After gives up with RateLimited instead


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - time.time())


def _short_body(resp: httpx.Response) -> str:
    """A provider's own error message, if it sent one as JSON; never echo HTML pages."""
    try:
        data = resp.json()
    except Exception:
        return ""
    msg = None
    if isinstance(data, Mapping):
        for k in ("message", "error", "detail", "msg"):
            v = data.get(k)
            if isinstance(v, str) and v.strip():
                msg = v
                break
            if isinstance(v, list) and v and isinstance(v[0], str):
                msg = "; ".join(v)
                break
    if not msg:
        return ""
    msg = " ".join(msg.split())
    return without_secrets(msg[:200])  # (a provider may echo the key it refused)


def _size(n: int) -> str:
    if n >= 2**20:
        return f"{n / 2**20:.0f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n} bytes"


def _check_json_body(resp: httpx.Response, body: bytes) -> None:
    """Raises what `json.loads(body)` would, as far as a retry could make a difference: for a body
    cut short, or something else than the API's JSON (an HTML page, say).

    A body whose length the response frames (Content-Length, or chunked) arrived whole, else the
    connection would have raised; it only has to look like a JSON object or array. A body that
    ended with the connection may have been cut anywhere: that one is parsed, as is one that does
    not look like JSON (it may still be, in another encoding)."""
    framed = ("content-length" in resp.headers
              or "chunked" in resp.headers.get("transfer-encoding", "").lower())
    if framed:
        text = body.strip()
        if text[:1] + text[-1:] in (b"{}", b"[]"):
            return
    json.loads(body)


@functools.cache
def _tls_context():
    """The TLS settings httpx makes for a client by default (its CA bundle, or `SSL_CERT_FILE` /
    `SSL_CERT_DIR`), made once for all clients: loading the CAs costs ~20 ms of CPU, which every
    sync paid per account, in the window's thread."""
    return httpx.create_ssl_context()


class ApiClient:
    """Requests to one account's API. `auth_headers` go only to the account's own host."""

    def __init__(
        self,
        base_url: str,
        auth_headers: Mapping[str, str],
        *,
        max_in_flight: int = 8,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        provider_label: str = "provider",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._host = urlsplit(self.base_url).netloc.lower()
        self._auth = dict(auth_headers)
        self._label = provider_label
        self.retry = retry or RetryPolicy()
        self._sem = asyncio.Semaphore(max_in_flight)
        self.requests = 0  # every HTTP request sent, retries included
        #: Once the provider has rejected the key, nothing more is sent with it: every later
        #: request (of the sync's other workers too) fails at once with the same error.
        self._rejected: KeyRejected | None = None
        #: A 429 slows every request of this client down, not only the one that got it: nothing
        #: is sent before this `time.monotonic()` value.
        self._pause_until = 0.0
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)),
            limits=httpx.Limits(max_connections=max_in_flight, max_keepalive_connections=max_in_flight),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            follow_redirects=False,
            verify=_tls_context(),
            transport=transport,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> ApiClient:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.aclose()

    def url(self, path: str) -> str:
        return self.base_url + (path if path.startswith("/") else "/" + path)

    def _where(self, url: str) -> str:
        parts = urlsplit(url)
        return f"{parts.netloc}{parts.path}"

    async def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET a JSON document from the API, with retries. Raises the errors module's classes."""
        return (await self.get_json_body(path, params))[0]

    async def get_json_body(self, path: str, params: Mapping[str, Any] | None = None, *,
                            parse: bool = True) -> tuple[Any, bytes]:
        """Like `get_json`, also returning the body the document was parsed from.

        `parse=False` is for a caller that parses the body itself, elsewhere (the sync's worker):
        the document is then None, and the body is only checked as far as a retry could mend it
        (`_check_json_body`), which costs next to nothing for a well-formed answer.
        """
        url = self.url(path)
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        pol = self.retry
        last: Exception | None = None
        for attempt in range(pol.attempts):
            delay: float | None = None
            await self._wait_for_pause()
            try:
                async with self._sem:
                    if self._rejected is not None:
                        raise KeyRejected(str(self._rejected), status=self._rejected.status)
                    self.requests += 1
                    resp = await self._client.get(url, params=clean, headers=self._auth)
                    body = await resp.aread()
            except httpx.TimeoutException:
                last = Offline(f"{self._label} did not answer in time ({self._where(url)})")
            except httpx.ConnectError as e:
                why, transient = connect_problem(e)
                if not transient:  # (no use trying again, nor calling it offline)
                    raise ProviderError(f"cannot connect to {self._label} at "
                                        f"{urlsplit(url).netloc}: {why}") from None
                last = Offline(f"cannot reach {self._label} at {urlsplit(url).netloc} ({why})")
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError, httpx.NetworkError):
                # connected, then the answer broke off
                last = CutShort(f"cannot read {self._label}'s answer at {self._where(url)} "
                                "(connection broken mid-answer)")
            except asyncio.CancelledError:
                raise
            else:
                status = resp.status_code
                if status in (401, 403):
                    self._rejected = KeyRejected(
                        f"{self._label} rejected the API key (HTTP {status})", status=status)
                    raise KeyRejected(str(self._rejected), status=status)
                if status == 404:
                    raise NotFound(f"{self._label}: not found ({self._where(url)})", status=404)
                if status == 429:
                    ra = _retry_after(resp.headers.get("Retry-After"))
                    if ra is not None and ra > pol.retry_after_max:
                        raise RateLimited(
                            f"{self._label} is rate limiting; it asks to wait {ra:.0f} s", status=429)
                    delay = ra
                    if delay is None:
                        delay = min(pol.backoff_max, pol.backoff_base * (2 ** attempt))
                        delay *= 0.5 + random.random()  # jitter
                    # every request of this client waits, not only this one
                    self._pause_until = max(self._pause_until, time.monotonic() + delay)
                    last = RateLimited(f"{self._label} kept rate limiting (HTTP 429)", status=429)
                elif status >= 500:
                    last = ProviderError(f"{self._label} server error (HTTP {status})", status=status)
                elif status >= 400:
                    detail = _short_body(resp)
                    raise ProviderError(
                        f"{self._label} refused the request (HTTP {status}"
                        + (f": {detail})" if detail else ")"), status=status)
                elif 300 <= status < 400:
                    raise ProviderError(f"{self._label} answered with an unexpected redirect (HTTP {status})",
                                        status=status)
                else:
                    try:
                        if not parse:
                            _check_json_body(resp, body)
                            return None, body
                        return json.loads(body), body
                    except (ValueError, UnicodeDecodeError, RecursionError):
                        last = BadPayload(f"{self._label} sent a body that is not valid JSON "
                                          f"({self._where(url)})", status=status)
            if attempt + 1 < pol.attempts:
                if delay is None:
                    delay = min(pol.backoff_max, pol.backoff_base * (2 ** attempt))
                    delay *= 0.5 + random.random()  # jitter
                log.info("retrying %s in %.2fs after: %s", self._where(url), delay, last)
                await asyncio.sleep(delay)
        assert last is not None
        raise last

    async def _wait_for_pause(self) -> None:
        while True:
            wait = self._pause_until - time.monotonic()
            if wait <= 0:
                return
            await asyncio.sleep(wait)

    async def download(
        self,
        url: str,
        dest: Path,
        *,
        with_auth: bool,
        max_bytes: int = 512 * 1024 * 1024,
        max_redirects: int = 5,
        cancel: asyncio.Event | None = None,
    ) -> str | None:
        """Stream `url` into `dest` (atomically). Returns the Content-Type.

        The account's auth headers are sent only when `with_auth` and the URL is on the account's
        own API host; redirects are followed by hand so that no credential crosses to another host
        (httpx would forward a custom `api-key` header). Only http(s) is accepted.
        """
        tmp = dest.with_name(dest.name + ".part")
        current = url
        for _ in range(max_redirects + 1):
            parts = urlsplit(current)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise RecordingError(f"refused a recording URL with scheme {parts.scheme or '(none)'!r}")
            same_host = parts.netloc.lower() == self._host
            headers = dict(self._auth) if (with_auth and same_host) else {}
            headers["Accept"] = "audio/*, */*"
            try:
                async with self._sem:
                    self.requests += 1
                    async with self._client.stream("GET", current, headers=headers) as resp:
                        if resp.status_code in (301, 302, 303, 307, 308):
                            loc = resp.headers.get("Location")
                            if not loc:
                                raise RecordingError("the recording redirected nowhere")
                            current = urljoin(current, loc)
                            continue
                        if resp.status_code in (401, 403):
                            if headers.get("Authorization") or any(k.lower() == "api-key" for k in headers):
                                raise KeyRejected(f"{self._label} rejected the API key for the recording "
                                                  f"(HTTP {resp.status_code})", status=resp.status_code)
                            raise RecordingError(f"the recording link was refused (HTTP {resp.status_code}); "
                                                 "it may have expired")
                        if resp.status_code in (404, 410):
                            raise RecordingError("the provider has no recording for this call "
                                                 f"(HTTP {resp.status_code})")
                        if resp.status_code >= 400:
                            raise RecordingError(f"the recording could not be downloaded "
                                                 f"(HTTP {resp.status_code})")
                        length = resp.headers.get("Content-Length")
                        if length and length.isdigit() and int(length) > max_bytes:
                            raise RecordingError(f"the recording is larger than the {_size(max_bytes)} cap")
                        ctype = resp.headers.get("Content-Type")
                        got = 0
                        dest.parent.mkdir(parents=True, exist_ok=True)
                        with open(tmp, "wb") as fh:
                            async for chunk in resp.aiter_bytes(65536):
                                if cancel is not None and cancel.is_set():
                                    raise Cancelled("download cancelled")
                                got += len(chunk)
                                if got > max_bytes:
                                    raise RecordingError(
                                        f"the recording is larger than the {_size(max_bytes)} cap")
                                fh.write(chunk)
                        if got == 0:
                            raise RecordingError("the provider sent an empty recording")
                        tmp.replace(dest)
                        return ctype
            except httpx.TimeoutException:
                raise Offline(f"the recording host {parts.netloc} did not answer in time") from None
            except httpx.ConnectError as e:
                why, transient = connect_problem(e)
                if not transient:
                    raise RecordingError(f"cannot connect to the recording host {parts.netloc}: "
                                         f"{why}") from None
                raise Offline(f"cannot reach the recording host {parts.netloc} ({why})") from None
            except httpx.HTTPError:
                raise Offline(f"cannot reach the recording host {parts.netloc}") from None
            finally:
                if tmp.exists():
                    tmp.unlink(missing_ok=True)
        raise RecordingError("the recording redirected too many times")
