"""Domain records shared by providers, store, sync, CLI and window. No Qt, no I/O."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

Speaker = Literal["agent", "customer", "system", "tool"]
TurnKind = Literal["message", "tool_call", "tool_result", "interruption"]

PROVIDER_NAMES = ("atlas", "callab", "vatel")

def parse_iso(value: Any) -> datetime | None:
    """A time of the normalized records (`created_at`, `started_at`, `last_sync_at`: ISO 8601 with
    'Z' or an offset; naive read as UTC) as an aware datetime; None when missing or malformed."""
    if not value or not isinstance(value, str):
        return None
    try:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def iso_to_epoch(value: Any) -> float | None:
    """`parse_iso` as epoch seconds."""
    dt = parse_iso(value)
    return None if dt is None else dt.timestamp()


COST_PARTS = ("stt", "llm", "tts", "platform", "transport", "other")
COST_COUNTS = ("llm_prompt_tokens", "llm_completion_tokens", "tts_characters")


@dataclass(slots=True)
class Turn:
    """One line of a transcript, as the contract's normalized call carries it."""

    speaker: Speaker
    text: str
    kind: TurnKind = "message"
    start_s: float | None = None
    end_s: float | None = None
    tool_name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "start_s": self.start_s,
            "end_s": self.end_s,
            "speaker": self.speaker,
            "kind": self.kind,
            "text": self.text,
            "tool_name": self.tool_name,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Turn:
        return cls(
            speaker=d.get("speaker") or "system",
            text=d.get("text") or "",
            kind=d.get("kind") or "message",
            start_s=d.get("start_s"),
            end_s=d.get("end_s"),
            tool_name=d.get("tool_name"),
        )


@dataclass(slots=True)
class Call:
    """A normalized call (see CONTRACT.md). `account` is filled in by the store/sync layer."""

    provider: str
    provider_call_id: str
    account: str = ""
    direction: str | None = None
    status: str | None = None
    ended_reason: str | None = None
    customer_number: str | None = None
    agent_id: str | None = None
    campaign_id: str | None = None
    created_at: str | None = None
    started_at: str | None = None
    ended_at: str | None = None
    duration_s: float | None = None
    cost: float | None = None
    currency: str | None = None
    cost_breakdown: dict[str, float | int] = field(default_factory=dict)
    summary: str | None = None
    success: str | None = None
    sentiment: str | None = None
    extracted: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    has_recording: bool = False
    transcript: list[Turn] = field(default_factory=list)

    def to_dict(self, *, transcript: bool = True) -> dict[str, Any]:
        """The contract's JSON object, keys in the contract's order."""
        d: dict[str, Any] = {
            "account": self.account,
            "provider": self.provider,
            "provider_call_id": self.provider_call_id,
            "direction": self.direction,
            "status": self.status,
            "ended_reason": self.ended_reason,
            "customer_number": self.customer_number,
            "agent_id": self.agent_id,
            "campaign_id": self.campaign_id,
            "created_at": self.created_at,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "duration_s": self.duration_s,
            "cost": self.cost,
            "currency": self.currency,
            "cost_breakdown": dict(self.cost_breakdown),
            "summary": self.summary,
            "success": self.success,
            "sentiment": self.sentiment,
            "extracted": dict(self.extracted),
            "tags": list(self.tags),
            "has_recording": bool(self.has_recording),
        }
        if transcript:
            d["transcript"] = [t.to_dict() for t in self.transcript]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Call:
        kw = {k: d.get(k) for k in _CALL_SCALARS}
        return cls(
            **kw,
            provider=d.get("provider") or "",
            provider_call_id=d.get("provider_call_id") or "",
            account=d.get("account") or "",
            cost_breakdown=dict(d.get("cost_breakdown") or {}),
            extracted=dict(d.get("extracted") or {}),
            tags=list(d.get("tags") or []),
            has_recording=bool(d.get("has_recording")),
            transcript=[Turn.from_dict(t) for t in d.get("transcript") or []],
        )


_CALL_SCALARS = (
    "direction", "status", "ended_reason", "customer_number", "agent_id", "campaign_id",
    "created_at", "started_at", "ended_at", "duration_s", "cost", "currency",
    "summary", "success", "sentiment",
)


@dataclass(slots=True, frozen=True)
class Account:
    """A configured provider account. Never holds the API key (that lives in the keyring)."""

    name: str
    provider: str
    base_url: str
    id: int | None = None
    last_sync_at: str | None = None
    last_sync_state: str | None = None  # "ok", "key_rejected", "offline", "error", "cancelled", "partial"
    last_error: str | None = None
    #: Calls in the cache (None: not counted, see `Store.accounts(counts=False)`).
    call_count: int | None = 0

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("id")
        return d


@dataclass(slots=True, frozen=True)
class Directory:
    """An agent or campaign an account has, for the sidebar."""

    kind: Literal["agent", "campaign"]
    id: str
    name: str
