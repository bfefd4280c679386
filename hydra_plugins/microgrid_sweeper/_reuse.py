"""The config loader the prechecked sweeper hands its launcher: a job's configuration as
Hydra's loader makes it, with the composition of its config-group options made once.

Hydra's launchers compose every job's configuration from scratch in the process that runs
it (``ConfigLoader.load_sweep_config``: read and merge every file of the defaults list,
about 0.2 s for this project's configuration; a ``chongming_town`` year takes about 1 s).
A job's configuration is its group options' files merged (which files depends only on the
group overrides: ``scenario=``, ``team_mix=``...), then its other overrides merged into
that, in order (``ConfigLoaderImpl._load_configuration_impl``). So this loader composes the
group options once per distinct combination in each process (Hydra's own loader, with
only the job's group overrides), keeps it, and for each job merges a copy with the job's
other overrides by Hydra's own function, then records the job's overrides in ``hydra.*`` as
Hydra does (``overrides.task``, ``job.override_dirname``). tests/test_sweeper.py checks the
result against Hydra's loader, job by job, key by key. A job with a Hydra override or a
package override among its own goes to Hydra's loader unchanged.

The kept compositions live in this module, so that a worker process that runs many jobs
(joblib's reused workers) composes once: the loader itself is pickled anew with each job.
They are keyed by the sweep (a token drawn when the sweeper starts) and dropped when
another sweep starts in the same process.

A module whose name starts with "_" is not imported by Hydra's plugin scan: this one is
imported when a sweep starts.
"""

import copy
import uuid
from typing import Any, Dict, List, Optional, Tuple

from hydra._internal.config_loader_impl import ConfigLoaderImpl, get_overrides_dirname
from hydra.core.config_loader import ConfigLoader
from hydra.core.object_type import ObjectType
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import DictConfig, OmegaConf

_BASES: Dict[Tuple[str, Tuple[str, ...]], DictConfig] = {}


class ReusingConfigLoader(ConfigLoader):
    """Hydra's config loader (``inner``), with :meth:`load_sweep_config` reusing the
    composition of a job's group options; everything else is the inner loader's."""

    def __init__(self, inner: ConfigLoader) -> None:
        self.inner = inner
        self.token = uuid.uuid4().hex  # this sweep
        self.groups = frozenset(inner.list_groups(""))

    def _split(self, sweep_overrides: List[str]) -> Optional[Tuple[list, Tuple[str, ...], list]]:
        """(parsed, the group overrides, the others); None when Hydra's loader must do it all."""
        parsed = OverridesParser.create().parse_overrides(list(sweep_overrides))
        if any(o.is_hydra_override() or o.package is not None for o in parsed):
            return None
        groups = tuple(o.input_line for o in parsed if o.key_or_group in self.groups)
        return parsed, groups, [o for o in parsed if o.key_or_group not in self.groups]

    def _base(self, master_config: DictConfig, groups: Tuple[str, ...]) -> DictConfig:
        """The composition of the group options ``groups`` (kept in this process)."""
        key = (self.token, groups)
        base = _BASES.get(key)
        if base is None:
            self._drop_other_sweeps()
            base = _BASES[key] = self.inner.load_sweep_config(master_config, list(groups))
        return base

    def _drop_other_sweeps(self) -> None:
        """Forget the compositions another sweep kept in this process."""
        if any(k[0] != self.token for k in _BASES):
            _BASES.clear()

    def compose_ahead(self, master_config: DictConfig, jobs: List[List[str]]) -> Dict[Tuple[str, ...], DictConfig]:
        """The compositions of the group options of ``jobs``, made here once: the joblib
        launcher (:mod:`._shared`) makes those of a batch's first jobs in the main process,
        while the worker server starts, and sends them with the state every job shares;
        :meth:`keep` installs them in a worker, which then composes none of its own for them
        (the first composition in a worker took ~0.45 s on the two busy cores)."""
        out = {}
        for overrides in jobs:
            split = self._split(list(overrides))
            if split is not None:
                out[split[1]] = self._base(master_config, split[1])
        return out

    def keep(self, bases: Dict[Tuple[str, ...], DictConfig]) -> None:
        """Install compositions made elsewhere (:meth:`compose_ahead`) in this process."""
        self._drop_other_sweeps()
        for groups, base in bases.items():
            _BASES.setdefault((self.token, groups), base)

    def load_sweep_config(self, master_config: DictConfig, sweep_overrides: List[str]) -> DictConfig:
        split = self._split(list(sweep_overrides))
        if split is None:
            return self.inner.load_sweep_config(master_config, list(sweep_overrides))
        parsed, groups, values = split
        cfg = copy.deepcopy(self._base(master_config, groups))
        ConfigLoaderImpl._apply_overrides_to_config(values, cfg)
        # what Hydra's loader records of the overrides: every one, in the job's order
        cfg.hydra.overrides.task = [o.input_line for o in parsed]
        dirname = cfg.hydra.job.config.override_dirname
        cfg.hydra.job.override_dirname = get_overrides_dirname(
            overrides=parsed, kv_sep=dirname.kv_sep, item_sep=dirname.item_sep, exclude_keys=dirname.exclude_keys)
        OmegaConf.copy_cache(from_config=master_config, to_config=cfg)
        return cfg

    # the rest of ConfigLoader: the inner loader's
    def load_configuration(self, config_name: Optional[str], overrides: List[str], run_mode: Any,
                           from_shell: bool = True, validate_sweep_overrides: bool = True) -> DictConfig:
        return self.inner.load_configuration(config_name=config_name, overrides=overrides, run_mode=run_mode,
                                             from_shell=from_shell, validate_sweep_overrides=validate_sweep_overrides)

    def get_search_path(self) -> Any:
        return self.inner.get_search_path()

    def get_sources(self) -> Any:
        return self.inner.get_sources()

    def list_groups(self, parent_name: str) -> List[str]:
        return self.inner.list_groups(parent_name)

    def get_group_options(self, group_name: str, results_filter: Optional[ObjectType] = ObjectType.CONFIG,
                          config_name: Optional[str] = None, overrides: Optional[List[str]] = None) -> List[str]:
        return self.inner.get_group_options(group_name, results_filter, config_name, overrides)

    def compute_defaults_list(self, config_name: Optional[str], overrides: List[str], run_mode: Any) -> Any:
        return self.inner.compute_defaults_list(config_name, overrides, run_mode)
