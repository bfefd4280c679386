"""Typed columns for the event loop's per-issue and per-household state.

The loop reads and writes single elements millions of times a run. A Python list is the
fastest to index (~11 ns) but holds a pointer and, for most floats and ints, a boxed object
per element (~32 B); a numpy array holds the values unboxed but costs ~100 ns an element
read from Python. An :class:`array.array` holds them unboxed (8 B a float) and costs
~25 ns a read (measured with ``timeit`` on 100,000 elements), so the loop's columns are
arrays: a Chongming year's peak memory fell by ~80 MB when the issue book moved to them
(see the README's performance section). A flag column (``b``) reads back as 0 or 1.
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
