"""The results folder's state machine, longer than the suite runs it: random runs,
interrupts at random moves of the commit, damage to files and rewrites, in random order,
on one run folder of a tiny model (``FolderMachine`` in ``tests/test_results_folder.py``).
After every step the folder must be byte-identical to before the step or a complete,
checksummed result of the step's configuration. Prints the number of examples and the
wall time; exits 1 with hypothesis's shrunk counterexample if an invariant
breaks.

    python benchmarks/folder_machine.py                  # 200 examples of up to 12 steps
    python benchmarks/folder_machine.py --examples 1000 --steps 20
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=200)
    ap.add_argument("--steps", type=int, default=12)
    a = ap.parse_args()
    from hypothesis import HealthCheck, settings
    from hypothesis.stateful import run_state_machine_as_test

    from test_results_folder import FolderMachine

    t0 = time.perf_counter()
    run_state_machine_as_test(FolderMachine, settings=settings(
        max_examples=a.examples, stateful_step_count=a.steps, deadline=None, suppress_health_check=list(HealthCheck)))
    print(f"{a.examples} examples of up to {a.steps} steps: every invariant held "
          f"({time.perf_counter() - t0:.0f} s wall)")


if __name__ == "__main__":
    main()
