"""The simulator's generated data: determinism, speed, the providers' payload shapes, consistency."""

from __future__ import annotations

import json
import math
import sys
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest

from callviewer.resources import resource_path
from callviewer.simulator import Simulator, phrases
from callviewer.simulator.audio import VoiceBank

# Keys of the providers' documented call samples (shared/providers/seeds), copied here.
ATLAS_KEYS = {"id", "assistantId", "phoneNumberId", "type", "startedAt", "endedAt", "transcript", "recordingUrl",
              "summary", "createdAt", "updatedAt", "orgId", "cost", "customer", "status", "endedReason", "messages",
              "stereoRecordingUrl", "costBreakdown", "phoneCallProvider", "phoneCallProviderId",
              "phoneCallTransport", "analysis", "artifact", "costs", "monitor", "transport"}
ATLAS_COST_KEYS = {"stt", "llm", "tts", "vapi", "total", "llmPromptTokens", "llmCompletionTokens", "ttsCharacters",
                   "analysisCostBreakdown"}
CALLAB_KEYS = {"id", "call_sid", "company_id", "campaign_id", "ai_agent_id", "contact_id", "call_provider",
               "call_from", "call_to", "call_duration", "call_status", "call_direction", "is_test", "call_rating",
               "call_feedback", "record_url", "transcript", "transcript_object", "transcript_language", "cost",
               "price_unit", "latency", "disconnect_reason", "analysis_sentiment", "agent_task_status",
               "agent_task_feedback", "metadata", "agent_dynamic_variables", "agent_post_call_outcomes", "notes",
               "created_at", "updated_at", "deleted_at", "started_at", "ended_at", "retry_at", "workspace_id"}
VATEL_KEYS = {"id", "agent_id", "graph_version_id", "organization_id", "party_number", "status", "source",
              "termination_reason", "extracted_variables", "outbound", "outbound_contact_id", "outbound_list_run_id",
              "created_at", "connected_at", "started_at", "ended_at", "summary", "transcript", "cost", "tags",
              "duration_seconds", "feedback"}
VATEL_ENTRY_TYPES = {"message", "tool_call", "tool_call_output", "interruption"}


def ts(s: str) -> float:
    return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


@pytest.fixture(scope="module")
def sim() -> Simulator:
    return Simulator(calls_per_provider=300, seed=7)


def all_raw(sim: Simulator, provider: str) -> list[dict]:
    return [sim.raw_call(provider, i) for i in sim.call_ids(provider)]


def test_same_seed_same_data_and_other_seed_other_data() -> None:
    a = Simulator(calls_per_provider=40, seed=3)
    b = Simulator(calls_per_provider=40, seed=3)
    c = Simulator(calls_per_provider=40, seed=4)
    for p in ("atlas", "callab", "vatel"):
        assert a.call_ids(p) == b.call_ids(p)
        assert all_raw(a, p) == all_raw(b, p)
        assert set(a.call_ids(p)).isdisjoint(c.call_ids(p))
    ida = a.call_ids("atlas")[5]
    assert a.recording_bytes("atlas", ida) == b.recording_bytes("atlas", ida)


def test_two_thousand_calls_per_provider_generate_quickly() -> None:
    t = time.perf_counter()
    sim = Simulator(calls_per_provider=2000, seed=11)
    took = time.perf_counter() - t
    assert all(len(sim.call_ids(p)) == 2000 for p in ("atlas", "callab", "vatel"))
    assert took < 6.0, f"generating 3 x 2000 calls took {took:.1f} s"


def test_calls_are_spread_over_sixty_days_before_now_newest_first(sim: Simulator) -> None:
    now = sim.now.timestamp()
    for p, field in (("atlas", "createdAt"), ("callab", "created_at"), ("vatel", "created_at")):
        created = [ts(r[field]) for r in all_raw(sim, p)]
        assert created == sorted(created, reverse=True)
        assert max(created) <= now
        assert now - min(created) < 61 * 86400
        assert now - min(created) > 40 * 86400


def test_realistic_mix_of_outcomes(sim: Simulator) -> None:
    raws = all_raw(sim, "callab")
    status = Counter(r["call_status"] for r in raws)
    assert 0.6 < status["completed"] / len(raws) < 0.95
    assert status["no-answer"] > 0 and status["in-progress"] > 0
    assert status["busy"] + status["failed"] > 0
    reasons = Counter(r["disconnect_reason"] for r in raws)
    assert reasons["voicemail_reached"] > 0 and reasons["call_transfer"] > 0
    for r in raws:
        if r["call_status"] in ("no-answer", "busy", "failed"):
            assert r["record_url"] is None and not r["transcript_object"]
        if r["call_status"] == "in-progress":
            assert r["cost"] is None and r["ended_at"] is None and r["record_url"] is None
    atlas = all_raw(sim, "atlas")
    kinds = Counter(r["type"] for r in atlas)
    assert kinds["inboundPhoneCall"] and kinds["outboundPhoneCall"] and kinds["webCall"]
    live = [r for r in atlas if r["status"] == "in-progress"]
    assert live and all("cost" not in r and r["endedAt"] is None for r in live)
    assert any(r.get("endedReason") == "customer-did-not-answer" and r["recordingUrl"] is None for r in atlas)


def test_atlas_payload_shape_and_costs_add_up(sim: Simulator) -> None:
    seen_tool = False
    for r in all_raw(sim, "atlas"):
        if r["status"] != "ended" or r["type"] == "webCall":
            continue
        assert ATLAS_KEYS <= r.keys()
        cb = r["costBreakdown"]
        assert ATLAS_COST_KEYS - {"analysisCostBreakdown"} <= cb.keys()
        parts = cb["stt"] + cb["llm"] + cb["tts"] + cb["vapi"] + cb.get("transport", 0)
        acb = cb.get("analysisCostBreakdown")
        if acb:
            parts += acb["summary"] + acb["structuredData"] + acb["successEvaluation"]
        assert math.isclose(parts, cb["total"], abs_tol=1e-5)
        assert r["cost"] == cb["total"]
        if r["costs"]:
            assert math.isclose(sum(c["cost"] for c in r["costs"]), r["cost"], abs_tol=1e-5)
        msgs = r["messages"]
        assert msgs == r["artifact"]["messages"]
        assert msgs[0]["role"] == "system" and msgs[0]["secondsFromStart"] == 0
        roles = {m["role"] for m in msgs}
        assert roles <= {"system", "bot", "user", "tool_calls", "tool_call_result"}
        if r["recordingUrl"]:
            assert r["analysis"]["successEvaluation"] in ("true", "false")
            assert isinstance(r["analysis"]["structuredData"], dict)
            assert r["transcript"] == r["artifact"]["transcript"]
            lines = r["transcript"].split("\n")
            spoken = [m for m in msgs if m["role"] in ("bot", "user")]
            assert len(lines) == len(spoken)
            assert all(line.startswith(("AI: ", "User: ")) for line in lines)
        start = ts(r["startedAt"]) * 1000
        for m in msgs[1:]:
            assert abs(m["time"] - (start + m["secondsFromStart"] * 1000)) <= 1.5
            if m["role"] in ("bot", "user"):
                assert m["endTime"] - m["time"] == m["duration"]
            if m["role"] == "tool_calls":
                seen_tool = True
                fn = m["toolCalls"][0]["function"]
                assert isinstance(json.loads(fn["arguments"]), dict)
        assert ts(r["endedAt"]) * 1000 >= start + max(m["secondsFromStart"] for m in msgs) * 1000
    assert seen_tool


def test_callab_payload_shape_and_transcript_object(sim: Simulator) -> None:
    raws = all_raw(sim, "callab")
    tool_roles = set()
    for r in raws:
        assert set(r) == CALLAB_KEYS
        assert r["price_unit"] == "usd" and r["deleted_at"] is None and r["retry_at"] is None
        assert r["created_at"].endswith("Z") and len(r["created_at"]) == 20
        if r["call_direction"] == "outbound":
            assert r["campaign_id"]
        speech = [t for t in r["transcript_object"] if t["role"] in ("agent", "user")]
        if speech:
            lines = r["transcript"].split("\n")
            assert [ln.split(": ", 1)[1] for ln in lines] == [t["content"] for t in speech]
        prev = 0.0
        for t in speech:
            words = t["words"]
            assert " ".join(w["word"] for w in words) == t["content"]
            assert words[0]["start"] >= prev - 1e-6
            assert all(w["start"] <= w["end"] for w in words)
            prev = words[-1]["end"]
        if r["call_duration"] is not None and speech:
            assert r["call_duration"] + 1 >= speech[-1]["words"][-1]["end"]
        for t in r["transcript_object"]:
            if t["role"] == "tool_call_invocation":
                assert t["name"] and isinstance(json.loads(t["arguments"]), dict)
            tool_roles.add(t["role"])
    assert {"tool_call_invocation", "tool_call_result"} <= tool_roles


def test_vatel_payload_shape_and_entries(sim: Simulator) -> None:
    seen = set()
    for r in all_raw(sim, "vatel"):
        assert set(r) <= VATEL_KEYS
        assert {"id", "agent_id", "organization_id", "status", "source", "created_at", "tags",
                "extracted_variables", "outbound"} <= set(r)
        assert r["status"] in ("ended", "in_progress")
        if r["status"] == "ended":
            assert "cost" in r and "duration_seconds" in r and "termination_reason" in r
        else:
            assert "cost" not in r and "ended_at" not in r
        for v in r["extracted_variables"]:
            assert {"name", "type", "description", "value", "dataType", "rationale"} <= set(v)
        if "transcript" not in r:
            continue
        start = ts(r["started_at"])
        last = 0.0
        for i, e in enumerate(r["transcript"]["entries"]):
            assert e["index"] == i and e["type"] in VATEL_ENTRY_TYPES
            seen.add(e["type"])
            off = ts(e["createdAt"]) - start
            assert off >= last - 1e-3
            last = off
            if e["type"] == "message":
                assert e["role"] in ("assistant", "user") and e["message"]
            else:
                assert e["role"] == ""
            if e["type"] == "tool_call":
                assert e["toolCall"]["toolName"] and e["toolCall"]["callId"]
        if "ended_at" in r:
            assert ts(r["ended_at"]) >= start + last
    assert {"message", "tool_call", "tool_call_output"} <= seen


def test_some_rare_markup_and_non_ascii_text_exists(sim: Simulator) -> None:
    blob = json.dumps([all_raw(sim, p) for p in ("atlas", "callab", "vatel")], ensure_ascii=False)
    assert "Zoë" in blob or "café" in blob
    assert "<b>" in blob or "<3" in blob or any(ord(ch) > 0x2000 for ch in blob)


def test_transcript_times_come_from_the_phrase_clips(sim: Simulator) -> None:
    bank = sim.bank
    spec = next(sim.spec("vatel", i) for i in sim.call_ids("vatel") if sim.spec("vatel", i).has_recording)
    for t in spec.turns:
        if t.kind == "speech":
            assert t.text == phrases.text_of(t.speaker, t.key)
            assert abs((t.end - t.start) - bank.duration(t.speaker, t.key)) < 0.002


def test_every_phrase_has_a_current_clip_and_the_bank_is_small() -> None:
    bank = VoiceBank()
    stale = [(s, k) for s, d in phrases.SPEAKERS.items() for k in d if not bank.has_clip(s, k)]
    assert not stale, f"re-run resources/voices/make_voices.py; missing or stale clips: {stale[:5]}"
    total = sum(f.stat().st_size for f in resource_path("voices").iterdir() if f.is_file())
    assert total <= 6 * 1024 * 1024


def test_resource_path_source_tree_and_frozen(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert resource_path("voices", "index.json").is_file()
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resource_path("voices", "x.wav") == tmp_path / "resources" / "voices" / "x.wav"


def test_now_anchor_is_configurable() -> None:
    now = datetime(2025, 3, 1, 9, 30, tzinfo=timezone.utc)
    s = Simulator(calls_per_provider=30, seed=1, now=now)
    newest = ts(s.raw_call("vatel", s.call_ids("vatel")[0])["created_at"])
    assert now.timestamp() - 3600 * 24 * 61 < newest <= now.timestamp()
