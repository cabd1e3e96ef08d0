"""Shared fixtures. Qt runs offscreen; the network is real HTTP on 127.0.0.1 (the simulator)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_LOGGING_RULES", "qt.multimedia.*=false")

import pytest  # noqa: E402

from callviewer.net import RetryPolicy  # noqa: E402

#: Fast retries for tests: same logic, millisecond backoff.
FAST_RETRY = RetryPolicy(attempts=4, backoff_base=0.01, backoff_max=0.05, retry_after_max=5)

SIM_KEYS = {"atlas": "sim-atlas-key", "callab": "sim-callab-key", "vatel": "sim-vatel-key"}


@pytest.fixture(scope="session")
def shared_sim():
    """A read-only simulator shared by tests that do not change its data or faults."""
    from callviewer.simulator.server import Simulator

    sim = Simulator(calls_per_provider=60, seed=7).start()
    yield sim
    sim.stop()


@pytest.fixture
def sim():
    """A fresh simulator for tests that add calls, change them or inject faults."""
    from callviewer.simulator.server import Simulator

    s = Simulator(calls_per_provider=40, seed=11).start()
    yield s
    s.stop()


@pytest.fixture
def profile(tmp_path):
    from callviewer.profile import Profile

    return Profile.open(tmp_path / "profile")


@pytest.fixture
def core(profile):
    """A Core with keys in memory (the keyring has its own tests) and fast retries."""
    from callviewer.core import Core
    from callviewer.secrets import MemoryKeyStore

    c = Core.open(profile, MemoryKeyStore(), client_kw={"retry": FAST_RETRY})
    yield c
    c.close()
