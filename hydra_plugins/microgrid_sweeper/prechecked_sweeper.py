"""Hydra's basic sweeper without its second check of every job before launching it.

Hydra's ``BasicSweeper`` composes the whole configuration of every job of a batch again
(``validate_batch_is_legal``, about 0.2 s a job) in the main process, before the launcher
starts the batch; the workers wait meanwhile. ``run.py`` has already made that check, once
per distinct combination of config-group levels rather than once per job, before anything
was created (``run._precompose_sweep``: every level of every group factor names a file,
every such combination composes, every other level merges into it, the design is checked
and recorded). So the second check can only find what the first found: this sweeper skips
it and is otherwise Hydra's (the same cartesian product, order, batches and job numbers).

Selected in ``conf/config.yaml`` (``override hydra/sweeper: prechecked``); ``run.py``
refuses ``hydra/sweeper=...`` on the command line, so a sweep never runs without its check.
"""

# no "from __future__ import annotations": Hydra runs this module before it is in sys.modules,
# where a dataclass cannot look up string annotations
from collections.abc import Sequence
from dataclasses import dataclass

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper, BasicSweeperConf
from hydra.core.config_store import ConfigStore
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
        self.launcher = Plugins.instance().instantiate_launcher(
            hydra_context=HydraContext(config_loader=ReusingConfigLoader(hydra_context.config_loader),
                                       callbacks=hydra_context.callbacks),
            task_function=task_function, config=config)

    def validate_batch_is_legal(self, batch: Sequence[Sequence[str]]) -> None:
        """Nothing to do: ``run.py`` composed every distinct combination of group levels of
        this sweep and merged every other level into it before Hydra started, and refused
        the sweep in one line (exit code 2, nothing created) if any failed. Composing each
        job again here would only repeat that, serially, while the workers wait."""
