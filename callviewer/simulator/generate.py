"""Deterministic simulated calls, in a provider-neutral form (`CallSpec`).

Everything is derived from (seed, provider, index) and the fixed "now" anchor, so the same
arguments always produce the same calls. Turn times come from the voice bank's clip durations, so
transcripts line up with the recordings `audio.py` mixes. `render.py` turns a `CallSpec` into each
provider's JSON.
"""

from __future__ import annotations

import dataclasses
import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from callviewer.simulator import phrases
from callviewer.simulator.audio import CHANNELS, VoiceBank

DAY_MS = 86_400_000
DEFAULT_NOW = datetime(2026, 11, 1, 12, 0, 0, tzinfo=timezone.utc)
SPREAD_DAYS = 60

# outcome -> weight, per direction
OUTCOMES = {
    "outbound": [("completed", 70), ("voicemail", 11), ("no_answer", 9), ("busy", 4), ("failed", 3),
                 ("hangup", 3)],
    "inbound": [("completed", 93), ("hangup", 5), ("failed", 2)],
}
NOT_CONNECTED = ("no_answer", "busy", "failed")


@dataclass(frozen=True)
class AgentDef:
    key: str              # dental_reminders, front_desk, support, solar
    name: str
    campaign_name: str
    direction: str        # inbound | outbound
    prompt: str           # key of phrases.SYSTEM_PROMPTS
    weight: int
    completed: tuple[tuple[str, int], ...]   # scenario weights for a connected call
    voicemail: str | None
    hangup: str


AGENT_DEFS = (
    AgentDef("dental_reminders", "Ava - Dental reminders", "Dental reminders", "outbound", "dental", 30,
             (("dental_reminder", 9), ("wrong_number_dental", 1)), "voicemail_dental", "hangup_outbound"),
    AgentDef("front_desk", "Ava - Front desk", "Dental front desk", "inbound", "dental", 20,
             (("dental_booking", 1),), None, "hangup_inbound"),
    AgentDef("support", "Max - Inbound support", "Inbound support", "inbound", "support", 30,
             (("billing_refund", 4), ("delivery_status", 4), ("transfer_human", 2)), None, "hangup_inbound"),
    AgentDef("solar", "Leo - Solar leads", "Solar lead qualification", "outbound", "solar", 20,
             (("solar_lead", 9), ("wrong_number_solar", 1)), "voicemail_solar", "hangup_outbound"),
)

RARE_NOTES = (
    "Caller typed <b>URGENT</b> in the web form",
    "Prefers email — not SMS",
    "VIP 🌟 customer, handle with care",
    "Asked for the Spanish line (atención en español)",
    "Rescheduled twice already 🙃",
    'Left a review: "5/5 <3 would call again"',
)
FEEDBACK = ("Very helpful 👍", "Quick & easy", "A bit robotic but it worked", "Couldn't hear the agent well",
            "Great, thanks!", "Booked in under two minutes — impressive")
AREA_CODES = ("212", "305", "312", "415", "503", "512", "617", "646", "702", "718", "773", "808", "917")


def new_uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def iso_ms(ms: int) -> str:
    """`2026-10-01T12:00:00.123Z`"""
    s, frac = divmod(ms, 1000)
    return datetime.fromtimestamp(s, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % frac


def iso_s(ms: int) -> str:
    """`2026-10-01T12:00:00Z` (seconds precision, truncated)"""
    return datetime.fromtimestamp(ms // 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_ms(dt: datetime) -> int:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return int(round(dt.timestamp() * 1000))


@dataclass(slots=True)
class SimTurn:
    kind: str            # speech | tool_call | tool_result
    speaker: str         # agent | customer | tool
    text: str
    start: float         # seconds from the start of the recording
    end: float
    key: str | None = None           # phrase key (speech)
    tool_name: str | None = None
    tool_args: str | None = None     # JSON text
    tool_call_id: str | None = None
    result: str | None = None        # JSON text (tool_result)


@dataclass(slots=True)
class Directory:
    """One provider account's agents (with their campaign) and organization."""

    org_id: str
    org_name: str
    org_created_ms: int
    workspace_id: str
    agents: list[dict[str, Any]]     # AgentDef fields + id, campaign_id, created_ms, version_id, ...


@dataclass(slots=True)
class CallSpec:
    provider: str
    index: int
    id: str
    rng_seed: str
    agent: dict[str, Any]
    direction: str            # inbound | outbound | web
    outcome: str              # completed | transferred | voicemail | no_answer | busy | failed | hangup | in_progress
    scenario: str | None
    created_ms: int
    started_ms: int
    ended_ms: int | None      # None while in progress
    updated_ms: int
    customer_number: str | None
    our_number: str
    turns: list[SimTurn] = field(default_factory=list)
    duration: float = 0.0     # seconds of recording/conversation (ended - started)
    has_recording: bool = False
    facts: dict[str, Any] = field(default_factory=dict)
    summary: str | None = None
    success: bool | None = None
    sentiment: str | None = None
    structured: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    note: str | None = None
    feedback: str | None = None
    rating: int | None = None
    is_test: bool = False
    ends_by: str = "customer"  # who hung up: customer | agent
    cost: dict[str, Any] | None = None   # None while in progress
    settled: CallSpec | None = None      # in progress: the finished call it will become

    @property
    def in_progress(self) -> bool:
        return self.ended_ms is None

    def placements(self, bank: VoiceBank) -> list:
        return [(CHANNELS[t.speaker], t.start, bank.clip(t.speaker, t.key))
                for t in self.turns if t.kind == "speech"]


def make_directory(provider: str, seed: int, now_ms: int) -> Directory:
    rng = random.Random(f"{seed}:{provider}:directory")
    org_created = now_ms - rng.randint(300, 700) * DAY_MS
    agents = []
    for d in AGENT_DEFS:
        created = org_created + rng.randint(5, 200) * DAY_MS
        agents.append({
            "def": d, "key": d.key, "name": d.name, "campaign_name": d.campaign_name,
            "direction": d.direction, "id": new_uuid(rng), "campaign_id": new_uuid(rng),
            "version_id": new_uuid(rng), "phone_number_id": new_uuid(rng),
            "list_run_id": new_uuid(rng),
            "number": "+1" + rng.choice(AREA_CODES) + "555" + "%04d" % rng.randint(100, 9999),
            "created_ms": created, "updated_ms": created + rng.randint(1, 90) * DAY_MS,
            "campaign_start_ms": created + rng.randint(0, 5) * DAY_MS,
        })
    return Directory(org_id=new_uuid(rng), org_name={"atlas": "Bright Smile Group", "callab": "Northwind & Co",
                                                       "vatel": "Sunrise Holdings"}.get(provider, "Simulated Org"),
                     org_created_ms=org_created, workspace_id=new_uuid(rng), agents=agents)


def _weighted(rng: random.Random, items) -> Any:
    total = sum(w for _, w in items)
    x = rng.random() * total
    for item, w in items:
        x -= w
        if x < 0:
            return item
    return items[-1][0]


def created_times(provider: str, seed: int, n: int, now_ms: int) -> list[int]:
    """n creation times (ms), newest first, spread over the SPREAD_DAYS before `now`, mostly
    in US business hours, all at least an hour before `now`."""
    rng = random.Random(f"{seed}:{provider}:times")
    out = []
    start = now_ms - SPREAD_DAYS * DAY_MS
    for _ in range(n):
        day = rng.randrange(SPREAD_DAYS)
        if rng.random() < 0.85:
            sec = rng.randrange(13 * 3600, 23 * 3600)  # 13:00-23:00 UTC = 8 am - 6 pm US Eastern
        else:
            sec = rng.randrange(0, 86400)
        t = start + day * DAY_MS + sec * 1000 + rng.randrange(1000)
        out.append(min(t, now_ms - 3_600_000 - rng.randrange(600_000)))
    out.sort(reverse=True)
    return out


class _Builder:
    """Runs one scenario script, timing each spoken line by its clip."""

    def __init__(self, rng: random.Random, bank: VoiceBank, facts: dict[str, Any]) -> None:
        self.rng = rng
        self.bank = bank
        self.facts = facts
        self.turns: list[SimTurn] = []
        self.t = rng.uniform(0.4, 1.2)
        self.last: str | None = None
        self.used: set[str] = set()

    def _gap(self, speaker: str) -> float:
        r = self.rng
        if self.last is None:
            return 0.0
        if self.last == "tool":
            return r.uniform(0.25, 0.7)
        if self.last == speaker:
            return r.uniform(0.2, 0.5)
        return r.uniform(0.6, 1.4) if speaker == "agent" else r.uniform(0.35, 1.1)

    def say(self, speaker: str, key: str) -> None:
        self.t += self._gap(speaker)
        d = self.bank.duration(speaker, key)
        start = round(self.t, 3)
        end = round(self.t + d, 3)
        self.turns.append(SimTurn("speech", speaker, phrases.text_of(speaker, key), start, end, key=key))
        self.facts.update(phrases.facts_of(speaker, key))
        self.used.add(key)
        self.t = end
        self.last = speaker

    def fmt(self, template: str) -> str:
        return template.format_map(_Facts(self.facts))

    def tool(self, name: str, args: dict, result: str) -> None:
        r = self.rng
        self.t += r.uniform(0.15, 0.45)
        call_id = "call_" + "".join(r.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
                                    for _ in range(24))
        fargs = {k: (self.fmt(v) if isinstance(v, str) else v) for k, v in args.items()}
        start = round(self.t, 3)
        self.turns.append(SimTurn("tool_call", "tool", f"{name}({json.dumps(fargs, ensure_ascii=False)})",
                                  start, start, tool_name=name, tool_args=json.dumps(fargs, ensure_ascii=False),
                                  tool_call_id=call_id))
        self.t += r.uniform(0.3, 1.6)
        res = self.fmt(result)
        end = round(self.t, 3)
        self.turns.append(SimTurn("tool_result", "tool", res, end, end, tool_name=name, tool_call_id=call_id,
                                  result=res))
        self.last = "tool"

    def run(self, steps: list) -> None:
        r = self.rng
        for step in steps:
            if isinstance(step, str):
                who, keys = step.split(":", 1)
                self.say("agent" if who == "a" else "customer", r.choice(keys.split("|")))
            elif step[0] == "maybe":
                if r.random() < step[1]:
                    self.run(step[2])
            elif step[0] == "one":
                self.run(r.choice(step[1]))
            elif step[0] == "tool":
                self.tool(step[1], step[2], step[3])
            elif step[0] == "set":
                self.facts.update(step[1])
            elif step[0] == "beep":
                self.t += r.uniform(0.9, 1.4)
            else:  # pragma: no cover - a typo in phrases.py
                raise ValueError(f"unknown scenario step {step!r}")


class _Facts(dict):
    def __missing__(self, key: str) -> str:
        return ""


def _day_after(ms: int, weekday: int) -> str:
    """ISO date of the next `weekday` (0 = Monday) strictly after the day of `ms`, at least 2 days out."""
    d = datetime.fromtimestamp(ms / 1000, timezone.utc).date() + timedelta(days=2)
    while d.weekday() != weekday:
        d += timedelta(days=1)
    return d.isoformat()


SLOT_TEXT = {
    "thu": ("next_thu", "14:30:00", "Thursday {} at 2:30 PM"),
    "tue": ("next_tue", "10:00:00", "Tuesday {} at 10:00 AM"),
    "wed15": ("next_wed", "15:00:00", "Wednesday {} at 3:00 PM"),
}


def _finish_facts(spec: CallSpec, facts: dict[str, Any]) -> None:
    slot = facts.get("slot")
    if slot in SLOT_TEXT:
        day_key, hhmm, text = SLOT_TEXT[slot]
        facts["slot_text"] = text.format(facts[day_key])
        facts["appointment_time"] = f"{facts[day_key]}T{hhmm}"
    facts.setdefault("customer_name", "The caller")
    facts.setdefault("visit_reason", "dental")
    res = facts.get("result")
    facts["slot_suffix"] = f" to {facts['slot_text']}" if res == "rescheduled" and "slot_text" in facts else ""
    if spec.scenario == "solar_lead":
        facts["lead_result"] = (f"Booked a free consultation for {facts['slot_text']}."
                                if facts.get("qualified") else "Not interested; added to the do-not-call list.")
    if spec.scenario == "billing_refund":
        facts["refund_amount"] = 49.99
    if spec.scenario == "delivery_status":
        facts["eta"] = facts.get("next_fri")
    if spec.scenario and spec.scenario.startswith("wrong_number"):
        facts["wrong_number"] = True
    if spec.scenario and spec.scenario.startswith("voicemail"):
        facts["voicemail"] = True


def _cost(spec: CallSpec, rng: random.Random, prompt_chars: int) -> dict[str, Any]:
    minutes = spec.duration / 60.0
    agent_chars = sum(len(t.text) for t in spec.turns if t.speaker == "agent" and t.kind == "speech")
    agent_turns = sum(1 for t in spec.turns if t.speaker == "agent" and t.kind == "speech")
    tool_calls = sum(1 for t in spec.turns if t.kind == "tool_call")
    connected = spec.outcome not in NOT_CONNECTED
    if not connected:
        return {"stt": 0.0, "llm": 0.0, "tts": 0.0, "vapi": 0.0, "transport": 0.0, "total": 0.0,
                "llmPromptTokens": 0, "llmCompletionTokens": 0, "ttsCharacters": 0, "analysis": None,
                "callab": 0.0, "vatel": 0.0}
    llm_calls = agent_turns + tool_calls
    prompt_tokens = sum(prompt_chars // 4 + 60 * i + rng.randint(20, 60) for i in range(llm_calls))
    completion_tokens = sum(len(t.text) // 4 + 4 for t in spec.turns
                            if t.kind == "tool_call" or (t.speaker == "agent" and t.kind == "speech"))
    stt = round(0.01 * minutes, 6)
    llm = round(prompt_tokens * 2.5e-6 + completion_tokens * 1.0e-5, 6)
    tts = round(agent_chars * 3.0e-5, 6)
    vapi = round(0.05 * minutes, 6)
    transport = round(0.0085 * max(1, -(-spec.duration // 60)), 6) if spec.direction != "web" else 0.0
    analysis = None
    a_total = 0.0
    if spec.summary is not None:
        words = sum(len(t.text.split()) for t in spec.turns)
        sp = 400 + int(words * 1.4)
        analysis = {
            "summary": round(sp * 1.5e-7 + 80 * 6e-7, 6),
            "summaryPromptTokens": sp, "summaryCompletionTokens": rng.randint(50, 110),
            "structuredData": round(sp * 1.5e-7 + 40 * 6e-7, 6),
            "structuredDataPromptTokens": sp + 120, "structuredDataCompletionTokens": rng.randint(20, 60),
            "successEvaluation": round(sp * 1.5e-7 + 5 * 6e-7, 6),
            "successEvaluationPromptTokens": sp + 200, "successEvaluationCompletionTokens": rng.randint(1, 5),
        }
        a_total = analysis["summary"] + analysis["structuredData"] + analysis["successEvaluation"]
    total = round(stt + llm + tts + vapi + transport + a_total, 6)
    billed_min = max(1, -(-int(round(spec.duration)) // 60)) if spec.duration else 0
    return {"stt": stt, "llm": llm, "tts": tts, "vapi": vapi, "transport": transport, "total": total,
            "llmPromptTokens": prompt_tokens, "llmCompletionTokens": completion_tokens,
            "ttsCharacters": agent_chars, "analysis": analysis,
            "callab": round(0.09 * spec.duration / 60.0, 4),
            "vatel": round(0.12 * billed_min, 2)}


def build_call(provider: str, index: int, seed: int, created_ms: int, directory: Directory,
               bank: VoiceBank, *, now_ms: int, in_progress: bool = False,
               force_outcome: str | None = None) -> CallSpec:
    """One call. `in_progress`: the call started shortly before `now_ms` and is still going; its
    finished version (what `settle` returns) is kept in `spec.settled`."""
    if in_progress:
        live = random.Random(f"{seed}:{provider}:{index}:live")
        full = build_call(provider, index, seed, now_ms - 600_000, directory, bank, now_ms=now_ms,
                          force_outcome="completed")
        elapsed = round(full.duration * live.uniform(0.3, 0.85), 3)
        shift = now_ms - int(elapsed * 1000) - full.started_ms
        full.created_ms += shift
        full.started_ms += shift
        full.ended_ms += shift
        full.updated_ms += shift
        return dataclasses.replace(
            full, outcome="in_progress", ended_ms=None, has_recording=False,
            turns=[t for t in full.turns if t.end <= elapsed], duration=elapsed,
            updated_ms=max(full.started_ms, now_ms - live.randint(0, 5000)), summary=None, success=None,
            sentiment=None, structured={}, tags=[], rating=None, feedback=None, cost=None, note=None, settled=full)
    rseed = f"{seed}:{provider}:{index}"
    rng = random.Random(rseed)
    call_id = new_uuid(rng)
    agent = _weighted(rng, [(a, a["def"].weight) for a in directory.agents])
    d: AgentDef = agent["def"]
    direction = d.direction
    outcome = force_outcome or _weighted(rng, OUTCOMES[direction])
    if d.key == "support" and provider == "atlas" and rng.random() < 0.2:
        direction = "web"
    if direction == "web" and outcome == "failed":
        outcome = "completed"
    number = None
    if direction != "web":
        pool = random.Random(f"{seed}:{provider}:numbers:{rng.randrange(max(50, index // 2 + 50))}")
        number = "+1" + pool.choice(AREA_CODES) + "555" + "%04d" % pool.randint(100, 9999)

    scenario: str | None
    if outcome == "completed":
        scenario = _weighted(rng, list(d.completed))
    elif outcome == "voicemail":
        scenario = d.voicemail
    elif outcome == "hangup":
        scenario = d.hangup
    else:
        scenario = None

    started_ms = created_ms + rng.randint(200, 1500)
    spec = CallSpec(provider=provider, index=index, id=call_id, rng_seed=rseed, agent=agent, direction=direction,
                    outcome=outcome, scenario=scenario, created_ms=created_ms, started_ms=started_ms,
                    ended_ms=None, updated_ms=created_ms, customer_number=number, our_number=agent["number"])
    facts: dict[str, Any] = {
        "next_tue": _day_after(created_ms, 1), "next_wed": _day_after(created_ms, 2),
        "next_thu": _day_after(created_ms, 3), "next_fri": _day_after(created_ms, 4),
        "conf": "%05d" % rng.randint(0, 99999),
        "charge_date": datetime.fromtimestamp(created_ms / 1000 - rng.randint(3, 20) * 86400,
                                              timezone.utc).date().isoformat(),
        "last_visit": datetime.fromtimestamp(created_ms / 1000 - rng.randint(120, 400) * 86400,
                                             timezone.utc).date().isoformat(),
        "customer_number": number or "",
    }

    if scenario is not None:
        b = _Builder(rng, bank, facts)
        b.run(phrases.SCENARIOS[scenario]["steps"])
        spec.turns = b.turns
        spec.duration = round(b.t + rng.uniform(0.4, 1.5), 3)
        if b.used & {"annoyed", "frustrated"}:
            spec.sentiment = "Negative"
        if facts.get("transferred"):
            spec.outcome = outcome = "transferred" if outcome == "completed" else outcome
        last_speech = next((t for t in reversed(spec.turns) if t.kind == "speech"), None)
        spec.ends_by = "agent" if last_speech is not None and last_speech.speaker == "agent" else "customer"
    elif outcome == "no_answer":
        spec.duration = round(rng.uniform(22.0, 32.0), 3)
    elif outcome == "busy":
        spec.duration = round(rng.uniform(1.5, 5.0), 3)
    else:  # failed
        spec.duration = round(rng.uniform(0.1, 1.2), 3)
    spec.facts = facts

    spec.ended_ms = spec.started_ms + int(round(spec.duration * 1000))
    spec.updated_ms = spec.ended_ms + rng.randint(2000, 25000)
    spec.has_recording = outcome not in NOT_CONNECTED
    connected = spec.has_recording
    sc = phrases.SCENARIOS.get(scenario or "", {})
    _finish_facts(spec, facts)
    if connected and sc:
        spec.summary = sc["summary"].format_map(_Facts(facts))
        spec.success = not facts.get("failed", False) and outcome != "hangup"
        if spec.sentiment is None:
            spec.sentiment = "Neutral" if not spec.success else rng.choice(("Positive", "Positive", "Neutral"))
        spec.structured = {k: facts[k] for k in sc["structured"] if facts.get(k) not in (None, "")}
        spec.tags = list(sc["tags"])
    if rng.random() < 0.04:
        spec.note = rng.choice(RARE_NOTES)
        if "VIP" in spec.note:
            spec.tags.append("vip")
    if connected and rng.random() < 0.15:
        spec.rating = rng.choice((3, 4, 4, 5, 5, 5)) if spec.success else rng.choice((1, 2, 3))
        spec.feedback = rng.choice(FEEDBACK) if rng.random() < 0.5 else None
    spec.is_test = rng.random() < 0.02
    prompt = phrases.SYSTEM_PROMPTS[d.prompt]
    spec.cost = _cost(spec, rng, len(prompt))
    return spec


def settle(spec: CallSpec, now_ms: int) -> CallSpec:
    """The finished version of an in-progress call (same id, agent, number, start and opening turns)."""
    if spec.settled is None:
        return spec
    done = dataclasses.replace(spec.settled)
    done.updated_ms = max(done.ended_ms or 0, now_ms) + 1000
    return done


def system_prompt(spec: CallSpec) -> str:
    d: AgentDef = spec.agent["def"]
    today = datetime.fromtimestamp(spec.created_ms / 1000, timezone.utc).strftime("%A, %B %d, %Y")
    return phrases.SYSTEM_PROMPTS[d.prompt].format(today=today)
