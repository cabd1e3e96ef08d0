"""The "Add account" / "Edit account" dialog on its own: its size follows its contents (the
"Advanced" section, wrapped hints and errors), errors wrap inside it and point at the field to
fix, and every control is named and reached in order. No request is made here: testing and
saving against a provider are in test_first_run.py and test_mainwindow.py."""

from __future__ import annotations

import os
import subprocess
import sys
from itertools import combinations

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QWidget,
)

from callviewer.errors import Offline, error_text
from callviewer.secrets import Secret
from callviewer.ui.accountdialog import (
    KEY_MISSING_TEXT,
    MIN_WIDTH,
    NAME_MISSING_TEXT,
    AccountDialog,
    wrappable,
)

#: What QA saw clipped: a host name too long for one line, one with no break in it at all.
LONG_HOST = "some-very-long-host-name-that-goes-on-and-on.example.invalid"
UNBROKEN_HOST = "averyveryverylonghostnamewithoutanyhyphensatallreallyreallyyes.example.invalid"


def long_error(host: str) -> str:
    return error_text(Offline(f"cannot reach Atlas at {host} (connection refused: [Errno -2] "
                              "Name or service not known)"))


def settle() -> None:
    """Lets Qt redo the layouts (posted LayoutRequests) and the resizes they cause."""
    for _ in range(3):
        QApplication.sendPostedEvents()
        QApplication.processEvents()


def in_dialog(dialog: QWidget, w: QWidget) -> QRect:
    return QRect(w.mapTo(dialog, QPoint(0, 0)), w.size())


def assert_everything_fits(dialog: AccountDialog) -> None:
    """Every visible text fits whole: inside the dialog, on top of nothing else, a wrapped label
    as tall as its lines at its width and as wide as its longest unbreakable piece."""
    controls = [w for w in dialog.findChildren(QWidget)
                if isinstance(w, (QLabel, QLineEdit, QComboBox, QAbstractButton))
                and w.isVisible() and not (isinstance(w, QLabel) and not w.text())]
    assert dialog.height() >= dialog.minimumHeight() >= dialog.heightForWidth(dialog.width())
    for w in controls:
        assert dialog.rect().contains(in_dialog(dialog, w)), (w.accessibleName() or w.text(), w.geometry())
    for a, b in combinations(controls, 2):
        assert not in_dialog(dialog, a).intersects(in_dialog(dialog, b)), (a.text(), b.text())
    for label in (w for w in controls if isinstance(w, QLabel)):
        if label.wordWrap():
            assert label.height() >= label.heightForWidth(label.width()), label.text()
            assert label.minimumSizeHint().width() <= label.width(), label.text()
        else:
            assert label.width() >= label.sizeHint().width(), label.text()
            assert label.height() >= label.sizeHint().height(), label.text()


def _shown(qtbot, d: AccountDialog):
    qtbot.addWidget(d)
    d.show()
    qtbot.waitExposed(d)
    settle()
    yield d
    d.reject()


@pytest.fixture
def dialog(qtbot, core):
    yield from _shown(qtbot, AccountDialog(core))


@pytest.fixture
def edit_dialog(qtbot, core):
    core.store.add_account("Prod", "vatel", "https://calls.example.test/v1")
    core.keys.set("Prod", Secret("old-key"))
    yield from _shown(qtbot, AccountDialog(core, account=core.store.get_account("Prod")))


# -- size ------------------------------------------------------------------------------------

def test_advanced_makes_the_dialog_taller_and_the_key_hint_keeps_its_lines(dialog):
    assert dialog.width() >= MIN_WIDTH
    assert not dialog.url_edit.isVisible()
    assert_everything_fits(dialog)
    closed = (dialog.minimumHeight(), dialog.sizeHint().height(), dialog.height())
    hint = dialog.key_hint.geometry()

    dialog.advanced.button.click()  # no adjustSize(): the dialog grows by itself
    settle()
    assert dialog.url_edit.isVisible()
    assert dialog.minimumHeight() > closed[0]
    assert dialog.sizeHint().height() > closed[1]
    assert dialog.height() > closed[2]
    assert dialog.key_hint.geometry() == hint  # not squeezed, nor moved under the key field
    assert_everything_fits(dialog)

    dialog.advanced.button.click()  # and shrinks back
    settle()
    assert not dialog.url_edit.isVisible()
    assert (dialog.minimumHeight(), dialog.height()) == (closed[0], closed[0])
    assert_everything_fits(dialog)


def test_the_minimum_height_follows_the_width(dialog):
    dialog.advanced.set_expanded(True)
    dialog._set_status(long_error(LONG_HOST), error=True)
    settle()
    assert_everything_fits(dialog)
    narrow = dialog.minimumHeight()
    dialog.resize(MIN_WIDTH * 2, dialog.height())  # wider: fewer lines
    settle()
    assert_everything_fits(dialog)
    assert dialog.minimumHeight() < narrow
    dialog.resize(MIN_WIDTH, dialog.minimumHeight())  # narrow again: the dialog grows back
    settle()
    assert dialog.width() == MIN_WIDTH and dialog.minimumHeight() == narrow
    assert_everything_fits(dialog)
    # it cannot be made smaller than what it shows
    dialog.resize(100, 100)
    settle()
    assert dialog.width() == MIN_WIDTH and dialog.height() >= narrow
    assert_everything_fits(dialog)


def test_the_edit_dialog_opens_with_advanced_shown_and_fitting(edit_dialog):
    assert edit_dialog.advanced.is_expanded() and edit_dialog.url_edit.isVisible()
    assert edit_dialog.url_edit.text() == "https://calls.example.test/v1"
    assert MIN_WIDTH <= edit_dialog.width() < 640  # not the 640×480 of a window never sized
    assert_everything_fits(edit_dialog)


@pytest.mark.parametrize("host", [LONG_HOST, UNBROKEN_HOST])
def test_a_long_error_wraps_inside_the_dialog(dialog, host):
    dialog.advanced.set_expanded(True)
    settle()
    width, before = dialog.width(), dialog.height()
    text = long_error(host)
    dialog._set_status(text, error=True)
    settle()
    label = dialog.status_label
    assert dialog.status_text() == text  # as set: the break opportunities are only shown
    assert label.accessibleDescription() == text
    assert label.text().replace("\u200b", "") == text
    assert label.heightForWidth(label.width()) >= 3 * label.fontMetrics().height()  # it wraps
    assert dialog.width() == width  # it wraps instead of widening the dialog
    assert dialog.height() > before  # and the dialog grew for the third line
    assert_everything_fits(dialog)


def test_wrappable_breaks_only_long_words():
    assert wrappable("Cannot reach Atlas at api.atlas.test (timeout)") == \
        "Cannot reach Atlas at api.atlas.test (timeout)"
    out = wrappable(f"at {UNBROKEN_HOST} (x)")
    assert out.replace("\u200b", "") == f"at {UNBROKEN_HOST} (x)"
    assert all(len(piece) <= 24 for word in out.split() for piece in word.split("\u200b"))
    assert "example.\u200binvalid" in out  # after the dots first
    assert wrappable("") == ""


# -- errors point at the field to fix ----------------------------------------------------------

def test_an_empty_name_asks_for_a_name_and_focuses_it(dialog):
    dialog.key_edit.setFocus()
    for name in ("", "   "):
        dialog.name_edit.setText(name)
        dialog.key_edit.setText("k")
        dialog.save()
        assert dialog.status_text() == NAME_MISSING_TEXT
        assert "invalid" not in dialog.status_text().lower() and "''" not in dialog.status_text()
        assert dialog.focusWidget() is dialog.name_edit
        assert not dialog.is_busy()
        dialog.key_edit.setFocus()
    # a name that is wrong (not empty) still says how it must look
    dialog.name_edit.setText("bad/name")
    dialog.save()
    assert "letters, digits" in dialog.status_text()
    assert dialog.focusWidget() is dialog.name_edit


def test_an_empty_key_asks_for_the_key_and_focuses_it(dialog):
    dialog.name_edit.setText("Prod")
    dialog.key_edit.setText("  ")
    dialog.name_edit.setFocus()
    dialog.save()
    assert dialog.status_text() == KEY_MISSING_TEXT
    assert dialog.focusWidget() is dialog.key_edit and not dialog.is_busy()
    dialog.name_edit.setFocus()
    dialog.test_connection()  # testing needs the key too (not the name)
    assert dialog.status_text() == KEY_MISSING_TEXT
    assert dialog.focusWidget() is dialog.key_edit and not dialog.is_busy()


def test_a_bad_base_url_opens_advanced_and_focuses_it(dialog):
    dialog.name_edit.setText("Prod")
    dialog.key_edit.setText("k")
    dialog.url_edit.setText("ftp://nope")  # typed earlier, then "Advanced" was closed
    assert not dialog.advanced.is_expanded()
    dialog.save()
    assert "base URL" in dialog.status_text()
    assert dialog.advanced.is_expanded() and dialog.focusWidget() is dialog.url_edit
    settle()
    assert_everything_fits(dialog)


def test_the_edit_dialog_asks_for_a_name_but_not_for_the_key(edit_dialog):
    edit_dialog.name_edit.setText("")
    edit_dialog.save()
    assert edit_dialog.status_text() == NAME_MISSING_TEXT
    assert edit_dialog.focusWidget() is edit_dialog.name_edit


# -- accessibility ---------------------------------------------------------------------------

def test_every_control_is_named_and_tab_goes_down_the_dialog(dialog):
    dialog.advanced.set_expanded(True)
    settle()
    expected = ["Provider", "Account name", "API key", "Advanced settings", "Base URL",
                "Test connection", "Save account", "Cancel"]
    focusable = [w for w in dialog.findChildren(QWidget)
                 if w.isVisible() and w.focusPolicy().value & Qt.FocusPolicy.TabFocus.value]
    assert sorted(w.accessibleName() for w in focusable) == sorted(expected)
    chain, w = [], dialog.provider_combo
    while len(chain) < len(expected):
        chain.append(w.accessibleName())
        w = w.nextInFocusChain()
        while w not in focusable:
            w = w.nextInFocusChain()
    assert chain == expected
    assert dialog.status_label.accessibleName() == "Connection status"
    assert dialog.key_edit.accessibleDescription() == dialog.key_hint.text()


# -- at twice the scale (QT_SCALE_FACTOR is read when the application starts) -------------------

SCALED_CHECK = """
import sys, tempfile
from pathlib import Path
from PySide6.QtWidgets import QApplication
from callviewer.core import Core
from callviewer.profile import Profile
from callviewer.secrets import MemoryKeyStore
from callviewer.ui.accountdialog import AccountDialog
from tests.ui.test_accountdialog import LONG_HOST, assert_everything_fits, long_error, settle

app = QApplication(sys.argv)
assert app.primaryScreen().devicePixelRatio() == 2
core = Core.open(Profile.open(Path(tempfile.mkdtemp()) / "p"), MemoryKeyStore())
d = AccountDialog(core)
d.show()
settle()
assert_everything_fits(d)
d.advanced.button.click()
settle()
assert_everything_fits(d)
d._set_status(long_error(LONG_HOST), error=True)
settle()
assert_everything_fits(d)
d.hide()
core.close()
print("fits")
"""


def test_everything_fits_at_twice_the_scale(tmp_path):
    env = {**os.environ, "QT_SCALE_FACTOR": "2", "QT_QPA_PLATFORM": "offscreen"}
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    done = subprocess.run([sys.executable, "-c", SCALED_CHECK], env=env, cwd=root, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "fits", done.stderr[-2000:]
