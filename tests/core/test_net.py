"""The HTTP layer's error shapes, retries and credential hygiene (httpx.MockTransport)."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from callviewer.errors import BadPayload, KeyRejected, Offline, ProviderError, RateLimited, RecordingError
from callviewer.net import ApiClient, RetryPolicy

FAST = RetryPolicy(attempts=4, backoff_base=0.001, backoff_max=0.01, retry_after_max=2)
KEY = "sk-canary-abcdef123456"


def client(handler, **kw):
    return ApiClient("https://api.example.com/v1", {"api-key": KEY}, retry=FAST,
                     transport=httpx.MockTransport(handler), provider_label="Example", **kw)


def run(coro):
    return asyncio.run(coro)


def test_retry_after_is_honoured_then_succeeds():
    calls = []

    def handler(request):
        calls.append(time.monotonic())
        if len(calls) == 1:
            return httpx.Response(429, headers={"Retry-After": "0.3"})
        return httpx.Response(200, json={"ok": True})

    async def go():
        c = client(handler)
        assert await c.get_json("/x") == {"ok": True}
        await c.aclose()
        return c.requests

    assert run(go()) == 2
    assert calls[1] - calls[0] >= 0.29


def test_a_long_retry_after_gives_up_clearly():
    def handler(request):
        return httpx.Response(429, headers={"Retry-After": "3600"})

    async def go():
        c = client(handler)
        with pytest.raises(RateLimited, match="3600"):
            await c.get_json("/x")
        assert c.requests == 1  # no retry storm

    run(go())


def test_server_errors_back_off_and_are_bounded():
    n = []

    def handler(request):
        n.append(1)
        return httpx.Response(503, text="<html><body>Service Unavailable</body></html>",
                              headers={"Content-Type": "text/html"})

    async def go():
        c = client(handler)
        with pytest.raises(ProviderError) as err:
            await c.get_json("/x")
        assert "HTTP 503" in str(err.value) and "<html" not in str(err.value)

    run(go())
    assert len(n) == FAST.attempts


def test_broken_json_is_retried_then_reported():
    def handler(request):
        return httpx.Response(200, content=b'{"value": [1, 2')

    async def go():
        with pytest.raises(BadPayload):
            await client(handler).get_json("/x")

    run(go())


def test_an_unparsed_body_is_checked_as_far_as_a_retry_can_mend_it():
    """`parse=False` (the sync's worker parses the body): a body the response frames (here with a
    Content-Length) is taken if it looks like a JSON object; anything else is parsed here, and
    retried when broken: HTML, and a body that ended with the connection (it may be cut short)."""
    def close_delimited(body: bytes) -> httpx.Response:
        return httpx.Response(200, stream=httpx.ByteStream(body))  # no Content-Length, not chunked

    answers = {
        "/whole": lambda: httpx.Response(200, content=b' {"id": "c1", "x": [1, 2]}\n'),
        "/whole-unframed": lambda: close_delimited(b'{"id": "c1"}'),
        # left for the worker, which reports it as unreadable (a retry would not mend it)
        "/framed-bad-inside": lambda: httpx.Response(200, content=b'{"id": nope}'),
        "/html": lambda: httpx.Response(200, content=b"<html><body>Sign in to the Wi-Fi</body></html>"),
        "/cut": lambda: close_delimited(b'{"id": "c1", "x": [1'),
        "/cut-after-a-brace": lambda: close_delimited(b'{"id": "c1", "x": {"a": 1}'),
    }
    requests = []

    def handler(request):
        requests.append(request.url.path)
        return answers[request.url.path.removeprefix("/v1")]()

    async def go():
        c = client(handler)
        for path, sent in (("/whole", b' {"id": "c1", "x": [1, 2]}\n'), ("/whole-unframed", b'{"id": "c1"}'),
                           ("/framed-bad-inside", b'{"id": nope}')):
            assert await c.get_json_body(path, parse=False) == (None, sent)
        for path in ("/html", "/cut", "/cut-after-a-brace"):
            with pytest.raises(BadPayload, match="not valid JSON"):
                await c.get_json_body(path, parse=False)
        await c.aclose()

    run(go())
    assert [p.removeprefix("/v1") for p in requests] == (
        ["/whole", "/whole-unframed", "/framed-bad-inside"]
        + ["/html"] * FAST.attempts + ["/cut"] * FAST.attempts + ["/cut-after-a-brace"] * FAST.attempts)


def test_rejected_key_is_named_and_never_echoed():
    def handler(request):
        assert request.headers["api-key"] == KEY
        return httpx.Response(401, json={"message": f"bad key {KEY}"})

    async def go():
        with pytest.raises(KeyRejected) as err:
            await client(handler).get_json("/x")
        assert "rejected the API key" in str(err.value)
        assert KEY not in str(err.value)

    run(go())


def test_connection_refused_is_offline():
    async def go():
        c = ApiClient("http://127.0.0.1:9/v1", {"api-key": KEY}, retry=FAST)
        with pytest.raises(Offline, match=r"cannot reach .* \(connection refused\)"):
            await c.get_json("/x")
        await c.aclose()

    run(go())


def test_why_a_connection_failed_is_named():
    import socket

    from callviewer.net import connect_problem

    def wrapped(cause: BaseException) -> httpx.ConnectError:
        try:  # as httpx raises it: its error, caused by the OS's
            raise httpx.ConnectError("All connection attempts failed") from cause
        except httpx.ConnectError as e:
            return e

    assert connect_problem(wrapped(socket.gaierror(-2, "Name or service not known"))) == \
        ("host name not found", True)
    assert connect_problem(wrapped(ConnectionRefusedError(111, "refused"))) == ("connection refused", True)
    assert connect_problem(wrapped(OSError(101, "Network is unreachable"))) == ("network unreachable", True)
    assert connect_problem(httpx.ConnectError("?")) == ("connection failed", True)


def test_an_untrusted_tls_certificate_is_an_error_not_offline():
    """A real TLS server on 127.0.0.1 with a self-signed certificate: one request, no retries,
    no "offline" (retrying will not make the certificate trusted), and a message that says why."""
    import http.server
    import ssl
    import threading
    from pathlib import Path

    fixtures = Path(__file__).resolve().parents[1] / "fixtures"
    server = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(fixtures / "selfsigned-cert.pem", fixtures / "selfsigned-key.pem")
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    async def go():
        c = ApiClient(f"https://127.0.0.1:{server.server_port}/v1", {"api-key": KEY}, retry=FAST,
                      provider_label="Example")
        try:
            with pytest.raises(ProviderError) as caught:
                await c.get_json("/x")
        finally:
            await c.aclose()
        assert not isinstance(caught.value, Offline)
        assert "TLS certificate is not trusted" in str(caught.value)
        assert "self-signed" in str(caught.value) and KEY not in str(caught.value)
        assert c.requests == 1

    try:
        run(go())
    finally:
        server.shutdown()
        server.server_close()


def test_download_sends_the_key_only_to_the_api_host(tmp_path):
    seen = []

    def handler(request):
        seen.append((request.url.host, request.headers.get("api-key")))
        if request.url.host == "api.example.com":
            return httpx.Response(302, headers={"Location": "https://cdn.example.net/r.wav"})
        return httpx.Response(200, content=b"RIFF....WAVEdata", headers={"Content-Type": "audio/wav"})

    async def go():
        c = client(handler)
        await c.download("https://api.example.com/v1/calls/1/recording", tmp_path / "r.wav", with_auth=True)

    run(go())
    assert seen == [("api.example.com", KEY), ("cdn.example.net", None)]
    assert (tmp_path / "r.wav").read_bytes().startswith(b"RIFF")


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://x/y.wav", "javascript:alert(1)", "data:audio/wav,xx"])
def test_download_refuses_other_schemes(tmp_path, url):
    async def go():
        with pytest.raises(RecordingError, match="refused"):
            await client(lambda r: httpx.Response(200)).download(url, tmp_path / "r.wav", with_auth=True)

    run(go())


def test_download_refuses_redirects_to_other_schemes_and_caps_size(tmp_path):
    def handler(request):
        if request.url.path == "/a":
            return httpx.Response(302, headers={"Location": "file:///etc/passwd"})
        return httpx.Response(200, content=b"x" * 5000)

    async def go():
        c = client(handler)
        with pytest.raises(RecordingError, match="refused"):
            await c.download("https://api.example.com/a", tmp_path / "a.wav", with_auth=False)
        with pytest.raises(RecordingError, match="cap"):
            await c.download("https://api.example.com/b", tmp_path / "b.wav", with_auth=False, max_bytes=1000)
        assert not (tmp_path / "b.wav").exists() and not (tmp_path / "b.wav.part").exists()

    run(go())
