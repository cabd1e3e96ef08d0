"""Guards the PySide6 pin: PySide6 6.12.0 on CPython 3.11 over-releases None/True on every call
of a C++ method returning void, and the process aborts after ~5,000 such calls. 20,000 of them
must run without a crash. Run in a child process, so that an abort fails this test only."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

CODE = textwrap.dedent("""
    from PySide6.QtCore import QObject, QTimer, Signal
    from PySide6.QtWidgets import QApplication, QLabel, QProgressBar, QPushButton, QWidget

    class Emitter(QObject):
        ping = Signal(int)

    app = QApplication([])
    w = QWidget()
    label = QLabel(w)
    button = QPushButton(w)
    bar = QProgressBar(w)
    timer = QTimer()
    e = Emitter()
    seen = []
    e.ping.connect(seen.append)
    for i in range(20_000):
        label.setText(str(i))           # void
        e.ping.emit(i)                  # void
        w.setVisible(True)              # void
        button.setEnabled(i % 2 == 0)   # void
        bar.setValue(i % 100)           # void
        timer.setInterval(i % 50)       # void
        label.setToolTip("")            # void
    app.processEvents()
    assert len(seen) == 20_000
    print("ok", len(seen))
""")


def test_twenty_thousand_void_calls_do_not_crash(tmp_path):
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    result = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, env=env,
                            timeout=240, cwd=tmp_path)
    assert result.returncode == 0, (result.returncode, result.stderr[-2000:])
    assert "ok 20000" in result.stdout
