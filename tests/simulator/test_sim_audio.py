"""Simulator recordings: real stereo WAVs whose speech lines up with the transcript."""

from __future__ import annotations

import io
import time
import wave
from array import array
from pathlib import Path

import pytest

from callviewer.simulator import Simulator
from callviewer.simulator.audio import SAMPLE_RATE, VoiceBank, long_call, stereo_wav


@pytest.fixture(scope="module")
def sim() -> Simulator:
    return Simulator(calls_per_provider=60, seed=5)


def read_wav(data: bytes) -> tuple[wave._wave_params, array]:
    with wave.open(io.BytesIO(data), "rb") as w:
        params = w.getparams()
        frames = w.readframes(w.getnframes())
    samples = array("h")
    samples.frombytes(frames)
    return params, samples


def peak(samples: array, channel: int, start_s: float, end_s: float) -> int:
    a, b = int(start_s * SAMPLE_RATE), int(end_s * SAMPLE_RATE)
    chunk = samples[2 * a + channel: 2 * b + channel: 2]
    return max((abs(x) for x in chunk), default=0)


def recorded_ids(sim: Simulator, provider: str) -> list[str]:
    return [i for i in sim.call_ids(provider) if sim.spec(provider, i).has_recording]


@pytest.mark.parametrize("provider", ["atlas", "callab", "vatel"])
def test_recording_is_stereo_wav_covering_the_transcript(sim: Simulator, provider: str) -> None:
    for call_id in recorded_ids(sim, provider)[:4]:
        spec = sim.spec(provider, call_id)
        params, samples = read_wav(sim.recording_bytes(provider, call_id))
        assert (params.nchannels, params.sampwidth, params.framerate) == (2, 2, SAMPLE_RATE)
        seconds = params.nframes / params.framerate
        last_end = max(t.end for t in spec.turns)
        assert seconds >= last_end
        assert abs(seconds - spec.duration) < 0.01
        for t in spec.turns:
            if t.kind != "speech":
                continue
            ch = 0 if t.speaker == "agent" else 1
            # the speaker's channel has speech in the turn's window, the other channel is silent
            assert peak(samples, ch, t.start, t.end) > 2000, (call_id, t.text)
            assert peak(samples, 1 - ch, t.start + 0.01, t.end - 0.01) == 0


def test_recording_matches_the_provider_transcript_times(sim: Simulator) -> None:
    call_id = recorded_ids(sim, "callab")[0]
    raw = sim.raw_call("callab", call_id)
    _, samples = read_wav(sim.recording_bytes("callab", call_id))
    for turn in raw["transcript_object"]:
        if turn["role"] in ("agent", "user"):
            ch = 0 if turn["role"] == "agent" else 1
            assert peak(samples, ch, turn["words"][0]["start"], turn["words"][-1]["end"]) > 2000


def test_calls_without_recording(sim: Simulator) -> None:
    ids = [i for i in sim.call_ids("atlas") if not sim.spec("atlas", i).has_recording]
    assert ids
    assert all(sim.recording_bytes("atlas", i) is None for i in ids)
    assert sim.recording_bytes("atlas", "no-such-call") is None


def test_a_three_minute_call_builds_fast() -> None:
    bank = VoiceBank()
    clip_a = bank.clip("agent", "greet_dental")
    clip_c = bank.clip("customer", "vm_greeting")
    placements = []
    t = 0.5
    while t < 175:
        placements.append((0, t, clip_a))
        t += len(clip_a) / SAMPLE_RATE + 0.5
        placements.append((1, t, clip_c))
        t += len(clip_c) / SAMPLE_RATE + 0.5
    t0 = time.perf_counter()
    data = stereo_wav(placements, 181.0)
    took = time.perf_counter() - t0
    assert took < 2.0  # a guard against a per-sample Python loop (~50x slower), not a budget
    params, _ = read_wav(data)
    assert params.nframes == 181 * SAMPLE_RATE


def test_recordings_are_cached(sim: Simulator) -> None:
    call_id = recorded_ids(sim, "vatel")[1]
    assert sim.recording_bytes("vatel", call_id) is sim.recording_bytes("vatel", call_id)


def test_long_call_for_benchmarks(tmp_path: Path) -> None:
    out = tmp_path / "long.wav"
    t0 = time.perf_counter()
    turns = long_call(out, minutes=30)
    took = time.perf_counter() - t0
    assert took < 10
    with wave.open(str(out), "rb") as w:
        assert w.getnchannels() == 2 and w.getframerate() == SAMPLE_RATE and w.getsampwidth() == 2
        assert w.getnframes() == 30 * 60 * SAMPLE_RATE
        t = turns[len(turns) // 2]
        w.setpos(int(t["start"] * SAMPLE_RATE))
        chunk = array("h")
        chunk.frombytes(w.readframes(int((t["end"] - t["start"]) * SAMPLE_RATE)))
    ch = 0 if t["speaker"] == "agent" else 1
    assert max(abs(x) for x in chunk[ch::2]) > 2000
    assert turns[-1]["end"] <= 30 * 60


def test_missing_voice_bank_falls_back_to_a_synthetic_voice(tmp_path: Path) -> None:
    bank = VoiceBank(tmp_path)
    assert not bank.has_clip("agent", "greet_dental")
    d = bank.duration("agent", "greet_dental")
    clip = bank.clip("agent", "greet_dental")
    assert d > 1 and len(clip) == round(d * SAMPLE_RATE)
    assert max(abs(x) for x in clip) > 2000
    sim = Simulator(calls_per_provider=5, seed=2, voices=bank)
    call_id = next(i for i in sim.call_ids("vatel") if sim.spec("vatel", i).has_recording)
    params, _ = read_wav(sim.recording_bytes("vatel", call_id))
    assert params.nchannels == 2
