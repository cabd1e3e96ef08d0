"""Where the program's bundled files (the repository's top-level `resources/` folder) are."""

from __future__ import annotations

import sys
from pathlib import Path

#: Under an install's data prefix (pyproject.toml's data-files put them there).
SHARED = ("share", "callviewer", "resources")


def resource_roots() -> list[Path]:
    """Where `resources/` may be, in order: inside the PyInstaller bundle when frozen; the source
    tree (a checkout, an editable install); the data folder of a regular install (the
    environment's prefix, or the user's base for `pip install --user`)."""
    base = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and base:
        return [Path(base) / "resources"]
    roots = [Path(__file__).resolve().parent.parent / "resources", Path(sys.prefix).joinpath(*SHARED)]
    try:
        import site

        roots.append(Path(site.getuserbase()).joinpath(*SHARED))
    except Exception:  # (site may be limited in embedded interpreters)
        pass
    return roots


def resource_path(*parts: str) -> Path:
    """`resources/<parts...>` in the first root that has it (else where the source tree's would
    be, so that a missing file is named as such)."""
    roots = resource_roots()
    for root in roots:
        path = root.joinpath(*parts)
        if path.exists():
            return path
    return roots[0].joinpath(*parts)
