"""The command line (see CONTRACT.md). No Qt is imported on these paths.

`callviewer` (the window) builds its parser from here too, so what this module imports at the
top is on the window's start-up path: asyncio and the network side are imported where used."""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import json
import logging
import os
import shutil
import sqlite3
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from callviewer import __version__
from callviewer.display import for_terminal
from callviewer.domain import PROVIDER_NAMES, Call
from callviewer.errors import CallviewerError, UsageError
from callviewer.secrets import Secret

if TYPE_CHECKING:
    from callviewer.store.query import CallRow

log = logging.getLogger(__name__)

PROG = "callviewer"


class ArgError(UsageError):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit status 2, no usage dump
        raise ArgError(f"{message} (see `{self.prog} --help`)")


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--profile", metavar="DIR", default=argparse.SUPPRESS,
                        help="profile folder (default: $CALLVIEWER_PROFILE or the per-user data folder)")
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="log more, to the profile's log and stderr")

    p = _Parser(prog=PROG, parents=[common],
                description="A local-first call browser for voice-AI phone platforms. "
                            "Without a command, opens the window.")
    p.add_argument("--version", action="store_true", help="print version information and exit")
    p.add_argument("--demo", action="store_true",
                   help="open the window on a throwaway demo profile served by the built-in simulator")
    sub = p.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    acc = sub.add_parser("accounts", parents=[common], help="add, list and remove provider accounts")
    acc_sub = acc.add_subparsers(dest="action", parser_class=_Parser, metavar="ACTION", required=True)
    add = acc_sub.add_parser("add", parents=[common], help="add an account; the key goes to the OS keyring")
    add.add_argument("name")
    add.add_argument("--provider", required=True, choices=PROVIDER_NAMES)
    add.add_argument("--base-url", help="API root as the provider documents it (default: the provider's)")
    add.add_argument("--api-key-stdin", action="store_true", help="read the API key from stdin (one line)")
    add.add_argument("--no-verify", action="store_true", help="do not check the key with the provider")
    lst = acc_sub.add_parser("list", parents=[common], help="list accounts (never the key)")
    lst.add_argument("--json", action="store_true")
    rm = acc_sub.add_parser("remove", parents=[common],
                            help="remove an account, its cached calls and its keyring entry")
    rm.add_argument("name")
    rm.add_argument("--yes", "-y", action="store_true", help="do not ask")

    sy = sub.add_parser("sync", parents=[common], help="pull new and changed calls into the local cache")
    sy.add_argument("names", nargs="*", metavar="NAME")
    sy.add_argument("--full", action="store_true", help="re-read every call, not only new and changed ones")
    sy.add_argument("--json", action="store_true", help="print one JSON report per account instead")

    calls = sub.add_parser("calls", parents=[common], help="browse the cached calls")
    calls_sub = calls.add_subparsers(dest="action", parser_class=_Parser, metavar="ACTION", required=True)
    cl = calls_sub.add_parser("list", parents=[common], help="calls from the cache, newest first")
    cl.add_argument("--account", metavar="NAME")
    cl.add_argument("--search", metavar="TEXT", help="full-text search over transcripts, summaries, numbers")
    cl.add_argument("--since", metavar="ISO")
    cl.add_argument("--until", metavar="ISO")
    cl.add_argument("--limit", metavar="N", type=_positive_int)
    cl.add_argument("--json", action="store_true")
    cl.add_argument("--full", action="store_true", help="with --json: include transcripts")
    cs = calls_sub.add_parser("show", parents=[common], help="one call in full")
    cs.add_argument("call_id", metavar="CALL_ID")
    cs.add_argument("--account", metavar="NAME")
    cs.add_argument("--json", action="store_true")
    cs.add_argument("--raw", action="store_true", help="print the provider's payload as stored")
    cr = calls_sub.add_parser("recording", parents=[common], help="download a call's recording")
    cr.add_argument("call_id", metavar="CALL_ID")
    cr.add_argument("--account", metavar="NAME")
    cr.add_argument("--out", metavar="FILE", required=True)

    sim = sub.add_parser("simulate", parents=[common], help="run the provider simulator in the foreground")
    sim.add_argument("--port", type=int, default=8765, help="port (0 picks a free one; default 8765)")
    sim.add_argument("--calls", type=_positive_int, default=200, help="calls per provider")
    sim.add_argument("--seed", type=int, default=1)
    return p


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def parse_iso(text: str, *, end: bool = False) -> str:
    """A user's ISO date or date-time, as ISO UTC with Z. A bare date means its start (or end)."""
    raw = text.strip()
    try:
        if len(raw) == 10:
            day = datetime.fromisoformat(raw).replace(tzinfo=timezone.utc)
            when = day.replace(hour=23, minute=59, second=59, microsecond=999999) if end else day
        else:
            when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
            if when.tzinfo is None:
                when = when.replace(tzinfo=timezone.utc)
    except ValueError:
        raise UsageError(f"not an ISO date or date-time: {text!r} (e.g. 2024-05-01 or "
                         "2024-05-01T12:00:00Z)") from None
    return when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# -- output helpers ---------------------------------------------------------------------------------

def _print_json(data: Any, out: TextIO) -> None:
    json.dump(data, out, ensure_ascii=False, indent=2, allow_nan=False)
    out.write("\n")


def _fmt_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    s = int(round(seconds))
    return f"{s // 60}:{s % 60:02d}"


def _fmt_ts(ts: float | None) -> str:
    """A call's start (else creation) time, UTC, to the second; "-" when unknown."""
    if ts is None:
        return "-"
    try:
        return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
    except (OverflowError, OSError, ValueError):
        return "-"


def _fmt_cost(call: Call | CallRow) -> str:
    if call.cost is None:
        return "-"
    return f"{call.cost:.4f}" + (f" {call.currency}" if call.currency and call.currency != "USD" else "")


def _one_line(text: str | None, width: int) -> str:
    if not text:
        return ""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


# -- commands ---------------------------------------------------------------------------------------

class Cli:
    def __init__(self, args: argparse.Namespace, out: TextIO, err: TextIO, stdin: TextIO) -> None:
        self.args = args
        self.out, self.err, self.stdin = out, err, stdin
        self._core = None

    @property
    def core(self):
        if self._core is None:
            from callviewer.core import open_core
            from callviewer.logs import setup_logging
            from callviewer.profile import Profile

            profile = Profile.open(getattr(self.args, "profile", None))
            setup_logging(profile.logs_dir, debug=getattr(self.args, "debug", False))
            self._core, notice = open_core(profile)
            if notice:
                print(f"{PROG}: {notice}", file=self.err)
        return self._core

    def close(self) -> None:
        if self._core is not None:
            self._core.close()

    # accounts ---------------------------------------------------------------------------------

    def _read_key(self) -> Secret:
        if self.args.api_key_stdin or not self.stdin.isatty():  # (a script: the key piped in)
            line = self.stdin.readline()
            if not line.strip() and not self.args.api_key_stdin:
                raise UsageError("no API key: pipe the key in (with --api-key-stdin), or run in a "
                                 "terminal to be asked for it")
        else:
            line = getpass.getpass("API key (input hidden): ")
        try:
            return Secret(line.strip())
        except ValueError:
            raise UsageError("the API key is empty") from None

    def accounts_add(self) -> int:
        a = self.args
        core = self.core
        key = self._read_key()
        import asyncio

        account = asyncio.run(core.add_account(a.name, a.provider, key, base_url=a.base_url,
                                               verify=not a.no_verify))
        checked = "key not verified" if a.no_verify else "key verified"
        print(f"added {account.provider} account {account.name!r} ({account.base_url}; {checked}; "
              "key stored in the OS keyring)", file=self.out)
        return 0

    def accounts_list(self) -> int:
        accounts = self.core.store.accounts()
        if self.args.json:
            _print_json([a.to_dict() for a in accounts], self.out)
            return 0
        if not accounts:
            print("no accounts yet: add one with `callviewer accounts add NAME --provider "
                  "{atlas,callab,vatel}`", file=self.err)
            return 0
        rows = [("NAME", "PROVIDER", "CALLS", "LAST SYNC", "STATE", "BASE URL")]
        for acc in accounts:
            rows.append((acc.name, acc.provider, str(acc.call_count), acc.last_sync_at or "never",
                         (acc.last_sync_state or "-").replace("_", " "), acc.base_url))
        self._table(rows)
        return 0

    def accounts_remove(self) -> int:
        core = self.core
        account = core.store.get_account(self.args.name)
        if not self.args.yes:
            if not self.stdin.isatty():  # a script: "y" on stdin (`echo y | ...`) confirms
                if self.stdin.readline().strip().lower() not in ("y", "yes"):
                    raise UsageError(f"refusing to remove {account.name!r} without confirmation: "
                                     "add --yes (or pipe in y)")
            else:
                self.err.write(f"Remove account {account.name!r}, its {account.call_count} cached "
                               "calls and its key? [y/N] ")
                self.err.flush()
                if self.stdin.readline().strip().lower() not in ("y", "yes"):
                    print("nothing removed", file=self.err)
                    return 1
        core.remove_account(account.name)
        print(f"removed account {account.name!r}", file=self.out)
        return 0

    # sync -------------------------------------------------------------------------------------

    def sync(self) -> int:
        import asyncio

        from callviewer.sync import SyncReport, jsonable

        core = self.core
        accounts = core.accounts_named(self.args.names)
        if not accounts:
            raise UsageError("no accounts to sync: add one with `callviewer accounts add`")
        progress = _ProgressLine(self.err)

        async def run_all() -> list[SyncReport]:
            tasks = [core.sync(acc, full=self.args.full, on_progress=progress.update) for acc in accounts]
            return await asyncio.gather(*tasks)

        try:
            reports = asyncio.run(run_all())
        finally:
            progress.finish()
        for r in reports:
            if self.args.json:
                print(json.dumps(jsonable(r), ensure_ascii=False), file=self.out)
            else:
                print(r.summary_line(), file=self.out)
            for call_id, why in r.failed[:20]:
                print(f"{PROG}: {r.account}: call {call_id}: {why}", file=self.err)
            if len(r.failed) > 20:
                print(f"{PROG}: {r.account}: ... and {len(r.failed) - 20} more calls not read", file=self.err)
            if not r.ok:
                print(f"{PROG}: {r.account}: {r.error}", file=self.err)
        return 0 if all(r.ok for r in reports) else 1

    # calls ------------------------------------------------------------------------------------

    def _query(self):
        from callviewer.store import CallQuery

        a = self.args
        account_ids = None
        if a.account:
            account_ids = [self.core.store.get_account(a.account).id]
        return CallQuery(
            account_ids=account_ids,
            search=a.search or None,
            since=parse_iso(a.since) if a.since else None,
            until=parse_iso(a.until, end=True) if a.until else None,
        )

    def calls_list(self) -> int:
        a = self.args
        store = self.core.store
        query = self._query()
        if a.json and not a.full:
            # The stored JSON is the contract's object without "account": print it as it is,
            # one object per line, so thousands of calls take milliseconds, not seconds.
            docs = store.list_docs(query, limit=a.limit)
            w = self.out.write
            w("[")
            for i, (name, doc) in enumerate(docs):
                w(("\n" if i == 0 else ",\n") + '{"account":' + json.dumps(name, ensure_ascii=False)
                  + ("," + doc[1:] if doc != "{}" else "}"))
            w("\n]\n" if docs else "]\n")
            return 0
        if a.json:
            calls = [store.get_call(c.provider_call_id, c.account)
                     for c in store.list_calls(query, limit=a.limit)]
            _print_json([c.to_dict(transcript=True) for c in calls], self.out)
            return 0
        # the table's columns are the list's own (no call JSON decoded): thousands print at once
        found, _ = store.page(query, None, a.limit)
        rows = [("STARTED", "ACCOUNT", "DIR", "NUMBER", "DUR", "STATUS", "COST", "CALL ID", "SUMMARY")]
        for c in found:
            rows.append((
                _fmt_ts(c.ts), c.account, (c.direction or "-")[:3], c.customer_number or "-",
                _fmt_duration(c.duration_s), c.status or "-", _fmt_cost(c), c.provider_call_id,
                _one_line(c.summary, 60),
            ))
        self._table(rows)
        print(f"{len(found)} call{'s' if len(found) != 1 else ''}", file=self.err)
        return 0

    def calls_show(self) -> int:
        a = self.args
        store = self.core.store
        call = store.get_call(a.call_id, a.account)
        if a.raw:
            _print_json(self.core.stored_raw(store.get_account(call.account), call.provider_call_id),
                        self.out)
            return 0
        if a.json:
            _print_json(call.to_dict(), self.out)
            return 0
        w = self.out.write
        w(f"Call {for_terminal(call.provider_call_id)}  ({call.provider}, account {for_terminal(call.account)})\n")
        fields = [
            ("Number", call.customer_number), ("Direction", call.direction),
            ("Started", call.started_at or call.created_at), ("Duration", _fmt_duration(call.duration_s)),
            ("Status", call.status), ("Ended reason", call.ended_reason), ("Cost", _fmt_cost(call)),
            ("Agent", call.agent_id), ("Campaign", call.campaign_id), ("Success", call.success),
            ("Sentiment", call.sentiment), ("Recording", "yes" if call.has_recording else "no"),
        ]
        for label, value in fields:
            if value not in (None, "", "-"):
                w(f"  {label + ':':14}{for_terminal(str(value))}\n")
        if call.cost_breakdown:
            parts = ", ".join(f"{k} {v}" for k, v in call.cost_breakdown.items())
            w(f"  {'Cost parts:':14}{for_terminal(parts)}\n")
        if call.tags:
            w(f"  {'Tags:':14}{for_terminal(', '.join(call.tags))}\n")
        for k, v in call.extracted.items():
            w(f"  {for_terminal(str(k))}: {for_terminal(json.dumps(v, ensure_ascii=False))}\n")
        if call.summary:
            w(f"\nSummary:\n  {for_terminal(call.summary)}\n")
        if call.transcript:
            w("\nTranscript:\n")
            for t in call.transcript:
                at = f"{_fmt_duration(t.start_s):>6}" if t.start_s is not None else "      "
                who = t.speaker if t.kind == "message" else f"{t.speaker}:{t.kind}"
                if t.tool_name:
                    who += f" {t.tool_name}"
                text = for_terminal(t.text).replace("\n", "\n" + " " * 24)
                w(f"{at}  {for_terminal(who).replace(chr(10), ' '):<15} {text}\n")
        return 0

    def calls_recording(self) -> int:
        a = self.args
        core = self.core
        call = core.store.get_call(a.call_id, a.account)
        account = core.store.get_account(call.account)
        import asyncio

        path = asyncio.run(core.fetch_recording(account, call.provider_call_id))
        out = Path(a.out)
        if out.is_dir():
            out = out / path.name
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, out)
        print(f"saved the recording of {call.provider_call_id} to {out} ({out.stat().st_size} bytes)",
              file=self.err)
        return 0

    def simulate(self) -> int:
        from callviewer.simulator.server import run_forever

        run_forever(port=self.args.port, calls=self.args.calls, seed=self.args.seed)
        return 0

    def _table(self, rows: list[tuple[str, ...]]) -> None:
        rows = [tuple(for_terminal(c).replace("\n", " ") for c in r) for r in rows]
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        self.out.write("".join("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() + "\n"
                               for r in rows))


class _ProgressLine:
    """Sync progress on stderr: an updating line on a terminal, a line every few seconds otherwise.
    Nothing until some account has listed a call: a sync that fails at once says so in one line."""

    def __init__(self, err: TextIO) -> None:
        self.err = err
        self.tty = err.isatty()
        self.state: dict = {}  # account -> its latest SyncProgress
        self.last = 0.0
        self.printed = False

    def update(self, p) -> None:
        self.state[p.account] = dataclasses.replace(p)
        if not any(s.listed or s.done for s in self.state.values()):
            return
        now = time.monotonic()
        if now - self.last < (0.2 if self.tty else 2.0) and p.phase != "done":
            return
        self.last = now
        parts = []
        for name, s in self.state.items():
            total = f"/{s.total}" if s.total else ""
            parts.append(f"{name}: {s.phase} {s.done}{total} ({s.listed} listed)")
        line = "sync: " + "; ".join(parts)
        if self.tty:
            width = shutil.get_terminal_size((100, 20)).columns - 1
            self.err.write("\r" + line[:width].ljust(width))
        else:
            self.err.write(line + "\n")
        self.err.flush()
        self.printed = True

    def finish(self) -> None:
        if self.tty and self.printed:
            self.err.write("\n")
            self.err.flush()


def run_cli(argv: list[str], *, out: TextIO | None = None, err: TextIO | None = None,
            stdin: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    stdin = stdin or sys.stdin
    try:
        args = build_parser().parse_args(argv)
    except ArgError as e:
        print(f"{PROG}: {e}", file=err)
        return 2
    return dispatch(args, out, err, stdin)


def _damaged(cli: Cli, detail: str, err: TextIO) -> int:
    """SQLite found the cache damaged while in use: marked for a full check at the next start."""
    log.error("the cache is damaged: %s", detail)
    core = cli._core
    if core is not None:
        from callviewer.core import mark_damaged

        mark_damaged(core.profile, detail)
    print(f"{PROG}: the local cache is damaged ({detail}); it will be checked, and moved aside and "
          "rebuilt if need be, the next time callviewer starts", file=err)
    return 1


def _database_error(cli: Cli, e: sqlite3.DatabaseError, err: TextIO) -> int:
    """SQLite trouble the store did not turn into a message of its own: one clear line."""
    from callviewer.store.db import _is_busy, _is_corruption

    if isinstance(e, sqlite3.OperationalError) and _is_busy(e):
        log.warning("the cache stayed busy: %s", e)
        print(f"{PROG}: the cache is busy (another callviewer is writing); try again", file=err)
        return 1
    if _is_corruption(e):
        return _damaged(cli, str(e), err)
    log.exception("database error")
    print(f"{PROG}: the local cache could not be read or written ({e})", file=err)
    return 1


def dispatch(args: argparse.Namespace, out: TextIO, err: TextIO, stdin: TextIO) -> int:
    cli = Cli(args, out, err, stdin)
    handlers = {
        ("accounts", "add"): cli.accounts_add, ("accounts", "list"): cli.accounts_list,
        ("accounts", "remove"): cli.accounts_remove, ("sync", None): cli.sync,
        ("calls", "list"): cli.calls_list, ("calls", "show"): cli.calls_show,
        ("calls", "recording"): cli.calls_recording, ("simulate", None): cli.simulate,
    }
    handler = handlers[(args.command, getattr(args, "action", None))]
    try:
        if args.command != "simulate":
            cli.core  # opens the profile (and its log) first  # noqa: B018
        log.info("command: %s %s", args.command, getattr(args, "action", "") or "")
        return handler()
    except CallviewerError as e:
        from callviewer.store import CorruptCache

        if isinstance(e, CorruptCache):  # (a read found it, after the check on open)
            return _damaged(cli, e.detail, err)
        print(f"{PROG}: {e}", file=err)
        return 2 if isinstance(e, ArgError) else 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=err)
        return 130
    except BrokenPipeError:
        # e.g. `callviewer calls list | head`: not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except sqlite3.DatabaseError as e:
        return _database_error(cli, e, err)
    except Exception as e:
        log.exception("internal error")
        print(f"{PROG}: internal error: {type(e).__name__} (details in the log under the profile's "
              "logs folder; run with --debug to see more)", file=err)
        return 70
    finally:
        cli.close()


def qt_versions() -> str:
    """"6.11.3 (PySide6 6.11.3)", or "not installed": the command line runs without Qt."""
    try:
        import PySide6
        from PySide6.QtCore import qVersion
    except ImportError:
        return "not installed"
    except Exception as e:  # a broken Qt install must not break --version
        return f"not usable ({type(e).__name__})"
    return f"{qVersion()} (PySide6 {getattr(PySide6, '__version__', '?')})"


def version_text(profile: str | None = None) -> str:
    """What `callviewer --version` prints: the version, Python, Qt, the keyring backend in use
    and the profile's folders (which it does not create). Never fails because of Qt or the
    keyring."""
    import platform

    from callviewer.profile import profile_root
    from callviewer.secrets import describe_keyring

    try:
        root = str(profile_root(profile))
        logs = str(profile_root(profile) / "logs")
    except Exception as e:  # e.g. no home folder to put the default profile in
        root = logs = f"unknown ({type(e).__name__})"
    lines = [
        f"{PROG} {__version__}",
        f"Python: {platform.python_version()} ({platform.python_implementation()}, {platform.system()})",
        f"Qt: {qt_versions()}",
        f"Keyring: {describe_keyring()}",
        f"Data folder: {root}",
        f"Logs folder: {logs}",
    ]
    return "\n".join(lines)
