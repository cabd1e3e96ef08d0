"""The qasync loop the window tests share: one for the whole session (a second loop on the same
QApplication made later tests time out), marked running only inside the modules that use it."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest


@pytest.fixture(scope="session")
def qloop(qapp):
    """The one qasync loop of the session, on the already running QApplication."""
    import qasync

    loop = qasync.QEventLoop(qapp, already_running=True)
    # Plain threads for asyncio.to_thread: shut down (and joined) at the end of the session.
    executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="test-loop")
    loop.set_default_executor(executor)
    asyncio.set_event_loop(loop)
    yield loop
    executor.shutdown(wait=True)


@pytest.fixture(scope="module")
def loop_running(qloop):
    """Marks the qasync loop running for one module only (use it with an autouse fixture or
    `pytestmark`), so that later modules that call `asyncio.run()` do not see a running loop."""
    asyncio.events._set_running_loop(qloop)
    asyncio.set_event_loop(qloop)
    yield qloop
    asyncio.events._set_running_loop(None)
    asyncio.set_event_loop(None)
