"""`callviewer --version`: version, Python, Qt, the keyring backend and the profile's folders;
fast, and never failing because of Qt or the keyring."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import textwrap
import time

import pytest

from callviewer import __version__
from callviewer.secrets import describe_keyring
from tests.core.test_keyring import needs_secret_service

BLOCK_QT = textwrap.dedent("""
    import sys
    class Block:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("PySide6", "shiboken6", "qasync"):
                raise ImportError("blocked for this test: " + name)
    sys.meta_path.insert(0, Block())
""")


def run_version(*args: str, env: dict[str, str] | None = None, block_qt: bool = False,
                timeout: float = 60) -> tuple[subprocess.CompletedProcess, float]:
    code = (BLOCK_QT if block_qt else "") + textwrap.dedent("""
        import sys
        from callviewer.app import main
        sys.exit(main(sys.argv[1:]))
    """)
    full_env = {**os.environ, **(env or {})}
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", code, "--version", *args], capture_output=True,
                          text=True, timeout=timeout, env=full_env)
    return proc, time.perf_counter() - t0


def fields(stdout: str) -> dict[str, str]:
    lines = stdout.splitlines()
    out = {"first": lines[0]}
    for line in lines[1:]:
        key, _, value = line.partition(": ")
        out[key] = value
    return out


def test_version_prints_everything_and_creates_nothing(tmp_path):
    profile = tmp_path / "not" / "there"
    proc, took = run_version("--profile", str(profile))
    assert proc.returncode == 0, proc.stderr
    f = fields(proc.stdout)
    assert f["first"] == f"callviewer {__version__}"
    assert f["Python"].startswith(platform.python_version())
    from PySide6 import __version__ as pyside_version
    from PySide6.QtCore import qVersion

    assert f["Qt"] == f"{qVersion()} (PySide6 {pyside_version})"
    assert f["Keyring"]  # a backend's name, or "none usable: <reason>"
    assert f["Data folder"] == str(profile.resolve())
    assert f["Logs folder"] == str(profile.resolve() / "logs")
    assert not (tmp_path / "not").exists()  # --version opens no profile
    assert proc.stderr == ""
    assert took < 20  # fast (about 0.3 s; generous for a loaded test machine)


def test_version_follows_callviewer_profile(tmp_path):
    proc, _ = run_version(env={"CALLVIEWER_PROFILE": str(tmp_path / "env-profile")})
    assert proc.returncode == 0, proc.stderr
    assert fields(proc.stdout)["Data folder"] == str((tmp_path / "env-profile").resolve())


def test_version_without_qt(tmp_path):
    proc, _ = run_version("--profile", str(tmp_path / "p"), block_qt=True)
    assert proc.returncode == 0, proc.stderr
    f = fields(proc.stdout)
    assert f["first"] == f"callviewer {__version__}"
    assert f["Qt"] == "not installed"


def test_version_with_no_usable_keyring(tmp_path):
    proc, _ = run_version("--profile", str(tmp_path / "p"),
                          env={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"})
    assert proc.returncode == 0, proc.stderr
    assert fields(proc.stdout)["Keyring"] == (
        "none usable: no OS keyring found (no Secret Service, Keychain or Credential Locker)")


def test_version_with_a_broken_keyring_setting(tmp_path):
    proc, _ = run_version("--profile", str(tmp_path / "p"),
                          env={"PYTHON_KEYRING_BACKEND": "no_such_module.Keyring"})
    assert proc.returncode == 0, proc.stderr
    assert fields(proc.stdout)["Keyring"].startswith("none usable: ")
    assert "Traceback" not in proc.stderr


@needs_secret_service
def test_version_names_the_secret_service(tmp_path):
    proc, _ = run_version("--profile", str(tmp_path / "p"))
    assert proc.returncode == 0, proc.stderr
    assert fields(proc.stdout)["Keyring"] == "keyring.backends.SecretService.Keyring"


# -- describe_keyring, in this process --------------------------------------------------------

def test_describe_keyring_refuses_plaintext(monkeypatch):
    import keyring

    class PlaintextKeyring:
        priority = 1

    PlaintextKeyring.__module__ = "keyrings.alt.file"
    PlaintextKeyring.__qualname__ = "PlaintextKeyring"
    monkeypatch.setattr(keyring, "get_keyring", lambda: PlaintextKeyring())
    text = describe_keyring()
    assert text.startswith("none usable: keyrings.alt.file.PlaintextKeyring is not an OS keyring")


def test_describe_keyring_survives_a_probe_that_raises(monkeypatch):
    import keyring

    def boom():
        raise RuntimeError("D-Bus said no")

    monkeypatch.setattr(keyring, "get_keyring", boom)
    assert describe_keyring() == "none usable: probing the backends failed (RuntimeError)"


def test_describe_keyring_gives_up_on_a_keyring_that_hangs(monkeypatch):
    import threading

    import keyring

    release = threading.Event()

    def hang():
        release.wait(10)
        raise RuntimeError("late")

    monkeypatch.setattr(keyring, "get_keyring", hang)
    t0 = time.perf_counter()
    try:
        text = describe_keyring(timeout=0.2)
    finally:
        release.set()
    assert text == "none usable: the keyring did not answer within 0.2 s"
    assert time.perf_counter() - t0 < 5


def test_describe_keyring_names_the_os_keyring_of_a_chain(monkeypatch):
    import keyring

    class Real:
        priority = 5

    Real.__module__ = "keyring.backends.SecretService"
    Real.__qualname__ = "Keyring"

    class ChainerBackend:
        priority = 10
        backends = [Real()]

    ChainerBackend.__module__ = "keyring.backends.chainer"
    ChainerBackend.__qualname__ = "ChainerBackend"
    monkeypatch.setattr(keyring, "get_keyring", lambda: ChainerBackend())
    assert describe_keyring() == "keyring.backends.SecretService.Keyring"  # the one keys go to


@pytest.mark.parametrize("argv", [["--version", "--demo"], ["--debug", "--version"]])
def test_version_wins_over_other_options(argv, tmp_path):
    code = "import sys; from callviewer.app import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.run([sys.executable, "-c", code, *argv, "--profile", str(tmp_path / "p")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"callviewer {__version__}\n")
