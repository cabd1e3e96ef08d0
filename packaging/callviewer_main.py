"""The PyInstaller bundle's entry point: the same as `python -m callviewer`.

(A script of its own, not callviewer/__main__.py: PyInstaller puts the entry script's folder on
the module search path, and callviewer/ holds a `secrets.py` that would hide the standard
library's.) `callviewer.app.main` calls `multiprocessing.freeze_support()` first, so that the
sync's spawned worker processes, which run this same executable, do their work and exit.
"""

from callviewer.app import main

if __name__ == "__main__":
    raise SystemExit(main())
