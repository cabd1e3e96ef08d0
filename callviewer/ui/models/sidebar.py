"""The sidebar tree: All calls, then each provider with its accounts and their agents/campaigns.

    All calls (1,234)
    Atlas
        prod (1,000)
          synced 10:42
            Agent: Front desk
            Campaign: Spring promo
    Vatel
        support (234)
          key rejected

An account node's text has two lines, its name and call count, then its sync state, so that
neither is cut in a narrow sidebar; `SidebarDelegate` paints the second line smaller and muted.
Every node carries a `FilterRole` dict for the call query (see `apply_filter`). `refresh(store)`
updates the nodes in place when the tree's shape did not change, so a view keeps its expansion
and selection across syncs; `set_account_state()` shows a live sync state on an account node.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from typing import Any

from PySide6.QtCore import QModelIndex, QRect, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QIcon,
    QPainter,
    QPalette,
    QPixmap,
    QStandardItem,
    QStandardItemModel,
)
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from callviewer.display import for_screen
from callviewer.domain import PROVIDER_NAMES, Account, Directory, parse_iso
from callviewer.store import CallQuery, Store

__all__ = [
    "AccountNameRole",
    "FilterRole",
    "NodeKeyRole",
    "NodeKindRole",
    "SidebarDelegate",
    "SidebarModel",
    "SyncStateRole",
    "apply_filter",
    "sync_state_text",
]

FilterRole = Qt.ItemDataRole.UserRole + 1
AccountNameRole = Qt.ItemDataRole.UserRole + 2
NodeKindRole = Qt.ItemDataRole.UserRole + 3
#: The account's id (account, agent and campaign nodes).
AccountIdRole = Qt.ItemDataRole.UserRole + 4
#: The account's sync state word ("ok", "syncing", "error", ...; account nodes).
SyncStateRole = Qt.ItemDataRole.UserRole + 5
#: The node's identity, stable across refreshes: ("all",), ("provider", p), ("account", name,
#: id), (kind, account name, directory id).
NodeKeyRole = Qt.ItemDataRole.UserRole + 6

PROVIDER_LABELS = {"atlas": "Atlas", "callab": "Callab", "vatel": "Vatel"}
_DISPLAY_MAX = 48

_STATE_COLORS = {
    "syncing": "#2f7fd8",
    "key_rejected": "#d0383e",
    "error": "#d0383e",
    "offline": "#e08a1e",
    "cancelled": "#8a8f98",
    "partial": "#e08a1e",
}


def apply_filter(query: CallQuery, node_filter: dict[str, Any] | None) -> CallQuery:
    """A copy of `query` with a node's `FilterRole` applied (None: no sidebar filter)."""
    f = node_filter or {}
    ids = f.get("account_ids")
    return dataclasses.replace(
        query,
        account_ids=None if ids is None else list(ids),
        agent_id=f.get("agent_id"),
        campaign_id=f.get("campaign_id"),
    )


def _synced_at(value: str | None, now: datetime | None = None) -> tuple[str, str]:
    """("synced 10:42", "Last synced 2024-05-01 10:42:13 (5 min ago)")."""
    dt = parse_iso(value)
    if dt is None:
        return "never synced", "Never synced"
    local = dt.astimezone()
    now = (now or datetime.now(timezone.utc)).astimezone()
    if local.date() == now.date():
        short = f"synced {local:%H:%M}"
    elif local.year == now.year:
        short = f"synced {local.day} {local:%b}"
    else:
        short = f"synced {local:%Y-%m-%d}"
    minutes = int((now - local).total_seconds() // 60)
    if minutes < 1:
        ago = "just now"
    elif minutes < 60:
        ago = f"{minutes} min ago"
    elif minutes < 48 * 60:
        ago = f"{minutes // 60} h ago"
    else:
        ago = f"{minutes // (24 * 60)} days ago"
    return short, f"Last synced {local:%Y-%m-%d %H:%M:%S} ({ago})"


def sync_state_text(account: Account, now: datetime | None = None) -> tuple[str, str, str]:
    """(state, short text, tooltip) of an account's stored sync result."""
    state = account.last_sync_state or "ok"
    synced, synced_tip = _synced_at(account.last_sync_at, now)
    error = account.last_error or ""
    if state == "ok":
        return state, synced, synced_tip
    if state == "partial":
        tip = f"{synced_tip}; some calls could not be fetched" + (f": {error}" if error else "")
        return state, f"{synced} (partial)", tip
    if state == "key_rejected":
        return state, "key rejected", "The provider rejected the API key" + (
            f": {error}" if error else "") + f". {synced_tip}."
    if state == "offline":
        return state, "offline", "The provider could not be reached" + (
            f": {error}" if error else "") + f". {synced_tip}."
    if state == "cancelled":
        return state, "sync cancelled", f"The last sync was cancelled. {synced_tip}."
    text = f"error: {error}" if error else "error"
    return state, text, (f"Sync failed: {error}" if error else "Sync failed") + f". {synced_tip}."


def _elide(text: str, limit: int = _DISPLAY_MAX) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _count(accounts: list[Account]) -> int | None:
    """Their calls in all; None while any of them is not counted yet."""
    counts = [a.call_count for a in accounts]
    return None if any(c is None for c in counts) else sum(counts)  # type: ignore[arg-type]


def _in_brackets(n: int | None) -> str:
    return "" if n is None else f" ({n:,})"


class SidebarModel(QStandardItemModel):
    """See the module docstring. Roles: `FilterRole`, `AccountNameRole`, `NodeKindRole`
    ("all" | "provider" | "account" | "agent" | "campaign"), `AccountIdRole`, `SyncStateRole`."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._items: dict[tuple, QStandardItem] = {}
        self._shape: list[tuple] = []
        self._accounts: dict[str, Account] = {}
        self._live: dict[str, tuple[str, str]] = {}
        self._icons: dict[str, QIcon] = {}
        self.setHorizontalHeaderLabels(["Accounts"])
        self._build([], {})

    # -- building ----------------------------------------------------------------------------

    def refresh(self, store: Store, accounts: list[Account] | None = None,
                directories: dict[str, list[Directory]] | None = None) -> None:
        """Reads accounts, call counts and directories from the store (unless the caller just
        read them) and shows them."""
        if accounts is None:
            accounts = store.accounts()
        if directories is None:
            directories = {a.name: store.directories(a.id) for a in accounts if a.id is not None}
        # A live state other than "syncing" is superseded by what the sync stored.
        self._live = {k: v for k, v in self._live.items() if v[0] == "syncing"}
        self.set_accounts(accounts, directories)

    def set_accounts(self, accounts: list[Account],
                     directories: dict[str, list[Directory]]) -> None:
        """Shows these accounts (what `refresh` does, without a store)."""
        self._accounts = {a.name: a for a in accounts}
        shape = self._shape_of(accounts, directories)
        if shape != self._shape:
            self._build(accounts, directories)
        else:
            self._update_texts(accounts, directories)

    @staticmethod
    def _providers(accounts: list[Account]) -> list[str]:
        present = {a.provider for a in accounts}
        known = [p for p in PROVIDER_NAMES if p in present]
        return known + sorted(present - set(known))

    @staticmethod
    def _dirs_in_order(dirs: list[Directory]) -> list[Directory]:
        return [d for d in dirs if d.kind == "agent"] + [d for d in dirs if d.kind == "campaign"]

    def _shape_of(self, accounts: list[Account], directories: dict[str, list[Directory]]) -> list:
        shape: list[tuple] = [("all",)]
        for provider in self._providers(accounts):
            shape.append(("provider", provider))
            for a in sorted((a for a in accounts if a.provider == provider), key=lambda a: a.name):
                shape.append(("account", a.name, a.id))
                for d in self._dirs_in_order(directories.get(a.name, [])):
                    shape.append((d.kind, a.name, d.id))
        return shape

    def _build(self, accounts: list[Account], directories: dict[str, list[Directory]]) -> None:
        # Whole subtrees are built detached, then inserted at once (one rowsInserted).
        self.removeRows(0, self.rowCount())
        self._items.clear()
        top = [self._item(("all",), "all", {"account_ids": None, "agent_id": None,
                                            "campaign_id": None})]
        for provider in self._providers(accounts):
            mine = sorted((a for a in accounts if a.provider == provider), key=lambda a: a.name)
            p_item = self._item(("provider", provider), "provider", {
                "account_ids": [a.id for a in mine], "agent_id": None, "campaign_id": None})
            for a in mine:
                a_item = self._item(("account", a.name, a.id), "account", {
                    "account_ids": [a.id], "agent_id": None, "campaign_id": None})
                a_item.setData(a.name, AccountNameRole)
                a_item.setData(a.id, AccountIdRole)
                for d in self._dirs_in_order(directories.get(a.name, [])):
                    d_item = self._item((d.kind, a.name, d.id), d.kind, {
                        "account_ids": [a.id],
                        "agent_id": d.id if d.kind == "agent" else None,
                        "campaign_id": d.id if d.kind == "campaign" else None,
                    })
                    d_item.setData(a.id, AccountIdRole)
                    a_item.appendRow(d_item)
                p_item.appendRow(a_item)
            top.append(p_item)
        self._shape = self._shape_of(accounts, directories)
        self._update_texts(accounts, directories)
        self.invisibleRootItem().appendRows(top)

    def _item(self, key: tuple, kind: str, node_filter: dict[str, Any]) -> QStandardItem:
        item = QStandardItem()
        item.setEditable(False)
        item.setData(kind, NodeKindRole)
        item.setData(node_filter, FilterRole)
        item.setData(key, NodeKeyRole)
        self._items[key] = item
        return item

    def _update_texts(self, accounts: list[Account],
                      directories: dict[str, list[Directory]]) -> None:
        total = _count(accounts)
        self._set(self._items[("all",)], f"All calls{_in_brackets(total)}", "Every call of every account")
        for provider in self._providers(accounts):
            mine = [a for a in accounts if a.provider == provider]
            label = PROVIDER_LABELS.get(provider, provider.title())
            n = _count(mine)
            calls = "" if n is None else f", {n:,} calls"
            self._set(self._items[("provider", provider)], label,
                      f"{label}: {len(mine)} account{'s' if len(mine) != 1 else ''}{calls}")
            for a in mine:
                self._update_account(a)
                for d in directories.get(a.name, []):
                    item = self._items.get((d.kind, a.name, d.id))
                    if item is not None:
                        kind = "Agent" if d.kind == "agent" else "Campaign"
                        self._set(item, f"{kind}: {d.name or d.id}", f"{kind} {d.name} ({d.id})")

    def _update_account(self, account: Account) -> None:
        item = self._items.get(("account", account.name, account.id))
        if item is None:
            return
        state, short, tip = sync_state_text(account)
        live = self._live.get(account.name)
        if live is not None:
            state = live[0] or state
            if live[1]:
                short, tip = live[1], live[1]
            elif state == "syncing":
                short, tip = "syncing…", "Syncing now…"
        label = f"{account.name}{_in_brackets(account.call_count)}\n{_elide(short)}"
        self._set(item, label, f"{account.name} ({account.provider}, {account.base_url})\n{tip}")
        item.setData(state, SyncStateRole)
        item.setData(self._icon(state), Qt.ItemDataRole.DecorationRole)

    @staticmethod
    def _set(item: QStandardItem, text: str, tooltip: str) -> None:
        # (names come from providers: shown through for_screen, never reordered by them)
        text, tooltip = for_screen(text), for_screen(tooltip)
        if item.text() != text:
            item.setText(text)
        if item.toolTip() != tooltip:
            item.setToolTip(tooltip)

    def _icon(self, state: str) -> QIcon | None:
        color = _STATE_COLORS.get(state)
        if color is None:
            return None
        icon = self._icons.get(color)
        if icon is None:
            pix = QPixmap(16, 16)
            pix.fill(Qt.GlobalColor.transparent)
            p = QPainter(pix)
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(color))
            p.drawEllipse(4, 4, 8, 8)
            p.end()
            icon = self._icons[color] = QIcon(pix)
        return icon

    # -- live state --------------------------------------------------------------------------

    def set_account_state(self, name: str, state: str, text: str = "") -> None:
        """Shows a live sync state on an account ("syncing", "ok", "error", "key_rejected",
        "offline", ...); `text` is what to show (the full text goes into the tooltip), else one
        is derived from `state`. It holds until the next `refresh()` (a "syncing" state until
        replaced); an empty `state` and `text` go back to the stored state."""
        if not state and not text:
            self._live.pop(name, None)
        else:
            self._live[name] = (state, text)
        account = self._accounts.get(name)
        if account is not None:
            self._update_account(account)

    # -- lookups -----------------------------------------------------------------------------

    def index_for_account(self, name: str) -> QModelIndex:
        account = self._accounts.get(name)
        item = None if account is None else self._items.get(("account", name, account.id))
        return self.indexFromItem(item) if item is not None else QModelIndex()

    def all_calls_index(self) -> QModelIndex:
        return self.indexFromItem(self._items[("all",)])

    def index_for_key(self, key: tuple | None) -> QModelIndex:
        """The node with this `NodeKeyRole` (to restore a selection exactly: an account that is
        its provider's only one has the provider's filter)."""
        if isinstance(key, list):  # should Qt hand the tuple back as a list
            key = tuple(key)
        item = self._items.get(key) if key is not None else None
        return self.indexFromItem(item) if item is not None else QModelIndex()

    def index_for_filter(self, node_filter: dict[str, Any] | None) -> QModelIndex:
        """The first node whose filter equals `node_filter` (to restore a selection)."""
        for item in self._items.values():
            if item.data(FilterRole) == node_filter:
                return self.indexFromItem(item)
        return QModelIndex()


class SidebarDelegate(QStyledItemDelegate):
    """Paints a two-line node (an account: name and count, then its sync state) with the second
    line in a smaller, muted font; one-line nodes are painted as usual. Paint only."""

    SMALL = 0.88  # the second line's font size, relative to the first

    def _small_font(self, font: QFont) -> QFont:
        small = QFont(font)
        if font.pointSizeF() > 0:
            small.setPointSizeF(max(6.0, font.pointSizeF() * self.SMALL))
        else:
            small.setPixelSize(max(8, round(font.pixelSize() * self.SMALL)))
        return small

    @staticmethod
    def _lines(index) -> tuple[str, str] | None:
        text = index.data(Qt.ItemDataRole.DisplayRole)
        if not isinstance(text, str) or "\n" not in text:
            return None
        first, second = text.split("\n", 1)
        return first, second.replace("\n", " ")

    def sizeHint(self, option: QStyleOptionViewItem, index) -> QSize:  # noqa: N802
        lines = self._lines(index)
        if lines is None:
            return super().sizeHint(option, index)
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = lines[0]
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        # one line, with the icon and the style's margins
        size = style.sizeFromContents(QStyle.ContentsType.CT_ItemViewItem, opt, QSize(), widget)
        small = QFontMetrics(self._small_font(opt.font))
        extra = small.horizontalAdvance(lines[1]) - opt.fontMetrics.horizontalAdvance(lines[0])
        return QSize(size.width() + max(0, extra), size.height() + small.height())

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index) -> None:
        lines = self._lines(index)
        if lines is None:
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        first, second = lines
        opt.text = first  # for the text rectangle; the text itself is painted below
        text_rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt, widget)
        opt.text = ""
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)

        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        group = (QPalette.ColorGroup.Normal if opt.state & QStyle.StateFlag.State_Enabled
                 else QPalette.ColorGroup.Disabled)
        main = opt.palette.color(group, QPalette.ColorRole.HighlightedText if selected
                                 else QPalette.ColorRole.Text)
        muted = QColor(main) if selected else opt.palette.color(group, QPalette.ColorRole.PlaceholderText)
        if selected:
            muted.setAlphaF(0.8)
        small_font = self._small_font(opt.font)
        fm, small = QFontMetrics(opt.font), QFontMetrics(small_font)
        margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, widget) + 1
        r = text_rect.adjusted(margin, 0, -margin, 0)
        top = r.top() + max(0, (r.height() - fm.height() - small.height()) // 2)
        painter.save()
        painter.setFont(opt.font)
        painter.setPen(main)
        painter.drawText(QRect(r.left(), top, r.width(), fm.height()),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         fm.elidedText(first, Qt.TextElideMode.ElideRight, r.width()))
        painter.setFont(small_font)
        painter.setPen(muted)
        painter.drawText(QRect(r.left(), top + fm.height(), r.width(), small.height()),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         small.elidedText(second, Qt.TextElideMode.ElideRight, r.width()))
        painter.restore()

    def createEditor(self, parent, option, index):  # read-only tree
        return None
