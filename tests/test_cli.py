"""The command line as a subprocess, against the simulator, with keys in the real OS keyring."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SIM_KEYS
from tests.core.test_keyring import needs_secret_service

CONTRACT_KEYS = [
    "account", "provider", "provider_call_id", "direction", "status", "ended_reason", "customer_number",
    "agent_id", "campaign_id", "created_at", "started_at", "ended_at", "duration_s", "cost", "currency",
    "cost_breakdown", "summary", "success", "sentiment", "extracted", "tags", "has_recording",
]


def cv(profile: Path, *args: str, stdin: str | None = None, timeout: float = 120):
    env = dict(os.environ)
    env.pop("CALLVIEWER_PROFILE", None)
    proc = subprocess.run([sys.executable, "-m", "callviewer", *args, "--profile", str(profile)],
                          input=stdin, capture_output=True, text=True, timeout=timeout, env=env)
    return proc


def assert_one_clean_line(proc):
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert lines[0].startswith("callviewer: ")


def test_usage_errors_are_one_line(tmp_path):
    p = tmp_path / "p"
    assert_one_clean_line(cv(p, "calls", "show", "nope"))
    assert_one_clean_line(cv(p, "sync", "ghost"))
    proc = cv(p, "accounts", "add", "x", "--provider", "nosuch")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert_one_clean_line(cv(p, "calls", "list", "--since", "yesterday-ish"))
    proc = cv(p, "accounts", "add", "x", "--provider", "vatel", "--no-verify", stdin="")
    assert_one_clean_line(proc)
    assert "no API key" in proc.stderr
    proc = cv(p, "accounts", "list", "--json")
    assert proc.returncode == 0 and json.loads(proc.stdout) == []


def test_an_unusable_profile_folder_is_one_line(tmp_path):
    a_file = tmp_path / "notadir"
    a_file.write_text("")
    proc = cv(a_file, "accounts", "list")
    assert_one_clean_line(proc)
    assert "is a file, not a folder" in proc.stderr
    proc = cv(a_file / "sub", "calls", "list")
    assert_one_clean_line(proc)
    assert "a part of that path is a file" in proc.stderr
    # a folder where the log file or the profile's id should be
    logs_taken = tmp_path / "logs-taken"
    (logs_taken / "logs" / "callviewer.log").mkdir(parents=True)
    proc = cv(logs_taken, "accounts", "list")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr
    assert "cannot write the log file" in proc.stderr and "going on without it" in proc.stderr
    id_taken = tmp_path / "id-taken"
    (id_taken / "profile-id").mkdir(parents=True)
    proc = cv(id_taken, "accounts", "list")
    assert_one_clean_line(proc)
    assert "cannot read" in proc.stderr and "profile-id" in proc.stderr
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if not os.access(locked, os.W_OK):  # (root may write anyway)
            proc = cv(locked / "p", "accounts", "list")
            assert_one_clean_line(proc)
            assert "Permission denied" in proc.stderr
    finally:
        locked.chmod(0o700)


@needs_secret_service
def test_a_sync_that_fails_at_once_is_one_line(tmp_path, shared_sim):
    p = tmp_path / "p"
    # (no terminal: the key is read from stdin even without --api-key-stdin)
    proc = cv(p, "accounts", "add", "vat", "--provider", "vatel", "--base-url",
              shared_sim.base_urls["vatel"], "--no-verify", stdin="wrong-key\n")
    assert proc.returncode == 0, proc.stderr
    proc = cv(p, "sync", "vat")
    assert_one_clean_line(proc)  # no progress line before it: nothing was listed
    assert "rejected the API key" in proc.stderr
    cv(p, "accounts", "remove", "vat", "--yes")


@needs_secret_service
def test_full_cli_round_trip(tmp_path, shared_sim):
    p = tmp_path / "profile"
    canary = "sk-canary-" + os.urandom(6).hex()

    # a rejected key is named as such and nothing is added
    proc = cv(p, "accounts", "add", "bad", "--provider", "vatel", "--base-url", shared_sim.base_urls["vatel"],
              "--api-key-stdin", stdin=canary + "\n")
    assert_one_clean_line(proc)
    assert "rejected the API key" in proc.stderr

    for provider in ("atlas", "callab", "vatel"):
        proc = cv(p, "accounts", "add", f"{provider}-prod", "--provider", provider,
                  "--base-url", shared_sim.base_urls[provider], "--api-key-stdin", stdin=SIM_KEYS[provider] + "\n")
        assert proc.returncode == 0, proc.stderr
    proc = cv(p, "accounts", "add", "atlas-prod", "--provider", "atlas", "--api-key-stdin", "--no-verify",
              stdin="k\n")
    assert_one_clean_line(proc)
    assert "already exists" in proc.stderr

    proc = cv(p, "sync")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 3 and all(" new, " in line for line in lines)
    assert "sync:" in proc.stderr  # progress goes to stderr

    accounts = json.loads(cv(p, "accounts", "list", "--json").stdout)
    assert [a["name"] for a in accounts] == ["atlas-prod", "callab-prod", "vatel-prod"]
    for a in accounts:
        assert a["call_count"] == len(shared_sim.call_ids(a["provider"]))
        assert a["last_sync_at"]
        assert not any(SIM_KEYS[a["provider"]] in json.dumps(v) for v in a.values())

    calls = json.loads(cv(p, "calls", "list", "--json").stdout)
    assert len(calls) == sum(len(shared_sim.call_ids(x)) for x in ("atlas", "callab", "vatel"))
    assert list(calls[0].keys()) == CONTRACT_KEYS
    starts = [c["started_at"] or c["created_at"] for c in calls]
    assert starts == sorted(starts, reverse=True)

    limited = json.loads(cv(p, "calls", "list", "--account", "vatel-prod", "--limit", "5", "--json").stdout)
    assert len(limited) == 5 and {c["account"] for c in limited} == {"vatel-prod"}

    one = json.loads(cv(p, "calls", "show", limited[0]["provider_call_id"], "--json").stdout)
    assert list(one.keys()) == CONTRACT_KEYS + ["transcript"]
    assert one["provider"] == "vatel"
    if one["transcript"]:
        assert set(one["transcript"][0]) == {"start_s", "end_s", "speaker", "kind", "text", "tool_name"}

    # full-text search finds a word from a transcript
    word = next(w for c in calls for w in (c["summary"] or "").split() if len(w) > 6 and w.isalpha())
    found = json.loads(cv(p, "calls", "list", "--search", word, "--json").stdout)
    assert found and all(word.lower() in json.dumps(
        json.loads(cv(p, "calls", "show", f["provider_call_id"], "--account", f["account"], "--json").stdout)
    ).lower() for f in found[:3])

    with_rec = next(c for c in calls if c["has_recording"])
    out = tmp_path / "rec.wav"
    proc = cv(p, "calls", "recording", with_rec["provider_call_id"], "--account", with_rec["account"],
              "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes()[:4] == b"RIFF"

    text = cv(p, "calls", "show", with_rec["provider_call_id"], "--account", with_rec["account"]).stdout
    assert with_rec["provider_call_id"] in text

    # remove: the account, its calls and its keyring entry
    for answer in ("", "n\n"):  # no terminal, no --yes, no "y" on stdin: refuses
        proc = cv(p, "accounts", "remove", "vatel-prod", stdin=answer)
        assert_one_clean_line(proc)
    proc = cv(p, "accounts", "remove", "callab-prod", "--yes")
    assert proc.returncode == 0, proc.stderr
    proc = cv(p, "accounts", "remove", "vatel-prod", stdin="y\n")  # `echo y | callviewer ...`
    assert proc.returncode == 0, proc.stderr
    import keyring

    profile_id = (p / "profile-id").read_text().strip()
    assert keyring.get_password("callviewer", f"{profile_id}:vatel-prod") is None
    assert keyring.get_password("callviewer", f"{profile_id}:callab-prod") is None
    assert keyring.get_password("callviewer", f"{profile_id}:atlas-prod") == SIM_KEYS["atlas"]
    remaining = json.loads(cv(p, "calls", "list", "--json").stdout)
    assert {c["provider"] for c in remaining} == {"atlas"}

    # no key anywhere in the profile folder (database, logs, settings)
    for f in p.rglob("*"):
        if f.is_file():
            blob = f.read_bytes()
            for key in (canary, *SIM_KEYS.values()):
                assert key.encode() not in blob, f"key found in {f}"
