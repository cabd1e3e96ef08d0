"""The first run: the welcome page with no account, then the first account walked through the
dialog (provider, key, test, save) into its first sync, which the window shows as it runs."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QProcess, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QLabel

from callviewer.profile import APP_ID
from callviewer.ui.accountdialog import CONNECTED_TEXT, KEYRING_TEXT, AccountDialog, key_hint_text
from callviewer.ui.app import set_identity
from callviewer.ui.appicon import ICON_SIZES, app_icon, icon_file
from callviewer.ui.mainwindow import (
    FETCHING_TEXT,
    NO_CALLS_TEXT,
    WELCOME_TITLE,
    demo_command,
    keyring_name,
)
from callviewer.ui.models.sidebar import AccountNameRole, NodeKindRole
from tests.conftest import SIM_KEYS
from tests.ui.test_mainwindow import (  # noqa: F401 (fixtures)
    WAIT,
    account_text,
    close_window,
    make_window,
    run,
    sim30,
    wcore,
    window,
)


@pytest.fixture(scope="module", autouse=True)
def _loop_active(loop_running):
    yield


def _texts(widget) -> list[str]:
    return [lab.text() for lab in widget.findChildren(QLabel) if lab.text()]


def test_the_welcome_page_says_what_callviewer_does_and_where_keys_live(window, wcore):
    assert window.showing_welcome()
    assert window.page_stack.currentWidget() is window.empty_page
    assert not window.main_splitter.isVisible()  # the whole window is the welcome page
    texts = _texts(window.empty_page)
    assert WELCOME_TITLE in texts
    blurb = window.welcome_text.text()
    for word in ("Atlas", "Callab", "Vatel", "transcripts", "recordings", "offline"):
        assert word in blurb
    privacy = window.welcome_privacy.text()
    assert keyring_name() in privacy and "never in a file" in privacy
    assert str(wcore.profile.root) in privacy
    for label in (window.welcome_title, window.welcome_text, window.welcome_privacy):
        assert label.textFormat() == Qt.TextFormat.PlainText
    pixmap = window.welcome_icon.pixmap()
    assert not pixmap.isNull() and pixmap.width() >= 64
    assert window.empty_add_button.isVisible() and window.empty_add_button.isDefault()
    assert window.demo_button.isVisible()
    assert window.empty_add_button.accessibleName() and window.demo_button.accessibleName()


def test_the_demo_window_skips_the_welcome_page(qtbot, wcore, tmp_path, qloop):  # noqa: F811
    w = make_window(qtbot, wcore, tmp_path, demo=True)
    try:
        assert not w.showing_welcome() and w.main_splitter.isVisible()
    finally:
        close_window(qtbot, w)


def test_keyring_name_per_platform():
    assert "Keychain" in keyring_name("darwin")
    assert "Credential Locker" in keyring_name("win32")
    assert "Secret Service" in keyring_name("linux")


def test_try_the_demo_starts_a_second_process(window, monkeypatch):
    started = []

    def fake_start(program, args, *rest):
        started.append([program, *args])
        return True

    monkeypatch.setattr(QProcess, "startDetached", staticmethod(fake_start))
    window.demo_button.click()
    assert started == [demo_command()]
    assert "demo" in window.statusBar().currentMessage().lower()


def test_demo_command_from_source_and_from_the_bundle():
    assert demo_command("/venv/bin/python", frozen=False) == ["/venv/bin/python", "-m", "callviewer", "--demo"]
    # In the PyInstaller bundle sys.executable is callviewer itself, which has no `-m`.
    assert demo_command("/opt/callviewer/callviewer", frozen=True) == ["/opt/callviewer/callviewer", "--demo"]
    assert demo_command()[0] == sys.executable


def test_the_key_hint_follows_the_provider(window):
    dialog = window.open_add_account()
    try:
        for provider, label in (("atlas", "Atlas"), ("callab", "Callab"), ("vatel", "Vatel")):
            dialog.provider_combo.setCurrentIndex(dialog.provider_combo.findData(provider))
            hint = dialog.key_hint.text()
            assert hint == key_hint_text(provider)
            assert f"{label} dashboard" in hint and "API keys" in hint and KEYRING_TEXT in hint
    finally:
        dialog.reject()


def test_the_first_account_walkthrough_ends_in_its_first_sync(qtbot, window, wcore, sim30):  # noqa: F811
    assert window.showing_welcome()
    # a slow provider, so that the sync can be seen while it runs
    sim30.faults.add("vatel", "slow", times=None, delay=0.15)
    reports: dict[str, object] = {}
    window.sync_controller.finished.connect(lambda n, r: reports.__setitem__(n, r))

    qtbot.mouseClick(window.empty_add_button, Qt.MouseButton.LeftButton)
    dialog = window._account_dialog
    assert isinstance(dialog, AccountDialog) and dialog.isVisible()
    assert dialog.windowTitle() == "Add account"
    # provider, name, key (and the simulator's address under Advanced)
    dialog.provider_combo.setCurrentIndex(dialog.provider_combo.findData("vatel"))
    assert "Vatel dashboard" in dialog.key_hint.text()
    dialog.name_edit.setText("My Vatel")
    dialog.key_edit.setText(SIM_KEYS["vatel"])
    dialog.advanced.set_expanded(True)
    dialog.url_edit.setText(sim30.base_urls["vatel"])
    # test
    qtbot.mouseClick(dialog.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.status_text() == CONNECTED_TEXT, timeout=WAIT)
    # save: the dialog closes, the welcome page goes, the new account is selected and syncing
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window._account_dialog is None, timeout=WAIT)
    assert [a.name for a in wcore.store.accounts()] == ["My Vatel"]
    assert not window.showing_welcome()
    assert window.main_splitter.isVisible()
    current = window.sidebar.currentIndex()
    assert current.data(NodeKindRole) == "account" and current.data(AccountNameRole) == "My Vatel"
    account_id = wcore.store.get_account("My Vatel").id
    assert window.call_model.query().account_ids == [account_id]
    assert window.sync_controller.is_running("My Vatel") or "My Vatel" in reports
    if "My Vatel" not in reports:  # (it is slow: this is the usual case)
        assert window.progress_bar.isVisible() and window.cancel_sync_button.isVisible()
        assert window.progress_label.text() == "Syncing My Vatel…"
        assert "syncing" in account_text(window, "My Vatel")
        if window.call_model.rowCount() == 0:
            assert window.table.placeholder() == FETCHING_TEXT
    qtbot.waitUntil(lambda: "My Vatel" in reports, timeout=WAIT * 2)
    assert reports["My Vatel"].state == "ok"
    qtbot.waitUntil(lambda: window.call_model.rowCount() > 0, timeout=WAIT)
    assert not window.progress_bar.isVisible()
    assert "synced" in account_text(window, "My Vatel")
    assert window.table.placeholder() == NO_CALLS_TEXT
    assert window.sidebar.currentIndex().data(AccountNameRole) == "My Vatel"
    rows = {window.call_model.call_row(r).account for r in range(window.call_model.rowCount())}
    assert rows == {"My Vatel"}


def test_a_failed_save_keeps_the_welcome_page(qtbot, window, wcore, sim30):  # noqa: F811
    dialog = window.open_add_account()
    dialog.provider_combo.setCurrentIndex(dialog.provider_combo.findData("atlas"))
    dialog.name_edit.setText("Atlas")
    dialog.key_edit.setText("not-the-key")
    dialog.url_edit.setText(sim30.base_urls["atlas"])
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "rejected" in dialog.status_text().lower(), timeout=WAIT)
    assert dialog.isVisible() and window.showing_welcome()
    assert wcore.store.accounts() == []
    dialog.reject()


def test_the_window_icon_is_the_application_icon(qapp):
    for n in ICON_SIZES:
        assert icon_file(n).is_file(), icon_file(n)
    icon = app_icon()
    assert not icon.isNull()
    sizes = {s.width() for s in icon.availableSizes()}
    assert set(ICON_SIZES) <= sizes
    saved = (qapp.applicationName(), qapp.organizationName(), qapp.applicationVersion(),
             QGuiApplication.desktopFileName(), qapp.windowIcon())
    try:
        set_identity(qapp)
        assert QGuiApplication.desktopFileName() == APP_ID
        assert QApplication.applicationName() == "callviewer"
        assert not QApplication.windowIcon().isNull()
        assert QApplication.windowIcon().pixmap(32, 32).width() == 32
    finally:
        qapp.setApplicationName(saved[0])
        qapp.setOrganizationName(saved[1])
        qapp.setApplicationVersion(saved[2])
        QGuiApplication.setDesktopFileName(saved[3])
        qapp.setWindowIcon(saved[4])


def test_an_unusable_profile_is_a_message_not_a_traceback(qapp, tmp_path, monkeypatch):
    import callviewer.ui.app as ui_app

    shown: list[str] = []
    monkeypatch.setattr(ui_app, "_fatal", lambda text: shown.append(text) or 1)
    a_file = tmp_path / "notadir"
    a_file.write_text("")
    assert ui_app.run_gui(profile=str(a_file), demo=False, debug=False) == 1
    assert shown == [f"the profile {a_file} is a file, not a folder"]
