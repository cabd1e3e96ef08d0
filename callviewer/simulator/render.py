"""Each provider's JSON for a simulated call (`CallSpec`), shaped like the providers' documented
samples (shared/providers/seeds) and schemas (Vapi `Call` for Atlas, Vatel's OpenAPI `Call`).
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass
from typing import Any

from callviewer.simulator.generate import CallSpec, Directory, iso_ms, iso_s, system_prompt

# ---------------------------------------------------------------- shared


@dataclass(frozen=True)
class Ctx:
    rec_base: str          # e.g. http://localhost:8123 (the public recording host)
    directory: Directory


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _extra_rng(spec: CallSpec, provider: str) -> random.Random:
    return random.Random(f"{spec.rng_seed}:{provider}:render")


def _hex(rng: random.Random, n: int) -> str:
    return "%0*x" % (n, rng.getrandbits(4 * n))


def _speech(spec: CallSpec):
    return [t for t in spec.turns if t.kind == "speech"]


# ---------------------------------------------------------------- Atlas (Vapi call object)

ATLAS_ENDED = {
    "transferred": "assistant-forwarded-call",
    "voicemail": "voicemail",
    "no_answer": "customer-did-not-answer",
    "busy": "customer-busy",
    "failed": "twilio-failed-to-connect-call",
    "hangup": "customer-ended-call",
}


def atlas_messages(spec: CallSpec) -> list[dict[str, Any]]:
    t0 = spec.started_ms
    msgs: list[dict[str, Any]] = [
        {"role": "system", "time": t0, "message": system_prompt(spec), "secondsFromStart": 0}]
    for t in spec.turns:
        at = t0 + int(round(t.start * 1000))
        if t.kind == "speech":
            m = {"role": "bot" if t.speaker == "agent" else "user", "time": at,
                 "endTime": t0 + int(round(t.end * 1000)), "message": t.text, "secondsFromStart": t.start,
                 "duration": int(round((t.end - t.start) * 1000))}  # ms, as Vapi sends it
            if t.speaker == "agent":
                m["source"] = ""
            msgs.append(m)
        elif t.kind == "tool_call":
            msgs.append({
                "role": "tool_calls", "time": at, "message": "",
                "toolCalls": [{"id": t.tool_call_id, "type": "function",
                               "function": {"name": t.tool_name, "arguments": t.tool_args}}],
                "secondsFromStart": t.start,
            })
        elif t.kind == "tool_result":
            msgs.append({"role": "tool_call_result", "time": at, "secondsFromStart": t.start,
                         "name": t.tool_name, "result": t.result, "toolCallId": t.tool_call_id})
    return msgs


def atlas_call(spec: CallSpec, ctx: Ctx) -> dict[str, Any]:
    rng = _extra_rng(spec, "atlas")
    agent = spec.agent
    rec = f"{ctx.rec_base}/recordings/atlas/{spec.id}.wav" if spec.has_recording else None
    msgs = atlas_messages(spec)
    transcript = "\n".join(("AI: " if t.speaker == "agent" else "User: ") + t.text for t in _speech(spec))
    phone = spec.direction != "web"
    d: dict[str, Any] = {
        "id": spec.id,
        "assistantId": agent["id"],
        "phoneNumberId": agent["phone_number_id"] if phone else None,
        "type": {"inbound": "inboundPhoneCall", "outbound": "outboundPhoneCall"}.get(spec.direction, "webCall"),
        "startedAt": iso_ms(spec.started_ms),
        "endedAt": iso_ms(spec.ended_ms) if spec.ended_ms is not None else None,
        "transcript": transcript,
        "recordingUrl": rec,
        "summary": spec.summary,
        "createdAt": iso_ms(spec.created_ms),
        "updatedAt": iso_ms(spec.updated_ms),
        "orgId": ctx.directory.org_id,
    }
    if spec.cost is not None:
        d["cost"] = spec.cost["total"]
    if phone:
        d["customer"] = {"number": spec.customer_number}
    d["status"] = "in-progress" if spec.in_progress else "ended"
    if not spec.in_progress:
        d["endedReason"] = ATLAS_ENDED.get(spec.outcome) or (
            "assistant-ended-call" if spec.ends_by == "agent" else "customer-ended-call")
    d["messages"] = msgs
    d["stereoRecordingUrl"] = rec
    if spec.cost is not None:
        c = spec.cost
        cb: dict[str, Any] = {"transport": c["transport"], "stt": c["stt"], "llm": c["llm"], "tts": c["tts"],
                              "vapi": c["vapi"], "total": c["total"], "llmPromptTokens": c["llmPromptTokens"],
                              "llmCompletionTokens": c["llmCompletionTokens"], "ttsCharacters": c["ttsCharacters"]}
        if c["analysis"]:
            cb["analysisCostBreakdown"] = dict(c["analysis"])
        d["costBreakdown"] = cb
    if phone:
        d["phoneCallProvider"] = "twilio"
        d["phoneCallProviderId"] = "CA" + _hex(rng, 32)
        d["phoneCallTransport"] = "pstn"
    analysis: dict[str, Any] = {}
    if spec.summary is not None:
        analysis["summary"] = spec.summary
        analysis["successEvaluation"] = "true" if spec.success else "false"
        structured = dict(spec.structured)
        if spec.note:
            structured["notes"] = spec.note
        analysis["structuredData"] = structured
    d["analysis"] = analysis
    d["artifact"] = {
        "recordingUrl": rec,
        "stereoRecordingUrl": rec,
        "messages": msgs,
        "messagesOpenAIFormatted": [{"role": "system", "content": msgs[0]["message"]}] + [
            {"role": "assistant" if t.speaker == "agent" else "user", "content": t.text} for t in _speech(spec)],
        "transcript": transcript,
    }
    if spec.cost is not None and not spec.in_progress:
        c = spec.cost
        minutes = round(spec.duration / 60.0, 4)
        costs: list[dict[str, Any]] = []
        if c["total"]:
            costs = [
                {"type": "transport", "provider": "twilio", "minutes": minutes, "cost": c["transport"]},
                {"type": "transcriber", "transcriber": {"provider": "deepgram", "model": "nova-2"},
                 "minutes": minutes, "cost": c["stt"]},
                {"type": "model", "model": {"provider": "openai", "model": "gpt-4o"},
                 "promptTokens": c["llmPromptTokens"], "completionTokens": c["llmCompletionTokens"],
                 "cost": c["llm"]},
                {"type": "voice", "voice": {"provider": "11labs", "voiceId": "sim-voice-" + agent["key"]},
                 "characters": c["ttsCharacters"], "cost": c["tts"]},
                {"type": "vapi", "subType": "normal", "minutes": minutes, "cost": c["vapi"]},
            ]
            for kind in ("summary", "structuredData", "successEvaluation"):
                if c["analysis"]:
                    costs.append({"type": "analysis", "analysisType": kind,
                                  "model": {"provider": "openai", "model": "gpt-4o-mini"},
                                  "promptTokens": c["analysis"][kind + "PromptTokens"],
                                  "completionTokens": c["analysis"][kind + "CompletionTokens"],
                                  "cost": c["analysis"][kind]})
        d["costs"] = costs
    d["monitor"] = {"listenUrl": f"wss://monitor.invalid/{spec.id}/listen",
                    "controlUrl": f"https://monitor.invalid/{spec.id}/control"}
    d["transport"] = {"provider": "twilio"} if phone else {"provider": "vapi.websocket"}
    d["campaignId"] = agent["campaign_id"]
    return d


ATLAS_ENTRY_FIELDS = ("campaignId", "assistantId", "type", "status", "endedReason", "createdAt", "startedAt",
                      "endedAt", "cost", "updatedAt")


def atlas_entry(raw: dict[str, Any]) -> dict[str, Any]:
    """A CallHistoryEntry (the list endpoint's summary row) of a full Atlas call."""
    e: dict[str, Any] = {"partitionKey": raw.get("campaignId"), "rowKey": raw.get("id"),
                         "timestamp": raw.get("updatedAt")}
    cust = raw.get("customer")
    for k in ATLAS_ENTRY_FIELDS:
        e[k] = raw.get(k)
        if k == "assistantId":
            e["customerPhoneNumber"] = cust.get("number") if isinstance(cust, dict) else None
    return e


def atlas_campaigns(directory: Directory) -> list[dict[str, Any]]:
    out = []
    for a in directory.agents:
        out.append({
            "partitionKey": directory.org_id, "rowKey": a["campaign_id"], "Timestamp": iso_ms(a["updated_ms"]),
            "Name": a["campaign_name"], "Status": "Active",
            "AgentTypeName": "Outbound" if a["direction"] == "outbound" else "Inbound",
            "Language": "en-US", "VoiceId": "sim-voice-" + a["key"], "AssistantId": a["id"],
            "AssistantName": a["name"], "PhoneNumber": a["number"], "CreatedAt": iso_ms(a["created_ms"]),
        })
    return out


# ---------------------------------------------------------------- Callab (Retell-like)

CALLAB_STATUS = {"no_answer": "no-answer", "busy": "busy", "failed": "failed", "in_progress": "in-progress"}
CALLAB_DISCONNECT = {"transferred": "call_transfer", "voicemail": "voicemail_reached",
                     "no_answer": "dial_no_answer", "busy": "dial_busy", "failed": "dial_failed",
                     "hangup": "user_hangup"}


def _words(text: str, start: float, end: float) -> list[dict[str, Any]]:
    words = text.split()
    if not words:
        return []
    weights = [len(w) + 1 for w in words]
    total = sum(weights)
    span = end - start
    out = []
    t = start
    for w, wt in zip(words, weights, strict=True):
        nxt = t + span * wt / total
        out.append({"word": w, "start": round(t, 3), "end": round(nxt, 3)})
        t = nxt
    return out


def callab_call(spec: CallSpec, ctx: Ctx) -> dict[str, Any]:
    rng = _extra_rng(spec, "callab")
    agent = spec.agent
    outbound = spec.direction == "outbound"
    turns: list[dict[str, Any]] = []
    lines = []
    for t in spec.turns:
        if t.kind == "speech":
            role = "agent" if t.speaker == "agent" else "user"
            turns.append({"role": role, "content": t.text, "words": _words(t.text, t.start, t.end)})
            lines.append(("Agent: " if role == "agent" else "User: ") + t.text)
        elif t.kind == "tool_call":
            turns.append({"role": "tool_call_invocation", "tool_call_id": t.tool_call_id, "name": t.tool_name,
                          "arguments": t.tool_args})
        elif t.kind == "tool_result":
            turns.append({"role": "tool_call_result", "tool_call_id": t.tool_call_id, "content": t.result})
    if spec.in_progress:
        status = "in-progress"
        disconnect = None
    else:
        status = CALLAB_STATUS.get(spec.outcome, "completed")
        disconnect = CALLAB_DISCONNECT.get(spec.outcome) or (
            "agent_hangup" if spec.ends_by == "agent" else "user_hangup")
    connected = spec.has_recording or spec.in_progress
    d: dict[str, Any] = {
        "id": spec.id,
        "call_sid": "CA" + _hex(rng, 32),
        "company_id": ctx.directory.org_id,
        "campaign_id": agent["campaign_id"] if outbound else None,
        "ai_agent_id": agent["id"],
        "contact_id": str(_uuid_from(rng)) if outbound else None,
        "call_provider": "twilio",
        "call_from": agent["number"] if outbound else spec.customer_number,
        "call_to": spec.customer_number if outbound else agent["number"],
        "call_duration": None if spec.in_progress else int(round(spec.duration)),
        "call_status": status,
        "call_direction": "outbound" if outbound else "inbound",
        "is_test": spec.is_test,
        "call_rating": spec.rating,
        "call_feedback": spec.feedback,
        "record_url": f"{ctx.rec_base}/recordings/callab/{spec.id}.wav" if spec.has_recording else None,
        "transcript": "\n".join(lines) if lines else None,
        "transcript_object": turns,
        "transcript_language": "en-US",
        "cost": None if spec.cost is None else spec.cost["callab"],
        "price_unit": "usd",
        "latency": rng.randint(620, 1450) if connected else None,
        "disconnect_reason": disconnect,
        "analysis_sentiment": spec.sentiment,
        "agent_task_status": None if spec.success is None else ("Successful" if spec.success else "Unsuccessful"),
        "agent_task_feedback": None if spec.summary is None else (
            ("The agent completed its task. " if spec.success else "The task was not completed. ") + spec.summary),
        "metadata": {"crm_contact": "HS-%06d" % rng.randint(0, 999999)} if outbound else {},
        "agent_dynamic_variables": {"business_name": agent["campaign_name"], "agent_name": agent["name"]},
        "agent_post_call_outcomes": dict(spec.structured),
        "notes": spec.note,
        "created_at": iso_s(spec.created_ms),
        "updated_at": iso_s(spec.updated_ms),
        "deleted_at": None,
        "started_at": iso_s(spec.started_ms),
        "ended_at": iso_s(spec.ended_ms) if spec.ended_ms is not None else None,
        "retry_at": None,
        "workspace_id": ctx.directory.workspace_id,
    }
    return d


def _uuid_from(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def callab_agents(directory: Directory) -> list[dict[str, Any]]:
    return [{"id": a["id"], "name": a["name"], "type": a["direction"], "language": "en-US",
             "voice_id": "sim-voice-" + a["key"], "phone_number": a["number"], "status": "active",
             "workspace_id": directory.workspace_id, "created_at": iso_s(a["created_ms"]),
             "updated_at": iso_s(a["updated_ms"])} for a in directory.agents]


def callab_campaigns(directory: Directory) -> list[dict[str, Any]]:
    return [{"id": a["campaign_id"], "name": a["campaign_name"], "status": "active", "ai_agent_id": a["id"],
             "started_at": iso_s(a["campaign_start_ms"])[:10], "ended_at": None,
             "workspace_id": directory.workspace_id, "created_at": iso_s(a["created_ms"])}
            for a in directory.agents if a["direction"] == "outbound"]


# ---------------------------------------------------------------- Vatel (OpenAPI Call)

VATEL_TERMINATION = {"transferred": "transferred", "voicemail": "voicemail", "no_answer": "no_answer",
                     "busy": "busy", "failed": "failed", "hangup": "ended_by_user"}


def _dtype(v: Any) -> str:
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, dict):
        return "object"
    if isinstance(v, list):
        return "array"
    return "string"


def vatel_entries(spec: CallSpec, rng: random.Random) -> list[dict[str, Any]]:
    t0 = spec.started_ms
    out: list[dict[str, Any]] = []
    turn_no = 0
    interrupt_at = -1
    full = (spec.settled or spec).turns  # decided on the finished call, so a live call's rows are a prefix
    if len(full) >= 6 and rng.random() < 0.08:
        cands = [i for i in range(len(full) - 1)
                 if full[i].kind == "speech" and full[i].speaker == "agent"
                 and full[i + 1].kind == "speech" and full[i + 1].speaker == "customer"]
        if cands:
            interrupt_at = rng.choice(cands)
    if interrupt_at + 1 >= len(spec.turns):
        interrupt_at = -1
    for i, t in enumerate(spec.turns):
        at = iso_ms(t0 + int(round(t.start * 1000)))
        if t.kind == "speech":
            turn_no += 1
            out.append({"index": len(out), "role": "assistant" if t.speaker == "agent" else "user",
                        "message": t.text, "type": "message", "createdAt": at,
                        "durationMs": int(round((t.end - t.start) * 1000)), "turnId": f"turn_{turn_no}"})
            if i == interrupt_at:
                nxt = spec.turns[i + 1]
                out.append({"index": len(out), "role": "", "message": "", "type": "interruption",
                            "createdAt": iso_ms(t0 + int(round(nxt.start * 1000))), "durationMs": 0,
                            "turnId": f"turn_{turn_no}"})
        elif t.kind == "tool_call":
            res = next((r for r in spec.turns if r.kind == "tool_result" and r.tool_call_id == t.tool_call_id), None)
            out.append({"index": len(out), "role": "", "message": "", "type": "tool_call",
                        "toolCall": {"itemId": "item_" + t.tool_call_id[5:], "callId": t.tool_call_id,
                                     "toolName": t.tool_name, "arguments": t.tool_args,
                                     "output": res.result if res else "",
                                     "startedAt": at,
                                     "endedAt": iso_ms(t0 + int(round((res.start if res else t.start) * 1000)))},
                        "createdAt": at, "durationMs": 0, "turnId": f"turn_{turn_no}"})
        elif t.kind == "tool_result":
            out.append({"index": len(out), "role": "", "message": "", "type": "tool_call_output",
                        "toolCall": {"itemId": "item_" + t.tool_call_id[5:], "callId": t.tool_call_id,
                                     "toolName": t.tool_name},
                        "toolCallOutput": t.result, "createdAt": at, "durationMs": 0,
                        "turnId": f"turn_{turn_no}"})
    return out


def vatel_call(spec: CallSpec, ctx: Ctx) -> dict[str, Any]:
    rng = _extra_rng(spec, "vatel")
    agent = spec.agent
    outbound = spec.direction == "outbound"
    src = rng.random()
    d: dict[str, Any] = {
        "id": spec.id,
        "agent_id": agent["id"],
        "graph_version_id": agent["version_id"],
        "organization_id": ctx.directory.org_id,
        "party_number": spec.customer_number,
        "status": "in_progress" if spec.in_progress else "ended",
        "source": "twilio" if src < 0.7 else ("sip" if src < 0.95 else "api"),
    }
    if not spec.in_progress:
        d["termination_reason"] = VATEL_TERMINATION.get(spec.outcome) or (
            "ended_by_agent" if spec.ends_by == "agent" else "ended_by_user")
    ev: list[dict[str, Any]] = []
    if spec.customer_number:
        ev.append({"name": "caller_number", "type": "system", "description": "The other party's number",
                   "value": spec.customer_number, "dataType": "string", "rationale": ""})
    for k, v in spec.structured.items():
        ev.append({"name": k, "type": "extracted", "description": k.replace("_", " ").capitalize(),
                   "value": v, "dataType": _dtype(v), "rationale": "Stated during the conversation."})
    d["extracted_variables"] = ev
    d["outbound"] = outbound
    if outbound:
        d["outbound_contact_id"] = str(_uuid_from(rng))
        d["outbound_list_run_id"] = agent["list_run_id"]
    d["created_at"] = iso_ms(spec.created_ms)
    connected = spec.has_recording or spec.in_progress
    if connected:
        d["connected_at"] = iso_ms(spec.created_ms + (spec.started_ms - spec.created_ms) // 2)
    d["started_at"] = iso_ms(spec.started_ms)
    if spec.ended_ms is not None:
        d["ended_at"] = iso_ms(spec.ended_ms)
    if spec.summary is not None:
        d["summary"] = spec.summary
    if spec.turns:
        d["transcript"] = {"entries": vatel_entries(spec, rng)}
    if spec.cost is not None:
        d["cost"] = spec.cost["vatel"]
    tags = list(spec.tags)
    if spec.is_test:
        tags.append("test")
    d["tags"] = tags
    if spec.ended_ms is not None:
        d["duration_seconds"] = int(round(spec.duration))
    if spec.rating is not None:
        d["feedback"] = {"stars": spec.rating, "notes": spec.feedback or spec.note or ""}
    return d


def vatel_agents(directory: Directory) -> list[dict[str, Any]]:
    return [{"id": a["id"], "phone_number_id": a["phone_number_id"], "name": a["name"],
             "llm": "gpt-4o", "fallback_llm": "gpt-4o-mini", "status": "active",
             "default_language": "en", "summarize_calls": True,
             "first_message": "Hi, this is " + a["name"].split(" ")[0] + ". How can I help?",
             "created_at": iso_ms(a["created_ms"]), "updated_at": iso_ms(a["updated_ms"])}
            for a in directory.agents]


def vatel_organization(directory: Directory) -> dict[str, Any]:
    return {"id": directory.org_id, "name": directory.org_name, "created_at": iso_ms(directory.org_created_ms)}


RENDER = {"atlas": atlas_call, "callab": callab_call, "vatel": vatel_call}
