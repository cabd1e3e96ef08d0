"""Callab's `{status, message, data}` envelope may say "error" with HTTP 200 (PROVIDERS.md: the
status is "ok"/"success" or "error"): that is an error, never an empty success."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from callviewer.errors import KeyRejected, NotFound, ProviderError
from callviewer.logs import remember_secret
from callviewer.providers.callab import CallabAdapter, detail_object, page_items
from callviewer.secrets import Secret


def test_an_error_envelope_is_an_error():
    with pytest.raises(KeyRejected, match=r"Callab rejected the API key \(Invalid API key\)"):
        page_items({"status": "error", "message": "Invalid API key", "data": None})
    with pytest.raises(KeyRejected):
        page_items({"status": "ERROR", "message": "Unauthorized: token expired"})
    with pytest.raises(NotFound):
        detail_object({"status": "error", "message": "Call not found", "data": None}, "c1")
    with pytest.raises(ProviderError, match="Callab answered with an error: quota exceeded"):
        page_items({"status": "failed", "message": "quota exceeded", "data": []})
    with pytest.raises(ProviderError, match="no message"):
        page_items({"status": "error", "data": None})
    # a call object's own status is no envelope; a page token is no API key
    assert detail_object({"id": "c1", "status": "failed"}) == {"id": "c1", "status": "failed"}
    with pytest.raises(ProviderError) as caught:
        page_items({"status": "error", "message": "invalid page token", "data": None})
    assert not isinstance(caught.value, KeyRejected)
    # what succeeds stays a success
    assert page_items({"status": "success", "message": "", "data": [{"id": "a"}]}) == [{"id": "a"}]
    assert page_items({"status": "ok", "data": []}) == []
    assert detail_object({"status": "ok", "message": "", "data": {"id": "a"}}) == {"id": "a"}


def test_a_key_echoed_in_the_message_is_not_repeated():
    key = "cab-canary-9f8e7d6c5b4a"
    remember_secret(key)
    with pytest.raises(KeyRejected) as caught:
        page_items({"status": "error", "message": f"Invalid API key {key}"})
    assert key not in str(caught.value) and "[REDACTED]" in str(caught.value)


def test_verifying_a_key_that_callab_refuses_with_http_200_fails():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"status": "error", "message": "Invalid API key", "data": None})

    async def go():
        adapter = CallabAdapter("https://api.callab.example/v1", Secret("wrong"),
                                transport=httpx.MockTransport(handler))
        try:
            with pytest.raises(KeyRejected):
                await adapter.verify()
        finally:
            await adapter.client.aclose()

    asyncio.run(go())
