"""Named random streams: one per random process.

One :class:`numpy.random.SeedSequence` per run; every random process draws from its own
child generator, keyed by a stable name from :data:`STREAMS`. Adding a process or changing
a policy never shifts the draws of another process, which gives common random numbers
across policies. No global ``random`` or ``np.random`` state is used anywhere in ``sim``.
"""

from __future__ import annotations

import zlib

import numpy as np

STREAMS = {
    "world": "the map: village sizes, households, residents' ages, party membership and app use",
    "teams": "team allocation: trades of work-team members, volunteer mediators",
    "occurrence": "when, where and of which type issues occur",
    "surge": "the extra issues of surge events",
    "drain": "the background issues that occur during the drain after the horizon (counted nowhere)",
    "discovery": "per-issue clocks of every discovery channel (unit exponentials)",
    "on_spot": "whether a finder fixes an issue on the spot",
    "report": "report delays by channel",
    "registration": "registration and classification times",
    "consultation": "consultation times where the world has no team members",
    "boundary": "whether an issue straddles a grid border (joint consultation)",
    "relay": "the village-committee relay when nets are not fused: delay, loss, re-report",
    "hotline": "the district platform's dispatch of 12345 tickets",
    "handover": "hand-over times between levels",
    "handling": "working time of first attempts at each level",
    "failure": "whether an attempt fails",
    "rework": "whether verification fails, and the time of repeated attempts",
    "feedback": "feedback times",
    "verification": "verification times",
    "extension": "whether an extension (延期) is granted",
    "households": "households' decisions: reporting, channel choice, ratings",
    "trust": "households' initial trust",
    "mesa": "Mesa's own generator (seeded, never used for model draws)",
}
"""Every stream a run may use, with the process it serves (documented in the manifest)."""


class Streams:
    """Independent generators derived from one master seed.

    Each name is mapped to a fixed spawn key (its CRC32), so the stream of a given name
    is the same whatever other streams exist or in which order they are asked for.
    Asking for a name not in :data:`STREAMS` raises ``KeyError``: a new process gets its
    own documented stream instead of borrowing another's.
    """

    def __init__(self, seed: int):
        self.seed = int(seed)
        self._root = np.random.SeedSequence(self.seed)
        self._cache: dict[str, np.random.Generator] = {}

    def __getitem__(self, name: str) -> np.random.Generator:
        gen = self._cache.get(name)
        if gen is None:
            if name not in STREAMS:
                raise KeyError(f"unknown random stream {name!r}; streams: {', '.join(STREAMS)}")
            key = zlib.crc32(name.encode("utf-8"))
            ss = np.random.SeedSequence(self._root.entropy, spawn_key=(key,))
            gen = self._cache[name] = np.random.Generator(np.random.PCG64(ss))
        return gen

    def names(self) -> list[str]:
        return sorted(self._cache)


EXPERIMENT_STREAMS = {
    "uncertainty": "a robust comparison's Latin hypercube over the assumption registry (sim.experiments.robust)",
    "optimiser": "the design optimiser's sampler seed (sim.experiments.optimise)",
}
"""Streams of an experiment (not of a run: a run's manifest lists :data:`STREAMS` only)."""


def experiment_stream(seed: int, name: str) -> np.random.Generator:
    """The experiment's generator ``name`` from its ``seed``, derived as :class:`Streams`
    derives a run's (the name's CRC32 as spawn key), so it never shifts with other streams."""
    if name not in EXPERIMENT_STREAMS:
        raise KeyError(f"unknown experiment stream {name!r}; streams: {', '.join(EXPERIMENT_STREAMS)}")
    ss = np.random.SeedSequence(int(seed), spawn_key=(zlib.crc32(name.encode("utf-8")),))
    return np.random.Generator(np.random.PCG64(ss))
