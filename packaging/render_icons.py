"""Renders the application icon (resources/icons/ai.callviewer.CallViewer.svg) to the PNGs that
the window, the About dialog and the desktop use: resources/icons/hicolor/<n>x<n>/apps/, n in
SIZES. The PNGs are committed; run this after changing the SVG.

    .venv/bin/python packaging/render_icons.py          # (re)write the PNGs
    .venv/bin/python packaging/render_icons.py --check  # exit 1 if a PNG is missing or stale

Rendering is Qt's own (PySide6.QtSvg.QSvgRenderer), so no other SVG tool is needed.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ICON_ID = "ai.callviewer.CallViewer"
SVG = ROOT / "resources" / "icons" / f"{ICON_ID}.svg"
HICOLOR = ROOT / "resources" / "icons" / "hicolor"
SIZES = (16, 32, 48, 64, 128, 256, 512)
#: --check accepts this much difference per colour channel (another Qt version antialiases a
#: little differently; a changed drawing differs by far more).
TOLERANCE = 24


def png_path(size: int) -> Path:
    return HICOLOR / f"{size}x{size}" / "apps" / f"{ICON_ID}.png"


def render(size: int, svg: Path = SVG):
    """The SVG drawn into a transparent `size` x `size` QImage (ARGB32)."""
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"render_icons: {svg} is not a valid SVG for Qt")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image.convertToFormat(QImage.Format.Format_ARGB32)


def differs(a, b, tolerance: int = TOLERANCE) -> bool:
    from PySide6.QtGui import QImage

    if a.size() != b.size():
        return True
    a = a.convertToFormat(QImage.Format.Format_ARGB32)
    b = b.convertToFormat(QImage.Format.Format_ARGB32)
    da, db = bytes(a.constBits()), bytes(b.constBits())
    if da == db:
        return False
    return max(abs(x - y) for x, y in zip(da, db)) > tolerance


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only check that the PNGs are up to date")
    args = ap.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication, QImage

    _app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])  # noqa: F841
    stale = []
    for size in SIZES:
        image = render(size)
        path = png_path(size)
        if args.check:
            on_disk = QImage(str(path))
            if on_disk.isNull() or differs(image, on_disk):
                stale.append(path)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if not image.save(str(path), "PNG"):
            print(f"render_icons: could not write {path}", file=sys.stderr)
            return 1
        print(f"{path.relative_to(ROOT)}  {size}x{size}  {path.stat().st_size} bytes")
    if stale:
        for path in stale:
            print(f"render_icons: {path.relative_to(ROOT)} is missing or out of date", file=sys.stderr)
        print("render_icons: run .venv/bin/python packaging/render_icons.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
