"""Hostile input: every text a provider sends (transcript, summary, names, numbers, tags, extracted
values, agent and campaign names) holding HTML, script, `file://` links, 1 MB of text, RTL and
combining characters is shown literally everywhere, never interpreted, never slow; the command line
prints control characters escaped; recording URLs that point elsewhere are refused or followed
without credentials, with a size cap and a clear message for what is not audio."""

from __future__ import annotations

import asyncio
import http.server
import io
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from callviewer.core import Core
from callviewer.display import for_screen
from callviewer.domain import Call, Directory, Turn
from callviewer.errors import RecordingError
from callviewer.profile import Profile
from callviewer.secrets import MemoryKeyStore, Secret
from callviewer.simulator import Simulator
from callviewer.store import CallQuery, CallRecord
from tests.conftest import FAST_RETRY, SIM_KEYS

MARKUP = ('<b>bold</b><i>it</i><script>alert(1)</script><a href="file:///etc/passwd">link</a>'
          '<img src="file:///etc/passwd" onerror="alert(1)"><style>*{color:red}</style>&amp;&lt;')
RTL = "\u202eevil\u202c שלום עולם مرحبا بالعالم \u2067isolated\u2069"
COMBINING = "Z" + "\u0336\u0337\u0338\u0301\u0302" * 60 + "algo" + "e\u0301" * 50
MEGABYTE = ("word " * 200_000) + "x" * (1 << 20)  # 1 MB of words, then 1 MB with no break at all
HOSTILE = [MARKUP, RTL, COMBINING, "file:///etc/passwd", "javascript:alert(1)"]


def hostile(i: int) -> str:
    return HOSTILE[i % len(HOSTILE)]


def hostile_call(call_id: str) -> Call:
    every = " | ".join(HOSTILE)
    return Call(
        provider="atlas", provider_call_id=call_id, direction="inbound",
        status=MARKUP, ended_reason=RTL, customer_number=MARKUP + RTL, agent_id="agent-evil",
        campaign_id="camp-evil", created_at="2030-01-01T00:00:00Z", started_at="2030-01-01T00:00:00Z",
        ended_at="2030-01-01T00:10:00Z", duration_s=600.0, cost=1.25, currency=MARKUP[:12],
        cost_breakdown={"stt": 0.25, "llm": 0.5, "tts": 0.25, "platform": 0.25, "transport": 0.0, "other": 0.0},
        summary=every + " " + MEGABYTE, success=COMBINING, sentiment=RTL,
        extracted={MARKUP: MARKUP, RTL: [RTL, COMBINING], "big": MEGABYTE[:300_000]},
        tags=[MARKUP, RTL, COMBINING], has_recording=False,
        transcript=[Turn("agent", hostile(i), start_s=float(i), end_s=i + 0.5) for i in range(40)]
        + [Turn("customer", MEGABYTE, start_s=41.0, end_s=42.0),
           Turn("tool", MARKUP, kind="tool_call", tool_name=MARKUP, start_s=43.0),
           Turn("tool", every, kind="tool_result", tool_name=RTL, start_s=44.0),
           Turn("system", every * 20, start_s=None)],
    )


def test_the_command_line_prints_control_and_bidi_characters_escaped():
    from callviewer.display import for_terminal

    evil = "a\x1b[2J\x1b]0;pwned\x07b\x9bc\u202ed\u2066e\u2028f\rg"
    shown = for_terminal(evil)
    for ch in ("\x1b", "\x07", "\x9b", "\u202e", "\u2066", "\u2028", "\r"):
        assert ch not in shown
    assert shown == "a\\x1b[2J\\x1b]0;pwned\\x07b\\x9bc\\u202ed\\u2066e\\u2028f\\x0dg"
    # letters of any script and combining marks stay as they are
    assert for_terminal("שלום مرحبا e\u0301 👋") == "שלום مرحبا e\u0301 👋"
    assert for_terminal("line\n\tindented") == "line\n\tindented"


def test_the_window_shows_reordering_controls_instead_of_obeying_them():
    from callviewer.display import for_screen

    assert for_screen("+1555\u202e0001") == "+1555[U+202E]0001"
    assert for_screen("a\u202ab\u2066c\u2069") == "a[U+202A]b[U+2066]c[U+2069]"
    # right-to-left text and its marks stay
    assert for_screen("שלום \u200fمرحبا\u200e e\u0301 👋") == "שלום \u200fمرحبا\u200e e\u0301 👋"
    assert for_screen(None) == ""


def test_calls_show_on_a_hostile_call(tmp_path):
    from callviewer.cli import run_cli

    profile = Profile.open(tmp_path / "p")
    core = Core.open(profile, MemoryKeyStore())
    try:
        acc = core.store.add_account("evil", "atlas", "https://api.example.com/v1/api")
        call = hostile_call("evil-1")
        call.transcript.append(Turn("agent", "clear\x1b[2Jscreen \x1b]8;;file:///etc/passwd\x07click\x1b]8;;\x07"
                                    "\u202egnp.exe"))
        call.customer_number = "+1555\x1b[31m0100\x9b"
        core.store.upsert_calls(acc.id, [CallRecord("evil-1", {"id": "evil-1"}, call, "l", "d")])
    finally:
        core.close()
    for args in (["calls", "show", "evil-1"], ["calls", "list"]):
        out, err = io.StringIO(), io.StringIO()
        started = time.monotonic()
        assert run_cli([*args, "--profile", str(profile.root)], out=out, err=err) == 0, err.getvalue()
        assert time.monotonic() - started < 5
        text = out.getvalue()
        for ch in ("\x1b", "\x07", "\x9b", "\u202e"):
            assert ch not in text, (args, repr(ch))
    assert "\\x1b[2J" in text or args[1] == "list"


# -- recording URLs, end to end through the simulator ---------------------------------------------

class _Elsewhere(http.server.ThreadingHTTPServer):
    """A second host (127.0.0.2 style: another port) that serves odd "recordings" and redirects."""


def _serve(sim: Simulator):
    seen: list[tuple[str, str | None, str | None]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):  # noqa: N802
            seen.append((self.path, self.headers.get("api-key"), self.headers.get("Authorization")))
            if self.path.startswith("/to-recording/"):
                call_id = self.path.rsplit("/", 1)[1]
                self.send_response(302)
                self.send_header("Location", f"{sim.recording_base}/recordings/callab/{call_id}.wav")
                self.end_headers()
            elif self.path == "/to-file":
                self.send_response(302)
                self.send_header("Location", "file:///etc/passwd")
                self.end_headers()
            elif self.path == "/page.html":
                body = b"<html><body>not a recording</body></html>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            elif self.path == "/huge.wav":
                self.send_response(200)
                self.send_header("Content-Type", "audio/wav")
                self.end_headers()
                self.wfile.write(b"RIFF\x00\x00\x00\x00WAVE" + b"\x00" * 200_000)
            elif self.path == "/corrupt.wav":
                body = b"RIFF\xff\xff\xff\xffWAVEfmt " + bytes(range(256)) * 8
                self.send_response(200)
                self.send_header("Content-Type", "audio/wav")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            else:
                self.send_response(404)
                self.end_headers()

    server = _Elsewhere(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}", seen


@pytest.fixture
def elsewhere(sim):
    server, base, seen = _serve(sim)
    yield base, seen
    server.shutdown()
    server.server_close()


def _core(tmp_path) -> Core:
    return Core.open(Profile.open(tmp_path / "p"), MemoryKeyStore(), client_kw={"retry": FAST_RETRY},
                     sync_worker="thread")


def _synced_with_a_recording(core: Core, sim, provider: str):
    """(the account, the id of one of its calls with a recording), after a first sync."""
    async def setup():
        acc = await core.add_account(provider[0], provider, Secret(SIM_KEYS[provider]),
                                     base_url=sim.base_urls[provider], verify=False)
        await core.sync(acc)
        return acc
    acc = asyncio.run(setup())
    call_id = next(c.provider_call_id for c in core.store.list_calls(CallQuery(account_ids=[acc.id]))
                   if c.has_recording)
    return acc, call_id


def _fetch(core, acc, call_id):
    return asyncio.run(core.fetch_recording(acc, call_id))


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x.wav", "javascript:alert(1)",
                                 "data:audio/wav;base64,UklGRg==", "//no-scheme/x.wav"])
def test_recording_urls_with_other_schemes_are_refused(tmp_path, sim, url):
    core = _core(tmp_path)
    try:
        acc, call_id = _synced_with_a_recording(core, sim, "atlas")
        # the provider now points the call's recording at something else
        sim.update_call("atlas", call_id, recordingUrl=url, stereoRecordingUrl=url, artifact={"recordingUrl": url})
        sim.reset_log()
        with pytest.raises(RecordingError, match="refused"):
            _fetch(core, acc, call_id)
        assert sim.key_leaks == []
        assert core.cached_recording(acc, call_id) is None
    finally:
        core.close()


def test_a_recording_redirected_to_another_host_is_fetched_without_the_key(tmp_path, sim, elsewhere):
    base, seen = elsewhere
    core = _core(tmp_path)
    try:
        acc, call_id = _synced_with_a_recording(core, sim, "callab")
        # Callab's record_url on another host, which redirects to the simulator's recording host
        sim.update_call("callab", call_id, record_url=f"{base}/to-recording/{call_id}")
        sim.reset_log()
        path = _fetch(core, acc, call_id)
        assert path.read_bytes()[:4] == b"RIFF"
        assert sim.key_leaks == []
        assert seen and all(k is None and a is None for _p, k, a in seen)  # no key on another host
        # a redirect to another scheme is refused
        sim.update_call("callab", call_id, record_url=f"{base}/to-file")
        path.unlink()
        with pytest.raises(RecordingError, match="refused"):
            _fetch(core, acc, call_id)
    finally:
        core.close()


def test_recordings_that_are_too_big_or_not_audio_get_a_clear_message(tmp_path, sim, elsewhere):
    base, _seen = elsewhere
    core = _core(tmp_path)
    try:
        acc, call_id = _synced_with_a_recording(core, sim, "callab")
        core.recording_max_bytes = 100_000
        sim.update_call("callab", call_id, record_url=f"{base}/huge.wav")
        with pytest.raises(RecordingError, match="larger than the 98 KB cap"):
            _fetch(core, acc, call_id)
        sim.update_call("callab", call_id, record_url=f"{base}/page.html")
        with pytest.raises(RecordingError, match=r"not audio \(text/html\)"):
            _fetch(core, acc, call_id)
        assert core.cached_recording(acc, call_id) is None
        assert not any((core.profile.recordings_dir).rglob("*.part"))
    finally:
        core.close()


# -- the window ----------------------------------------------------------------------------------

@pytest.fixture
def _loop(rel_loop_running):
    yield


def test_hostile_text_is_shown_literally_everywhere_and_fast(qtbot, tmp_path, _loop):
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtGui import QHelpEvent
    from PySide6.QtWidgets import QAbstractItemView, QApplication, QLabel, QToolTip

    from tests.reliability.conftest import close_window, make_window

    profile = Profile.open(tmp_path / "p")
    core = Core.open(profile, MemoryKeyStore(), client_kw={"retry": FAST_RETRY})
    acc = core.store.add_account("evil", "atlas", "https://api.example.com/v1/api")
    core.store.save_directories(acc.id, [Directory("agent", "agent-evil", MARKUP),
                                         Directory("campaign", "camp-evil", RTL + COMBINING)])
    call = hostile_call("evil-1")
    raw = {"id": "evil-1", "summary": call.summary, "html": MARKUP, "rtl": RTL}
    plain = Call(provider="atlas", provider_call_id="plain-1", started_at="2029-01-01T00:00:00Z",
                 transcript=[Turn("agent", "hello")])
    core.store.upsert_calls(acc.id, [CallRecord("evil-1", raw, call, "l", "d"),
                                     CallRecord("plain-1", {"id": "plain-1"}, plain, "l", "d")])
    w = make_window(qtbot, core, tmp_path)
    try:
        w.resize(1440, 900)
        rowid = core.store.rowid_of(acc.id, "evil-1")
        plain_rowid = core.store.rowid_of(acc.id, "plain-1")
        assert w.table.select_rowid(plain_rowid)
        qtbot.waitUntil(lambda: w._current_rowid == plain_rowid, timeout=20_000)
        started = time.monotonic()
        assert w.table.select_rowid(rowid)
        qtbot.waitUntil(lambda: w._current_rowid == rowid, timeout=20_000)
        qtbot.wait(1)  # one turn of the event loop: what selecting it sets off has run
        took = time.monotonic() - started
        for tab in range(w.detail_tabs.count()):  # every tab shown once (the raw JSON loads when shown)
            w.detail_tabs.setCurrentIndex(tab)
            qtbot.wait(1)
        took_all = time.monotonic() - started
        assert took < 1.0, f"selecting the call took {took:.2f} s"
        assert took_all < 3.0, f"showing it in every tab took {took_all:.2f} s"

        # every label is plain text: nothing is interpreted
        labels = w.findChildren(QLabel)
        assert any(MARKUP[:20] in lab.text() for lab in labels)
        rich = [lab.objectName() or lab.text()[:40] or type(lab.parent()).__name__ for lab in labels
                if lab.textFormat() != Qt.TextFormat.PlainText]
        assert not rich, rich
        # the transcript model gives the text back literally
        model = w.transcript.model()
        texts = [model.data(model.index(r, 0), Qt.ItemDataRole.DisplayRole) for r in range(model.rowCount())]
        assert MARKUP in texts and RTL in texts and COMBINING in texts
        assert any(t and len(t) >= len(MEGABYTE) for t in texts)
        # the list shows the values as data, the reordering controls shown, not obeyed
        row = w.call_model.row_of_rowid(rowid)
        assert w.call_model.index(row, 3).data() == for_screen(MARKUP + RTL)
        assert "[U+202E]evil[U+202C]" in w.call_model.index(row, 3).data()
        # tool tips that carry provider text are shown literally too
        for view in (w.table, w.sidebar):
            view.scrollToTop()
        targets = [(w.table, w.call_model.index(row, 9)), (w.table, w.call_model.index(row, 3)),
                   (w.sidebar, w.sidebar_model.index_for_key(("agent", "evil", "agent-evil")))]
        for view, index in targets:
            assert index.isValid()
            view.scrollTo(index)
            rect = view.visualRect(index)
            assert rect.isValid()
            pos = rect.center()
            QToolTip.hideText()
            event = QHelpEvent(QHelpEvent.Type.ToolTip, pos, view.viewport().mapToGlobal(pos))
            QApplication.sendEvent(view.viewport(), event)
            tip = QToolTip.text()
            assert "<b>" in (index.data(Qt.ItemDataRole.ToolTipRole) or "")  # the provider's text ...
            assert "&lt;b&gt;" in tip and "<b>" not in tip, tip[:200]  # ... shown, not rendered
            assert "<script>" not in tip and "<img" not in tip
        QToolTip.hideText()
        assert isinstance(w.table, QAbstractItemView)
    finally:
        close_window(qtbot, w)
        core.close()


def test_the_player_says_clearly_that_a_corrupt_recording_cannot_be_played(qtbot, tmp_path, sim, elsewhere, _loop):
    from tests.reliability.conftest import close_window, make_window, run

    base, _seen = elsewhere
    profile = Profile.open(tmp_path / "w")

    def setup():
        core = Core.open(profile, MemoryKeyStore(SIM_KEYS), client_kw={"retry": FAST_RETRY}, sync_worker="thread")
        try:
            async def go():
                acc = await core.add_account("callab", "callab", Secret(SIM_KEYS["callab"]),
                                             base_url=sim.base_urls["callab"], verify=False)
                await core.sync(acc)
            asyncio.run(go())
        finally:
            core.close()
    with ThreadPoolExecutor(1) as pool:
        pool.submit(setup).result()
    core = Core.open(profile, MemoryKeyStore(SIM_KEYS), client_kw={"retry": FAST_RETRY})
    w = make_window(qtbot, core, tmp_path)
    try:
        acc = core.store.get_account("callab")
        call_id = next(c.provider_call_id for c in core.store.list_calls(CallQuery(account_ids=[acc.id]))
                       if c.has_recording)
        sim.update_call("callab", call_id, record_url=f"{base}/corrupt.wav")
        rowid = core.store.rowid_of(acc.id, call_id)
        assert w.table.select_rowid(rowid)
        qtbot.waitUntil(lambda: "could not be played" in w.player.message(), timeout=20_000)
        other = next(c.provider_call_id for c in core.store.list_calls(CallQuery(account_ids=[acc.id]))
                     if c.has_recording and c.provider_call_id != call_id)
        sim.update_call("callab", other, record_url=f"{base}/page.html")
        assert w.table.select_rowid(core.store.rowid_of(acc.id, other))
        qtbot.waitUntil(lambda: "not audio" in w.player.message(), timeout=20_000)
        assert "text/html" in w.player.message()
        run(qtbot, asyncio.sleep(0))
    finally:
        close_window(qtbot, w)
        core.close()
