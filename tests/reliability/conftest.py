"""Fixtures of the reliability tests that drive the window: a qasync loop and window helpers.

The window tests here need a running asyncio loop on the QApplication, as tests/ui does (its loop
lives in tests/ui/conftest.py, which these tests cannot see). One loop serves this whole folder,
marked running only while a module that asks for it runs (later modules may call `asyncio.run()`).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

WAIT = 20_000  # ms: generous, the test machine may be a loaded 2-core box


def env(**extra: str) -> dict[str, str]:
    """This process's environment without CALLVIEWER_PROFILE, plus `extra`."""
    e = dict(os.environ)
    e.pop("CALLVIEWER_PROFILE", None)
    e.update(extra)
    return e


def cv(profile: Path, *args: str, stdin: str | None = None, timeout: float = 180,
       **extra: str) -> subprocess.CompletedProcess:
    """`callviewer ARGS --profile PROFILE` as a subprocess; `extra`: more environment."""
    return subprocess.run([sys.executable, "-m", "callviewer", *args, "--profile", str(profile)],
                          input=stdin, capture_output=True, text=True, timeout=timeout, env=env(**extra))


@pytest.fixture(scope="session")
def rel_qloop(qapp):
    import qasync

    loop = qasync.QEventLoop(qapp, already_running=True)
    executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="rel-test-loop")
    loop.set_default_executor(executor)
    yield loop
    executor.shutdown(wait=True)


@pytest.fixture(scope="module")
def rel_loop_running(rel_qloop):
    """The loop counts as running for one module (later modules may call `asyncio.run()`)."""
    asyncio.events._set_running_loop(rel_qloop)
    asyncio.set_event_loop(rel_qloop)
    yield rel_qloop
    asyncio.events._set_running_loop(None)
    asyncio.set_event_loop(None)


def run(qtbot, coro, timeout: int = WAIT):
    """Runs a coroutine as a task on the qasync loop and waits for it from a (sync) test."""
    task = asyncio.ensure_future(coro)
    qtbot.waitUntil(task.done, timeout=timeout)
    return task.result()


def make_window(qtbot, core, tmp_path):
    from PySide6.QtCore import QSettings

    from callviewer.ui.app import create_window

    path = tmp_path / f"settings-{uuid.uuid4().hex[:6]}.ini"
    w = create_window(core, QSettings(str(path), QSettings.Format.IniFormat))
    w.show()
    qtbot.waitExposed(w)
    return w


def close_window(qtbot, w) -> None:
    run(qtbot, w.shutdown())
    w.close()
    qtbot.waitUntil(lambda: not w.isVisible(), timeout=WAIT)
    w.deleteLater()
    qtbot.wait(10)


def sync_and_wait(qtbot, window, names=None) -> dict:
    reports: dict = {}
    window.sync_controller.finished.connect(lambda n, r: reports.__setitem__(n, r))
    started = window.sync_accounts(names) if names is not None else window.sync_all()
    assert started
    qtbot.waitUntil(lambda: all(n in reports for n in started), timeout=WAIT)
    qtbot.waitUntil(lambda: not window.sync_controller.is_running(), timeout=WAIT)
    return reports
