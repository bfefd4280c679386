"""Hydra's basic sweeper without its second check of every job before launching it.

Hydra's ``BasicSweeper`` composes the whole configuration of every job of a batch again
(``validate_batch_is_legal``, about 0.2 s a job) in the main process, before the launcher
starts the batch; the workers wait meanwhile. ``run.py`` has already made that check, once
per distinct combination of config-group levels rather than once per job, before anything
was created (``hydra_checks.check_group_levels`` and ``check_jobs_compose``: every level of
every group factor names a file, every such combination composes, every other level merges
into it). So the second check can only find what the first found: this sweeper skips it and
is otherwise Hydra's (the same cartesian product, order, batches and job numbers). Two more
differences, neither visible in the results: its launcher composes each job with the
composition of the job's group options reused (:mod:`._reuse`), with joblib the state all
jobs share is pickled once (:mod:`._shared`), and the sweep keeps of each finished job its
status, not its whole configuration (:class:`_Forgetful`).

Selected in ``conf/config.yaml`` (``override hydra/sweeper: prechecked``); ``run.py``
refuses ``hydra/sweeper=...`` on the command line, so a sweep never runs without its check.
"""

# no "from __future__ import annotations": Hydra runs this module before it is in sys.modules,
# where a dataclass cannot look up string annotations
from collections.abc import Sequence
from dataclasses import dataclass

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper, BasicSweeperConf
from hydra.core.config_store import ConfigStore
from hydra.core.utils import JobReturn
from hydra.plugins.launcher import Launcher
from hydra.types import HydraContext, TaskFunction
from omegaconf import DictConfig


@dataclass
class PrecheckedSweeperConf(BasicSweeperConf):
    _target_: str = "hydra_plugins.microgrid_sweeper.prechecked_sweeper.PrecheckedSweeper"


ConfigStore.instance().store(group="hydra/sweeper", name="prechecked", node=PrecheckedSweeperConf,
                             provider="microgrid_sweeper")


class PrecheckedSweeper(BasicSweeper):
    """Hydra's basic sweeper; the jobs' configurations were checked by ``run.py``, and its
    launcher composes them with the group options' composition reused (:mod:`._reuse`)."""

    def setup(self, *, hydra_context: HydraContext, task_function: TaskFunction, config: DictConfig) -> None:
        from hydra.core.plugins import Plugins

        from ._reuse import ReusingConfigLoader

        self.hydra_context, self.config = hydra_context, config
        self.launcher = _Forgetful(Plugins.instance().instantiate_launcher(
            hydra_context=HydraContext(config_loader=ReusingConfigLoader(hydra_context.config_loader),
                                       callbacks=hydra_context.callbacks),
            task_function=task_function, config=config))

    def validate_batch_is_legal(self, batch: Sequence[Sequence[str]]) -> None:
        """Nothing to do: ``run.py`` composed every distinct combination of group levels of
        this sweep and merged every other level into it before Hydra started, and refused
        the sweep in one line (exit code 2, nothing created) if any failed. Composing each
        job again here would only repeat that, serially, while the workers wait."""


class _Forgetful:
    """The launcher, whose job results keep what the sweep reads of them (the status and
    return value): not each job's composed configuration and Hydra's (about 0.1 MB pickled
    per job, more in memory), which the basic sweeper would hold for every job of the sweep
    until its end. The jobs wrote their configurations into their folders."""

    def __init__(self, launcher: Launcher) -> None:
        self.launcher = launcher

    def launch(self, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> Sequence[JobReturn]:
        if type(self.launcher).__name__ == "JoblibLauncher":  # its jobs are handed the shared state once
            from ._shared import launch

            results = launch(self.launcher, job_overrides, initial_job_idx=initial_job_idx)
        else:
            results = self.launcher.launch(job_overrides, initial_job_idx=initial_job_idx)
        for r in results:
            r.cfg = r.hydra_cfg = None
        return results
