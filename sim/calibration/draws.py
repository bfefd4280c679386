"""Parameter sets for decisions under uncertainty: draws from the prior box (the
registry's ranges) or from a calibration's posterior.

    from sim.calibration.draws import draw
    draw(100, "prior", keys=["teams.training_level"], seed=1)       # uniform over the ranges
    draw(100, "posterior", posterior="results/calibration/chongming/posterior.parquet", seed=1)

Each row is one parameter set (dotted keys as columns), to be set on a scenario's
parameters (:func:`apply_row`).
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import ConfigError

SOURCES = ("prior", "posterior")


def prior_box(keys: list[str] | None = None) -> dict[str, tuple[float, float]]:
    """``{key: (low, high)}`` of the registry's numeric parameters (scenario chongming);
    ``keys`` picks some (each must be one)."""
    from sim.calibration.screen import registry_params

    box = registry_params(exclude=())
    if keys is None:
        return {k: tuple(v) for k, v in box.items()}
    unknown = [k for k in keys if k not in box]
    if unknown:
        raise ConfigError("keys", f"{unknown[0]!r} is not a numeric parameter of conf/assumptions.yaml")
    return {k: tuple(box[k]) for k in keys}


def draw(n: int, source: str = "prior", keys: list[str] | None = None, posterior: str | Path | None = None,
         seed: int = 0) -> pd.DataFrame:
    """``n`` parameter sets. ``prior``: a Latin hypercube (scipy.stats.qmc) over the
    registry's ranges of ``keys`` (all numeric parameters when None). ``posterior``: rows of
    a calibration's ``posterior.parquet`` resampled by their weights (the joint posterior,
    correlations kept); ``keys`` selects columns."""
    if source not in SOURCES:
        raise ConfigError("source", f"must be one of {', '.join(SOURCES)}, got {source!r}")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ConfigError("n", f"must be a whole number >= 1, got {n!r}")
    rng = np.random.default_rng(seed)
    if source == "prior":
        from scipy.stats import qmc

        box = prior_box(keys)
        u = qmc.LatinHypercube(d=len(box), seed=rng).random(n)
        lo = np.array([b[0] for b in box.values()])
        hi = np.array([b[1] for b in box.values()])
        return pd.DataFrame(qmc.scale(u, lo, hi) if len(box) else u, columns=list(box))
    if posterior is None:
        raise ConfigError("posterior", "give the path of a calibration's posterior.parquet")
    path = Path(posterior)
    if path.is_dir():
        path = path / "posterior.parquet"
    if not path.is_file():
        raise ConfigError("posterior", f"no posterior at {path}; run python run.py experiment=calibrate first")
    post = pd.read_parquet(path)
    cols = [c for c in post.columns if c != "weight"]
    if keys is not None:
        missing = [k for k in keys if k not in cols]
        if missing:
            raise ConfigError("keys", f"{missing[0]!r} was not calibrated; calibrated: {', '.join(cols)}")
        cols = list(keys)
    w = post["weight"].to_numpy(dtype=float)
    idx = rng.choice(len(post), size=n, p=w / w.sum())
    return post[cols].iloc[idx].reset_index(drop=True)


def apply_row(data: dict, row: pd.Series | dict) -> dict:
    """A copy of scenario parameters ``data`` with one drawn parameter set on top."""
    from sim.experiments.sensitivity import set_dotted

    d = copy.deepcopy(data)
    for k, v in dict(row).items():
        set_dotted(d, k, float(v))
    return d
