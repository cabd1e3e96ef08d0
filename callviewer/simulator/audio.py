"""Audio for the simulator: the voice bank, stereo call recordings, and long files for benchmarks.

Recordings are 8 kHz 16-bit stereo PCM WAV (left = agent, right = customer). A recording is mixed
by placing phrase clips at their turn times into one `array('h')`, which is C-speed slice work:
a 3-minute call builds in a few milliseconds. Pure stdlib (no numpy, no audioop).
"""

from __future__ import annotations

import json
import math
import random
import struct
import sys
import threading
import wave
from array import array
from collections.abc import Iterable
from pathlib import Path

from callviewer.resources import resource_path
from callviewer.simulator import phrases

SAMPLE_RATE = 8000
CHANNELS = {"agent": 0, "customer": 1}
_XOR80 = bytes(b ^ 0x80 for b in range(256))
_LITTLE = sys.byteorder == "little"


def wav_header(frames: int, channels: int = 2, rate: int = SAMPLE_RATE, width: int = 2) -> bytes:
    """A canonical 44-byte PCM WAV header for `frames` frames."""
    data = frames * channels * width
    return struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + data, b"WAVE", b"fmt ", 16, 1, channels, rate,
                       rate * channels * width, channels * width, width * 8, b"data", data)


def _pcm16(samples: array) -> bytes:
    if not _LITTLE:
        samples = array("h", samples)
        samples.byteswap()
    return samples.tobytes()


def _estimate_duration(text: str) -> float:
    return round(0.25 + 0.062 * len(text), 3)


def _synthetic_clip(speaker: str, frames: int) -> array:
    """A stand-in 'voice' (a buzzing tone with syllable-like bursts) for a phrase with no clip."""
    f0 = 125.0 if speaker == "agent" else 210.0
    out = array("h", [0]) * frames
    w = 2 * math.pi * f0 / SAMPLE_RATE
    syll = SAMPLE_RATE // 5
    for i in range(frames):
        env = math.sin(math.pi * (i % syll) / syll)
        out[i] = int(9000 * env * (math.sin(w * i) + 0.4 * math.sin(3 * w * i)))
    return out


class VoiceBank:
    """Clips of the phrase bank, per speaker. Only `index.json` is read until a clip is needed."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = Path(directory) if directory is not None else resource_path("voices")
        self._lock = threading.Lock()
        self._index: dict | None = None
        self._pcm: dict[str, bytes] = {}
        self._clips: dict[tuple[str, str], array] = {}
        self._durations: dict[tuple[str, str], float] = {}

    def _load_index(self) -> dict:
        if self._index is None:
            try:
                self._index = json.loads((self.directory / "index.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                self._index = {"speakers": {}}
        return self._index

    def _clip_info(self, speaker: str, key: str) -> dict | None:
        info = self._load_index().get("speakers", {}).get(speaker, {}).get("clips", {}).get(key)
        if info is None or info.get("text") != phrases.text_of(speaker, key):
            return None  # missing or rendered from an older text: stale
        return info

    def has_clip(self, speaker: str, key: str) -> bool:
        return self._clip_info(speaker, key) is not None

    def duration(self, speaker: str, key: str) -> float:
        """Seconds of the phrase's clip (an estimate when the bank has no current clip for it)."""
        k = (speaker, key)
        d = self._durations.get(k)
        if d is None:
            info = self._clip_info(speaker, key)
            rate = self._load_index().get("sample_rate", SAMPLE_RATE)
            d = info["frames"] / rate if info else _estimate_duration(phrases.text_of(speaker, key))
            self._durations[k] = d
        return d

    def frames(self, speaker: str, key: str) -> int:
        return int(round(self.duration(speaker, key) * SAMPLE_RATE))

    def _speaker_pcm(self, speaker: str) -> bytes | None:
        if speaker not in self._pcm:
            sp = self._load_index().get("speakers", {}).get(speaker)
            pcm = None
            if sp:
                try:
                    with wave.open(str(self.directory / sp["file"]), "rb") as w:
                        if w.getnchannels() == 1 and w.getframerate() == SAMPLE_RATE and w.getsampwidth() in (1, 2):
                            raw = w.readframes(w.getnframes())
                            if w.getsampwidth() == 1:  # unsigned 8-bit -> signed 16-bit, high byte only
                                out = bytearray(2 * len(raw))
                                out[1::2] = raw.translate(_XOR80)
                                raw = bytes(out)
                            pcm = raw
                except (OSError, EOFError, wave.Error):
                    pcm = None
            self._pcm[speaker] = pcm
        return self._pcm[speaker]

    def clip(self, speaker: str, key: str) -> array:
        """The phrase's samples (16-bit mono, 8 kHz), exactly `frames(speaker, key)` long."""
        k = (speaker, key)
        c = self._clips.get(k)
        if c is not None:
            return c
        with self._lock:
            c = self._clips.get(k)
            if c is not None:
                return c
            info = self._clip_info(speaker, key)
            pcm = self._speaker_pcm(speaker) if info else None
            n = self.frames(speaker, key)
            if pcm is not None and info is not None:
                c = array("h")
                c.frombytes(pcm[2 * info["offset"]: 2 * (info["offset"] + info["frames"])])
                if not _LITTLE:
                    c.byteswap()
                if len(c) != n:  # the index and the file disagree: pad or cut
                    c = (c + array("h", [0]) * n)[:n]
            else:
                c = _synthetic_clip(speaker, n)
            self._clips[k] = c
            return c


_default_bank: VoiceBank | None = None
_default_lock = threading.Lock()


def default_bank() -> VoiceBank:
    """The bank in `resources/voices` (created on first use, shared)."""
    global _default_bank
    with _default_lock:
        if _default_bank is None:
            _default_bank = VoiceBank()
        return _default_bank


def mix_stereo(placements: Iterable[tuple[int, float, array]], seconds: float) -> array:
    """Interleaved stereo samples `seconds` long with each (channel, start_s, clip) placed in it."""
    n = max(0, int(round(seconds * SAMPLE_RATE)))
    buf = array("h", [0]) * (2 * n)
    for ch, start, clip in placements:
        s = int(round(start * SAMPLE_RATE))
        if s >= n:
            continue
        m = min(len(clip), n - s)
        if m <= 0:
            continue
        src = clip if m == len(clip) else clip[:m]
        buf[2 * s + ch: 2 * (s + m) + ch: 2] = src
    return buf


def stereo_wav(placements: Iterable[tuple[int, float, array]], seconds: float) -> bytes:
    """A complete stereo WAV file (bytes), see `mix_stereo`."""
    buf = mix_stereo(placements, seconds)
    return wav_header(len(buf) // 2) + _pcm16(buf)


def long_call(path: str | Path, minutes: float = 30.0, seed: int = 0,
              bank: VoiceBank | None = None) -> list[dict]:
    """Write a long stereo conversation WAV (for waveform benchmarks) to `path`, quickly.

    Agent and customer phrases alternate with short gaps. Returns the turns
    ``[{"speaker", "key", "text", "start", "end"}]``. 30 minutes (57.6 MB) takes about a second.
    """
    bank = bank or default_bank()
    rng = random.Random(seed)
    total = minutes * 60.0
    agent_keys = list(phrases.AGENT)
    cust_keys = list(phrases.CUSTOMER)
    turns: list[dict] = []
    t = 0.8
    speaker = "agent"
    while True:
        key = rng.choice(agent_keys if speaker == "agent" else cust_keys)
        d = bank.duration(speaker, key)
        if t + d > total - 0.5:
            break
        turns.append({"speaker": speaker, "key": key, "text": phrases.text_of(speaker, key),
                      "start": round(t, 3), "end": round(t + d, 3)})
        t += d + rng.uniform(0.3, 1.2)
        speaker = "customer" if speaker == "agent" else "agent"
    frames = int(round(total * SAMPLE_RATE))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # mix and write in one-minute blocks so memory stays small
    block = 60 * SAMPLE_RATE
    with open(path, "wb") as fh:
        fh.write(wav_header(frames))
        i = 0
        for b0 in range(0, frames, block):
            b1 = min(frames, b0 + block)
            buf = array("h", [0]) * (2 * (b1 - b0))
            while i < len(turns) and turns[i]["end"] * SAMPLE_RATE < b0:
                i += 1
            j = i
            while j < len(turns) and turns[j]["start"] * SAMPLE_RATE < b1:
                tr = turns[j]
                clip = bank.clip(tr["speaker"], tr["key"])
                s = int(round(tr["start"] * SAMPLE_RATE))
                lo, hi = max(s, b0), min(s + len(clip), b1)
                if hi > lo:
                    ch = CHANNELS[tr["speaker"]]
                    buf[2 * (lo - b0) + ch: 2 * (hi - b0) + ch: 2] = clip[lo - s: hi - s]
                j += 1
            fh.write(_pcm16(buf))
    return turns
