"""Recording waveforms: peaks computed off the UI thread, painted with plain QPainter.

`compute_peaks` is pure Python (stdlib `wave` and buffers, no Qt) and fast: a 30-minute stereo
16-bit WAV takes about 0.3 s. Long files are read completely but only every n-th frame is examined
(n an odd prime, so a steady tone cannot hide between the examined frames); files up to
`DEFAULT_SAMPLE_BUDGET` frames (8 min at 8 kHz) are examined frame by frame.

`WaveformView` paints one lane per channel (stereo call recordings: left = the agent, right = the
customer), the played part in the highlight colour and a playhead; clicking or dragging asks for a
seek. `WaveformView.load(path)` computes the peaks on a worker thread; a newer load wins.
"""

from __future__ import annotations

import logging
import math
import os
import struct
import sys
import threading
import time
import wave
from array import array
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import (
    QCoreApplication, QElapsedTimer, QEventLoop, QLineF, QObject, QPointF, QRect, QRectF, QSize, Qt, QThread,
    QTimer, QUrl, Signal, Slot,
)
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPalette, QPen, QResizeEvent
from PySide6.QtMultimedia import QAudioDecoder
from PySide6.QtWidgets import QSizePolicy, QWidget

from callviewer.display import for_screen

log = logging.getLogger(__name__)

DEFAULT_BUCKETS = 2000
#: Frames examined per channel at most; beyond it frames are sampled with a stride.
DEFAULT_SAMPLE_BUDGET = 4_000_000
#: How often (in buckets) a running computation looks at its cancel flag.
_CANCEL_CHECK_EVERY = 32

LOADING_TEXT = "Loading waveform…"
NO_RECORDING_TEXT = "No recording"
UNSUPPORTED_TEXT = "Waveform not available for this format"


class WaveformError(Exception):
    """A WAV file that cannot be read: corrupt, truncated or unreadable."""


class PeaksCancelled(Exception):
    """The computation was cancelled because a newer one superseded it."""


@dataclass(frozen=True)
class Peaks:
    """Per-bucket (min, max) sample values in -1..1, one list per channel."""

    channels: list[list[tuple[float, float]]]
    duration_s: float
    sample_rate: int
    channel_count: int
    #: 1 when every frame was examined, else the stride between examined frames.
    stride: int = 1

    @property
    def buckets(self) -> int:
        return len(self.channels[0]) if self.channels else 0

    def max_abs(self) -> float:
        """The loudest peak over all channels (0.0 for silence or no data)."""
        top = 0.0
        for ch in self.channels:
            for lo, hi in ch:
                top = max(top, hi, -lo)
        return top


# ----------------------------------------------------------------------------------------------
# compute_peaks (no Qt)


def _odd_prime_at_least(n: int) -> int:
    if n <= 1:
        return 1
    n = max(n, 3) | 1
    while any(n % d == 0 for d in range(3, math.isqrt(n) + 1, 2)):
        n += 2
    return n


def _fmt_time(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 60}:{s % 60:02d}"


def compute_peaks(path: str | os.PathLike[str], buckets: int = DEFAULT_BUCKETS, *,
                  sample_budget: int = DEFAULT_SAMPLE_BUDGET,
                  cancelled: Callable[[], bool] | None = None) -> Peaks | None:
    """The waveform peaks of a WAV file (PCM 8/16/24/32-bit, any channel count).

    Returns None for a file this function cannot read: not a RIFF/WAVE file (MP3, OGG, …) or a WAV
    with a codec other than integer PCM (float, µ-law, …). Raises `WaveformError` for a WAV file that
    is corrupt or truncated, or a file that cannot be opened, and `PeaksCancelled` when `cancelled()`
    turns true during the computation. Fewer buckets than asked are returned for very short files
    (never more than one bucket per frame).
    """
    if buckets < 1:
        raise ValueError("buckets must be >= 1")
    path = Path(path)
    try:
        fh = open(path, "rb")
    except OSError as e:
        raise WaveformError(f"cannot open {path.name}: {e.strerror or e}") from e
    with fh:
        head = fh.read(12)
        if not (head[:4] == b"RIFF" and head[8:12] == b"WAVE"):
            if path.suffix.lower() in (".wav", ".wave"):
                raise WaveformError(f"{path.name} is not a valid WAV file (no RIFF/WAVE header)")
            return None
        fh.seek(0)
        try:
            w = wave.open(fh)  # reads the header chunks, leaves fh at the start of the samples
            nch, width, rate, nframes = w.getnchannels(), w.getsampwidth(), w.getframerate(), w.getnframes()
        except wave.Error as e:
            if str(e).startswith("unknown format"):
                return None  # a WAV codec `wave` does not decode (float, µ-law, extensible…)
            raise WaveformError(f"corrupt WAV file: {e}") from e
        except (EOFError, struct.error, ValueError, OverflowError) as e:
            raise WaveformError(f"corrupt WAV file: the header is incomplete ({e or 'unexpected end'})") from e
        if width not in (1, 2, 3, 4):
            return None
        if rate <= 0:
            raise WaveformError(f"corrupt WAV file: sample rate {rate}")
        data_start = fh.tell()
        frame_size = nch * width
        available = (os.fstat(fh.fileno()).st_size - data_start) // frame_size
        declared_bytes = nframes * frame_size
        if declared_bytes == 0 or declared_bytes > 0xFFFFFFFF - frame_size:
            nframes = available  # a streaming writer's placeholder size: use what is there
        elif available < nframes:
            raise WaveformError(
                f"truncated WAV file: the header announces {_fmt_time(nframes / rate)} of audio, "
                f"the file holds {_fmt_time(available / rate)}")
        return _scan(fh, nch, width, rate, nframes, buckets, sample_budget, cancelled, path.name)


_YIELD_EVERY = 8


def _scan(fh, nch: int, width: int, rate: int, nframes: int, buckets: int, sample_budget: int,
          cancelled: Callable[[], bool] | None, name: str) -> Peaks:
    duration = nframes / rate
    nb = min(buckets, nframes)
    if nb == 0:
        return Peaks([[] for _ in range(nch)], duration, rate, nch, 1)
    stride = _odd_prime_at_least(math.ceil(nframes / max(sample_budget, 1)))
    frame_size = nch * width
    step = nch * stride  # in samples, within one bucket's buffer
    whole = memoryview(bytearray((nframes // nb + 1) * frame_size))  # reused for every bucket
    out: list[list[tuple[float, float]]] = [[] for _ in range(nch)]
    native = sys.byteorder == "little"
    if width == 1:
        typecode, offset, scale = "B", 128, 1 / 128
    elif width == 2:
        typecode, offset, scale = "h", 0, 1 / 32768
    elif width == 4:
        typecode, offset, scale = "i", 0, 1 / 2147483648
    else:  # 24-bit: the two high bytes of each sample make a 16-bit value
        typecode, offset, scale = "h", 0, 1 / 32768
    try:
        for b in range(nb):
            if cancelled is not None and b % _CANCEL_CHECK_EVERY == 0 and cancelled():
                raise PeaksCancelled
            if b % _YIELD_EVERY == 0:
                # Hand the GIL over on purpose: short reads release and retake it so often that a
                # waiting UI thread never gets a forced switch (the GIL "convoy effect").
                time.sleep(0)
            f0 = b * nframes // nb
            f1 = (b + 1) * nframes // nb
            size = (f1 - f0) * frame_size
            chunk = whole[:size]
            got = fh.readinto(chunk)
            if got != size:
                raise WaveformError(f"truncated WAV file: {name} ended early (it changed while being read?)")
            if width == 3:
                _peaks_24(chunk, nch, stride, offset, scale, out)
                continue
            samples = chunk.cast(typecode)
            for c in range(nch):
                sl = samples[c::step]
                if not native and width > 1:  # WAV is little-endian
                    arr = array(typecode, sl.tobytes())
                    arr.byteswap()
                    vals = arr.tolist()
                else:
                    vals = sl.tolist()
                out[c].append(((min(vals) - offset) * scale, (max(vals) - offset) * scale))
    except OSError as e:
        raise WaveformError(f"cannot read {name}: {e.strerror or e}") from e
    return Peaks(out, duration, rate, nch, stride)


def _peaks_24(chunk: memoryview, nch: int, stride: int, offset: int, scale: float,
              out: list[list[tuple[float, float]]]) -> None:
    step = nch * 3 * stride
    for c in range(nch):
        lo = chunk[c * 3 + 1::step]
        hi = chunk[c * 3 + 2::step]
        tmp = bytearray(2 * len(lo))
        if sys.byteorder == "little":
            tmp[0::2], tmp[1::2] = lo, hi
        else:
            tmp[0::2], tmp[1::2] = hi, lo
        vals = memoryview(tmp).cast("h").tolist()
        out[c].append(((min(vals) - offset) * scale, (max(vals) - offset) * scale))


class BlockPeaks:
    """Reduces decoded PCM buffers, as they arrive, to fine (min, max) blocks; then to buckets.

    Used for formats `compute_peaks` does not read (MP3, OGG, float WAV…) once a decoder has turned
    them into PCM. No Qt here: `add` takes a buffer and its sample type.
    """

    #: typecode, offset, scale per sample type name (as Qt's QAudioFormat.SampleFormat names them)
    TYPES = {"UInt8": ("B", 128, 1 / 128), "Int16": ("h", 0, 1 / 32768),
             "Int32": ("i", 0, 1 / 2147483648), "Float": ("f", 0, 1.0)}

    def __init__(self, channels: int, rate: int, buckets: int, *, expected_frames: int = 0,
                 sample_budget: int = DEFAULT_SAMPLE_BUDGET) -> None:
        if channels < 1 or rate <= 0:
            raise WaveformError(f"the decoder reported {channels} channels at {rate} Hz")
        self.channels, self.rate, self.buckets = channels, rate, buckets
        if expected_frames > 0:
            self.stride = _odd_prime_at_least(math.ceil(expected_frames / max(sample_budget, 1)))
            self.block = max(1, expected_frames // (buckets * 8))
        else:
            self.stride, self.block = 1, max(1, rate // 100)
        self.frames = 0
        self._blocks: list[list[tuple[float, float]]] = [[] for _ in range(channels)]
        self._cur: list[tuple[float, float] | None] = [None] * channels
        self._filled = 0

    def add(self, data: bytes | memoryview, sample_type: str) -> None:
        """One buffer of interleaved samples of `sample_type` ("UInt8", "Int16", "Int32", "Float")."""
        try:
            typecode, offset, scale = self.TYPES[sample_type]
        except KeyError:
            raise WaveformError(f"the decoder produced {sample_type} samples") from None
        raw = memoryview(data).cast("B")
        if len(raw) % (self.channels * struct.calcsize(typecode)):
            raise WaveformError("the decoder produced a partial frame")
        mv = raw.cast(typecode)
        nch, step = self.channels, self.channels * self.stride
        n = len(mv) // nch
        pos = 0
        while pos < n:
            take = min(n - pos, self.block - self._filled)
            for c in range(nch):
                vals = mv[pos * nch + c:(pos + take) * nch:step].tolist()
                if vals:
                    lo, hi = (min(vals) - offset) * scale, (max(vals) - offset) * scale
                    cur = self._cur[c]
                    self._cur[c] = (lo, hi) if cur is None else (min(cur[0], lo), max(cur[1], hi))
            pos += take
            self._filled += take
            if self._filled == self.block:
                self._flush()
        self.frames += n

    def _flush(self) -> None:
        for c in range(self.channels):
            lo, hi = self._cur[c] or (0.0, 0.0)
            self._blocks[c].append((max(lo, -1.0), min(hi, 1.0)))
            self._cur[c] = None
        self._filled = 0

    def finish(self) -> Peaks:
        if self._filled:
            self._flush()
        nblocks = len(self._blocks[0])
        nb = min(self.buckets, nblocks)
        out: list[list[tuple[float, float]]] = []
        for ch in self._blocks:
            col = []
            for b in range(nb):
                part = ch[b * nblocks // nb:(b + 1) * nblocks // nb]
                col.append((min(p[0] for p in part), max(p[1] for p in part)))
            out.append(col)
        return Peaks(out, self.frames / self.rate, self.rate, self.channels, self.stride)


# ----------------------------------------------------------------------------------------------
# Background work delivered back to the UI thread


class _Relay(QObject):
    """Emitted from worker threads. It has no parent: the jobs hold it, so it outlives them."""

    done = Signal(int, object, object)  # token, result, exception (one of the two is None)


class BackgroundRunner(QObject):
    """Runs callables on an executor; `finished(token, result, error)` arrives on the UI thread.

    The worker emits on a parentless relay that the job keeps alive; the relay is connected to a
    slot of this object, so Qt queues the delivery into this object's thread and drops it when this
    object is gone. Without an `executor` the runner owns a small pool, shut down when it is
    destroyed (running jobs finish; pending ones are dropped).
    """

    finished = Signal(int, object, object)

    def __init__(self, parent: QObject | None = None, *, executor: Executor | None = None,
                 workers: int = 1, name: str = "callviewer-bg") -> None:
        super().__init__(parent)
        if executor is None:
            own = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
            self.destroyed.connect(lambda *_: own.shutdown(wait=False, cancel_futures=True))
            executor = own
        self._executor = executor
        self._relay = _Relay()
        self._relay.done.connect(self._deliver)
        self._tokens = 0

    def submit(self, fn: Callable[[], object]) -> int:
        """Run `fn()` off the UI thread; returns the token that `finished` will carry."""
        self._tokens += 1
        token = self._tokens
        relay = self._relay

        def job() -> None:
            try:
                result, error = fn(), None
            except BaseException as e:  # noqa: BLE001 — handed to the UI thread, which decides
                result, error = None, e
            relay.done.emit(token, result, error)

        self._executor.submit(job)
        return token

    @Slot(int, object, object)
    def _deliver(self, token: int, result: object, error: object) -> None:
        self.finished.emit(token, result, error)


class _DecodeThread(QThread):
    """Decodes one file with QAudioDecoder (Qt's FFmpeg) in its own thread and event loop."""

    result = Signal(int, object, object, object)  # token, Peaks | None, exception | None, self

    def __init__(self, path: str | os.PathLike[str], buckets: int, token: int, cancel: threading.Event,
                 timeout_s: float) -> None:
        super().__init__()
        self.setObjectName("callviewer-decode")
        self.path, self.buckets, self.token, self.cancel, self.timeout_s = path, buckets, token, cancel, timeout_s

    def run(self) -> None:
        peaks, error = None, None
        try:
            peaks = self._decode()
        except (WaveformError, PeaksCancelled) as e:
            error = e
        except Exception as e:  # noqa: BLE001 — reported to the UI thread as a failure
            error = e
        self.result.emit(self.token, peaks, error, self)

    def _decode(self) -> Peaks:
        name = Path(self.path).name
        decoder = QAudioDecoder()
        loop = QEventLoop()
        acc: list[BlockPeaks] = []
        failure: list[BaseException] = []
        clock = QElapsedTimer()

        def on_buffer() -> None:
            if self.cancel.is_set():
                loop.quit()
                return
            buf = decoder.read()
            if not buf.isValid() or failure:
                return
            fmt = buf.format()
            try:
                if not acc:
                    expected = decoder.duration() * fmt.sampleRate() // 1000 if decoder.duration() > 0 else 0
                    acc.append(BlockPeaks(fmt.channelCount(), fmt.sampleRate(), self.buckets,
                                          expected_frames=expected))
                acc[0].add(buf.constData(), fmt.sampleFormat().name)
            except Exception as e:  # noqa: BLE001
                failure.append(e)
                loop.quit()

        def on_error(*_args: object) -> None:
            failure.append(WaveformError(f"cannot decode {name}: {decoder.errorString() or 'unknown error'}"))
            loop.quit()

        def watchdog() -> None:
            if self.cancel.is_set():
                loop.quit()
            elif clock.elapsed() > self.timeout_s * 1000:
                failure.append(WaveformError(f"decoding {name} took too long"))
                loop.quit()

        timer = QTimer()
        timer.setInterval(50)
        timer.timeout.connect(watchdog)
        ended: list[bool] = []

        def on_finished() -> None:
            ended.append(True)
            loop.quit()

        decoder.bufferReady.connect(on_buffer)
        decoder.finished.connect(on_finished)
        decoder.error.connect(on_error)
        decoder.setSource(QUrl.fromLocalFile(os.fspath(self.path)))
        clock.start()
        timer.start()
        decoder.start()
        if not (ended or failure):  # an unreadable file fails inside start(), before the loop runs
            loop.exec()
        timer.stop()
        decoder.stop()
        if self.cancel.is_set():
            raise PeaksCancelled
        if failure:
            if isinstance(failure[0], WaveformError):
                raise failure[0]
            raise WaveformError(f"cannot decode {name}: {failure[0]}") from failure[0]
        if not acc:
            raise WaveformError(f"cannot decode {name}: no audio in it")
        return acc[0].finish()


class PeaksLoader(QObject):
    """Computes peaks on a worker thread; only the newest request's result is delivered."""

    loaded = Signal(object)  # Peaks, or None when the format has no waveform
    failed = Signal(str)  # a readable reason

    def __init__(self, parent: QObject | None = None, *, executor: Executor | None = None,
                 buckets: int = DEFAULT_BUCKETS, decode_with_qt: bool = True,
                 decode_timeout_s: float = 300.0) -> None:
        super().__init__(parent)
        self._runner = BackgroundRunner(self, executor=executor, name="callviewer-waveform")
        self._runner.finished.connect(self._done)
        self._buckets = buckets
        self._decode_with_qt = decode_with_qt
        self._decode_timeout_s = decode_timeout_s
        self._cancel: threading.Event | None = None
        self._token = 0
        self._path: str | os.PathLike[str] | None = None
        # Read by the hooks below, which must not need `self` (it may be half-destroyed by then).
        running = self._running = [threading.Event()]
        self._threads: set[_DecodeThread] = set()
        threads = self._threads

        def stop_all(*_args: object) -> None:
            running[0].set()
            for t in list(threads):
                t.cancel.set()
                t.wait()  # the decoder stops within ~50 ms; a QThread must not die running
            threads.clear()

        self.destroyed.connect(stop_all)
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self._stop_threads)

    @Slot()
    def _stop_threads(self) -> None:
        self.cancel()
        for t in list(self._threads):
            t.cancel.set()
            t.wait()
        self._threads.clear()

    @property
    def busy(self) -> bool:
        return self._cancel is not None

    def load(self, path: str | os.PathLike[str]) -> None:
        """Start computing the peaks of `path`; an older computation is cancelled."""
        self.cancel()
        flag = self._cancel = self._running[0] = threading.Event()
        buckets = self._buckets
        self._path = path
        self._token = self._runner.submit(lambda: compute_peaks(path, buckets, cancelled=flag.is_set))

    def cancel(self) -> None:
        """Stop the running computation (it notices within a few milliseconds); no result comes."""
        if self._cancel is not None:
            self._cancel.set()
        self._cancel = None
        self._token = -1

    @Slot(int, object, object)
    def _done(self, token: int, result: object, error: object) -> None:
        if token != self._token:
            return  # superseded or cancelled: the latest request wins
        if error is None and result is None and self._decode_with_qt and self._cancel is not None \
                and self._path is not None:
            # Not a PCM WAV: let Qt's decoder (FFmpeg) turn it into PCM, in its own thread.
            thread = _DecodeThread(self._path, self._buckets, token, self._cancel, self._decode_timeout_s)
            thread.result.connect(self._decoded)
            self._threads.add(thread)
            thread.start(QThread.Priority.LowPriority)
            return
        self._cancel = None
        if error is None:
            self.loaded.emit(result)
        elif isinstance(error, PeaksCancelled):
            pass
        elif isinstance(error, WaveformError):
            self.failed.emit(str(error))
        else:
            log.error("waveform computation failed", exc_info=error)  # type: ignore[arg-type]
            self.failed.emit(f"unexpected error ({type(error).__name__})")


    @Slot(int, object, object, object)
    def _decoded(self, token: int, result: object, error: object, thread: _DecodeThread) -> None:
        thread.wait()  # it has emitted its last word; let it end before dropping it
        self._threads.discard(thread)
        self._done(token, result, error)


# ----------------------------------------------------------------------------------------------
# The view


class WaveformView(QWidget):
    """Peaks in one lane per channel, the played part highlighted, a playhead; click/drag seeks."""

    seekRequested = Signal(float)  # seconds
    peaksLoaded = Signal(object)  # Peaks | None (None: no waveform for this format)
    loadFailed = Signal(str)

    def __init__(self, parent: QWidget | None = None, *, executor: Executor | None = None,
                 lanes: Sequence[str] = ("Agent", "Customer"), buckets: int = DEFAULT_BUCKETS,
                 decode_with_qt: bool = True) -> None:
        super().__init__(parent)
        self._loader = PeaksLoader(self, executor=executor, buckets=buckets, decode_with_qt=decode_with_qt)
        self._loader.loaded.connect(self._on_loaded)
        self._loader.failed.connect(self._on_failed)
        self._peaks: Peaks | None = None
        self._lanes: tuple[str, ...] = tuple(lanes)
        self._placeholder = NO_RECORDING_TEXT
        self._duration = 0.0  # from the player when known; else the peaks' duration
        self._position = 0.0
        self._dragging = False
        self._columns: tuple[int, list[list[tuple[float, float]]]] | None = None
        self._scale = 1.0
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(56)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the player's slider is the keyboard route
        self.setAccessibleName("Waveform")
        self.setToolTip("Click or drag to jump in the recording")
        self._update_description()

    # --- public API
    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(640, 96)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(120, 56)

    def load(self, path: str | os.PathLike[str]) -> None:
        """Compute `path`'s peaks on a worker thread; shows "Loading waveform…" meanwhile."""
        self._duration = 0.0
        self._position = 0.0
        self._set_peaks(None, LOADING_TEXT)
        self._loader.load(path)

    def set_peaks(self, peaks: Peaks | None, placeholder: str = UNSUPPORTED_TEXT) -> None:
        """Show these peaks (cancelling any load); None shows `placeholder` instead."""
        self._loader.cancel()
        self._set_peaks(peaks, placeholder)

    def clear(self, text: str = NO_RECORDING_TEXT) -> None:
        """No waveform: show `text` (e.g. "No recording", "Loading recording…")."""
        self._loader.cancel()
        self._duration = 0.0
        self._position = 0.0
        self._set_peaks(None, text)

    def set_lane_labels(self, labels: Sequence[str]) -> None:
        self._lanes = tuple(labels)
        self._update_description()  # (it names the lanes)
        self.update()

    def lane_labels(self) -> tuple[str, ...]:
        return self._lanes

    def peaks(self) -> Peaks | None:
        return self._peaks

    def placeholder_text(self) -> str:
        """The text shown instead of peaks ('' when peaks are shown)."""
        return "" if self._peaks is not None else self._placeholder

    def is_loading(self) -> bool:
        return self._loader.busy

    def set_duration(self, seconds: float) -> None:
        """The media's duration (the player's word wins over the file header's)."""
        self._duration = max(0.0, float(seconds))
        self.update()

    def duration(self) -> float:
        if self._duration > 0:
            return self._duration
        return self._peaks.duration_s if self._peaks is not None else 0.0

    def set_position(self, seconds: float) -> None:
        """Move the playhead; repaints only the strip between the old and new playhead."""
        old_x = self._x_of(self._position)
        self._position = max(0.0, float(seconds))
        new_x = self._x_of(self._position)
        if old_x != new_x:
            left, right = min(old_x, new_x), max(old_x, new_x)
            self.update(QRect(left - 2, 0, right - left + 5, self.height()))

    def position(self) -> float:
        return self._position

    # --- loading
    def _set_peaks(self, peaks: Peaks | None, placeholder: str) -> None:
        self._peaks = peaks
        self._placeholder = placeholder
        self._columns = None
        top = peaks.max_abs() if peaks is not None else 0.0
        self._scale = 1.0 / max(top, 0.1)  # quiet calls are drawn larger, silence stays flat
        self._update_description()
        self.update()

    @Slot(object)
    def _on_loaded(self, peaks: Peaks | None) -> None:
        self._set_peaks(peaks, UNSUPPORTED_TEXT)
        self.peaksLoaded.emit(peaks)

    @Slot(str)
    def _on_failed(self, reason: str) -> None:
        self._set_peaks(None, f"Waveform unavailable: {reason}")
        self.loadFailed.emit(reason)

    def _update_description(self) -> None:
        if self._peaks is None:
            self.setAccessibleDescription(self._placeholder)
        else:
            lanes = ", ".join(self._lane_label(i) or f"channel {i + 1}"
                              for i in range(self._peaks.channel_count))
            self.setAccessibleDescription(f"Waveform of the recording ({lanes}); click to seek")

    # --- geometry
    def _x_of(self, seconds: float) -> int:
        d = self.duration()
        if d <= 0:
            return 0
        return int(round(min(max(seconds / d, 0.0), 1.0) * (self.width() - 1)))

    def _seconds_at(self, x: float) -> float:
        w = max(self.width() - 1, 1)
        return min(max(x / w, 0.0), 1.0) * self.duration()

    def _lane_label(self, index: int) -> str:
        if self._peaks is not None and self._peaks.channel_count == 1:
            return ""
        if index < len(self._lanes):
            return for_screen(self._lanes[index])
        return f"Channel {index + 1}"

    def _column_peaks(self, width: int) -> list[list[tuple[float, float]]]:
        """Per pixel column (min, max), cached per width."""
        if self._columns is not None and self._columns[0] == width:
            return self._columns[1]
        assert self._peaks is not None
        cols: list[list[tuple[float, float]]] = []
        for ch in self._peaks.channels:
            nb = len(ch)
            col: list[tuple[float, float]] = []
            if nb:
                for x in range(width):
                    b0 = x * nb // width
                    b1 = max(b0 + 1, (x + 1) * nb // width)
                    part = ch[b0:b1]
                    col.append((min(p[0] for p in part), max(p[1] for p in part)))
            cols.append(col)
        self._columns = (width, cols)
        return cols

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        self._columns = None
        super().resizeEvent(event)

    # --- painting
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        pal = self.palette()
        base = pal.color(QPalette.ColorRole.Base)
        text = pal.color(QPalette.ColorRole.Text)
        played = pal.color(QPalette.ColorRole.Highlight)
        unplayed = QColor(text)
        unplayed.setAlphaF(0.42)
        axis = QColor(text)
        axis.setAlphaF(0.18)
        p = QPainter(self)
        try:
            p.fillRect(self.rect(), base)
            w, h = self.width(), self.height()
            lanes = self._peaks.channel_count if self._peaks is not None else 1
            lane_h = h / max(lanes, 1)
            play_x = self._x_of(self._position) if self.duration() > 0 else -1
            for i in range(lanes if (self._peaks is not None or self.duration() > 0) else 0):
                top = i * lane_h
                mid = top + lane_h / 2
                p.setPen(QPen(axis, 1))
                p.drawLine(QPointF(0, mid), QPointF(w, mid))
                if i:
                    p.drawLine(QPointF(0, top), QPointF(w, top))
            if self._peaks is not None and self._peaks.buckets:
                cols = self._column_peaks(w)
                for i, col in enumerate(cols):
                    top = i * lane_h
                    mid = top + lane_h / 2
                    half = (lane_h / 2 - 3) * self._scale
                    done: list[QLineF] = []
                    rest: list[QLineF] = []
                    for x, (lo, hi) in enumerate(col):
                        y1 = mid - min(hi, 1.0 / self._scale) * half
                        y2 = mid - max(lo, -1.0 / self._scale) * half
                        if y2 - y1 < 1:
                            y1, y2 = mid - 0.5, mid + 0.5
                        (done if x <= play_x else rest).append(QLineF(x + 0.5, y1, x + 0.5, y2))
                    p.setPen(QPen(played, 1))
                    if done:
                        p.drawLines(done)
                    p.setPen(QPen(unplayed, 1))
                    if rest:
                        p.drawLines(rest)
            elif self._placeholder:
                placeholder = pal.color(QPalette.ColorRole.PlaceholderText)
                p.setPen(placeholder)
                p.drawText(QRectF(8, 0, w - 16, h), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                           for_screen(self._placeholder))
            if play_x >= 0 and (self._peaks is not None or self._position > 0):
                p.setPen(QPen(text, 2))
                p.drawLine(QPointF(play_x + 0.5, 0), QPointF(play_x + 0.5, h))
            if self._peaks is not None and self._peaks.buckets:
                self._paint_labels(p, lanes, lane_h, base, text)
        finally:
            p.end()

    def _paint_labels(self, p: QPainter, lanes: int, lane_h: float, base: QColor, text: QColor) -> None:
        """Each lane's name in the lane's top left corner, on an opaque tag with a thin border,
        over the peaks and the playhead: on a see-through box the peaks behind the letters made
        them hard to read."""
        fm = self.fontMetrics()
        border = QColor(text)
        border.setAlphaF(0.3)
        p.save()
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for i in range(lanes):
            label = self._lane_label(i)
            if not label:
                continue
            box = QRectF(3.5, i * lane_h + 2.5, fm.horizontalAdvance(label) + 8, fm.height() + 1)
            p.setPen(QPen(border, 1))
            p.setBrush(base)
            p.drawRoundedRect(box, 3, 3)
            p.setPen(text)
            p.drawText(box, Qt.AlignmentFlag.AlignCenter, label)
        p.restore()

    # --- seeking with the mouse
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and self.duration() > 0:
            self._dragging = True
            self._seek_to(event.position().x())
            event.accept()
        else:
            super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._dragging:
            self._seek_to(event.position().x())
            event.accept()
        else:
            super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._dragging and event.button() == Qt.MouseButton.LeftButton:
            self._dragging = False
            event.accept()
        else:
            super().mouseReleaseEvent(event)

    def _seek_to(self, x: float) -> None:
        seconds = self._seconds_at(x)
        self.set_position(seconds)
        self.seekRequested.emit(seconds)
