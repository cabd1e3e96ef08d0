"""The "Add account" / "Edit account" dialog.

Opened with `open()` (never `exec()`): testing the connection and saving run as asyncio tasks on
the qasync loop, so the dialog and the window stay responsive. Every failure is shown inside the
dialog as plain text, word-wrapped, with the field to fix focused; the dialog closes only when the
account was stored. The dialog is never shorter than its contents at its current width (see
`AccountDialog._fit_height`).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Coroutine
from typing import Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QPalette, QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from callviewer.core import Core, check_account_name, check_base_url
from callviewer.domain import Account
from callviewer.errors import CallviewerError, UsageError, error_text
from callviewer.providers import default_base_url
from callviewer.secrets import Secret
from callviewer.ui.details import CollapsibleSection

log = logging.getLogger(__name__)

PROVIDERS = (("atlas", "Atlas"), ("callab", "Callab"), ("vatel", "Vatel"))
#: Which key each provider wants (as the README says, without menu paths we cannot vouch for).
KEY_KINDS = {
    "atlas": "the account's API key",
    "callab": "an API key (or a JWT)",
    "vatel": "the organization's API key",
}
KEYRING_TEXT = "Kept only in the system keyring, never in a file."
NAME_MISSING_TEXT = "Enter an account name"
KEY_MISSING_TEXT = "Enter the API key"
MIN_WIDTH = 460

#: QLabel wraps only between words, so one long word (a host name, a URL) would run past the
#: dialog's right edge and be cut off. Words longer than `_LONG_WORD` characters get zero-width
#: spaces (break opportunities, invisible) after these separators, and every `_LONG_WORD`
#: characters of whatever is still that long.
_BREAK_AFTER = "./-_:?&=@,;"
_LONG_WORD = 24
_ZWSP = "\u200b"
_LONG_WORD_RE = re.compile(rf"\S{{{_LONG_WORD + 1},}}")
_SEPARATOR_RE = re.compile(rf"(?<=[{re.escape(_BREAK_AFTER)}])")


def wrappable(text: str) -> str:
    """`text` as a word-wrapped label should show it: long words may break (see `_BREAK_AFTER`)."""
    def split(match: re.Match[str]) -> str:
        pieces = []
        for part in _SEPARATOR_RE.split(match.group(0)):
            pieces.extend(part[i:i + _LONG_WORD] for i in range(0, len(part), _LONG_WORD))
        return _ZWSP.join(pieces)

    return _LONG_WORD_RE.sub(split, text)


def key_hint_text(provider: str) -> str:
    """Where the key comes from and where it goes, under the key field."""
    label = dict(PROVIDERS).get(provider, provider)
    kind = KEY_KINDS.get(provider, "the API key")
    return f"Use {kind}, from the {label} dashboard under its API keys settings. {KEYRING_TEXT}"


CONNECTED_TEXT = "Connected ✓"


def _spawn(coro: Coroutine[Any, Any, Any]) -> asyncio.Task:
    return asyncio.ensure_future(coro)


async def update_account(core: Core, account: Account, *, new_name: str, base_url: str,
                         key: Secret | None, verify: bool) -> Account:
    """Rename / move / re-key an account. The keyring is touched only on worker threads.

    With `verify`, a new key or a new base URL is checked first (with the stored key when no new
    key is given). On a rename the key moves to the new name before the store changes, and is put
    back if the store refuses.
    """
    new_name = check_account_name(new_name)
    base_url = check_base_url(base_url)
    url_changed = base_url != account.base_url
    if new_name != account.name and any(a.name == new_name for a in core.store.accounts()):
        raise UsageError(f"account {new_name!r} already exists")
    current_key = key
    if verify and (key is not None or url_changed):
        if current_key is None:
            current_key = await asyncio.to_thread(core.keys.get, account.name)
        await core.verify_key(account.provider, base_url, current_key)
    if new_name != account.name:
        if current_key is None:
            current_key = await asyncio.to_thread(core.keys.get, account.name)
        await asyncio.to_thread(core.keys.set, new_name, current_key)
        try:
            updated = core.store.update_account(account.name, new_name=new_name,
                                                base_url=base_url if url_changed else None)
        except BaseException:
            await asyncio.to_thread(core.keys.delete, new_name)
            raise
        try:
            await asyncio.to_thread(core.keys.delete, account.name)
        except CallviewerError as e:  # the account works; only a stale keyring entry is left
            log.warning("could not delete the old keyring entry of %s: %s", account.name, e)
        return updated
    if key is not None:
        await asyncio.to_thread(core.keys.set, account.name, key)
    if url_changed:
        return core.store.update_account(account.name, base_url=base_url)
    return core.store.get_account(account.name)


class AccountDialog(QDialog):
    """Provider, name, API key and (under "Advanced") the base URL of an account.

    `saved(Account)` is emitted once the account is stored (added, or updated in edit mode, where
    `original_name` is the name it had). Open it with `open()`.
    """

    saved = Signal(object)

    def __init__(self, core: Core, parent: QWidget | None = None, *, account: Account | None = None) -> None:
        super().__init__(parent)
        self.core = core
        self.account = account
        self.original_name = account.name if account else None
        self._task: asyncio.Task | None = None
        self._tested: tuple[str, str, str] | None = None  # (provider, base url, key) that connected
        self._status = ""  # the status as set; the label shows it with break opportunities
        self.setWindowTitle("Edit account" if account else "Add account")
        self.setObjectName("accountDialog")
        self.setModal(True)

        self.provider_combo = QComboBox(self)
        for value, label in PROVIDERS:
            self.provider_combo.addItem(label, value)
        self.provider_combo.setAccessibleName("Provider")
        self.name_edit = QLineEdit(self)
        self.name_edit.setPlaceholderText("e.g. Production")
        self.name_edit.setAccessibleName("Account name")
        self.name_edit.setMaxLength(64)
        self.key_edit = QLineEdit(self)
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setAccessibleName("API key")
        self.key_edit.setPlaceholderText("Leave empty to keep the current key" if account
                                         else "Paste the provider's API key")
        self.key_edit.setInputMethodHints(Qt.InputMethodHint.ImhHiddenText
                                          | Qt.InputMethodHint.ImhSensitiveData
                                          | Qt.InputMethodHint.ImhNoPredictiveText)
        self.url_edit = QLineEdit(self)
        self.url_edit.setAccessibleName("Base URL")
        self.url_edit.setToolTip("The API root as the provider documents it; empty for the default")

        advanced = QWidget(self)
        adv_form = QFormLayout(advanced)
        adv_form.setContentsMargins(12, 0, 0, 0)
        adv_form.addRow("Base URL", self.url_edit)
        self.advanced = CollapsibleSection("Advanced", advanced, expanded=False, parent=self)
        self.advanced.button.setAccessibleName("Advanced settings")
        self.advanced.expandedChanged.connect(self._on_advanced)

        self.test_button = QPushButton("Test connection", self)
        self.test_button.setAccessibleName("Test connection")
        self.test_button.setAutoDefault(False)
        self.status_label = QLabel(self)
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label.setAccessibleName("Connection status")
        # Ignored: a long message wraps instead of widening the dialog. (Set before any text:
        # QLabel.setText turns height-for-width back on, which a new size policy drops.)
        self.status_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.status_label.setMinimumHeight(self.fontMetrics().height() * 2 + 4)
        self.status_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel, self)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setAccessibleName("Save account")
        self.cancel_button = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setAccessibleName("Cancel")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.test_button.clicked.connect(self.test_connection)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Provider", self.provider_combo)
        form.addRow("Name", self.name_edit)
        form.addRow("API key", self.key_edit)
        key_hint = self.key_hint = QLabel(self)
        key_hint.setTextFormat(Qt.TextFormat.PlainText)
        key_hint.setWordWrap(True)
        key_hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        # An (empty) label cell: QFormLayout gives a row without one its size hint's height, not
        # its height for the width it gets, so the hint's last line was cut off or, on a wide
        # dialog, left a blank line under it.
        form.addRow(QWidget(self), key_hint)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addStretch(1)

        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.advanced)
        lay.addLayout(test_row)
        lay.addWidget(self.status_label)
        lay.addStretch(1)
        lay.addWidget(self.buttons)
        self.setMinimumWidth(MIN_WIDTH)  # the minimum height is kept by `_fit_height`
        # Creation order put the base URL before the "Advanced" button that reveals it.
        chain = (self.provider_combo, self.name_edit, self.key_edit, self.advanced.button,
                 self.url_edit, self.test_button, self.save_button, self.cancel_button)
        for first, second in zip(chain, chain[1:]):
            QWidget.setTabOrder(first, second)

        self.provider_combo.currentIndexChanged.connect(self._on_provider)
        for edit in (self.key_edit, self.url_edit):
            edit.textChanged.connect(self._forget_test)
        self.name_edit.textChanged.connect(lambda _t: self._set_status(""))

        if account is not None:
            self.provider_combo.setCurrentIndex(max(0, self.provider_combo.findData(account.provider)))
            self.provider_combo.setEnabled(False)
            self.name_edit.setText(account.name)
            if account.base_url != default_base_url(account.provider):
                self.url_edit.setText(account.base_url)
                self.advanced.set_expanded(True)
        self._on_provider()

    # -- state -------------------------------------------------------------------------------
    def provider(self) -> str:
        return self.provider_combo.currentData()

    def base_url(self) -> str:
        return self.url_edit.text().strip() or default_base_url(self.provider())

    def status_text(self) -> str:
        """The status as set, without the break opportunities the label shows it with."""
        return self._status

    def is_busy(self) -> bool:
        return self._task is not None and not self._task.done()

    def _on_provider(self, *_args) -> None:
        self.url_edit.setPlaceholderText(default_base_url(self.provider()))
        self.key_hint.setText(key_hint_text(self.provider()))
        self.key_edit.setAccessibleDescription(self.key_hint.text())  # read out with the field
        self._forget_test()

    def _forget_test(self, *_args) -> None:
        self._tested = None
        if not self.is_busy():
            self._set_status("")

    def _set_status(self, text: str, *, error: bool = False) -> None:
        self._status = text
        self.status_label.setText(wrappable(text))
        # the label's text has zero-width spaces in long words: assistive tools get it without
        self.status_label.setAccessibleDescription(text)
        pal = self.palette()
        if error:
            color = pal.color(QPalette.ColorRole.Text)
            color.setRgb(0xD0, 0x30, 0x30) if pal.color(QPalette.ColorRole.Base).lightness() >= 128 \
                else color.setRgb(0xFF, 0x80, 0x80)
            pal.setColor(QPalette.ColorRole.WindowText, color)
        self.status_label.setPalette(pal)

    def _set_busy(self, busy: bool) -> None:
        for w in (self.save_button, self.test_button, self.provider_combo, self.name_edit,
                  self.key_edit, self.url_edit):
            w.setEnabled(not busy and (w is not self.provider_combo or self.account is None))

    def _show_error(self, err: BaseException, field: QWidget | None = None) -> None:
        """Shows `err` in the dialog and puts the focus on the field to fix."""
        self._set_status(error_text(err), error=True)
        if field is not None:
            if field is self.url_edit:
                self.advanced.set_expanded(True)
            field.setFocus(Qt.FocusReason.OtherFocusReason)
            if isinstance(field, QLineEdit):
                field.selectAll()

    def _name(self) -> str:
        if not self.name_edit.text().strip():
            raise UsageError(NAME_MISSING_TEXT)  # not check_account_name's "invalid name ''"
        return check_account_name(self.name_edit.text())

    def _key(self) -> Secret | None:
        text = self.key_edit.text().strip()
        if not text:
            if self.account is not None:
                return None
            raise UsageError(KEY_MISSING_TEXT)
        return Secret(text)

    def _checked(self, *, with_name: bool) -> tuple[str, Secret | None, str] | None:
        """(name, key, base URL) as typed, checked in the order of the fields (the name only
        `with_name`, else ""); None, with the error shown and its field focused, if one is wrong."""
        field: QWidget = self.name_edit
        try:
            name = self._name() if with_name else ""
            field = self.key_edit
            key = self._key()
            field = self.url_edit
            base = check_base_url(self.base_url())
        except (CallviewerError, ValueError) as e:
            self._show_error(e, field)
            return None
        return name, key, base

    def _fingerprint(self) -> tuple[str, str, str]:
        return (self.provider(), self.base_url(), self.key_edit.text().strip())

    # -- test connection -----------------------------------------------------------------------
    def test_connection(self) -> None:
        if self.is_busy():
            return
        checked = self._checked(with_name=False)
        if checked is None:
            return
        _name, key, base = checked
        self._set_status("Testing the connection…")
        self._set_busy(True)
        self._task = _spawn(self._test(key, base))

    async def _test(self, key: Secret | None, base: str) -> None:
        fingerprint = self._fingerprint()
        try:
            if key is None and self.account is not None:
                key = await asyncio.to_thread(self.core.keys.get, self.account.name)
            await self.core.verify_key(self.provider(), base, key)
        except asyncio.CancelledError:
            raise  # the dialog was closed: touch none of its widgets
        except Exception as e:
            if not isinstance(e, CallviewerError):
                log.exception("testing the connection failed")
            self._set_busy(False)
            self._set_status(error_text(e), error=True)
        else:
            self._set_busy(False)
            self._tested = fingerprint
            self._set_status(CONNECTED_TEXT)

    # -- save ----------------------------------------------------------------------------------
    def save(self) -> None:
        if self.is_busy():
            return
        checked = self._checked(with_name=True)
        if checked is None:
            return
        name, key, base = checked
        verify = self._tested != self._fingerprint()
        self._set_status("Checking the key…" if verify else "Saving…")
        self._set_busy(True)
        self._task = _spawn(self._save(name, key, base, verify))

    async def _save(self, name: str, key: Secret | None, base: str, verify: bool) -> None:
        try:
            if self.account is None:
                assert key is not None
                account = await self.core.add_account(name, self.provider(), key, base_url=base,
                                                      verify=verify)
            else:
                account = await update_account(self.core, self.account, new_name=name, base_url=base,
                                               key=key, verify=verify)
        except asyncio.CancelledError:
            raise  # the dialog was closed: touch none of its widgets
        except Exception as e:
            if not isinstance(e, CallviewerError):
                log.exception("saving the account failed")
            self._set_busy(False)
            self._set_status(error_text(e), error=True)
            return
        self._set_busy(False)
        self._set_status("Saved")
        self.saved.emit(account)
        self.accept()

    # -- size ----------------------------------------------------------------------------------
    def _fit_height(self) -> None:
        """Keeps the dialog at least as tall as its contents need at its current width.

        A window's minimum size is its layout's minimum size, which counts a word-wrapped label as
        one line (`QLayout.SizeConstraint.SetMinimumSize` does the same): once "Advanced" was
        shown, the key hint was squeezed under its field. Height-for-width is what the wrapped
        labels need, so that is the minimum height, kept up to date on every layout change and
        resize.
        """
        lay = self.layout()
        if lay is None:
            return
        minimum = lay.totalMinimumSize()
        width = max(MIN_WIDTH, minimum.width())
        if self.minimumWidth() != width:
            self.setMinimumWidth(width)
        height = max(minimum.height(), self.heightForWidth(max(self.width(), width)))
        if self.minimumHeight() != height:
            self.setMinimumHeight(height)  # also makes a shorter dialog taller

    def _on_advanced(self, _expanded: bool) -> None:
        """Showing or hiding the base URL resizes the dialog to fit it, at the same width."""
        # Redo the layouts now, inside out (Qt would on the next posted LayoutRequests), so that
        # the heights below count the base URL row as shown or hidden.
        self.advanced.layout().activate()
        self.advanced.updateGeometry()
        self.layout().activate()
        self._fit_height()
        if self.isVisible():  # before the first show, show() sizes it (a resize would fix 640×480)
            self.resize(self.width(), self.minimumHeight())

    def event(self, event: QEvent) -> bool:  # noqa: D401 - Qt override
        handled = super().event(event)
        if event.type() == QEvent.Type.LayoutRequest:  # the layout has just been redone
            self._fit_height()
        return handled

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():  # wrapped labels need other heights
            self._fit_height()

    def done(self, result: int) -> None:  # noqa: D401 - Qt override
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = None
        super().done(result)
