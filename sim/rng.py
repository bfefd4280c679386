"""Named random streams.

One :class:`numpy.random.SeedSequence` per run; every random process draws from its own
child generator, keyed by a stable name. Adding a process or changing a policy never
shifts the draws of another process, which gives common random numbers across policies.
No global ``random`` or ``np.random`` state is used anywhere in ``sim``.
"""

from __future__ import annotations

import zlib

import numpy as np

STREAMS = (
    "world", "occurrence", "channels", "report", "lifecycle", "handling",
    "on_spot", "rework", "failure", "escalation", "verification", "teams", "mesa",
)
"""Every stream a run may use, in a fixed order (documented in the manifest)."""


class Streams:
    """Independent generators derived from one master seed.

    Each name is mapped to a fixed spawn key (its CRC32), so the stream of a given name
    is the same whatever other streams exist or in which order they are asked for.
    """

    def __init__(self, seed: int):
        self.seed = int(seed)
        self._root = np.random.SeedSequence(self.seed)
        self._cache: dict[str, np.random.Generator] = {}

    def __getitem__(self, name: str) -> np.random.Generator:
        gen = self._cache.get(name)
        if gen is None:
            key = zlib.crc32(name.encode("utf-8"))
            ss = np.random.SeedSequence(self._root.entropy, spawn_key=(key,))
            gen = self._cache[name] = np.random.Generator(np.random.PCG64(ss))
        return gen

    def names(self) -> list[str]:
        return sorted(self._cache)
