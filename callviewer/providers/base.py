"""The small interface every provider adapter offers.

An adapter turns one account's API into: pages of raw call items (newest first where the API can
sort), the raw detail of one call, the agents/campaigns for the sidebar, where the recording is,
and a cheap key check. It does no storage and no normalization of its own (that is the pure
`callviewer.normalize.<provider>.normalize` function, which the adapter exposes as `normalize`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from callviewer.domain import Call, Directory
from callviewer.secrets import Secret

if TYPE_CHECKING:
    from callviewer.net import ApiClient


@dataclass(frozen=True)
class RecordingSource:
    url: str
    with_auth: bool   # send the account's key (only ever honoured for the account's own API host)
    suggested_ext: str = ".wav"


@dataclass
class ListPage:
    """Raw call items from one list request."""

    items: list[dict[str, Any]]
    #: The response body the items were parsed from (the sync's worker parses it again there).
    body: bytes | None = None
    #: Calls before this page may be missing: the provider skipped or repeated a page. The sync
    #: then does not mark its walk complete, so the next sync walks the whole list again.
    gap: bool = False


@runtime_checkable
class ProviderAdapter(Protocol):
    name: ClassVar[str]
    label: ClassVar[str]
    default_base_url: ClassVar[str]

    client: ApiClient

    async def verify(self) -> None:
        """One cheap request that proves the key works. Raises KeyRejected/Offline/ProviderError."""

    def list_calls(self, since: datetime | None) -> AsyncIterator[ListPage]:
        """Every call created at or after `since` (all calls when None), page by page."""

    async def get_call(self, call_id: str) -> dict[str, Any]:
        """The raw detail object of one call."""

    async def get_call_body(self, call_id: str, *,
                            parse: bool = True) -> tuple[dict[str, Any] | None, bytes]:
        """The raw detail object of one call and the response body it was parsed from.

        `parse=False`: the caller parses the body itself (the sync's worker), so the adapter may
        leave it unparsed and give None for the object (see `ApiClient.get_json_body`)."""

    async def directories(self) -> list[Directory]:
        """Agents and campaigns, for the sidebar."""

    def item_id(self, item: Mapping[str, Any]) -> str | None:
        """The provider's call id of a list item (or detail object)."""

    def item_is_complete(self, item: Mapping[str, Any]) -> bool:
        """True when a list item is a full call object (no per-call detail request needed)."""

    def recording_source(self, call_id: str, raw: Mapping[str, Any]) -> RecordingSource | None:
        """Where the recording of a call is; None when the provider has none."""

    def normalize(self, raw: Any) -> Call:
        """Pure: raw detail JSON -> normalized Call. Raises NormalizeError."""


class AdapterFactory(Protocol):
    def __call__(self, base_url: str, key: Secret, **client_kw: Any) -> ProviderAdapter: ...
