"""Benchmark: compute_peaks on 30-minute stereo WAVs, and the UI thread's responsiveness meanwhile.

    python bench/bench_waveform.py [--minutes 30] [--buckets 2000] [--runs 3]

Prints figures; asserts nothing. Runs offscreen (no display needed).
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import struct
import sys
import tempfile
import time
import wave
from array import array
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia.*=false")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from callviewer.ui.waveform import compute_peaks  # noqa: E402


def make_wav(path: Path, rate: int, minutes: int, *, float32: bool = False) -> Path:
    """Stereo 16-bit (or 32-bit float) speech-like bursts: a warbling tone, turns between lanes."""
    code, full = ("f", 1.0) if float32 else ("h", 32767)

    def second(turn: int) -> bytes:
        left = array(code, [0]) * rate
        right = array(code, [0]) * rate
        lane = left if turn % 2 == 0 else right
        gain = 0.2 + 0.6 * ((turn * 37) % 11) / 10
        for i in range(rate):
            t = i / rate
            env = 0.5 - 0.5 * math.cos(2 * math.pi * t)
            v = full * gain * env * math.sin(2 * math.pi * (180 + 60 * math.sin(7 * t)) * t)
            lane[i] = v if float32 else int(v)
        inter = array(code, [0]) * (2 * rate)
        inter[0::2], inter[1::2] = left, right
        return inter.tobytes()
    seconds = [second(k) for k in range(8)]
    body = (seconds[(s // 4) % 8] for s in range(minutes * 60))  # 4-second turns, speakers alternate
    if float32:  # codec 3, which the stdlib `wave` module cannot write (nor read)
        size = minutes * 60 * rate * 8
        fmt = struct.pack("<HHIIHHH", 3, 2, rate, rate * 8, 8, 32, 0)
        with open(path, "wb") as fh:
            fh.write(b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + size) + b"WAVE" + b"fmt "
                     + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", size))
            for chunk in body:
                fh.write(chunk)
        return path
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        for chunk in body:
            w.writeframesraw(chunk)
    return path


def bench_compute(path: Path, buckets: int, runs: int) -> None:
    times = []
    peaks = None
    for _ in range(runs):
        t = time.perf_counter()
        peaks = compute_peaks(path, buckets)
        times.append(time.perf_counter() - t)
    assert peaks is not None
    size = path.stat().st_size / 1e6
    print(f"  {path.name}: {size:.0f} MB, {peaks.duration_s / 60:.0f} min, {peaks.sample_rate} Hz, "
          f"{peaks.channel_count} ch, stride {peaks.stride}: compute_peaks({buckets}) "
          f"min {min(times) * 1000:.0f} ms, median {statistics.median(times) * 1000:.0f} ms "
          f"(runs: {', '.join(f'{x * 1000:.0f}' for x in times)})")


def ui_gaps(path: Path, buckets: int, float_path: Path | None = None) -> None:
    """The longest gap between 10 ms QTimer ticks on the UI thread while a WaveformView loads."""
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from callviewer.ui.waveform import WaveformView

    app = QApplication.instance() or QApplication([])
    view = WaveformView(buckets=buckets)
    view.resize(900, 100)
    view.show()

    def measure(start, done_signal=None, idle_ms: int = 0) -> tuple[float, float, int]:
        clock = QElapsedTimer()
        gaps: list[int] = []
        last = [0]
        timer = QTimer()
        timer.setInterval(10)

        def tick() -> None:
            now = clock.elapsed()
            gaps.append(now - last[0])
            last[0] = now
        timer.timeout.connect(tick)
        loop = QEventLoop()
        if done_signal is not None:
            done_signal.connect(loop.quit)
        else:
            QTimer.singleShot(idle_ms, loop.quit)
        clock.start()
        timer.start()
        QTimer.singleShot(0, start)
        QTimer.singleShot(30_000, loop.quit)  # safety
        loop.exec()
        timer.stop()
        if done_signal is not None:
            done_signal.disconnect(loop.quit)
        return clock.elapsed() / 1000, max(gaps) if gaps else float("nan"), len(gaps)

    wall, gap, ticks = measure(lambda: None, idle_ms=500)
    print(f"  idle UI thread: max gap between 10 ms ticks {gap} ms over {wall:.2f} s ({ticks} ticks)")
    wall, gap, ticks = measure(lambda: view.load(path), view.peaksLoaded)
    print(f"  WaveformView.load({path.name}) on a worker: result after {wall * 1000:.0f} ms, "
          f"max UI gap {gap} ms ({ticks} ticks)")
    for _ in range(3):  # the same, with the view painting the result and being resized meanwhile
        wall, gap, ticks = measure(lambda: (view.load(path), view.resize(view.width() - 10, 100)), view.peaksLoaded)
    print(f"  load + repaint, warm: result after {wall * 1000:.0f} ms, max UI gap {gap} ms")
    if float_path is not None:
        wall, gap, ticks = measure(lambda: view.load(float_path), view.peaksLoaded)
        print(f"  WaveformView.load({float_path.name}) through Qt's decoder (float WAV, like MP3/OGG): "
              f"result after {wall * 1000:.0f} ms, max UI gap {gap} ms")
    t = time.perf_counter()
    view.grab()
    print(f"  one full repaint of the loaded waveform at 900 px: {(time.perf_counter() - t) * 1000:.1f} ms")
    t = time.perf_counter()
    compute_peaks(path, buckets)
    print(f"  for contrast, on the UI thread it would freeze the UI for {(time.perf_counter() - t) * 1000:.0f} ms")
    view.close()
    view.deleteLater()
    app.processEvents()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=int, default=30)
    ap.add_argument("--buckets", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="bench-waveform-") as tmp:
        files = []
        for rate in (8000, 16000):
            t = time.perf_counter()
            files.append(make_wav(Path(tmp) / f"stereo-{rate // 1000}k-{args.minutes}min.wav", rate, args.minutes))
            print(f"generated {files[-1].name} in {time.perf_counter() - t:.1f} s")
        print("compute_peaks:")
        for f in files:
            bench_compute(f, args.buckets, args.runs)
        float_wav = make_wav(Path(tmp) / f"stereo-8k-{args.minutes}min-float.wav", 8000, args.minutes, float32=True)
        print("UI responsiveness:")
        ui_gaps(files[-1], args.buckets, float_wav)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
