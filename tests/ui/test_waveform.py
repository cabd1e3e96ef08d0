"""compute_peaks (pure) and WaveformView (painting, seeking, loading off the UI thread)."""

from __future__ import annotations

import math
import shutil
import struct
import subprocess
import threading
import wave
from array import array
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QPalette

from callviewer.ui.waveform import (
    LOADING_TEXT, NO_RECORDING_TEXT, UNSUPPORTED_TEXT, BlockPeaks, Peaks, PeaksCancelled, WaveformError,
    WaveformView, compute_peaks,
)

RATE = 8000


def tone(seconds: float, amp: float, rate: int = RATE, freq: float = 440.0) -> list[float]:
    return [amp * math.sin(2 * math.pi * freq * i / rate) for i in range(int(seconds * rate))]


def write_wav(path: Path, channels: list[list[float]], *, rate: int = RATE, width: int = 2) -> Path:
    """Channels of floats in -1..1 → an interleaved PCM WAV of `width` bytes per sample."""
    n = len(channels[0])
    full = 2 ** (8 * width - 1)
    frames = bytearray()
    for i in range(n):
        for ch in channels:
            v = max(-full, min(full - 1, int(round(ch[i] * full))))
            if width == 1:
                frames.append(v + 128)
            else:
                frames += (v & (2 ** (8 * width) - 1)).to_bytes(width, "little")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(len(channels))
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(bytes(frames))
    return path


@pytest.fixture
def left_then_right(tmp_path) -> Path:
    """Stereo, 2 s: a tone only on the left for 1 s, then only on the right for 1 s."""
    left = tone(1, 0.5) + [0.0] * RATE
    right = [0.0] * RATE + tone(1, 0.8)
    return write_wav(tmp_path / "call.wav", [left, right])


# ----------------------------------------------------------------------------------------------
# compute_peaks


def test_stereo_peaks_show_each_speaker_in_its_lane_and_time(left_then_right):
    peaks = compute_peaks(left_then_right, 20)
    assert isinstance(peaks, Peaks)
    assert (peaks.channel_count, peaks.sample_rate, peaks.buckets, peaks.stride) == (2, RATE, 20, 1)
    assert peaks.duration_s == pytest.approx(2.0)
    left, right = peaks.channels
    for b in range(10):  # first second: the agent (left) speaks
        assert left[b][1] == pytest.approx(0.5, abs=0.01) and left[b][0] == pytest.approx(-0.5, abs=0.01)
        assert right[b] == (0.0, 0.0)
    for b in range(10, 20):  # second second: the customer (right)
        assert left[b] == (0.0, 0.0)
        assert right[b][1] == pytest.approx(0.8, abs=0.01) and right[b][0] == pytest.approx(-0.8, abs=0.01)
    assert peaks.max_abs() == pytest.approx(0.8, abs=0.01)


def test_mono(tmp_path):
    peaks = compute_peaks(write_wav(tmp_path / "m.wav", [tone(0.5, 0.25) + [0.0] * 4000]), 10)
    assert peaks.channel_count == 1 and len(peaks.channels) == 1 and peaks.buckets == 10
    assert peaks.channels[0][0][1] == pytest.approx(0.25, abs=0.01)
    assert peaks.channels[0][9] == (0.0, 0.0)
    assert peaks.duration_s == pytest.approx(1.0)


@pytest.mark.parametrize("width", [1, 3, 4])
def test_8_24_and_32_bit(tmp_path, width):
    path = write_wav(tmp_path / f"w{width}.wav", [tone(0.5, 0.6) + [0.0] * 4000, [0.0] * 4000 + tone(0.5, -0.3)],
                     width=width)
    peaks = compute_peaks(path, 4)
    tol = 0.02 if width == 1 else 0.002
    (l0, l3), (r0, r3) = (peaks.channels[0][0], peaks.channels[0][3]), (peaks.channels[1][0], peaks.channels[1][3])
    assert l0[1] == pytest.approx(0.6, abs=tol) and l0[0] == pytest.approx(-0.6, abs=tol)
    assert l3 == pytest.approx((0.0, 0.0), abs=tol)
    assert r0 == pytest.approx((0.0, 0.0), abs=tol)
    assert r3[1] == pytest.approx(0.3, abs=tol)


def test_short_file_gets_one_bucket_per_frame_at_most(tmp_path):
    peaks = compute_peaks(write_wav(tmp_path / "s.wav", [[0.5, -0.5, 0.25]]), 2000)
    assert peaks.buckets == 3
    assert peaks.channels[0] == [(0.5, 0.5), (-0.5, -0.5), (0.25, 0.25)]


def test_empty_wav_has_no_buckets(tmp_path):
    peaks = compute_peaks(write_wav(tmp_path / "e.wav", [[]]), 100)
    assert peaks.buckets == 0 and peaks.duration_s == 0


def test_truncated_wav_raises(left_then_right):
    data = left_then_right.read_bytes()
    left_then_right.write_bytes(data[: len(data) // 2])
    with pytest.raises(WaveformError, match="truncated"):
        compute_peaks(left_then_right, 100)


@pytest.mark.parametrize("content", [
    b"RIFF\x10\x00\x00\x00WAVEfmt ",  # header cut inside the fmt chunk
    b"RIFF\x24\x00\x00\x00WAVEjunk\x04\x00\x00\x00abcd",  # no fmt/data chunk
    b"this is not a wav file at all, just text" * 10,  # named .wav, not RIFF
])
def test_corrupt_wav_raises_a_clear_error(tmp_path, content):
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(WaveformError) as info:
        compute_peaks(path, 100)
    assert "WAV" in str(info.value)


def test_missing_file_raises(tmp_path):
    with pytest.raises(WaveformError, match="cannot open"):
        compute_peaks(tmp_path / "nope.wav", 10)


def test_non_wav_formats_have_no_waveform(tmp_path):
    mp3 = tmp_path / "call.mp3"
    mp3.write_bytes(b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(2000))
    assert compute_peaks(mp3, 100) is None
    # A WAV in IEEE float (codec 3), which the stdlib reader does not decode.
    body = array("f", [0.5, -0.5] * 100).tobytes()
    fmt = struct.pack("<HHIIHH", 3, 1, RATE, RATE * 4, 4, 32)
    float_wav = tmp_path / "float.wav"
    float_wav.write_bytes(b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + len(body)) + b"WAVE"
                          + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", len(body)) + body)
    assert compute_peaks(float_wav, 100) is None


def test_streaming_placeholder_size_uses_the_data_present(left_then_right):
    data = bytearray(left_then_right.read_bytes())
    assert data[36:40] == b"data"
    data[40:44] = b"\xff\xff\xff\xff"
    left_then_right.write_bytes(bytes(data))
    peaks = compute_peaks(left_then_right, 20)
    assert peaks.duration_s == pytest.approx(2.0)
    assert peaks.channels[1][15][1] == pytest.approx(0.8, abs=0.01)


def test_cancel_stops_the_computation(left_then_right):
    with pytest.raises(PeaksCancelled):
        compute_peaks(left_then_right, 20, cancelled=lambda: True)


def write_long_stereo(path: Path, minutes: int, rate: int = RATE) -> Path:
    """30-minute-ish stereo 16-bit: left 0.5-tone, silent, 0.25-tone (a third each); right 0.8 in the middle."""
    def second(amp: float) -> array:
        return array("h", (int(amp * 32767 * math.sin(2 * math.pi * 440 * i / rate)) for i in range(rate)))
    silent = array("h", bytes(2 * rate))
    blocks = {}
    for lamp, ramp in ((0.5, 0.0), (0.0, 0.8), (0.25, 0.0)):
        inter = array("h", bytes(4 * rate))
        inter[0::2] = second(lamp) if lamp else silent
        inter[1::2] = second(ramp) if ramp else silent
        blocks[(lamp, ramp)] = inter.tobytes()
    third = minutes * 60 // 3
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(rate)
        for key in ((0.5, 0.0), (0.0, 0.8), (0.25, 0.0)):
            w.writeframesraw(blocks[key] * third)
    return path


def test_thirty_minute_stereo_8khz_is_correct(tmp_path):
    path = write_long_stereo(tmp_path / "long.wav", 30)
    peaks = compute_peaks(path, 180)  # 10 s per bucket
    assert peaks.duration_s == pytest.approx(1800.0)
    assert peaks.buckets == 180 and peaks.stride > 1  # long: sampled with a stride
    left, right = peaks.channels
    for b in range(180):
        part = b // 60  # which third
        lamp, ramp = ((0.5, 0.0), (0.0, 0.8), (0.25, 0.0))[part]
        for (lo, hi), amp in ((left[b], lamp), (right[b], ramp)):
            if amp == 0:
                assert (lo, hi) == (0.0, 0.0), b
            else:  # a strided look still finds the tone's peaks to within 3 %
                assert amp * 0.97 <= hi <= amp + 1e-3, (b, hi)
                assert -amp - 1e-3 <= lo <= -amp * 0.97, (b, lo)


# ----------------------------------------------------------------------------------------------
# WaveformView


@pytest.fixture
def view(qtbot):
    v = WaveformView()
    v.resize(400, 100)
    qtbot.addWidget(v)
    v.show()
    qtbot.waitExposed(v)
    return v


def test_view_loads_off_the_ui_thread_and_delivers_on_it(view, qtbot, tmp_path, left_then_right):
    threads = []
    view.peaksLoaded.connect(lambda _p: threads.append(threading.current_thread()))
    with qtbot.waitSignal(view.peaksLoaded, timeout=10_000) as blocker:
        view.load(left_then_right)
        assert view.placeholder_text() == LOADING_TEXT and view.is_loading()
    assert isinstance(blocker.args[0], Peaks)
    assert threads == [threading.main_thread()]
    assert view.peaks() is blocker.args[0] and view.placeholder_text() == ""
    assert not view.is_loading()
    assert view.duration() == pytest.approx(2.0)


def test_load_returns_at_once_for_a_long_file(view, qtbot, tmp_path):
    path = write_long_stereo(tmp_path / "long.wav", 30)
    with qtbot.waitSignal(view.peaksLoaded, timeout=20_000):
        view.load(path)
        # the work (~0.3-0.5 s) is on the worker thread: load returned before the peaks exist
        assert view.is_loading() and view.peaks() is None
    assert view.peaks().duration_s == pytest.approx(1800)


def test_latest_load_wins(view, qtbot, tmp_path, left_then_right):
    long = write_long_stereo(tmp_path / "long.wav", 30)
    mono = write_wav(tmp_path / "mono.wav", [tone(0.5, 0.3)])
    got = []
    view.peaksLoaded.connect(got.append)
    view.load(long)
    view.load(mono)
    qtbot.waitUntil(lambda: len(got) == 1, timeout=20_000)
    assert got[0].channel_count == 1 and view.peaks() is got[0]
    # The pool has one worker: once a job queued after both has been delivered, the cancelled long
    # computation has ended and its result has had every chance to arrive. It must not have.
    runner = view._loader._runner
    delivered = []
    runner.finished.connect(lambda token, _r, _e: delivered.append(token))
    sentinel = runner.submit(lambda: None)
    qtbot.waitUntil(lambda: sentinel in delivered, timeout=20_000)
    assert len(got) == 1 and view.peaks().channel_count == 1


def test_without_the_qt_decoder_non_wav_shows_not_available(qtbot, tmp_path):
    view = WaveformView(decode_with_qt=False)
    qtbot.addWidget(view)
    mp3 = tmp_path / "call.mp3"
    mp3.write_bytes(b"ID3" + bytes(100))
    with qtbot.waitSignal(view.peaksLoaded, timeout=10_000) as blocker:
        view.load(mp3)
    assert blocker.args == [None]
    assert view.placeholder_text() == UNSUPPORTED_TEXT
    view.grab()  # paints the placeholder


def test_corrupt_files_show_a_clear_placeholder(view, qtbot, tmp_path):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"garbage" * 50)
    with qtbot.waitSignal(view.loadFailed, timeout=10_000) as blocker:
        view.load(bad)
    assert "not a valid WAV" in blocker.args[0]
    assert view.placeholder_text().startswith("Waveform unavailable: ")
    junk = tmp_path / "notes.mp3"  # not WAV, so Qt's decoder gets it, and refuses it
    junk.write_text("meeting notes, not audio\n" * 50)
    with qtbot.waitSignal(view.loadFailed, timeout=10_000) as blocker:
        view.load(junk)
    assert blocker.args[0].startswith("cannot decode notes.mp3")
    assert not view.is_loading()
    view.grab()
    view.clear()
    assert view.placeholder_text() == NO_RECORDING_TEXT


def float_wav(path: Path, channels: list[list[float]], rate: int = RATE, repeat: int = 1) -> Path:
    """An IEEE-float WAV (codec 3), which the stdlib `wave` module does not read."""
    inter = array("f", [v for frame in zip(*channels) for v in frame])
    body = inter.tobytes() * repeat
    nch = len(channels)
    fmt = struct.pack("<HHIIHHH", 3, nch, rate, rate * 4 * nch, 4 * nch, 32, 0)
    fact = struct.pack("<I", len(channels[0]) * repeat)
    path.write_bytes(b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + 4 + 8 + len(body)) + b"WAVE"
                     + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"fact" + struct.pack("<I", 4) + fact
                     + b"data" + struct.pack("<I", len(body)) + body)
    return path


def test_other_formats_are_decoded_by_qt_off_the_ui_thread(view, qtbot, tmp_path):
    path = float_wav(tmp_path / "float.wav", [tone(1, 0.5) + [0.0] * RATE, [0.0] * RATE + tone(1, 0.8)])
    assert compute_peaks(path, 10) is None  # not for the stdlib reader…
    threads = []
    view.peaksLoaded.connect(lambda _p: threads.append(threading.current_thread()))
    with qtbot.waitSignal(view.peaksLoaded, timeout=10_000) as blocker:
        view.load(path)
    peaks = blocker.args[0]  # …but Qt's decoder reads it
    assert threads == [threading.main_thread()]
    assert peaks.channel_count == 2 and peaks.duration_s == pytest.approx(2.0, abs=0.01)
    n = peaks.buckets
    assert n > 100
    left, right = peaks.channels
    assert left[n // 4][1] == pytest.approx(0.5, abs=0.01) and right[n // 4] == (0.0, 0.0)
    assert right[3 * n // 4][1] == pytest.approx(0.8, abs=0.01) and left[3 * n // 4] == (0.0, 0.0)


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs the ffmpeg tool to make an MP3")
def test_mp3_is_decoded(view, qtbot, tmp_path, left_then_right):
    mp3 = tmp_path / "call.mp3"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(left_then_right), "-b:a", "64k", str(mp3)],
                   check=True, timeout=60)
    with qtbot.waitSignal(view.peaksLoaded, timeout=10_000) as blocker:
        view.load(mp3)
    peaks = blocker.args[0]
    n = peaks.buckets
    left, right = peaks.channels
    assert left[n // 4][1] == pytest.approx(0.5, abs=0.05) and abs(right[n // 4][1]) < 0.05
    assert right[3 * n // 4][1] == pytest.approx(0.8, abs=0.05) and abs(left[3 * n // 4][1]) < 0.05


def test_a_newer_load_cancels_a_running_decode(qtbot, tmp_path, left_then_right):
    view = WaveformView()
    qtbot.addWidget(view)
    long_float = float_wav(tmp_path / "long.wav", [tone(1, 0.5, freq=300)], repeat=1800)  # 30 min to decode
    got = []
    view.peaksLoaded.connect(got.append)
    view.load(long_float)
    qtbot.waitUntil(lambda: bool(view._loader._threads), timeout=10_000)  # the decoder is running
    view.load(left_then_right)
    qtbot.waitUntil(lambda: len(got) == 1, timeout=10_000)
    assert got[0].channel_count == 2 and got[0].duration_s == pytest.approx(2.0)
    qtbot.waitUntil(lambda: not view._loader._threads, timeout=10_000)  # it stopped and was reaped
    assert len(got) == 1


def test_closing_the_view_mid_decode_stops_the_thread(qtbot, tmp_path):
    view = WaveformView()
    path = float_wav(tmp_path / "long.wav", [tone(1, 0.5, freq=300)], repeat=1800)
    view.load(path)
    qtbot.waitUntil(lambda: bool(view._loader._threads), timeout=10_000)
    threads = list(view._loader._threads)
    view.deleteLater()
    qtbot.waitUntil(lambda: all(t.isFinished() for t in threads), timeout=10_000)


def test_block_peaks_match_compute_peaks(left_then_right):
    with wave.open(str(left_then_right)) as w:
        data = w.readframes(w.getnframes())
    acc = BlockPeaks(2, RATE, 20, expected_frames=2 * RATE)
    for i in range(0, len(data), 4 * 333):  # odd-sized buffers, as a decoder hands them out
        acc.add(data[i:i + 4 * 333], "Int16")
    peaks = acc.finish()
    assert peaks.buckets == 20 and peaks.duration_s == pytest.approx(2.0)
    assert peaks.channels == compute_peaks(left_then_right, 20).channels
    with pytest.raises(WaveformError):
        acc.add(b"\x00" * 3, "Int16")
    with pytest.raises(WaveformError):
        acc.add(b"\x00" * 4, "Double")


def test_lanes_are_labelled_and_configurable(view, left_then_right, tmp_path):
    view.set_peaks(compute_peaks(left_then_right, 100))
    assert view.lane_labels() == ("Agent", "Customer")
    assert "Agent" in view.accessibleDescription() and "Customer" in view.accessibleDescription()
    view.set_lane_labels(["Bot", "Caller"])
    view.set_peaks(compute_peaks(left_then_right, 100))
    assert "Bot" in view.accessibleDescription()
    view.set_peaks(compute_peaks(write_wav(tmp_path / "m.wav", [tone(0.1, 0.3)]), 100))
    assert "Bot" not in view.accessibleDescription()  # a mono lane carries no speaker label
    assert view.accessibleName() == "Waveform"


def _color(img, x, y) -> QColor:
    return QColor(img.pixel(x, y))


@pytest.mark.parametrize("dark", [False, True])
def test_painting_played_part_lanes_and_palette(view, left_then_right, dark):
    if dark:
        pal = view.palette()
        pal.setColor(QPalette.ColorRole.Base, QColor("#1e1e1e"))
        pal.setColor(QPalette.ColorRole.Text, QColor("#e0e0e0"))
        pal.setColor(QPalette.ColorRole.Highlight, QColor("#3daee9"))
        view.setPalette(pal)
    view.set_lane_labels(["", ""])  # keep the corners free of label boxes for the pixel checks
    view.set_peaks(compute_peaks(left_then_right, 400))
    view.set_position(1.5)  # 75 % played
    img = view.grab().toImage()
    pal = view.palette()
    base, highlight = pal.color(QPalette.ColorRole.Base), pal.color(QPalette.ColorRole.Highlight)
    w, h = img.width(), img.height()
    top_mid, bottom_mid = h // 4, 3 * h // 4
    assert _color(img, 2, 2) == base  # background from the palette
    assert _color(img, w // 4, top_mid - 8) == highlight  # agent spoke first, played
    assert _color(img, w // 4, bottom_mid - 8) == base  # customer silent then
    assert _color(img, int(w * 0.6), bottom_mid - 8) == highlight  # customer, played
    unplayed = _color(img, int(w * 0.9), bottom_mid - 8)  # customer, not played yet
    assert unplayed not in (base, highlight)
    assert _color(img, int(w * 0.9), top_mid - 8) == base  # agent silent then


def test_lane_labels_sit_on_an_opaque_tag_over_peaks_and_playhead(view, tmp_path):
    """QA: "Customer" was drawn over the peaks (on a see-through box) and hard to read."""
    loud = write_wav(tmp_path / "loud.wav", [tone(2, 1.0), tone(2, 1.0)])  # both lanes full
    fm = view.fontMetrics()
    lane_h = view.height() / 2

    def pad_pixel(lane: int, label: str) -> tuple[int, int]:
        """A pixel of the tag's right padding (between the text and the tag's edge)."""
        return int(3.5 + fm.horizontalAdvance(label) + 6), int(lane * lane_h + 2.5 + (fm.height() + 1) / 2)

    spots = [pad_pixel(0, "Agent"), pad_pixel(1, "Customer")]
    view.set_peaks(compute_peaks(loud, 400))
    base = view.palette().color(QPalette.ColorRole.Base)
    for x, y in spots:
        view.set_position(x / (view.width() - 1) * 2.0)  # the playhead runs through the tag
        assert view._x_of(view.position()) == x
        img = view.grab().toImage()
        assert _color(img, x, y) == base  # the tag covers peaks and playhead
        view.set_lane_labels(["", ""])
        assert _color(view.grab().toImage(), x, y) != base  # (there is something to cover)
        view.set_lane_labels(["Agent", "Customer"])
    view.set_lane_labels(["Ag\u202eent", "Customer"])  # provider text: shown, never obeyed
    assert "Ag[U+202E]ent" in view.accessibleDescription() and "\u202e" not in view.accessibleDescription()


def test_click_and_drag_request_seeks(view, qtbot, left_then_right):
    view.set_peaks(compute_peaks(left_then_right, 100))
    seeks = []
    view.seekRequested.connect(seeks.append)
    w = view.width()
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint((w - 1) // 2, 50))
    assert seeks[-1] == pytest.approx(1.0, abs=0.02)
    assert view.position() == pytest.approx(seeks[-1])
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=QPoint(10, 50))
    qtbot.mouseMove(view, QPoint((w - 1) // 4, 50))
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=QPoint((w - 1) // 4, 50))
    assert seeks[-1] == pytest.approx(0.5, abs=0.02)
    assert len(seeks) >= 3


def test_no_seek_without_a_duration(view, qtbot):
    seeks = []
    view.seekRequested.connect(seeks.append)
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(100, 50))
    assert seeks == []
    view.set_duration(60.0)  # e.g. an MP3: no peaks, but the player knows the length
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(view.width() - 1, 50))
    assert seeks == [pytest.approx(60.0)]
