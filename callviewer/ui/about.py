"""Help → About: the version, Qt and Python, the keyring backend in use, and the profile's data
and log folders with buttons that open them in the file manager.

The keyring backend is found on a worker thread (probing it talks to D-Bus); until then the
line says "checking…". The dialog is opened with `open()`, like every dialog here.
"""

from __future__ import annotations

import asyncio
import logging
import platform
from pathlib import Path

from PySide6.QtCore import QUrl, Qt, qVersion
from PySide6.QtGui import QDesktopServices, QGuiApplication, QPalette
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from callviewer import __version__
from callviewer.core import Core
from callviewer.ui.appicon import app_icon

log = logging.getLogger(__name__)

CHECKING_TEXT = "checking…"
ICON_PX = 64


def _label(text: str, parent: QWidget, *, selectable: bool = True) -> QLabel:
    label = QLabel(parent)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setText(text)
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def open_folder(path: Path) -> bool:
    """Shows `path` in the desktop's file manager (created first if it is missing)."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        pass
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def _pyside_version() -> str:
    import PySide6

    return getattr(PySide6, "__version__", "?")


class AboutDialog(QDialog):
    def __init__(self, core: Core, parent: QWidget | None = None, *, demo: bool = False) -> None:
        super().__init__(parent)
        self.core = core
        self.demo = demo
        self._task: asyncio.Task | None = None
        self.setObjectName("aboutDialog")
        self.setWindowTitle("About callviewer")
        self.data_dir = core.profile.root
        self.logs_dir = core.profile.logs_dir

        icon = QLabel(self)
        icon.setPixmap(app_icon().pixmap(ICON_PX, ICON_PX))
        icon.setFixedSize(ICON_PX, ICON_PX)
        icon.setAccessibleName("callviewer icon")
        self.icon_label = icon
        self.title_label = _label(f"callviewer {__version__}", self)
        f = self.title_label.font()
        f.setPointSizeF(f.pointSizeF() * 1.4)
        f.setBold(True)
        self.title_label.setFont(f)
        blurb = _label("A local-first call browser for Atlas, Callab and Vatel: your calls, their "
                       "transcripts and recordings, synced to this computer.", self, selectable=False)
        blurb.setWordWrap(True)
        head_text = QVBoxLayout()
        head_text.setSpacing(4)
        head_text.addWidget(self.title_label)
        head_text.addWidget(blurb)
        head = QHBoxLayout()
        head.setSpacing(16)
        head.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        head.addLayout(head_text, 1)

        self.qt_label = _label(f"{qVersion()} (PySide6 {_pyside_version()})", self)
        self.python_label = _label(f"{platform.python_version()} ({platform.python_implementation()})",
                                   self)
        self.keyring_label = _label(CHECKING_TEXT, self)
        self.keyring_label.setWordWrap(True)
        self.keyring_label.setAccessibleName("Keyring backend")
        self.data_label = _label(str(self.data_dir), self)
        self.logs_label = _label(str(self.logs_dir), self)
        for lab, name in ((self.data_label, "Data folder"), (self.logs_label, "Logs folder")):
            lab.setWordWrap(True)
            lab.setAccessibleName(name)
        self.open_data_button = QPushButton("Open folder", self)
        self.open_data_button.setAccessibleName("Open the data folder")
        self.open_logs_button = QPushButton("Open folder", self)
        self.open_logs_button.setAccessibleName("Open the logs folder")
        for b in (self.open_data_button, self.open_logs_button):
            b.setAutoDefault(False)
        self.open_data_button.clicked.connect(lambda: self._open(self.data_dir))
        self.open_logs_button.clicked.connect(lambda: self._open(self.logs_dir))

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Qt", self.qt_label)
        form.addRow("Python", self.python_label)
        form.addRow("Keyring", self.keyring_label)
        form.addRow("Data folder", self._with_button(self.data_label, self.open_data_button))
        form.addRow("Logs folder", self._with_button(self.logs_label, self.open_logs_button))
        if demo:
            note = _label("This demo profile is deleted when the window closes.", self, selectable=False)
            note.setForegroundRole(QPalette.ColorRole.PlaceholderText)
            form.addRow("", note)

        self.status_label = _label("", self, selectable=False)
        self.status_label.setWordWrap(True)
        self.status_label.setAccessibleName("About status")

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.copy_button = self.buttons.addButton("Copy details", QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.setToolTip("Copy these details, e.g. for a bug report")
        self.copy_button.setAutoDefault(False)
        self.copy_button.clicked.connect(self.copy_details)
        self.buttons.rejected.connect(self.reject)

        lay = QVBoxLayout(self)
        lay.setSpacing(12)
        lay.addLayout(head)
        lay.addLayout(form)
        lay.addWidget(self.status_label)
        lay.addWidget(self.buttons)
        self.setMinimumWidth(520)
        self._start_keyring_probe()

    @staticmethod
    def _with_button(label: QLabel, button: QPushButton) -> QWidget:
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(label, 1)
        row.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
        return box

    # -- the keyring line ------------------------------------------------------------------------
    def _start_keyring_probe(self) -> None:
        describe = getattr(self.core.keys, "backend_description", None)
        if describe is None:
            self.keyring_label.setText("unknown")
            return
        try:
            running = asyncio.get_event_loop().is_running()
        except RuntimeError:
            running = False
        if not running:  # no loop (a script, a test without one): ask right here
            self.keyring_label.setText(self._describe(describe))
            return
        self._task = asyncio.ensure_future(self._probe(describe))

    @staticmethod
    def _describe(describe) -> str:
        try:
            return str(describe())
        except Exception as e:  # the About box must open whatever the keyring does
            log.warning("describing the keyring failed: %s", type(e).__name__)
            return f"none usable: {type(e).__name__}"

    async def _probe(self, describe) -> None:
        try:
            text = await asyncio.to_thread(self._describe, describe)
        except asyncio.CancelledError:
            return  # the dialog was closed: touch none of its widgets
        self.keyring_label.setText(text)

    def keyring_text(self) -> str:
        return self.keyring_label.text()

    # -- actions ---------------------------------------------------------------------------------
    def _open(self, path: Path) -> None:
        if open_folder(path):
            self.status_label.setText("")
        else:
            self.status_label.setText(f"Could not open {path}: no file manager answered.")

    def text(self) -> str:
        """Everything the dialog says, as plain text (what "Copy details" copies)."""
        lines = [
            self.title_label.text(),
            f"Qt: {self.qt_label.text()}",
            f"Python: {self.python_label.text()}",
            f"Keyring: {self.keyring_label.text()}",
            f"Data folder: {self.data_label.text()}",
            f"Logs folder: {self.logs_label.text()}",
        ]
        return "\n".join(lines)

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.text())
        self.status_label.setText("Copied.")

    def done(self, result: int) -> None:  # noqa: D401 - Qt override
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = None
        super().done(result)
