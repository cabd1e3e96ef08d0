"""The application icon, from the PNGs rendered from resources/icons/ai.callviewer.CallViewer.svg
(packaging/render_icons.py), so that no SVG plugin is needed to show it."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QIcon

from callviewer.profile import APP_ID
from callviewer.resources import resource_path

ICON_SIZES = (16, 32, 48, 64, 128, 256, 512)


def icon_file(size: int):
    """resources/icons/hicolor/<size>x<size>/apps/ai.callviewer.CallViewer.png"""
    return resource_path("icons", "hicolor", f"{size}x{size}", "apps", f"{APP_ID}.png")


def app_icon() -> QIcon:
    """The icon in every size there is; the desktop theme's icon of that name if the files are
    missing (an empty icon if neither is there)."""
    icon = QIcon()
    for n in ICON_SIZES:
        path = icon_file(n)
        if path.is_file():
            icon.addFile(str(path), QSize(n, n))
    if icon.isNull():
        icon = QIcon.fromTheme(APP_ID)
    return icon
