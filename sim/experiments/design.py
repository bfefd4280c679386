"""A sweep's design: what a sweep folder holds, so that one folder belongs to one design.

The design is the list of jobs (each job's overrides, in the order Hydra numbers them),
the factors with their levels, the fixed overrides and the hash of the first job's
resolved configuration (which changes when a scenario file does). It is written to
``design.json`` at the sweep root before the first run. A sweep whose design differs
from what its folder holds is refused (:func:`check_folder`), so runs of two designs are
never aggregated together. Hydra-free: the caller parses the command line.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from pathlib import Path

from sim.errors import ConfigError
from sim.store import config_hash

DESIGN = "design.json"
VERSION = 1
MAX_JOBS_DEFAULT = 10_000


def count_jobs(lengths: dict[str, int]) -> int:
    """Number of jobs of a full-factorial design with these factor lengths."""
    return math.prod(lengths.values()) if lengths else 1


def check_size(lengths: dict[str, int], max_jobs: int) -> None:
    """Refuse an empty design, or one of more than ``max_jobs`` jobs, before expanding it."""
    for k, n in lengths.items():
        if n == 0:
            raise ConfigError(k, "the sweep gives this factor no level (an empty list or range); give at least one")
    n = count_jobs(lengths)
    if n > max_jobs:
        big = max(lengths, key=lengths.get)
        raise ConfigError(big, f"the sweep would launch {n:,} runs ({' x '.join(f'{v:,}' for v in lengths.values())}), "
                               f"more than run.max_jobs ({max_jobs:,}); allowed: fewer levels of {big}, or a "
                               f"higher run.max_jobs")


def _canon(level: str) -> str:
    """A level as a value: ``1``, ``1.0`` and ``1e0`` are one number."""
    try:
        f = float(level)
    except ValueError:
        return level
    if not math.isfinite(f):
        return level
    return str(int(f)) if f == int(f) and abs(f) < 2**63 else repr(f)


def check_replicates(jobs: list[list[str]], levels: dict[str, list[str]] | None = None) -> None:
    """Refuse a design in which two jobs are the same run (``seed=1,1``, or ``seed=1,1.0``:
    levels are compared as values): identical replicates would fake a zero-width
    confidence interval. ``levels``: each swept key's levels as typed, to name the key
    whose levels repeat."""
    def canon(o: str) -> str:
        k, _, v = o.partition("=")
        return f"{k}={_canon(v)}"

    seen = Counter(tuple(sorted(canon(o) for o in j)) for j in jobs)
    dup = next((j for j, n in seen.items() if n > 1), None)
    if dup is None:
        return
    for key, lv in (levels or {}).items():
        c = Counter(_canon(v) for v in lv)
        twice = [v for v in lv if c[_canon(v)] > 1]
        if twice:
            what = "replicates need distinct seeds" if key == "seed" else "levels must differ"
            raise ConfigError(key, f"the levels {', '.join(twice)} are the same value, so the sweep would repeat "
                                   f"runs; {what}")
    seeds = [o for o in dup if o.partition("=")[0] == "seed"]
    key = "seed" if seeds else dup[0].partition("=")[0]
    value = (seeds[0] if seeds else dup[0]).partition("=")[2]
    raise ConfigError(key, f"the sweep repeats the run {' '.join(dup)} ({key}={value} is given more than once); "
                           f"replicates need distinct seeds, levels must differ")


def record(jobs: list[list[str]], factors: dict[str, list[str]], fixed: list[str], first_config: dict) -> dict:
    """The design record (``design.json``) with its hash."""
    body = {"version": VERSION, "factors": factors, "seeds": factors.get("seed", []), "fixed": sorted(fixed),
            "jobs": jobs, "config_hash": config_hash(first_config)}
    return {"design_hash": config_hash(body), **body}


def read(root: Path) -> dict | None:
    try:
        d = json.loads((Path(root) / DESIGN).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {"design_hash": None}
    return d if isinstance(d, dict) else {"design_hash": None}


def difference(old: dict, new: dict) -> str:
    """The first differences between two designs, in words."""
    out = []
    of, nf = old.get("factors") or {}, new.get("factors") or {}
    for k in sorted(set(of) | set(nf)):
        if of.get(k) != nf.get(k):
            out.append(f"{k}: {','.join(of.get(k, [])) or '(not a factor)'} there, "
                       f"{','.join(nf.get(k, [])) or '(not a factor)'} here")
    if old.get("fixed") != new.get("fixed"):
        gone = sorted(set(old.get("fixed") or []) - set(new.get("fixed") or []))
        added = sorted(set(new.get("fixed") or []) - set(old.get("fixed") or []))
        out.append("fixed settings differ (" + "; ".join(
            [*(f"there: {g}" for g in gone), *(f"here: {a}" for a in added)]) + ")")
    if not out and old.get("config_hash") != new.get("config_hash"):
        out.append("the resolved configuration differs (a scenario or experiment file changed)")
    return "; ".join(out[:3]) or "an unreadable or older design record"


def is_run_folder(p: Path) -> bool:
    """A sweep's own run folder: a number, holding a run's or a failure's files."""
    return p.is_dir() and p.name.isdigit() and any((p / n).exists() for n in ("manifest.json", "summary.json",
                                                                              "failed.json"))


def check_folder(root: Path, design: dict) -> bool:
    """Whether ``root`` already holds this design (a resume). Raises ConfigError naming
    the folder and the difference when it holds another design, or runs of an
    unrecorded one; foreign files and folders are ignored."""
    root = Path(root)
    if not root.exists():
        return False
    if not root.is_dir():
        raise ConfigError("hydra.sweep.dir", f"{root} is a file, not a folder; give a folder path")
    if (root / "manifest.json").is_file() and not (root / DESIGN).exists():
        raise ConfigError("hydra.sweep.dir", f"{root} holds a single run's results (manifest.json); a sweep "
                                             f"would mix its files with them: give a new folder, e.g. "
                                             f"hydra.sweep.dir={_sibling(root)}")
    old = read(root)
    if old is None:
        if any(is_run_folder(p) for p in root.iterdir()):
            raise ConfigError("hydra.sweep.dir", f"{root} holds runs of a sweep whose design was not recorded; "
                                                 f"give a new folder, e.g. hydra.sweep.dir={_sibling(root)}")
        return False
    if old.get("design_hash") == design["design_hash"]:
        return True
    if old.get("design_hash") is None:
        raise ConfigError("hydra.sweep.dir", f"{root / DESIGN} cannot be read (damaged or not a design record); "
                                             f"give a new folder, e.g. hydra.sweep.dir={_sibling(root)}")
    raise ConfigError("hydra.sweep.dir", f"{root} holds another design ({difference(old, design)}); give a new "
                                         f"folder, e.g. hydra.sweep.dir={_sibling(root)}")


def check_run_folder(run_dir: Path) -> None:
    """Refuse a single run into a sweep's folder: its root (``design.json``) or one of its
    numbered runs (the run would replace a sweep run's files behind the sweep's back)."""
    run_dir = Path(run_dir)
    if (run_dir / DESIGN).is_file():
        raise ConfigError("hydra.run.dir", f"{run_dir} holds a sweep ({DESIGN}); a single run would mix its files "
                                           f"with the sweep's: give another folder, or resume the sweep with -m")
    if run_dir.name.isdigit() and (run_dir.parent / DESIGN).is_file():
        raise ConfigError("hydra.run.dir", f"{run_dir} is run {run_dir.name} of the sweep in {run_dir.parent}; "
                                           f"give another folder, or resume the sweep with -m")


def _sibling(root: Path) -> str:
    for k in range(2, 1000):
        cand = root.with_name(f"{root.name}-{k}")
        if not cand.exists():
            return os.path.relpath(cand) if not os.path.relpath(cand).startswith("..") else str(cand)
    return str(root) + "-new"


def write(root: Path, design: dict) -> None:
    """``design.json`` at ``root`` (atomically)."""
    tmp = Path(root) / f".{DESIGN}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(design, indent=1, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, Path(root) / DESIGN)
