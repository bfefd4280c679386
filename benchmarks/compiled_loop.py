"""Would compiling the event loop make it fast? The Chongming year's loop, pure and compiled.

    python benchmarks/compiled_loop.py                 # both compilers, 3 alternating runs each (~6 min)
    python benchmarks/compiled_loop.py --arms cython --runs 5
    python benchmarks/compiled_loop.py --scenario chongming_town

A measurement, not part of the model: it answers whether the loop's time goal (a Chongming
year's event loop in <= 3 s, ~19 us an event now) is within reach of compiling the Python
that exists, without rewriting it. Two arms, each a copy of this checkout in a temporary
folder, compiled in place; the compilers are installed from PyPI into that folder (nothing
is installed into your environment):

- ``cython``: the event loop's modules as they are (the lifecycle rooms, the agents, the
  links, the columns), compiled by Cython without type declarations
  (``annotation_typing=False``: their annotations are not C types).
- ``mypyc``: the most called leaf, :mod:`sim.lifecycle.calendar` (``WorkCalendar.add``,
  ``next_open``, ``finish_from``: ~2.4 M calls a Chongming year), whose state is typed,
  compiled by mypyc into a native class. Its methods alone are timed too (ns a call).

Each arm's runs alternate with the pure copy's (``python run.py scenario=S
report.enabled=false``); reported: the median of the loop's time (``timings_s.simulate`` in
manifest.json), the ratio to pure, and whether every data file is byte-identical to the pure
copy's (it must be: the same code, compiled). Needs a C compiler and PyPI. Timings vary by
±5-10 % on a shared machine: compare medians of alternating runs.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CYTHON_MODULES = [
    *(f"sim/lifecycle/{m}.py" for m in ("engine", "attempts", "dispatch", "calendar", "closure", "intake", "handling",
                                        "discovery", "dists", "routing", "oversight", "issuebook", "occurrence",
                                        "assessment", "emergency")),
    *(f"sim/agents/{m}.py" for m in ("staff", "households", "units", "residents", "heads", "work_logs")),
    "sim/world/links.py", "sim/columns.py",
]
MYPYC_MODULES = ["sim/lifecycle/calendar.py"]
DATA = ["summary.json", "issues.parquet", "households.parquet", "staff.parquet", "units.parquet", "grids.parquet",
        "backlog.parquet"]
CALENDAR_CALLS = """
import datetime as dt, random, time
from sim.lifecycle.calendar import WorkCalendar
from sim.lifecycle.holidays import HolidayTable
cal = WorkCalendar([[(8.5, 11.5), (13.0, 17.0)]] * 5 + [[], []], dt.date(2024, 1, 1), 400, HolidayTable.none())
r = random.Random(1)
ts = sorted(r.uniform(0, 9000) for _ in range(200000))
ds = [r.uniform(0, 5) for _ in ts]
best = {}
for _ in range(3):
    for name in ("add", "next_open", "finish_from"):
        f = getattr(cal, name)
        t0 = time.perf_counter()
        if name == "next_open":
            for t in ts: f(t)
        else:
            for t, d in zip(ts, ds): f(t, d)
        best[name] = min(best.get(name, 1e9), (time.perf_counter() - t0) / len(ts) * 1e9)
print(" ".join(f"{k}={v:.0f}ns" for k, v in best.items()))
"""


def _copy(dst: Path) -> Path:
    shutil.copytree(ROOT, dst, ignore=shutil.ignore_patterns(".git", "results", "outputs", "multirun", "__pycache__",
                                                             "*.so", "*.c", "build", "*.egg-info"))
    return dst


def _sh(args: list[str], cwd: Path, env: dict | None = None) -> None:
    r = subprocess.run(args, cwd=cwd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        sys.exit(f"failed ({' '.join(args[:4])} ...): {(r.stderr or r.stdout)[-1500:]}")


def _tools(where: Path, package: str) -> dict:
    """``package`` from PyPI into ``where``; the environment that sees it."""
    _sh([sys.executable, "-m", "pip", "install", "-q", "--target", str(where), package], cwd=where.parent)
    return {**os.environ, "PYTHONPATH": str(where)}


def build(arm: str, tmp: Path) -> Path:
    src = _copy(tmp / arm)
    env = _tools(tmp / f"{arm}-tools", {"cython": "cython", "mypyc": "mypy"}[arm])
    if arm == "cython":
        setup = tmp / "cython_setup.py"
        setup.write_text(
            "from setuptools import setup\nfrom Cython.Build import cythonize\n"
            f"setup(ext_modules=cythonize({CYTHON_MODULES!r}, nthreads=2, quiet=True, compiler_directives="
            "{'language_level': 3, 'binding': True, 'annotation_typing': False}))\n")
        _sh([sys.executable, str(setup), "build_ext", "--inplace", "-q"], cwd=src, env=env)
    else:
        _sh([sys.executable, "-m", "mypyc", "--ignore-missing-imports", "--follow-imports=silent", *MYPYC_MODULES],
            cwd=src, env=env)
    return src


def run_once(src: Path, out: Path, scenario: str) -> float:
    shutil.rmtree(out, ignore_errors=True)
    _sh([sys.executable, "run.py", f"scenario={scenario}", "report.enabled=false", f"hydra.run.dir={out}"], cwd=src,
        env={**os.environ, "PYTHONPATH": str(src)})
    return json.loads((out / "manifest.json").read_text())["timings_s"]["simulate"]


def calendar_calls(src: Path) -> str:
    r = subprocess.run([sys.executable, "-c", CALENDAR_CALLS], cwd=src, capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": str(src)})
    return r.stdout.strip() or r.stderr.strip()[-300:]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arms", nargs="+", choices=["cython", "mypyc"], default=["cython", "mypyc"])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--scenario", default="chongming")
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="compiled-loop-") as d:
        tmp = Path(d)
        pure = _copy(tmp / "pure")
        arms = {}
        for arm in a.arms:
            print(f"compiling the {arm} arm ...", flush=True)
            arms[arm] = build(arm, tmp)
        loops: dict[str, list[float]] = {"pure": [], **{arm: [] for arm in arms}}
        for k in range(a.runs):
            for name, src in (("pure", pure), *arms.items()):
                loops[name].append(run_once(src, tmp / f"out-{name}", a.scenario))
            print(f"run {k + 1}: " + "  ".join(f"{n} {v[-1]:.2f} s" for n, v in loops.items()), flush=True)
        base = statistics.median(loops["pure"])
        print(f"\n{a.scenario}: the event loop (timings_s.simulate), median of {a.runs} alternating runs")
        print(f"{'arm':8} {'loop_s':>7} {'vs pure':>8}  data files identical to pure")
        for name, v in loops.items():
            same = all(filecmp.cmp(tmp / "out-pure" / f, tmp / f"out-{name}" / f, shallow=False) for f in DATA)
            print(f"{name:8} {statistics.median(v):7.2f} {base / statistics.median(v):7.2f}x  {'yes' if same else 'NO'}")
        if "mypyc" in arms:
            print("\nWorkCalendar calls alone (best of 3 x 200,000):")
            print(f"  pure  {calendar_calls(pure)}")
            print(f"  mypyc {calendar_calls(arms['mypyc'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
