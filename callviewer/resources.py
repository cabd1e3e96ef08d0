"""Where the program's bundled files (the repository's top-level `resources/` folder) are."""

from __future__ import annotations

import sys
from pathlib import Path


def resource_path(*parts: str) -> Path:
    """`resources/<parts...>`: inside the PyInstaller bundle when frozen, else in the source tree."""
    base = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and base:
        root = Path(base) / "resources"
    else:
        root = Path(__file__).resolve().parent.parent / "resources"
    return root.joinpath(*parts)
