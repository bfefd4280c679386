"""Typed columns for the event loop's per-issue and per-household state.

The loop reads and writes single elements millions of times a run. A Python list is the
fastest to index (~11 ns) but holds a pointer and, for most floats and ints, a boxed object
per element (~32 B); a numpy array holds the values unboxed but costs ~100 ns an element
read from Python. An :class:`array.array` holds them unboxed (8 B a float) and costs
~25 ns a read (measured with ``timeit`` on 100,000 elements), so the loop's columns are
arrays: a Chongming year's peak memory fell by ~80 MB when the issue book moved to them
(see the README's performance section). A flag column (``b``) reads back as 0 or 1.

A read from an array makes a Python object (~15 ns more than a list's, measured with
``timeit``), and the loop's hottest columns are read ~40 times per issue: over a whole
Chongming year that made the loop ~10 % slower (paired runs). So a column of small integers
(levels, trades, counters, epochs: each value one shared object, 8 bytes an element either
way, ~1 byte in an array) that the loop reads most stays a list, and an array holds what
a list would hold as an object per element: floats, and large ids and counters.
"""

from __future__ import annotations

from array import array

import numpy as np


def floats(values) -> array:
    """A ``d`` column of the given numbers (a numpy array or a sequence)."""
    return array("d", np.ascontiguousarray(values, dtype=float).tobytes())


def ints(values) -> array:
    """A ``q`` column of the given integers (a numpy array or a sequence)."""
    return array("q", np.ascontiguousarray(values, dtype=np.int64).tobytes())


def filled(code: str, value, n: int) -> array:
    """A column of ``n`` copies of ``value`` (:mod:`array` typecode ``code``)."""
    return array(code, (value,)) * n


def shared_ints(values) -> list:
    """A list column of non-negative integers whose elements share one object per value
    (ids of grids, villages, towns): 8 bytes an element like a ``q`` column, and read without
    making an object (an array's read of a value above 256 makes one)."""
    v = np.asarray(values, dtype=np.int64)
    if len(v) == 0:
        return []
    ids = list(range(int(v.max()) + 1))
    return list(map(ids.__getitem__, v.tolist()))


class Columns:
    """Makes one store's columns: typed (``compact``, the functions above) or plain lists.
    A run whose state is small and whose every event writes many columns keeps lists: on
    the validation queues' lean path (:mod:`sim.lifecycle.lean`) typed columns cost ~19 % of
    the engine's rate (M/M/12, paired runs: 287 k against 355 k closed issues a second)."""

    def __init__(self, compact: bool = True) -> None:
        self.compact = compact

    def filled(self, code: str, value, n: int):
        return filled(code, value, n) if self.compact else [value] * n

    def floats(self, values):
        return floats(values) if self.compact else np.asarray(values, dtype=float).tolist()

    def ints(self, values):
        return ints(values) if self.compact else np.asarray(values, dtype=np.int64).tolist()

    def of(self, code: str, values: list):
        """A column of ``values`` (a list) of typecode ``code``."""
        return array(code, values) if self.compact else values
