"""Secrets: a known ("canary") key run through everything, then searched for everywhere; the log
redaction filter; removing an account removes its key; no plaintext keyring is ever used."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
from keyring.backend import KeyringBackend

from callviewer.logs import RedactingFilter, redact
from callviewer.simulator import Simulator
from tests.core.test_keyring import needs_secret_service
from tests.reliability.conftest import cv as run_cv

PROVIDERS = ("atlas", "callab", "vatel")


# -- the redaction filter ----------------------------------------------------------------------

KEY = "sk-live-0123456789abcdef"


@pytest.mark.parametrize("text", [
    f"Authorization: Bearer {KEY}",
    f"authorization=Bearer {KEY}",
    f"{{'Authorization': 'Bearer {KEY}', 'Accept': 'application/json'}}",
    f'{{"authorization": "Bearer {KEY}"}}',
    f"[(b'authorization', b'Bearer {KEY}')]",
    f"Authorization: Basic {KEY}",
    f"api-key: {KEY}",
    f"API-KEY={KEY}",
    f"{{'api-key': '{KEY}'}}",
    f"[('api-key', '{KEY}')]",
    f"x-api-key: {KEY}",
    f"api_key={KEY}",
    f"GET https://api.example.com/v1/calls?page=2&api_key={KEY}&x=1",
    f"GET https://api.example.com/v1/calls?key={KEY}",
    f"GET https://api.example.com/v1/calls?token={KEY}",
    f"GET https://api.example.com/v1/calls?access_token={KEY}",
    f"https://r2.example.com/rec.wav?X-Amz-Credential={KEY}&X-Amz-Signature={KEY}",
    f"https://cdn.example.com/rec.wav?sig={KEY}",
    f"the request was sent with bearer {KEY} and failed",
])
def test_redact_removes_credentials(text):
    out = redact(text)
    assert KEY not in out and "[REDACTED]" in out


def test_redact_leaves_ordinary_text_alone():
    for text in ("GET https://api.example.com/v1/calls?page=2&page_size=100",
                 "the api-key header, as Atlas documents it", "3 calls could not be read",
                 "Authorization header missing"):
        assert redact(text) == text


def test_the_filter_redacts_arguments_exceptions_and_remembered_keys():
    flt = RedactingFilter()
    flt.secrets.add("plain-canary-value-42")
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "headers %s, key %s",
                               ({"api-key": KEY}, "plain-canary-value-42"), None)
    assert flt.filter(record)
    message = record.getMessage()
    assert KEY not in message and "plain-canary-value-42" not in message
    try:
        raise RuntimeError(f"failed with Authorization: Bearer {KEY} and plain-canary-value-42")
    except RuntimeError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "boom", (), sys.exc_info())
    flt.filter(record)
    assert KEY not in record.exc_text and "plain-canary-value-42" not in record.exc_text
    assert "RuntimeError" in record.exc_text


def test_the_profile_log_and_debug_stderr_go_through_the_filter(tmp_path, capsys):
    from callviewer.logs import remember_secret, setup_logging

    canary = f"sk-canary-{uuid.uuid4().hex}"
    remember_secret(canary)
    setup_logging(tmp_path / "logs", debug=True)
    try:
        log = logging.getLogger("callviewer.test")
        log.info("sending %s", {"Authorization": f"Bearer {KEY}"})
        log.debug("the key in use is %s", canary)
        log.warning("GET https://x/y?api_key=%s", KEY)
    finally:
        root = logging.getLogger()
        for h in list(root.handlers):
            if getattr(h, "_callviewer", False):
                root.removeHandler(h)
                h.close()
    err = capsys.readouterr().err
    text = (tmp_path / "logs" / "callviewer.log").read_text()
    assert "sending" in text and "the key in use" in text and "sending" in err
    for blob in (text, err):
        assert KEY not in blob and canary not in blob


# -- no plaintext keyring, ever ------------------------------------------------------------------

def _fake_plaintext_module(root: Path, store: Path) -> None:
    """A plaintext keyring like keyrings.alt's, importable as `keyrings.alt.file`."""
    pkg = root / "keyrings" / "alt"
    pkg.mkdir(parents=True)
    (pkg / "file.py").write_text(textwrap.dedent(f"""
        import json, pathlib
        from keyring.backend import KeyringBackend

        STORE = pathlib.Path({str(store)!r})

        class PlaintextKeyring(KeyringBackend):
            priority = 0.5

            def _load(self):
                return json.loads(STORE.read_text()) if STORE.exists() else {{}}

            def get_password(self, service, username):
                return self._load().get(service + "/" + username)

            def set_password(self, service, username, password):
                data = self._load()
                data[service + "/" + username] = password
                STORE.write_text(json.dumps(data))

            def delete_password(self, service, username):
                data = self._load()
                data.pop(service + "/" + username, None)
                STORE.write_text(json.dumps(data))
    """))


class _StandIn(KeyringBackend):
    """Stands in for keyrings.alt's PlaintextKeyring (not a test dependency): same module name,
    same methods, keys in a plain JSON file. It needs an argument to be made, so keyring's own
    backend detection in this process (which makes every backend class without arguments)
    never picks it up."""

    priority = 0.5

    def __init__(self, store: Path) -> None:
        super().__init__()
        self.store = store

    def _load(self) -> dict:
        return json.loads(self.store.read_text()) if self.store.exists() else {}

    def get_password(self, service, username):
        return self._load().get(f"{service}/{username}")

    def set_password(self, service, username, password):
        data = self._load()
        data[f"{service}/{username}"] = password
        self.store.write_text(json.dumps(data))

    def delete_password(self, service, username):
        data = self._load()
        data.pop(f"{service}/{username}", None)
        self.store.write_text(json.dumps(data))


_StandIn.__module__ = "keyrings.alt.file"
_StandIn.__qualname__ = _StandIn.__name__ = "PlaintextKeyring"


def _plaintext_backend(tmp_path):
    """keyrings.alt's PlaintextKeyring when it is installed, else the stand-in."""
    store = tmp_path / "plaintext-keys.json"
    try:
        from keyrings.alt.file import PlaintextKeyring  # noqa: F401 - not a test dependency
    except ImportError:
        return _StandIn(store), store
    backend = PlaintextKeyring()
    backend.file_path = str(store)  # type: ignore[misc]
    return backend, store


def test_accounts_add_refuses_a_plaintext_keyring(tmp_path):
    import keyring

    from callviewer.cli import run_cli

    previous = keyring.get_keyring()
    backend, store = _plaintext_backend(tmp_path)
    assert type(backend).__module__ == "keyrings.alt.file"
    keyring.set_keyring(backend)
    try:
        out, err = io.StringIO(), io.StringIO()
        code = run_cli(["accounts", "add", "prod", "--provider", "vatel", "--api-key-stdin", "--no-verify",
                        "--profile", str(tmp_path / "p")], out=out, err=err,
                       stdin=io.StringIO("sk-canary-plaintext\n"))
    finally:
        keyring.set_keyring(previous)
    assert code == 1
    lines = err.getvalue().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("callviewer: no usable OS keyring")
    assert "Plaintext key files are never used" in lines[0]
    assert not store.exists()  # nothing was written to it
    for f in (tmp_path / "p").rglob("*"):
        if f.is_file():
            assert b"sk-canary-plaintext" not in f.read_bytes()
    out, err = io.StringIO(), io.StringIO()
    assert run_cli(["accounts", "list", "--json", "--profile", str(tmp_path / "p")], out=out, err=err) == 0
    assert json.loads(out.getvalue()) == []


def test_a_plaintext_keyring_chosen_through_the_environment_is_refused_too(tmp_path):
    """The same through `PYTHON_KEYRING_BACKEND`, the way a user would switch keyring's backend."""
    root = tmp_path / "fake-keyrings"
    store = tmp_path / "plaintext-keys.json"
    _fake_plaintext_module(root, store)
    env = dict(os.environ)
    env.pop("CALLVIEWER_PROFILE", None)
    env["PYTHONPATH"] = os.pathsep.join([str(root), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["PYTHON_KEYRING_BACKEND"] = "keyrings.alt.file.PlaintextKeyring"
    proc = subprocess.run([sys.executable, "-m", "callviewer", "accounts", "add", "prod", "--provider", "atlas",
                           "--api-key-stdin", "--no-verify", "--profile", str(tmp_path / "p")],
                          input="sk-canary-env\n", capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 1
    assert proc.stderr.startswith("callviewer: no usable OS keyring") and "Traceback" not in proc.stderr
    assert not store.exists()


# -- the canary key, end to end ----------------------------------------------------------------------

def cv(profile: Path, *args: str, stdin: str | None = None, outputs: list | None = None):
    # PYTHONFAULTHANDLER: a crash would dump its traceback, which is searched too
    proc = run_cv(profile, *args, stdin=stdin, PYTHONFAULTHANDLER="1")
    if outputs is not None:
        outputs.append((" ".join(args), proc.stdout, proc.stderr))
    return proc


@pytest.fixture
def _loop(rel_loop_running):
    yield


@needs_secret_service
def test_a_canary_key_never_leaves_the_keyring(qtbot, tmp_path, _loop):
    import keyring

    from callviewer.core import open_core
    from callviewer.profile import Profile
    from callviewer.secrets import OsKeyStore
    from callviewer.ui.app import create_window, settings_for
    from tests.reliability.conftest import close_window, run, sync_and_wait

    keys = {p: f"sk-canary-{p}-{uuid.uuid4().hex}" for p in PROVIDERS}
    wrong = f"sk-canary-wrong-{uuid.uuid4().hex}"
    canaries = [*keys.values(), wrong]
    p = tmp_path / "profile"
    outputs: list[tuple[str, str, str]] = []
    sim = Simulator(calls_per_provider=20, seed=21, keys=keys).start()
    try:
        # add (each key verified with the provider), a wrong key too
        for provider in PROVIDERS:
            proc = cv(p, "accounts", "add", provider, "--provider", provider, "--base-url",
                      sim.base_urls[provider], "--api-key-stdin", stdin=keys[provider] + "\n", outputs=outputs)
            assert proc.returncode == 0, proc.stderr
        proc = cv(p, "accounts", "add", "rejected", "--provider", "vatel", "--base-url", sim.base_urls["vatel"],
                  "--api-key-stdin", stdin=wrong + "\n", outputs=outputs)
        assert proc.returncode == 1 and "rejected the API key" in proc.stderr
        proc = cv(p, "accounts", "add", "rejected", "--provider", "vatel", "--base-url", sim.base_urls["vatel"],
                  "--api-key-stdin", "--no-verify", stdin=wrong + "\n", outputs=outputs)
        assert proc.returncode == 0
        # sync (with --debug: everything logged, also to stderr), the rejected key failing
        proc = cv(p, "sync", "--debug", outputs=outputs)
        assert proc.returncode == 1 and "rejected the API key" in proc.stderr
        assert "DEBUG" in proc.stderr or "INFO" in proc.stderr
        assert cv(p, "sync", "rejected", "--json", outputs=outputs).returncode == 1
        # list, show, recording
        for args in (("accounts", "list"), ("accounts", "list", "--json"), ("calls", "list"),
                     ("calls", "list", "--json", "--full")):
            assert cv(p, *args, outputs=outputs).returncode == 0
        calls = json.loads(cv(p, "calls", "list", "--json").stdout)
        for provider in PROVIDERS:
            call = next(c for c in calls if c["provider"] == provider and c["has_recording"])
            for extra in ((), ("--json",), ("--raw",)):
                assert cv(p, "calls", "show", call["provider_call_id"], "--account", call["account"], *extra,
                          outputs=outputs).returncode == 0
            proc = cv(p, "calls", "recording", call["provider_call_id"], "--account", call["account"], "--debug",
                      "--out", str(p / "recordings" / f"saved-{provider}.wav"), outputs=outputs)
            assert proc.returncode == 0, proc.stderr

        # the window on the same profile, with the keys from the real keyring: sync, play, remove
        profile = Profile.open(p)
        core, _notice = open_core(profile, OsKeyStore(profile.profile_id))
        w = create_window(core, settings_for(profile))
        w.show()
        qtbot.waitExposed(w)
        try:
            reports = sync_and_wait(qtbot, w)
            assert reports["rejected"].state == "key_rejected"
            assert {reports[n].state for n in PROVIDERS} == {"ok"}
            model = w.call_model
            row = next(r for r in range(model.rowCount()) if model.call_row(r).has_recording
                       and model.call_row(r).account == "atlas")
            w.table.select_row(row)
            qtbot.waitUntil(lambda: w.player.source() is not None, timeout=20_000)
            run(qtbot, w.remove_account("rejected"))
            assert "rejected" not in w.accounts()
            assert keyring.get_password("callviewer", f"{profile.profile_id}:rejected") is None  # gone too
            assert keyring.get_password("callviewer", f"{profile.profile_id}:atlas") == keys["atlas"]
        finally:
            close_window(qtbot, w)
            core.close()
    finally:
        sim.stop()

    # offline now: a failing sync, with --debug
    proc = cv(p, "sync", "--debug", outputs=outputs)
    assert proc.returncode == 1 and "cannot reach" in proc.stderr
    # a damaged cache, moved aside (its copy is searched too)
    (p / "callviewer.db").write_bytes(b"garbage" * 1000)
    assert cv(p, "accounts", "list", outputs=outputs).returncode == 0
    assert list(p.glob("callviewer.db.corrupt-*"))

    # search: every file under the profile (logs, settings, database, moved-aside copies,
    # recordings, accounts.json), every stdout and stderr
    files = [f for f in p.rglob("*") if f.is_file()]
    assert any(f.name == "callviewer.log" for f in files) and any(f.name == "settings.ini" for f in files)
    assert any(f.name == "accounts.json" for f in files)
    hits = []
    for f in files:
        blob = f.read_bytes()
        for key in canaries:
            for form in (key.encode(), key.encode("utf-16-le"), key[10:].encode()):
                if form in blob:
                    hits.append(f"{f.relative_to(p)} holds {key[:14]}…")
    for what, out, err in outputs:
        for key in canaries:
            if key in out or key in err or key[10:] in out or key[10:] in err:
                hits.append(f"output of `{what}` holds {key[:14]}…")
    assert not hits, hits
    log_text = (p / "logs" / "callviewer.log").read_text()
    assert "DEBUG" in log_text  # the --debug runs did log more, and still no key
