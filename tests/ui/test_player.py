"""RecordingPlayer against the real QtMultimedia FFmpeg backend (plays without a sound card)."""

from __future__ import annotations

import math
import wave
from array import array
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QApplication, QComboBox, QFileDialog, QLabel, QSlider, QToolButton, QWidget

from callviewer.ui.player import LOADING_TEXT, NO_RECORDING_TEXT, SPEEDS, RecordingPlayer, format_time
from callviewer.ui.waveform import Peaks

RATE = 8000
WAIT = 10_000  # generous: the machine may be loaded


def write_stereo(path: Path, seconds: float) -> Path:
    """Left speaks in the first half, right in the second."""
    n = int(seconds * RATE)
    inter = array("h", bytes(4 * n))
    for i in range(n):
        v = int(12000 * math.sin(2 * math.pi * 440 * i / RATE))
        inter[2 * i + (0 if i < n // 2 else 1)] = v
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(inter.tobytes())
    return path


@pytest.fixture
def player(qtbot):
    p = RecordingPlayer()
    qtbot.addWidget(p)
    p.resize(900, p.sizeHint().height())
    p.show()
    qtbot.waitExposed(p)
    yield p
    p.clear()


@pytest.fixture
def three_seconds(tmp_path) -> Path:
    return write_stereo(tmp_path / "call.wav", 3.0)


def loaded(player: RecordingPlayer) -> bool:
    return player.duration() > 0 and player.message() == ""


def test_seek_before_load_plays_from_there(player, qtbot, three_seconds):
    player.set_source(three_seconds)
    player.seek(1.5)  # at once, before the media has loaded: remembered, applied once loaded
    assert player.position() == 1.5 and player.elapsed_label.text() == "0:01"
    qtbot.waitUntil(lambda: player.is_playing() and player.media_player.position() >= 1500, timeout=WAIT)
    assert player.position() >= 1.5
    assert player.play_button.accessibleName() == "Pause"
    qtbot.waitUntil(lambda: player.waveform.peaks() is not None, timeout=WAIT)
    assert player.waveform.peaks().channel_count == 2
    assert player.waveform.duration() == pytest.approx(3.0, abs=0.05)


def test_seek_after_load_and_relative_seeks_keep_the_play_state(player, qtbot, three_seconds):
    player.set_source(three_seconds)
    qtbot.waitUntil(lambda: loaded(player), timeout=WAIT)
    assert player.total_label.text() == "0:03"
    player.seek(2.0, play=False)
    assert not player.is_playing()
    assert player.position() == pytest.approx(2.0)
    assert player.elapsed_label.text() == "0:02" and player.position_slider.value() == 2000
    assert player.waveform.position() == pytest.approx(2.0)
    player.seek_relative(-1.5)
    assert player.position() == pytest.approx(0.5)
    player.seek_relative(-10)
    assert player.position() == 0
    player.seek_relative(+10)  # clamped to the end
    assert player.position() == pytest.approx(3.0, abs=0.01)
    assert not player.is_playing()


def test_position_changed_is_emitted_while_playing(player, qtbot, three_seconds):
    player.set_source(three_seconds)
    seen: list[float] = []
    playing: list[bool] = []
    player.positionChanged.connect(seen.append)
    player.playingChanged.connect(playing.append)
    player.toggle_play()
    qtbot.waitUntil(lambda: bool(seen) and seen[-1] >= 1.2, timeout=WAIT)
    moving = [s for s in seen if s > 0]
    assert moving == sorted(moving)
    assert len([s for s in moving if 0.2 < s <= 1.2]) >= 5  # at least 5 updates per second of audio
    assert playing[0] is True
    player.toggle_play()  # pause
    qtbot.waitUntil(lambda: not player.is_playing(), timeout=WAIT)
    assert playing[-1] is False


def test_speed_combo_sets_the_playback_rate(player, qtbot, three_seconds):
    player.set_source(three_seconds)
    combo = player.speed_combo
    assert [combo.itemText(i) for i in range(combo.count())] == ["0.5×", "0.75×", "1×", "1.25×", "1.5×", "2×"]
    assert combo.currentText() == "1×"
    combo.setCurrentIndex(SPEEDS.index(1.5))
    assert player.media_player.playbackRate() == 1.5 and player.playback_rate() == 1.5
    player.set_playback_rate(0.75)
    assert combo.currentText() == "0.75×" and player.media_player.playbackRate() == 0.75
    player.set_source(three_seconds)  # the chosen speed carries over to the next recording
    assert player.media_player.playbackRate() == 0.75


def test_end_of_media_returns_to_a_stopped_start(player, qtbot, tmp_path):
    short = write_stereo(tmp_path / "short.wav", 0.6)
    player.set_source(short)
    states: list[bool] = []
    player.playingChanged.connect(states.append)
    player.seek(0.0)
    qtbot.waitUntil(lambda: states[-2:] == [True, False] if len(states) >= 2 else False, timeout=WAIT)
    assert not player.is_playing()
    assert player.play_button.accessibleName() == "Play"
    assert player.position() == 0 and player.position_slider.value() == 0
    assert player.elapsed_label.text() == "0:00"
    player.toggle_play()  # plays again from the start
    qtbot.waitUntil(player.is_playing, timeout=WAIT)


@pytest.mark.parametrize("name", ["notes.wav", "notes.mp3"])
def test_a_non_audio_file_gives_a_clear_message(player, qtbot, tmp_path, name):
    path = tmp_path / name
    path.write_text("These are meeting notes, not a recording.\n" * 20)
    player.set_source(path)
    qtbot.waitUntil(lambda: player.message().startswith("The recording could not be played: "), timeout=WAIT)
    assert not player.play_button.isEnabled()
    player.seek(1.0)  # no effect, no exception
    player.toggle_play()
    assert not player.is_playing()
    qtbot.waitUntil(lambda: not player.waveform.is_loading(), timeout=WAIT)
    assert player.waveform.peaks() is None and player.waveform.placeholder_text()


def test_a_missing_file_gives_a_clear_message(player, tmp_path):
    player.set_source(tmp_path / "gone.wav")
    assert player.message() == "The recording could not be played: the file is missing"
    # said in full in the waveform's middle, not twice
    assert player.waveform.placeholder_text() == player.message()
    assert not player.message_label.isVisible()


def test_messages_from_the_fetching_layer(player, three_seconds, qtbot):
    player.set_loading()
    assert player.message() == LOADING_TEXT and player.waveform.placeholder_text() == LOADING_TEXT
    assert not player.play_button.isEnabled()
    player.set_source(None)
    assert player.message() == NO_RECORDING_TEXT
    player.set_message("The recording link has expired")
    assert player.waveform.placeholder_text() == "The recording link has expired"
    player.seek(1.0)  # ignored without a source
    assert player.source() is None and not player.is_playing()
    player.set_source(three_seconds)
    qtbot.waitUntil(lambda: loaded(player), timeout=WAIT)
    assert player.play_button.isEnabled()
    player.clear()
    assert player.message() == "" and player.duration() == 0


def test_waveform_click_seeks_the_player(player, qtbot, three_seconds):
    player.set_source(three_seconds)
    qtbot.waitUntil(lambda: loaded(player), timeout=WAIT)
    with qtbot.waitSignal(player.positionChanged, timeout=WAIT) as blocker:
        player.waveform.seekRequested.emit(2.25)
    assert blocker.args == [pytest.approx(2.25)]
    assert player.position() == pytest.approx(2.25)


def test_save_as_copies_through_a_non_blocking_dialog(player, qtbot, three_seconds, tmp_path):
    player.set_source(three_seconds, save_name="atlas-call-42.wav")
    player.save_button.click()  # open() returns at once: no nested event loop
    dialog = player.findChild(QFileDialog)
    assert dialog is not None and dialog.isVisible()
    assert dialog.acceptMode() == QFileDialog.AcceptMode.AcceptSave
    dest = tmp_path / "out" / "copy.wav"
    dest.parent.mkdir()
    with qtbot.waitSignal(player.saveFinished, timeout=WAIT) as blocker:
        dialog.fileSelected.emit(str(dest))
        dialog.close()
    assert blocker.args == [str(dest), ""]
    assert dest.read_bytes() == three_seconds.read_bytes()
    assert player.message().startswith("Saved a copy to ")
    with qtbot.waitSignal(player.saveFinished, timeout=WAIT) as blocker:
        player.save_copy(tmp_path / "no-such-dir" / "x.wav")
    assert blocker.args[0] == "" and blocker.args[1]
    assert player.message().startswith("The recording could not be saved: ")


def test_controls_are_named_focusable_and_fit_900px(player, three_seconds):
    player.set_source(three_seconds)
    controls = player.findChildren(QToolButton) + player.findChildren(QSlider) + player.findChildren(QComboBox)
    assert len(controls) >= 8
    for c in controls:
        assert c.accessibleName(), c
        assert c.toolTip(), c
        assert c.focusPolicy() & Qt.FocusPolicy.TabFocus, c
    assert player.minimumSizeHint().width() <= 900
    for c in controls + [player.elapsed_label, player.total_label]:
        g = c.geometry()
        assert c.isVisible() and g.width() > 0 and g.right() < 900, c
    assert player.position_slider.width() >= 200
    assert player.accessibleName() and player.waveform.accessibleName()


def test_format_time():
    assert [format_time(s) for s in (0, 5.9, 65, 600, 3600 + 62)] == ["0:00", "0:05", "1:05", "10:00", "1:01:02"]


def test_waveform_peaks_type(player, qtbot, three_seconds):
    player.set_source(three_seconds, lanes=("Bot", "Caller"))
    qtbot.waitUntil(lambda: player.waveform.peaks() is not None, timeout=WAIT)
    assert isinstance(player.waveform.peaks(), Peaks)
    assert player.waveform.lane_labels() == ("Bot", "Caller")


def test_the_controls_fit_a_narrow_detail_pane(player):
    """The skip buttons and "Save as…" are icons (their tool tips and names keep the words);
    the whole player fits a 440 px wide pane."""
    for b in (player.back_button, player.forward_button, player.play_button):
        assert not b.icon().isNull() and b.toolTip() and b.accessibleName()
    assert "10 seconds" in player.back_button.toolTip()
    assert player.save_button.toolButtonStyle() == Qt.ToolButtonStyle.ToolButtonIconOnly
    assert player.minimumSizeHint().width() <= 440


def _spoken_name(w: QWidget) -> str:
    """What a screen reader announces as `w`'s name (a combo box: see test_transcript)."""
    if isinstance(w, QComboBox):
        return w.accessibleName()
    return QAccessible.queryAccessibleInterface(w).text(QAccessible.Text.Name)


def test_every_control_and_time_has_a_spoken_name(player, qtbot, three_seconds):
    player.set_source(three_seconds)
    qtbot.waitUntil(lambda: loaded(player), timeout=WAIT)
    for w in player.findChildren(QWidget):
        if isinstance(w, (QToolButton, QSlider, QComboBox)) and not isinstance(w.parent(), QComboBox):
            assert any(c.isalpha() for c in _spoken_name(w)), w
    # A label's name replaces its text for a screen reader: the times are in the names.
    assert _spoken_name(player.elapsed_label) == "Elapsed time 0:00"
    assert _spoken_name(player.total_label) == "Length of the recording 0:03"
    player.seek(2.0, play=False)
    assert _spoken_name(player.elapsed_label) == "Elapsed time 0:02"
    assert player.waveform.accessibleName() == "Waveform" and player.accessibleName()


def test_the_position_slider_has_room_in_a_415px_pane(player, qtbot, three_seconds):
    """QA: at the default window layout (the detail pane at its 415 px minimum) the position
    slider shared a row with every other control and was 40 px wide. It has a row of its own;
    the status line sits between the buttons, so no empty band is left under them."""
    player.set_source(three_seconds)
    player.resize(415, player.sizeHint().height())
    qtbot.waitUntil(lambda: loaded(player) and player.width() == 415, timeout=WAIT)
    QApplication.processEvents()
    slider = player.position_slider
    assert slider.width() >= 300
    assert player.elapsed_label.geometry().right() < slider.x() < slider.geometry().right() \
        < player.total_label.x()
    controls = [player.back_button, player.play_button, player.forward_button, player.speed_combo,
                player.mute_button, player.volume_slider, player.save_button]
    for c in controls + [player.elapsed_label, player.total_label, slider]:
        g = c.geometry()
        assert c.isVisible() and g.width() > 0 and g.x() >= 0 and g.right() < 415, c
        assert c.accessibleName() and c.toolTip(), c
    for a, b in zip(controls, controls[1:]):
        assert a.geometry().right() < b.geometry().left(), (a, b)  # one row, left to right
    assert slider.geometry().bottom() < min(c.geometry().top() for c in controls)
    bottom = max(c.geometry().bottom() for c in controls)
    assert player.height() - 1 - bottom <= 4  # no empty band under the buttons
    height = player.height()
    player.save_copy(Path(three_seconds.parent / "no-such-dir" / "copy.wav"))  # a status shows
    qtbot.waitUntil(lambda: player.message().startswith("The recording could not be saved"), timeout=WAIT)
    assert player.message_label.isVisible() and player.sizeHint().height() == height
    label = player.message_label.geometry()
    assert player.forward_button.geometry().right() < label.left() < label.right() \
        < player.speed_combo.geometry().left()


def test_the_tab_order_follows_the_rows(player, qtbot, three_seconds):
    player.set_source(three_seconds)
    qtbot.waitUntil(lambda: loaded(player), timeout=WAIT)
    player.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is player)
    player.position_slider.setFocus()
    stops = []
    for _ in range(7):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        stops.append(QApplication.focusWidget())
    assert stops == [player.back_button, player.play_button, player.forward_button,
                     player.speed_combo, player.mute_button, player.volume_slider, player.save_button]


def test_the_status_line_is_elided_shown_safely_and_whole_in_its_tooltip(player, qtbot, three_seconds, tmp_path):
    player.set_source(three_seconds)
    player.resize(415, player.sizeHint().height())
    qtbot.waitUntil(lambda: loaded(player) and player.width() == 415, timeout=WAIT)
    name = "call \u202eevaw.exe" + "x" * 80 + ".wav"
    player.save_copy(tmp_path / name)
    assert player.message() == f"Saving to {name}…"  # as given
    label = player.message_label
    shown = f"Saving to call [U+202E]evaw.exe{'x' * 80}.wav…"
    assert label.toolTip() == shown and label.accessibleName() == shown
    assert label.text().endswith("…") and len(label.text()) < len(shown)
    assert label.fontMetrics().horizontalAdvance(label.text()) <= label.width()
    assert isinstance(label, QLabel) and label.textFormat() == Qt.TextFormat.PlainText
    qtbot.waitUntil(lambda: player.message().startswith("Saved a copy to"), timeout=WAIT)
