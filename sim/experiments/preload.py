"""What joblib's worker server imports before it forks a sweep's workers
(``hydra_callbacks.WORKER_PRELOAD``): the model stack, and the real district's map caches
made once, so that every worker starts with them (copy-on-write) instead of building them
in its first run.

The caches are the villages' layout (:func:`sim.world.chongming.layout`, per map seed,
residents and density) and the travel raster of the islands (:mod:`sim.world.links`),
here for the default scenario's world (``chongming``), whose map settings every shipped
scenario on the real map shares. A
``chongming_town`` year then builds in ~0.12 s in each worker's first run as in its later
ones (~0.35 s without). A sweep over other map settings builds its own in the worker, as
before. Nothing here may stop the server: a failure only leaves the caches cold.
"""

from __future__ import annotations

import numpy as np

import sim.model  # noqa: F401 - the model stack (Mesa, NumPy, SciPy)
import sim.output  # noqa: F401 - pyarrow
from sim.params import params_from_dict
from sim.scenarios import with_scenario
from sim.world.world import build_world

DEFAULT_SCENARIO = "chongming"  # conf/config.yaml's


def warm_map_caches() -> None:
    """Build the default scenario's world once (no run's stream is involved: a throwaway
    generator places its households)."""
    try:
        build_world(params_from_dict(with_scenario({"scenario": DEFAULT_SCENARIO})), np.random.default_rng(0))
    except Exception:  # noqa: BLE001 - a warm-up: the worker builds what it needs anyway
        pass


warm_map_caches()
