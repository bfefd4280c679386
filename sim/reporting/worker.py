"""A second process that draws some of a report's figures while this one draws the others.

A single run's report takes about 4 s of matplotlib for the district (a Chongming year),
most of it in the three maps. With two cores, a :class:`FigureWorker` started at the
beginning of the run (so that its imports of matplotlib and the report code overlap the
simulation) receives the records it needs once the run is over, draws its figures into the
run's staging folder and reports back, while the main process writes the tables and draws
the other figures. The figures are the same files either way (same code, same fonts, same
data); without a worker the main process draws them all.

The worker is a fresh interpreter (``python -m sim.reporting.worker``), not a fork (the
main process has threads by then, from numpy's BLAS and pyarrow) nor a multiprocessing
spawn (which would re-run the caller's main script): it shares nothing with the main
process but what is sent, pickled, over its stdin and stdout. Any error in the worker is
raised in the main process as a :class:`FigureWorkerError` with the worker's traceback; a
worker that dies is an error too, never a hang.
"""

from __future__ import annotations

import os
import pickle
import select
import subprocess
import sys
import traceback
from pathlib import Path

class FigureWorkerError(RuntimeError):
    """The figure worker failed (its traceback is in the message)."""


def cores() -> int:
    """CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def wanted() -> bool:
    """Use a worker: two or more cores, and not switched off with ``SIM_FIGURE_WORKER=0``."""
    return os.environ.get("SIM_FIGURE_WORKER", "1") != "0" and cores() >= 2


def _serve(lang: str) -> None:
    """The worker's life: warm up, take one job from stdin, draw it, answer on stdout."""
    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but answers on the channel
    try:
        import sim.metrics.records  # noqa: F401 - what the records unpickle into (not Mesa: sim.agents.work_logs)
        import sim.world.links  # noqa: F401
        import sim.world.world  # noqa: F401
        from sim.reporting import report
        from sim.reporting.i18n import Tr

        report.warm_up(lang)
        pickle.dump(("ready", None), out)
        out.flush()
        msg = pickle.load(sys.stdin.buffer)
        if msg is None:
            return
        res, folder, keys, village = msg
        drawn = report.draw_figures(keys, res, None, Path(folder), Tr(lang), village)
        pickle.dump(("ok", drawn), out)
    except EOFError:  # the main process went away
        return
    except BaseException:  # noqa: BLE001 - everything goes back to the main process
        pickle.dump(("error", traceback.format_exc()), out)
    out.flush()


class FigureWorker:
    """See the module doc. ``FigureWorker(lang)`` starts the process; :meth:`submit` sends
    the records and the figures to draw; :meth:`result` waits for them."""

    def __init__(self, lang: str = "en"):
        root = str(Path(__file__).resolve().parents[2])  # the folder holding the sim package
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
        self._proc = subprocess.Popen([sys.executable, "-m", "sim.reporting.worker", lang], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=root)
        self._ready = False
        self._sent = False
        self._done = False

    def _recv(self):
        """The worker's next message; an error if it exits first."""
        fd = self._proc.stdout
        while not select.select([fd], [], [], 0.5)[0]:
            if self._proc.poll() is not None and not select.select([fd], [], [], 0)[0]:
                raise FigureWorkerError(f"the figure worker exited (code {self._proc.returncode}) without an answer")
        try:
            return pickle.load(fd)
        except (EOFError, pickle.UnpicklingError, OSError) as e:
            code = self._proc.wait()
            raise FigureWorkerError(f"the figure worker exited (code {code}) without an answer ({e!r})") from None

    def _send(self, obj) -> None:
        try:
            pickle.dump(obj, self._proc.stdin, protocol=pickle.HIGHEST_PROTOCOL)
            self._proc.stdin.flush()
        except (BrokenPipeError, OSError) as e:
            code = self._proc.wait()
            raise FigureWorkerError(f"the figure worker exited (code {code}) before its job was sent ({e})") from None

    def submit(self, res, out: Path, keys: list[str], village: int | None) -> None:
        """Draw figures ``keys`` of ``res`` into folder ``out``."""
        if not self._ready:
            kind, payload = self._recv()
            if kind != "ready":
                raise FigureWorkerError(f"the figure worker failed to start:\n{payload}")
            self._ready = True
        self._send((res, str(out), list(keys), village))
        self._sent = True

    def result(self) -> dict:
        """``{key: drawn}`` for the submitted figures."""
        kind, payload = self._recv()
        self.close()
        if kind != "ok":
            raise FigureWorkerError(f"the figure worker failed:\n{payload}")
        return payload

    def __enter__(self) -> "FigureWorker":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop the worker (if it is still waiting) and reap it. A worker that was never
        sent a job has nothing to deliver: it is stopped at once rather than left to finish
        its imports (~3 s) before it reads the end of its input, so a run refused while
        building ends without that wait."""
        if self._done:
            return
        self._done = True
        if not self._sent:
            self._proc.kill()
        try:
            self._proc.stdin.close()  # a waiting worker reads EOF and exits
        except OSError:
            pass
        try:
            self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._proc.stdout.close()


if __name__ == "__main__":  # python -m sim.reporting.worker LANG
    _serve(sys.argv[1] if len(sys.argv) > 1 else "en")
