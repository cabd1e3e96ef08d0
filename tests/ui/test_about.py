"""Help → About: versions, the keyring backend, the profile's folders with "Open folder"."""

from __future__ import annotations

import platform
import uuid

import pytest
from PySide6.QtCore import QObject, Qt, QUrl, Slot, qVersion
from PySide6.QtGui import QDesktopServices, QGuiApplication

from callviewer import __version__
from callviewer.core import Core
from callviewer.secrets import OsKeyStore
from callviewer.store import Store
from callviewer.ui.about import CHECKING_TEXT, ICON_PX, AboutDialog
from tests.ui.test_mainwindow import WAIT, close_window, make_window, wcore, window  # noqa: F401


@pytest.fixture(scope="module", autouse=True)
def _loop_active(loop_running):
    yield


class UrlCatcher(QObject):
    """Takes the place of the desktop's file manager (QDesktopServices.setUrlHandler)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[QUrl] = []

    @Slot(QUrl)
    def handle(self, url: QUrl) -> None:
        self.urls.append(url)


@pytest.fixture
def file_manager():
    catcher = UrlCatcher()
    QDesktopServices.setUrlHandler("file", catcher, "handle")
    yield catcher
    QDesktopServices.unsetUrlHandler("file")


def test_about_shows_versions_keyring_and_folders(qtbot, window, wcore):
    about = window.open_about()
    assert isinstance(about, AboutDialog) and about.isVisible()
    assert about.windowTitle() == "About callviewer"
    assert about.title_label.text() == f"callviewer {__version__}"
    assert about.qt_label.text().startswith(qVersion())
    assert "PySide6" in about.qt_label.text()
    assert about.python_label.text().startswith(platform.python_version())
    # the keyring backend is found on a worker thread
    qtbot.waitUntil(lambda: about.keyring_text() != CHECKING_TEXT, timeout=WAIT)
    assert about.keyring_text() == wcore.keys.backend_description()
    assert about.data_label.text() == str(wcore.profile.root)
    assert about.logs_label.text() == str(wcore.profile.logs_dir)
    text = about.text()
    for part in (f"callviewer {__version__}", f"Qt: {qVersion()}", f"Python: {platform.python_version()}",
                 f"Keyring: {about.keyring_text()}", f"Data folder: {wcore.profile.root}",
                 f"Logs folder: {wcore.profile.logs_dir}"):
        assert part in text
    pixmap = about.icon_label.pixmap()
    assert not pixmap.isNull() and pixmap.width() == ICON_PX
    for label in (about.title_label, about.keyring_label, about.data_label, about.logs_label):
        assert label.textFormat() == Qt.TextFormat.PlainText
    # one About box at a time
    assert window.open_about() is about
    about.close()
    qtbot.waitUntil(lambda: window._about is None, timeout=WAIT)


def test_open_folder_buttons_open_the_data_and_logs_folders(qtbot, window, wcore, file_manager):
    about = window.open_about()
    qtbot.mouseClick(about.open_data_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(about.open_logs_button, Qt.MouseButton.LeftButton)
    assert file_manager.urls == [QUrl.fromLocalFile(str(wcore.profile.root)),
                                 QUrl.fromLocalFile(str(wcore.profile.logs_dir))]
    assert about.status_label.text() == ""
    about.close()


def test_copy_details_copies_the_text(qtbot, window):
    about = window.open_about()
    qtbot.waitUntil(lambda: about.keyring_text() != CHECKING_TEXT, timeout=WAIT)
    QGuiApplication.clipboard().clear()
    qtbot.mouseClick(about.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == about.text()
    about.close()


def test_the_demo_about_says_its_profile_goes_away(qtbot, wcore, tmp_path, qloop):  # noqa: F811
    w = make_window(qtbot, wcore, tmp_path, demo=True)
    try:
        about = w.open_about()
        assert any("deleted when the window closes" in lab.text()
                   for lab in about.findChildren(type(about.title_label)))
        about.close()
    finally:
        close_window(qtbot, w)


def test_about_names_an_unusable_keyring_and_still_opens(qtbot, tmp_path, qloop, monkeypatch):
    import keyring
    from keyring.backends import fail

    monkeypatch.setattr(keyring, "get_keyring", lambda: fail.Keyring())
    from callviewer.profile import Profile

    profile = Profile.open(tmp_path / "p")
    core = Core(profile, Store.open(profile.db_path), OsKeyStore(uuid.uuid4().hex))
    w = make_window(qtbot, core, tmp_path)
    try:
        about = w.open_about()
        qtbot.waitUntil(lambda: about.keyring_text() != CHECKING_TEXT, timeout=WAIT)
        assert about.keyring_text().startswith("none usable: ")
        about.close()
    finally:
        close_window(qtbot, w)
        core.close()


def test_about_without_a_running_loop_asks_at_once(qtbot, wcore, monkeypatch):  # noqa: F811
    import asyncio

    class NotRunning:
        def is_running(self) -> bool:
            return False

    monkeypatch.setattr(asyncio, "get_event_loop", lambda: NotRunning())
    about = AboutDialog(wcore)
    qtbot.addWidget(about)
    assert about.keyring_text() == wcore.keys.backend_description()
