"""`python -m callviewer.simulator [--port P] [--calls N] [--seed S]`: serve until Ctrl+C."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m callviewer.simulator",
                                 description="Run the Atlas/Callab/Vatel provider simulator in the foreground.")
    ap.add_argument("--port", type=int, default=8765, help="TCP port on 127.0.0.1 (0 = any free port)")
    ap.add_argument("--calls", type=int, default=200, help="calls per provider")
    ap.add_argument("--seed", type=int, default=1, help="data seed")
    ap.add_argument("--now", default=None, help="ISO time the data is anchored at (default 2026-11-01T12:00:00Z)")
    args = ap.parse_args(argv)
    from callviewer.simulator.server import run_forever

    try:
        run_forever(port=args.port, calls=args.calls, seed=args.seed, now=args.now)
    except OSError as e:
        print(f"simulator: cannot listen on port {args.port}: {e.strerror or e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
