"""A local simulator of the Atlas, Callab and Vatel call APIs (real HTTP on 127.0.0.1).

    from callviewer.simulator import Simulator
    with Simulator(calls_per_provider=200, seed=1) as sim:   # starts on a free port
        sim.base_urls["vatel"]        # http://127.0.0.1:PORT/vatel/v1
        sim.keys["vatel"]             # frozenset({"sim-vatel-key"})
        sim.faults.add("vatel", "429", path=r"^/calls$", times=2, retry_after=1)
        sim.count("vatel", r"^/calls\\?")

Used by `callviewer simulate`, the demo mode, the tests and the sync benchmark. Stdlib only.
"""

from callviewer.simulator.server import DEFAULT_KEYS, PROVIDERS, Simulator, run_forever

__all__ = ["DEFAULT_KEYS", "PROVIDERS", "Simulator", "run_forever"]
