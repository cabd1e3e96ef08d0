"""The recording player: waveform, transport controls, speed, volume and "Save as…".

The window fetches a call's recording through the core into the cache and hands the local file to
`RecordingPlayer.set_source`; while it fetches it shows `set_loading(...)`, and when there is no
recording `set_message(...)`. `seek(seconds)` (a transcript turn was clicked) works even before the
media has finished loading. `positionChanged(float)` drives the transcript's current-turn highlight.

Layout, for a detail pane as narrow as 415 px: the waveform; the position slider between the
elapsed and total times on a row of its own (the whole width to seek with); then the transport
buttons, a one-line status (elided, in full in its tool tip), speed, volume and "Save as…".
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Sequence
from concurrent.futures import Executor
from pathlib import Path

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, QStandardPaths, Qt, QTimer, QUrl, Signal, Slot
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPalette, QPen, QPixmap, QPolygonF
from PySide6.QtMultimedia import QAudioOutput, QMediaPlayer, QtAudio
from PySide6.QtWidgets import (
    QComboBox, QFileDialog, QHBoxLayout, QLabel, QSizePolicy, QSlider, QStyle, QToolButton,
    QVBoxLayout, QWidget,
)

from callviewer.display import for_screen
from callviewer.ui.waveform import BackgroundRunner, WaveformView

log = logging.getLogger(__name__)

SPEEDS = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0)
SKIP_SECONDS = 10.0
LOADING_TEXT = "Loading recording…"
NO_RECORDING_TEXT = "No recording for this call"
#: While playing, positionChanged is also emitted from a poll at this interval (ms), whatever the
#: backend's own notification rate.
POLL_MS = 100
#: The position slider never gets narrower than this (it has a row of its own).
MIN_SLIDER_WIDTH = 160

_ERROR_REASONS = {
    QMediaPlayer.Error.ResourceError: "the file could not be opened or is not audio",
    QMediaPlayer.Error.FormatError: "the file is not in a supported audio format",
    QMediaPlayer.Error.NetworkError: "a network error interrupted it",
    QMediaPlayer.Error.AccessDeniedError: "access to the file was denied",
}


def format_time(seconds: float) -> str:
    """m:ss, or h:mm:ss from an hour on."""
    s = max(0, int(seconds))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def speed_label(rate: float) -> str:
    return f"{rate:g}×"


def transport_icon(kind: str, color: QColor, size: QSize, dpr: float = 1.0) -> QIcon:
    """A play triangle, pause bars, or a "back"/"forward" circular arrow around the skip seconds,
    in `color` (the style's media icons ignore dark palettes)."""
    pm = QPixmap(size * dpr)
    pm.setDevicePixelRatio(dpr)
    pm.fill(Qt.GlobalColor.transparent)
    w, h = size.width(), size.height()
    p = QPainter(pm)
    try:
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(color)
        if kind in ("back", "forward"):
            _paint_skip(p, kind == "forward", color, w, h)
        elif kind == "pause":
            bar = w * 0.26
            p.drawRoundedRect(QRectF(w * 0.18, h * 0.15, bar, h * 0.7), 1.5, 1.5)
            p.drawRoundedRect(QRectF(w * 0.82 - bar, h * 0.15, bar, h * 0.7), 1.5, 1.5)
        else:
            p.drawPolygon(QPolygonF([QPointF(w * 0.24, h * 0.12), QPointF(w * 0.88, h * 0.5),
                                     QPointF(w * 0.24, h * 0.88)]))
    finally:
        p.end()
    return QIcon(pm)


def _paint_skip(p: QPainter, forward: bool, color: QColor, w: int, h: int) -> None:
    """↺ with the skip seconds inside (mirrored: ↻). The arrow head sits at the top."""
    cx, cy, r = w / 2, h / 2, min(w, h) * 0.40
    p.save()
    if forward:
        p.translate(w, 0)
        p.scale(-1, 1)
    pen = QPen(color, max(1.2, min(w, h) / 13))
    pen.setCapStyle(Qt.PenCapStyle.FlatCap)
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawArc(QRectF(cx - r, cy - r, 2 * r, 2 * r), 140 * 16, 310 * 16)  # ends at the top
    a = r * 0.42
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(color)
    p.drawPolygon(QPolygonF([QPointF(cx - a, cy - r), QPointF(cx + a * 0.35, cy - r - a * 0.85),
                             QPointF(cx + a * 0.35, cy - r + a * 0.85)]))
    p.restore()
    font = QFont(p.font())
    font.setPixelSize(max(6, round(h * 0.36)))
    font.setBold(True)
    p.setFont(font)
    p.setPen(color)
    p.drawText(QRectF(0, h * 0.04, w, h), Qt.AlignmentFlag.AlignCenter, f"{SKIP_SECONDS:g}")


class _StatusLabel(QLabel):
    """One line of status that takes the room it is given: the text elided to the width, in full
    in the tool tip and the accessible name (what a screen reader reads)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setAccessibleDescription("Player status")

    def set_full_text(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self.setAccessibleName(text)
        self._elide()

    def _elide(self) -> None:
        self.setText(self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight,
                                                   max(self.contentsRect().width(), 0)))

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._elide()


class RecordingPlayer(QWidget):
    """Plays one local recording file with a waveform above the transport controls."""

    positionChanged = Signal(float)  # seconds; ≥ 5 per second while playing, and after seeks
    playingChanged = Signal(bool)
    durationChanged = Signal(float)  # seconds
    saveFinished = Signal(str, str)  # destination, error ("" when the copy succeeded)

    def __init__(self, parent: QWidget | None = None, *, executor: Executor | None = None) -> None:
        super().__init__(parent)
        self._source: Path | None = None
        self._status = ""
        self._save_name: str | None = None
        self._pending_seek: tuple[float, bool] | None = None
        self._playing = False
        self._failed = False
        self._last_ms = -1
        self._rate = 1.0
        self._save_dialog: QFileDialog | None = None
        self._save_dir = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DownloadLocation) \
            or str(Path.home())

        self._player = QMediaPlayer(self)
        self._audio = QAudioOutput(self)
        self._player.setAudioOutput(self._audio)
        if self._player.pitchCompensationAvailability() != QMediaPlayer.PitchCompensationAvailability.Unavailable:
            self._player.setPitchCompensation(True)  # speech at 1.5× without the chipmunk voice
        self._copier = BackgroundRunner(self, executor=executor, name="callviewer-save")
        self._copier.finished.connect(self._on_copied)
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._poll_position)

        self._build_ui(executor)
        self._player.positionChanged.connect(self._on_player_position)
        self._player.durationChanged.connect(self._on_duration)
        self._player.playbackStateChanged.connect(self._on_state)
        self._player.mediaStatusChanged.connect(self._on_status)
        self._player.errorOccurred.connect(self._on_error)
        self._set_controls_enabled(False)
        self.clear()

    # ------------------------------------------------------------------------------------------
    # layout
    def _build_ui(self, executor: Executor | None) -> None:
        style = self.style()
        self.waveform = WaveformView(self, executor=executor)
        self.waveform.setFixedHeight(96)
        self.waveform.seekRequested.connect(self._on_waveform_seek)

        def tool(text: str, tip: str, name: str, icon: QStyle.StandardPixmap | None = None) -> QToolButton:
            b = QToolButton(self)
            if icon is not None:
                b.setIcon(style.standardIcon(icon))
            if text:
                b.setText(text)
                b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon if icon is not None
                                     else Qt.ToolButtonStyle.ToolButtonTextOnly)
            b.setToolTip(tip)
            b.setAccessibleName(name)
            b.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # Tab reaches it; a click leaves focus alone
            b.setAutoRaise(True)
            return b

        # The transport buttons are icons (painted in the palette's colours); their tool tips and
        # accessible names keep the words.
        skip = f"{SKIP_SECONDS:g} seconds"
        self.back_button = tool("", f"Back {skip}", f"Back {skip}")
        self.back_button.clicked.connect(lambda: self.seek_relative(-SKIP_SECONDS))
        self.play_button = tool("", "Play (Space)", "Play")
        self.play_button.clicked.connect(self.toggle_play)
        self.forward_button = tool("", f"Forward {skip}", f"Forward {skip}")
        self.forward_button.clicked.connect(lambda: self.seek_relative(SKIP_SECONDS))
        for b in (self.back_button, self.play_button, self.forward_button):
            b.setIconSize(QSize(20, 20))
        self._update_play_icon()

        # A label's accessible name replaces its text for a screen reader: the time labels'
        # names carry the time too ("Elapsed time 0:15"), see _set_time.
        self.elapsed_label = QLabel(self)
        self.elapsed_label.setToolTip("Elapsed time")
        self.elapsed_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.total_label = QLabel(self)
        self.total_label.setToolTip("Length of the recording")
        self._set_time(self.elapsed_label, 0)
        self._set_time(self.total_label, 0)
        self._fit_time_labels(0)

        self.position_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.position_slider.setAccessibleName("Playback position")
        self.position_slider.setToolTip("Playback position")
        self.position_slider.setTracking(False)  # seek on release; keyboard steps seek at once
        self.position_slider.setSingleStep(5000)
        self.position_slider.setPageStep(30000)
        self.position_slider.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.position_slider.setMinimumWidth(MIN_SLIDER_WIDTH)
        self.position_slider.valueChanged.connect(self._on_slider_value)
        self.position_slider.sliderMoved.connect(lambda ms: self._set_time(self.elapsed_label, ms / 1000))

        self.speed_combo = QComboBox(self)
        for rate in SPEEDS:
            self.speed_combo.addItem(speed_label(rate), rate)
        self.speed_combo.setCurrentIndex(SPEEDS.index(1.0))
        self.speed_combo.setAccessibleName("Playback speed")
        self.speed_combo.setToolTip("Playback speed")
        self.speed_combo.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.speed_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.speed_combo.currentIndexChanged.connect(self._on_speed_index)

        self.mute_button = tool("", "Mute", "Mute", QStyle.StandardPixmap.SP_MediaVolume)
        self.mute_button.setCheckable(True)
        self.mute_button.toggled.connect(self._on_mute)
        self.volume_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.volume_slider.setRange(0, 100)
        self.volume_slider.setValue(80)
        self.volume_slider.setFixedWidth(56)
        self.volume_slider.setAccessibleName("Volume")
        self.volume_slider.setToolTip("Volume")
        self.volume_slider.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.volume_slider.valueChanged.connect(self._on_volume)
        self._on_volume(self.volume_slider.value())

        self.save_button = tool("Save as…", "Save a copy of the recording (Save as…)",
                                "Save recording as", QStyle.StandardPixmap.SP_DialogSaveButton)
        self.save_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        self.save_button.clicked.connect(self.open_save_dialog)

        # Between the buttons, in the room the row has left: a status line of its own under the
        # controls left an empty band there whenever there was nothing to say.
        self.message_label = _StatusLabel(self)
        self.message_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        policy = self.message_label.sizePolicy()
        policy.setRetainSizeWhenHidden(True)  # the buttons on its right do not move
        self.message_label.setSizePolicy(policy)

        times = QHBoxLayout()
        times.setContentsMargins(0, 0, 0, 0)
        times.setSpacing(4)
        times.addWidget(self.elapsed_label)
        times.addWidget(self.position_slider, 1)
        times.addWidget(self.total_label)

        controls = QHBoxLayout()
        controls.setContentsMargins(0, 0, 0, 0)
        controls.setSpacing(3)
        for w in (self.back_button, self.play_button, self.forward_button):
            controls.addWidget(w)
        controls.addSpacing(4)
        controls.addWidget(self.message_label, 1)
        for w in (self.speed_combo, self.mute_button, self.volume_slider, self.save_button):
            controls.addWidget(w)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 6, 4, 2)
        layout.setSpacing(2)
        layout.addWidget(self.waveform)
        layout.addSpacing(2)
        layout.addLayout(times)
        layout.addLayout(controls)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("Recording player")

        # Tab in the order of the rows: the slider, then the buttons left to right.
        chain = (self.position_slider, self.back_button, self.play_button, self.forward_button,
                 self.speed_combo, self.mute_button, self.volume_slider, self.save_button)
        for first, second in zip(chain, chain[1:]):
            QWidget.setTabOrder(first, second)

    # ------------------------------------------------------------------------------------------
    # public API
    @property
    def media_player(self) -> QMediaPlayer:
        return self._player

    def source(self) -> Path | None:
        return self._source

    def set_source(self, path: Path | str | None, *, lanes: Sequence[str] = ("Agent", "Customer"),
                   save_name: str | None = None) -> None:
        """Load a local recording file (None: "No recording for this call") and its waveform.

        `lanes` names the waveform's channels (left, right); `save_name` is the file name that
        "Save as…" suggests (default: the file's own name).
        """
        if path is None:
            self.set_message(NO_RECORDING_TEXT)
            return
        path = Path(path)
        self._reset()
        self._source = path
        self._save_name = save_name or path.name
        self.waveform.set_lane_labels(lanes)
        if not path.is_file():
            self._fail("the file is missing")
            return
        self._set_status(LOADING_TEXT)
        self._set_controls_enabled(True)
        self._player.setSource(QUrl.fromLocalFile(str(path)))
        self._player.setPlaybackRate(self._rate)
        self.waveform.load(path)

    def set_loading(self, message: str = LOADING_TEXT) -> None:
        """The recording is being fetched: no media, `message` shown."""
        self._reset()
        self.waveform.clear(message)
        self._set_status(message)

    def set_message(self, text: str) -> None:
        """No playable recording ("No recording for this call", "The link has expired", …)."""
        self._reset()
        self.waveform.clear(text)
        self._set_status(text)

    def clear(self) -> None:
        """Nothing to play and nothing to say."""
        self._reset()
        self._set_status("")
        self.waveform.clear("No recording")

    def seek(self, seconds: float, play: bool = True) -> None:
        """Jump to `seconds`; with `play` also start playing (else the play state is kept).

        Before the media is loaded the seek is remembered and applied once it is.
        """
        if self._source is None or self._failed:
            return
        seconds = max(0.0, float(seconds))
        duration = self.duration()
        if duration > 0:
            seconds = min(seconds, duration)
        if not self._media_ready():
            self._pending_seek = (seconds, play or (self._pending_seek is not None and self._pending_seek[1]))
            self._show_position(int(seconds * 1000))
            return
        self._apply_seek(seconds, play)

    @Slot(float)
    def seek_relative(self, seconds: float) -> None:
        """Move by `seconds` (negative: back), keeping the play state."""
        if self._source is None or self._failed:
            return
        base = self._pending_seek[0] if self._pending_seek is not None else self.position()
        self.seek(base + seconds, play=False)

    @Slot()
    def toggle_play(self) -> None:
        """Play, or pause when playing."""
        if self._source is None or self._failed:
            return
        if self._playing:
            self.pause()
        else:
            self.play()

    @Slot()
    def play(self) -> None:
        if self._source is None or self._failed:
            return
        if not self._media_ready():
            pos = self._pending_seek[0] if self._pending_seek is not None else 0.0
            self._pending_seek = (pos, True)
            return
        if self._player.mediaStatus() == QMediaPlayer.MediaStatus.EndOfMedia:
            self._player.setPosition(0)
        self._player.play()

    @Slot()
    def pause(self) -> None:
        if self._pending_seek is not None:
            self._pending_seek = (self._pending_seek[0], False)
        self._player.pause()

    def position(self) -> float:
        """Seconds; a pending seek's target before the media has loaded."""
        if self._pending_seek is not None:
            return self._pending_seek[0]
        return self._player.position() / 1000

    def duration(self) -> float:
        return max(self._player.duration(), 0) / 1000

    def is_playing(self) -> bool:
        return self._playing

    def playback_rate(self) -> float:
        return self._rate

    @Slot(float)
    def set_playback_rate(self, rate: float) -> None:
        """One of SPEEDS (another value is used as is and shown as its own entry)."""
        index = self.speed_combo.findData(rate)
        if index < 0:
            self.speed_combo.addItem(speed_label(rate), rate)
            index = self.speed_combo.count() - 1
        self.speed_combo.setCurrentIndex(index)  # → _on_speed_index
        self._apply_rate(rate)

    def message(self) -> str:
        """The status as given (the label shows it elided, and `for_screen`)."""
        return self._status

    # --- save as
    @Slot()
    def open_save_dialog(self) -> None:
        """A non-modal "Save as" dialog; the chosen file gets a copy of the current recording."""
        if self._source is None or not self._source.is_file():
            return
        if self._save_dialog is not None and self._save_dialog.isVisible():
            self._save_dialog.raise_()
            self._save_dialog.activateWindow()
            return
        source = self._source
        suffix = source.suffix.lstrip(".")
        dialog = QFileDialog(self, "Save recording as", str(Path(self._save_dir) / (self._save_name or source.name)))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        if suffix:
            dialog.setDefaultSuffix(suffix)
            dialog.setNameFilters([f"{suffix.upper()} audio (*.{suffix})", "All files (*)"])
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(lambda dest: self.save_copy(dest, source=source))
        dialog.destroyed.connect(self._forget_dialog)
        self._save_dialog = dialog
        dialog.open()

    @Slot()
    def _forget_dialog(self) -> None:
        self._save_dialog = None

    def save_copy(self, destination: str | Path, *, source: Path | None = None) -> None:
        """Copy the recording (or `source`) to `destination` off the UI thread; `saveFinished` tells."""
        source = source or self._source
        if source is None:
            return
        dest = Path(destination)
        self._save_dir = str(dest.parent)
        self._set_status(f"Saving to {dest.name}…")

        def copy() -> str:
            shutil.copyfile(source, dest)
            return str(dest)
        self._copier.submit(copy)

    @Slot(int, object, object)
    def _on_copied(self, _token: int, result: object, error: object) -> None:
        if error is None:
            dest = str(result)
            self._set_status(f"Saved a copy to {dest}")
            self.saveFinished.emit(dest, "")
        else:
            reason = getattr(error, "strerror", None) or str(error)
            if isinstance(error, shutil.SameFileError):
                reason = "that is the recording itself"
            self._set_status(f"The recording could not be saved: {reason}")
            self.saveFinished.emit("", reason)

    # ------------------------------------------------------------------------------------------
    # internals
    def _reset(self) -> None:
        """Stop, drop the media, forget pending seeks and errors."""
        self._pending_seek = None
        self._failed = False
        self._source = None
        # Pause, then drop the source (which stops): an explicit stop() while the FFmpeg
        # backend's thread is delivering a frame was seen to deadlock inside Qt under load.
        if self._player.playbackState() == QMediaPlayer.PlaybackState.PlayingState:
            self._player.pause()
        self._player.setSource(QUrl())
        self._poll.stop()
        self._set_playing(False)
        self._last_ms = -1
        self._set_controls_enabled(False)
        self.position_slider.blockSignals(True)
        self.position_slider.setRange(0, 0)
        self.position_slider.setValue(0)
        self.position_slider.blockSignals(False)
        self._set_time(self.elapsed_label, 0)
        self._set_time(self.total_label, 0)

    def _set_time(self, label: QLabel, seconds: float) -> None:
        """A time label's text, and its accessible name: what it is (its tool tip) and the time."""
        text = format_time(seconds)
        if label.text() != text:
            label.setText(text)
            label.setAccessibleName(f"{label.toolTip()} {text}")

    def _fit_time_labels(self, duration_ms: int) -> None:
        """Both time labels as wide as the longest time of this recording ("59:59", or
        "9:59:59" from an hour on), so that the slider does not move while the time runs."""
        sample = "0:00:00" if duration_ms >= 3_600_000 else "00:00"
        width = self.fontMetrics().horizontalAdvance(sample) + 4
        for label in (self.elapsed_label, self.total_label):
            label.setMinimumWidth(width)

    def _set_controls_enabled(self, on: bool) -> None:
        for w in (self.back_button, self.play_button, self.forward_button, self.position_slider,
                  self.save_button):
            w.setEnabled(on)

    def _set_status(self, text: str) -> None:
        self._status = text
        self.message_label.set_full_text(for_screen(text))  # a file name can hold anything
        # When the waveform already says it (in its middle), don't say it twice.
        self.message_label.setVisible(bool(text) and text != self.waveform.placeholder_text())

    def _fail(self, reason: str) -> None:
        self._failed = True
        self._pending_seek = None
        self._poll.stop()
        self._set_playing(False)
        for w in (self.back_button, self.play_button, self.forward_button, self.position_slider):
            w.setEnabled(False)
        message = f"The recording could not be played: {reason}"
        if self.waveform.peaks() is None:
            # Said in the waveform's middle, where all of it fits (the status line between the
            # buttons is short); a waveform that is shown stays, the status line says it then.
            self.waveform.clear(message)
        self._set_status(message)

    def _media_ready(self) -> bool:
        status = self._player.mediaStatus()
        return self._player.isSeekable() and status in (
            QMediaPlayer.MediaStatus.LoadedMedia, QMediaPlayer.MediaStatus.BufferingMedia,
            QMediaPlayer.MediaStatus.BufferedMedia, QMediaPlayer.MediaStatus.EndOfMedia)

    def _apply_seek(self, seconds: float, play: bool) -> None:
        ms = int(round(seconds * 1000))
        self._player.setPosition(ms)
        self._show_position(ms)
        if play and not self._playing:
            self._player.play()

    def _show_position(self, ms: int) -> None:
        """Slider, labels and playhead at `ms`; emit positionChanged if it moved."""
        if not self.position_slider.isSliderDown():
            self.position_slider.blockSignals(True)
            self.position_slider.setValue(ms)
            self.position_slider.blockSignals(False)
            self._set_time(self.elapsed_label, ms / 1000)
        self.waveform.set_position(ms / 1000)
        if ms != self._last_ms:
            self._last_ms = ms
            self.positionChanged.emit(ms / 1000)

    def _set_playing(self, playing: bool) -> None:
        if playing == self._playing:
            return
        self._playing = playing
        self._update_play_icon()
        self.play_button.setToolTip("Pause (Space)" if playing else "Play (Space)")
        self.play_button.setAccessibleName("Pause" if playing else "Play")
        if playing:
            self._poll.start()
        else:
            self._poll.stop()
        self.playingChanged.emit(playing)

    def _update_play_icon(self) -> None:
        """The play/pause icon (and the skip icons), in the palette's text colour."""
        color = self.palette().color(QPalette.ColorRole.ButtonText)
        dpr = self.devicePixelRatioF()
        self.play_button.setIcon(transport_icon("pause" if self._playing else "play", color,
                                                self.play_button.iconSize(), dpr))
        key = (color.name(), dpr)
        if getattr(self, "_skip_icons_key", None) != key:
            self._skip_icons_key = key
            for kind, button in (("back", self.back_button), ("forward", self.forward_button)):
                button.setIcon(transport_icon(kind, color, button.iconSize(), dpr))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange):
            self._update_play_icon()  # drawn in the palette's colours: dark mode included
        super().changeEvent(event)

    def _apply_rate(self, rate: float) -> None:
        self._rate = rate
        self._player.setPlaybackRate(rate)

    # --- slots (thin)
    @Slot("qlonglong")
    def _on_player_position(self, ms: int) -> None:
        if self._pending_seek is None and self._source is not None:
            self._show_position(ms)

    @Slot()
    def _poll_position(self) -> None:
        if self._pending_seek is None:
            self._show_position(self._player.position())

    @Slot("qlonglong")
    def _on_duration(self, ms: int) -> None:
        ms = max(ms, 0)
        self.position_slider.blockSignals(True)  # a range change must not read as a user seek
        self.position_slider.setRange(0, ms)
        self.position_slider.blockSignals(False)
        if self._pending_seek is not None:
            self._show_position(int(self._pending_seek[0] * 1000))
        self._fit_time_labels(ms)
        self._set_time(self.total_label, ms / 1000)
        self.waveform.set_duration(ms / 1000)
        self.durationChanged.emit(ms / 1000)

    @Slot(QMediaPlayer.PlaybackState)
    def _on_state(self, state: QMediaPlayer.PlaybackState) -> None:
        self._set_playing(state == QMediaPlayer.PlaybackState.PlayingState)

    @Slot(QMediaPlayer.MediaStatus)
    def _on_status(self, status: QMediaPlayer.MediaStatus) -> None:
        S = QMediaPlayer.MediaStatus
        if self._source is None:
            return
        if status == S.LoadingMedia:
            self._set_status(LOADING_TEXT)
        elif status in (S.LoadedMedia, S.BufferingMedia, S.BufferedMedia):
            if self._status == LOADING_TEXT:
                self._set_status("")
            if self._pending_seek is not None and self._media_ready():
                seconds, play = self._pending_seek
                self._pending_seek = None
                self._apply_seek(seconds, play)
        elif status == S.EndOfMedia:
            self._set_playing(False)
            self._player.setPosition(0)  # back to the start, ready to play again
            self._show_position(0)
        elif status == S.InvalidMedia and not self._failed:
            self._fail("the file is not a playable recording")

    @Slot(QMediaPlayer.Error, str)
    def _on_error(self, error: QMediaPlayer.Error, text: str) -> None:
        if error == QMediaPlayer.Error.NoError or self._source is None:
            return
        log.info("cannot play %s: %s (%s)", self._source, text, error)
        self._fail(_ERROR_REASONS.get(error) or text or "unknown error")

    @Slot(float)
    def _on_waveform_seek(self, seconds: float) -> None:
        self.seek(seconds, play=False)

    @Slot(int)
    def _on_slider_value(self, ms: int) -> None:
        self.seek(ms / 1000, play=False)

    @Slot(int)
    def _on_speed_index(self, index: int) -> None:
        rate = self.speed_combo.itemData(index)
        if rate is not None:
            self._apply_rate(float(rate))

    @Slot(int)
    def _on_volume(self, value: int) -> None:
        linear = QtAudio.convertVolume(value / 100, QtAudio.VolumeScale.LogarithmicVolumeScale,
                                       QtAudio.VolumeScale.LinearVolumeScale)
        self._audio.setVolume(linear)
        if value and self.mute_button.isChecked():
            self.mute_button.setChecked(False)

    @Slot(bool)
    def _on_mute(self, muted: bool) -> None:
        self._audio.setMuted(muted)
        icon = QStyle.StandardPixmap.SP_MediaVolumeMuted if muted else QStyle.StandardPixmap.SP_MediaVolume
        self.mute_button.setIcon(self.style().standardIcon(icon))
        self.mute_button.setToolTip("Unmute" if muted else "Mute")
        self.mute_button.setAccessibleName("Unmute" if muted else "Mute")
