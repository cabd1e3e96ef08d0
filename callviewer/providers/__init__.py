"""Provider adapters, one module each, behind `callviewer.providers.base.ProviderAdapter`."""

from __future__ import annotations

from typing import Any

from callviewer.errors import UsageError
from callviewer.providers import atlas, callab, vatel
from callviewer.providers.atlas import AtlasAdapter
from callviewer.providers.base import ProviderAdapter
from callviewer.providers.callab import CallabAdapter
from callviewer.providers.vatel import VatelAdapter
from callviewer.secrets import Secret

ADAPTERS: dict[str, type] = {
    "atlas": AtlasAdapter,
    "callab": CallabAdapter,
    "vatel": VatelAdapter,
}


def adapter_class(provider: str) -> type:
    try:
        return ADAPTERS[provider]
    except KeyError:
        raise UsageError(f"unknown provider {provider!r} (choose from {', '.join(ADAPTERS)})") from None


def default_base_url(provider: str) -> str:
    return adapter_class(provider).default_base_url


def make_adapter(provider: str, base_url: str, key: Secret, **client_kw: Any) -> ProviderAdapter:
    return adapter_class(provider)(base_url, key, **client_kw)


def page_parser(provider: str):
    """(page_items, detail_object): the provider's pure functions from a parsed body to raw calls."""
    module = {"atlas": atlas, "callab": callab, "vatel": vatel}[provider]
    return module.page_items, module.detail_object
