"""Fault injection rules for the simulator (used by tests to exercise retries and error paths)."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

KINDS = frozenset({"429", "500", "502", "503", "html500", "truncate", "reset", "slow", "401", "403", "404",
                   "repeat_page", "empty_page"})
PAGE_KINDS = frozenset({"repeat_page", "empty_page"})
PROVIDERS = ("atlas", "callab", "vatel")


@dataclass
class FaultRule:
    provider: str | None      # None: any provider
    kind: str
    path: re.Pattern | None   # searched in the path after the provider's base (recordings: /recordings/...)
    query: re.Pattern | None  # searched in the raw query string
    times: int | None         # firings left; None = forever
    retry_after: float | str | None = None
    delay: float = 0.0
    fired: int = 0
    log: list[str] = field(default_factory=list)  # the paths it fired on

    def matches(self, provider: str | None, path: str, query: str, page_index: int | None,
                page_has_items: bool) -> bool:
        if self.provider is not None and provider != self.provider:
            return False
        if self.kind in PAGE_KINDS:
            # only a list page after the first (and, for empty_page, one that really has items)
            if page_index is None or page_index < 1 or (self.kind == "empty_page" and not page_has_items):
                return False
        if self.path is not None and not self.path.search(path):
            return False
        if self.query is not None and not self.query.search(query):
            return False
        return True


class Faults:
    """`add` rules; each fires on `times` matching requests, then disappears.

    Rules are tried in the order they were added; one request fires at most one rule.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self.fired: list[tuple[str | None, str, str]] = []   # (provider, kind, path) of every firing

    def add(self, provider: str | None, kind: str, *, path: str | None = None, times: int | None = 1,
            retry_after: float | str | None = None, delay: float = 0.0, query: str | None = None) -> FaultRule:
        """provider: "atlas" | "callab" | "vatel" | None/"*" (any). kind: one of `KINDS`.
        path: regex searched in the path after the base URL (e.g. r"/call/", r"^/calls$"; recordings
        served on the public host match "/recordings/<provider>/<id>.wav"). query: regex on the query
        string (e.g. r"page=2\\b"). times: how many requests it fires on (None = until cleared).
        retry_after: a Retry-After header value (429 and 503). delay: seconds to wait before answering
        (any kind; "slow" only waits)."""
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {sorted(KINDS)}")
        if provider == "*":
            provider = None
        if provider is not None and provider not in PROVIDERS:
            raise ValueError(f"unknown provider {provider!r}")
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 (or None for unlimited)")
        rule = FaultRule(provider, kind, re.compile(path) if path else None, re.compile(query) if query else None,
                         times, retry_after, float(delay))
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        """Drop every rule and the `fired` history."""
        with self._lock:
            self._rules.clear()
            self.fired.clear()

    @property
    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def __len__(self) -> int:
        with self._lock:
            return len(self._rules)

    def take(self, provider: str | None, path: str, query: str = "", *, page_index: int | None = None,
             page_has_items: bool = False) -> FaultRule | None:
        """The first rule matching this request, with one firing used up (None when nothing fires)."""
        if not self._rules:
            return None
        with self._lock:
            for rule in self._rules:
                if rule.matches(provider, path, query, page_index, page_has_items):
                    rule.fired += 1
                    rule.log.append(path)
                    if rule.times is not None:
                        rule.times -= 1
                        if rule.times <= 0:
                            self._rules.remove(rule)
                    self.fired.append((provider, rule.kind, path))
                    return rule
        return None
