"""Lines for the person at the terminal that must not fail once the results are written."""

from __future__ import annotations

import contextlib
import os
import sys


def say(text: str, stream=None) -> None:
    """Print a line: a closed pipe (``| head``), a full device or an encoding that lacks a
    character (a Chinese path on an ASCII terminal) lose the line or its characters, never
    the exit code."""
    stream = stream or sys.stdout
    try:
        try:
            print(text, file=stream, flush=True)
        except UnicodeEncodeError:
            enc = getattr(stream, "encoding", None) or "ascii"
            print(text.encode(enc, "backslashreplace").decode(enc), file=stream, flush=True)
    except (BrokenPipeError, OSError, ValueError):
        _silence(stream)


def _silence(stream) -> None:
    """Point a broken stream at /dev/null, so that the interpreter's flush at exit does
    not fail too (which would print 'Exception ignored' and exit 120)."""
    try:
        fd = stream.fileno()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


class QuietStream:
    """``sys.stdout`` for output that is not the run's own line (Hydra's ``--help``,
    ``--cfg``, ``--info``; the parameter list): once the reader has gone (``| head``) or
    the device is full, the rest is dropped instead of ending in a traceback."""

    def __init__(self, stream):
        self._stream, self._dead = stream, False

    def write(self, text: str) -> int:
        if not self._dead:
            try:
                self._stream.write(text)
            except (BrokenPipeError, OSError, ValueError):
                self._dead = True
                _silence(self._stream)
        return len(text)

    def flush(self) -> None:
        if not self._dead:
            try:
                self._stream.flush()
            except (BrokenPipeError, OSError, ValueError):
                self._dead = True
                _silence(self._stream)

    def __getattr__(self, name):
        return getattr(self._stream, name)


@contextlib.contextmanager
def quiet_stdout():
    """``sys.stdout`` is a :class:`QuietStream` inside the block (and flushed at its end)."""
    loud, sys.stdout = sys.stdout, QuietStream(sys.stdout)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stdout = loud


def number_ranges(nums, dash: str = "-", empty: str = "none") -> str:
    """Whole numbers as runs: ``'0-3, 5'`` for 0, 1, 2, 3, 5 (``dash`` between the ends of a
    run; ``empty`` when there are none)."""
    nums = sorted({int(n) for n in nums})
    out, i = [], 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        out.append(str(nums[i]) if i == j else f"{nums[i]}{dash}{nums[j]}")
        i = j + 1
    return ", ".join(out) or empty
