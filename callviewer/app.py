"""Entry point: `callviewer` (window), `callviewer --demo`, or a command-line command."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    import multiprocessing

    multiprocessing.freeze_support()  # the sync's worker processes, in a frozen (PyInstaller) app
    argv = list(sys.argv[1:] if argv is None else argv)
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
        try:
            from callviewer.ui.app import run_gui
        except ImportError as e:
            print(f"callviewer: the window needs PySide6 and qasync ({e}); "
                  "the command line works without them", file=sys.stderr)
            return 1
        return run_gui(profile=getattr(args, "profile", None), demo=args.demo,
                       debug=getattr(args, "debug", False))
    return dispatch(args, sys.stdout, sys.stderr, sys.stdin)


if __name__ == "__main__":
    raise SystemExit(main())
