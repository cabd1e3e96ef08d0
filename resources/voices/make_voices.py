#!/usr/bin/env python3
"""Render the simulator's phrase bank into the two voice files the simulator mixes recordings from.

    python resources/voices/make_voices.py          # needs espeak-ng and sox on PATH

Every phrase of `callviewer/simulator/phrases.py` is spoken with espeak-ng (agent and customer
have different voices), trimmed of leading/trailing silence, normalized, resampled to 8 kHz mono
and stored as 8-bit unsigned PCM (what a phone line carries anyway, and half the size of 16-bit).
The clips of one speaker are concatenated into `agent.wav` / `customer.wav`; `index.json` records
each clip's offset and length in frames and the text it was rendered from, so the simulator can
tell a stale clip from a current one. The output is deterministic for a given espeak-ng/sox build.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import wave
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

from callviewer.simulator import phrases  # noqa: E402

SAMPLE_RATE = 8000
VOICES = {
    # speaker: (espeak-ng voice, words per minute, pitch 0-99)
    "agent": ("en-us+m3", 168, 45),
    "customer": ("en-us+f2", 172, 60),
}
SIZE_LIMIT = 6 * 1024 * 1024


def render(speaker: str, key: str, text: str, tmp: Path) -> bytes:
    voice, wpm, pitch = VOICES[speaker]
    raw = tmp / f"{speaker}-{key}.raw.wav"
    out = tmp / f"{speaker}-{key}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(wpm), "-p", str(pitch), "-w", str(raw), text],
                   check=True, capture_output=True)
    subprocess.run([
        "sox", "-V1", "-D", str(raw), "-r", str(SAMPLE_RATE), "-c", "1", "-b", "8", "-e", "unsigned-integer",
        str(out),
        # trim silence at both ends (keep 40 ms), then normalize to -1 dBFS
        "silence", "1", "0.02", "0.3%", "reverse", "silence", "1", "0.02", "0.3%", "reverse",
        "pad", "0.04", "0.04", "norm", "-1",
    ], check=True, capture_output=True)
    with wave.open(str(out), "rb") as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 1 and w.getframerate() == SAMPLE_RATE
        return w.readframes(w.getnframes())


def main() -> int:
    for tool in ("espeak-ng", "sox"):
        if not shutil.which(tool):
            print(f"make_voices: {tool} is not installed", file=sys.stderr)
            return 1
    index = {"sample_rate": SAMPLE_RATE, "sample_width": 1, "encoding": "u8", "speakers": {}}
    total = 0
    with tempfile.TemporaryDirectory() as td, ThreadPoolExecutor(max_workers=8) as pool:
        tmp = Path(td)
        for speaker, bank in phrases.SPEAKERS.items():
            keys = list(bank)
            futures = [pool.submit(render, speaker, k, phrases.text_of(speaker, k), tmp) for k in keys]
            clips = {}
            data = bytearray()
            for key, fut in zip(keys, futures, strict=True):
                pcm = fut.result()
                clips[key] = {"offset": len(data), "frames": len(pcm), "text": phrases.text_of(speaker, key)}
                data += pcm
            fname = f"{speaker}.wav"
            with wave.open(str(HERE / fname), "wb") as w:
                w.setnchannels(1)
                w.setsampwidth(1)
                w.setframerate(SAMPLE_RATE)
                w.writeframes(bytes(data))
            voice, wpm, pitch = VOICES[speaker]
            index["speakers"][speaker] = {"file": fname, "voice": voice, "wpm": wpm, "pitch": pitch,
                                          "clips": clips}
            total += len(data)
            print(f"{speaker}: {len(keys)} phrases, {len(data) / SAMPLE_RATE:.1f} s", file=sys.stderr)
    (HERE / "index.json").write_text(json.dumps(index, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"total {total / 1024 / 1024:.2f} MB of audio", file=sys.stderr)
    if total > SIZE_LIMIT:
        print("make_voices: the bank is larger than 6 MB; shorten the phrase bank", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
