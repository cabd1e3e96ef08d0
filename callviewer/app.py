"""Entry point: `callviewer` (window), `callviewer --demo`, or a command-line command."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    if getattr(sys, "frozen", False):  # the sync's worker processes, in a PyInstaller bundle
        import multiprocessing  # (not imported otherwise: the window's start does not need it)

        multiprocessing.freeze_support()
    argv = list(sys.argv[1:] if argv is None else argv)
    window = window_args(argv)
    if window is not None:  # the common case: the window, without building the whole parser
        return _run_window(**window)
    from callviewer.cli import ArgError, build_parser, dispatch, version_text

    try:
        args = build_parser().parse_args(argv)
    except ArgError as e:
        print(f"callviewer: {e}", file=sys.stderr)
        return 2
    if args.version:
        print(version_text(getattr(args, "profile", None)))
        return 0
    if args.command is None:
        return _run_window(profile=getattr(args, "profile", None), demo=args.demo,
                           debug=getattr(args, "debug", False))
    return dispatch(args, sys.stdout, sys.stderr, sys.stdin)


def window_args(argv: list[str]) -> dict | None:
    """`callviewer [--profile DIR] [--debug] [--demo]` (the window's options, exactly as the
    command line's parser reads them) without building that parser (~10 ms of the window's
    start); None for anything else (a command, --help, --version, an abbreviation, an error),
    which the full parser then handles."""
    out: dict = {"profile": None, "demo": False, "debug": False}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg in ("--demo", "--debug"):
            out[arg[2:]] = True
        elif arg == "--profile" and i + 1 < len(argv) and not argv[i + 1].startswith("-"):
            out["profile"] = argv[i + 1]
            i += 1
        elif arg.startswith("--profile="):
            out["profile"] = arg[len("--profile="):]
        else:
            return None
        i += 1
    return out


def _run_window(*, profile: str | None, demo: bool, debug: bool) -> int:
    import gc

    # No cyclic garbage collection until the first rows are on screen (ui/app.py turns it back
    # on): start-up makes hundreds of thousands of objects (Qt's enums), and the collector
    # would walk them all several times over for nothing.
    gc.disable()
    # The core (and the standard library it brings) before PySide6: once imported, PySide6 reads
    # the source of each module an import statement names after it, looking for "PySide6" (for
    # its __feature__ switches). This spares it ~25 of those files (~3 ms).
    import callviewer.core  # noqa: F401

    try:
        from callviewer.ui.app import run_gui
    except ImportError as e:
        gc.enable()
        print(f"callviewer: the window needs PySide6 and qasync ({e}); "
              "the command line works without them", file=sys.stderr)
        return 1
    return run_gui(profile=profile, demo=demo, debug=debug)


if __name__ == "__main__":
    raise SystemExit(main())
