"""The entry point's shortcut for the window's options agrees with the command line's parser."""

from __future__ import annotations

import pytest

from callviewer.app import window_args
from callviewer.cli import ArgError, build_parser

WINDOW = [
    [], ["--demo"], ["--debug"], ["--profile", "/tmp/p"], ["--profile=/tmp/p"], ["--profile="],
    ["--demo", "--profile", "x", "--debug"], ["--profile", "a", "--profile", "b"],
    ["--profile", "dir with spaces"],
]
OTHER = [
    ["sync"], ["calls", "list"], ["--help"], ["-h"], ["--version"], ["--prof", "x"], ["--profile"],
    ["--profile", "--demo"], ["--bogus"], ["demo"], ["--demo", "sync"], ["--profile", "x", "accounts", "list"],
]


@pytest.mark.parametrize("argv", WINDOW)
def test_window_options_read_as_the_parser_reads_them(argv):
    ns = build_parser().parse_args(argv)
    assert ns.command is None and not ns.version
    expected = {"profile": getattr(ns, "profile", None), "demo": ns.demo,
                "debug": getattr(ns, "debug", False)}
    assert window_args(argv) == expected


@pytest.mark.parametrize("argv", OTHER)
def test_anything_else_goes_to_the_full_parser(argv):
    assert window_args(argv) is None
    try:  # (what the full parser makes of it is its business: a command, help, an error)
        build_parser().parse_args(argv)
    except (ArgError, SystemExit):
        pass
