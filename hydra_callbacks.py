"""Hydra callbacks for sweeps (the only Hydra-aware code besides run.py).

``on_multirun_start`` writes the sweep plan (total runs, start time) so that each job can
report progress; ``on_multirun_end`` aggregates the sweep from the run directories on
disk (with the joblib launcher ``on_job_end`` runs in the workers, so aggregation must
read from disk; see ../shared/design.md).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from hydra.core.override_parser.overrides_parser import OverridesParser
from hydra.experimental.callback import Callback
from omegaconf import DictConfig, OmegaConf



def sweep_size(config: DictConfig) -> int:
    """Number of jobs: product of the sweep lengths of command-line and sweeper params."""
    by_key = {}
    for k, v in (config.hydra.sweeper.get("params") or {}).items():
        by_key[k] = f"{k}={v}"
    for o in config.hydra.overrides.task:
        by_key[o.split("=", 1)[0].lstrip("+~")] = o
    parsed = OverridesParser.create().parse_overrides(list(by_key.values()))
    n = 1
    for p in parsed:
        if p.is_sweep_override():
            n *= len(list(p.sweep_string_iterator()))
    return n


def spec_from(config: DictConfig):
    """The sweep's :class:`sim.experiment.ExperimentSpec` from ``experiment.*``."""
    from sim.experiments.experiment import DEFAULT_KPIS, ExperimentSpec  # scipy/pandas: main process only

    e = OmegaConf.to_container(config.get("experiment") or {}, resolve=True) or {}
    return ExperimentSpec(name=e.get("name", "sweep"), baseline=e.get("baseline") or {},
                          kpis=tuple(e.get("kpis") or DEFAULT_KPIS),
                          target_rel_halfwidth=float(e.get("target_rel_halfwidth", 0.05)))


class SweepCallback(Callback):
    def on_multirun_start(self, config: DictConfig, **kwargs) -> None:
        root = Path(config.hydra.sweep.dir)
        root.mkdir(parents=True, exist_ok=True)
        (root / "sweep_plan.json").write_text(json.dumps({"total": sweep_size(config), "started": time.time()}))
        (root / "progress.log").write_text("")

    def on_multirun_end(self, config: DictConfig, **kwargs) -> None:
        root = Path(config.hydra.sweep.dir)
        cfg = OmegaConf.to_container(config, resolve=False)
        cfg.pop("hydra", None)
        cmd = " ".join(["python", "run.py", "-m", *config.hydra.overrides.task])
        from sim.experiments.sweep_report import aggregate  # matplotlib/pandas only in the main process, at the end
        report = config.get("report")
        lang = report.get("lang", "en") if isinstance(report, DictConfig) else "en"
        cmp = aggregate(root, spec_from(config), cmd, OmegaConf.to_yaml(cfg), lang=lang)
        print(f"sweep: {cmp['runs']['ok']}/{cmp['runs']['total']} runs ok; runs.parquet, comparison.json and "
              f"report.html written to {root}", file=sys.stderr)
