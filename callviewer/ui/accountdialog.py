"""The "Add account" / "Edit account" dialog.

Opened with `open()` (never `exec()`): testing the connection and saving run as asyncio tasks on
the qasync loop, so the dialog and the window stay responsive. Every failure is shown inside the
dialog as one plain-text line; the dialog closes only when the account was stored.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPalette
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

        self.test_button = QPushButton("Test connection", self)
        self.test_button.setAccessibleName("Test connection")
        self.test_button.setAutoDefault(False)
        self.status_label = QLabel(self)
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status_label.setAccessibleName("Connection status")
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
        form.addRow("", key_hint)
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
        self.setMinimumWidth(460)

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
        return self.status_label.text()

    def is_busy(self) -> bool:
        return self._task is not None and not self._task.done()

    def _on_provider(self, *_args) -> None:
        self.url_edit.setPlaceholderText(default_base_url(self.provider()))
        self.key_hint.setText(key_hint_text(self.provider()))
        self._forget_test()

    def _forget_test(self, *_args) -> None:
        self._tested = None
        if not self.is_busy():
            self._set_status("")

    def _set_status(self, text: str, *, error: bool = False) -> None:
        self.status_label.setText(text)
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

    def _key(self) -> Secret | None:
        text = self.key_edit.text().strip()
        if not text:
            if self.account is not None:
                return None
            raise UsageError("enter the API key")
        return Secret(text)

    def _fingerprint(self) -> tuple[str, str, str]:
        return (self.provider(), self.base_url(), self.key_edit.text().strip())

    # -- test connection -----------------------------------------------------------------------
    def test_connection(self) -> None:
        if self.is_busy():
            return
        try:
            key = self._key()
            base = check_base_url(self.base_url())
        except (CallviewerError, ValueError) as e:
            self._set_status(error_text(e), error=True)
            return
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
        try:
            name = check_account_name(self.name_edit.text())
            key = self._key()
            base = check_base_url(self.base_url())
        except (CallviewerError, ValueError) as e:
            self._set_status(error_text(e), error=True)
            return
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

    def done(self, result: int) -> None:  # noqa: D401 - Qt override
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._task = None
        super().done(result)
