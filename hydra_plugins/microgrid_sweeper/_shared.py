"""Hydra's joblib launcher, with the state every job shares sent once.

Hydra's joblib launcher (``hydra_plugins.hydra_joblib_launcher._core``) hands every job the
sweep's whole state as arguments: the Hydra context (its config loader, repository and
callbacks), the sweep's composed configuration, the task function and Hydra's singletons.
joblib pickles those anew for each job in this process (~45 ms of CPU a job for this
project's configuration) and the worker unpickles them (~55 ms), while both cores are
running jobs. Here they are pickled once per batch; each job is handed the bytes (copied,
not pickled again), and a worker unpickles the context, configuration and task function
once (a job only reads them) and Hydra's singletons for every job, as Hydra does (a job
sets them: ``HydraConfig``). Everything else is Hydra's: the same logging, the same job
ids and numbers, ``run_job`` with the same keys. benchmarks/throughput.py measures sweeps.

A module whose name starts with "_" is not imported by Hydra's plugin scan: this one is
imported when a joblib sweep starts, and by joblib's worker server before it forks
(:mod:`._server`).
"""

import hashlib
import pickle
from pathlib import Path
from typing import Any, Dict, List, Sequence, Tuple

import cloudpickle
from hydra.core.hydra_config import HydraConfig
from hydra.core.singleton import Singleton
from hydra.core.utils import JobReturn, configure_log, filter_overrides, run_job, setup_globals
from hydra_plugins.hydra_joblib_launcher._core import log, process_joblib_cfg
from joblib import Parallel, delayed
from omegaconf import open_dict

COMPOSED_AHEAD = 4
"""How many of a batch's first jobs have their group options composed in the main process
(each distinct combination once: a plain seed sweep composes one)."""

_SHARED: Dict[str, Tuple[Any, Any, Any]] = {}
"""In a worker: the unpickled (Hydra context, configuration, task function) of the sweep
whose digest is the key (only the latest sweep's is kept)."""


def launch(launcher: Any, job_overrides: Sequence[Sequence[str]], initial_job_idx: int) -> List[JobReturn]:
    """``hydra_plugins.hydra_joblib_launcher._core.launch`` with the shared state pickled once."""
    setup_globals()
    configure_log(launcher.config.hydra.hydra_logging, launcher.config.hydra.verbose)
    sweep_dir = Path(str(launcher.config.hydra.sweep.dir))
    sweep_dir.mkdir(parents=True, exist_ok=True)
    joblib_cfg = launcher.joblib
    joblib_cfg["backend"] = "loky"  # as Hydra's: the threading backend is incompatible with Hydra
    process_joblib_cfg(joblib_cfg)
    log.info("Joblib.Parallel({}) is launching {} jobs".format(
        ",".join([f"{k}={v}" for k, v in joblib_cfg.items()]), len(job_overrides)))
    log.info("Launching jobs, sweep output dir : {}".format(sweep_dir))
    for idx, overrides in enumerate(job_overrides):
        log.info("\t#{} : {}".format(idx, " ".join(filter_overrides(overrides))))
    # the group options of the first jobs composed here, while the worker server starts
    # (see _reuse.ReusingConfigLoader.compose_ahead)
    loader = launcher.hydra_context.config_loader
    ahead = loader.compose_ahead(launcher.config, [list(o) for o in job_overrides[:COMPOSED_AHEAD]]) \
        if hasattr(loader, "compose_ahead") else {}
    # cloudpickle, as joblib's own: the task function lives in run.py, the main script
    shared = cloudpickle.dumps((launcher.hydra_context, launcher.config, launcher.task_function, ahead))
    singletons = cloudpickle.dumps(Singleton.get_state())
    digest = hashlib.sha256(shared).hexdigest()
    runs = Parallel(**joblib_cfg)(
        delayed(execute_job)(initial_job_idx + idx, overrides, digest, shared, singletons)
        for idx, overrides in enumerate(job_overrides))
    assert isinstance(runs, List)
    for run in runs:
        assert isinstance(run, JobReturn)
    return runs


def shared_state(digest: str, shared: bytes) -> Tuple[Any, Any, Any]:
    """The sweep's (Hydra context, configuration, task function), unpickled once per process;
    the compositions made ahead are handed to its config loader then."""
    state = _SHARED.get(digest)
    if state is None:
        _SHARED.clear()
        hydra_context, config, task_function, ahead = pickle.loads(shared)
        if ahead:
            hydra_context.config_loader.keep(ahead)
        state = _SHARED[digest] = (hydra_context, config, task_function)
    return state


def execute_job(idx: int, overrides: Sequence[str], digest: str, shared: bytes, singletons: bytes) -> JobReturn:
    """``hydra_plugins.hydra_joblib_launcher._core.execute_job``, given the shared state as bytes."""
    setup_globals()
    Singleton.set_state(pickle.loads(singletons))
    hydra_context, config, task_function = shared_state(digest, shared)
    sweep_config = hydra_context.config_loader.load_sweep_config(config, list(overrides))
    with open_dict(sweep_config):
        sweep_config.hydra.job.id = "{}_{}".format(sweep_config.hydra.job.name, idx)
        sweep_config.hydra.job.num = idx
    HydraConfig.instance().set_config(sweep_config)
    ret = run_job(hydra_context=hydra_context, config=sweep_config, task_function=task_function,
                  job_dir_key="hydra.sweep.dir", job_subdir_key="hydra.sweep.subdir")
    # the sweep keeps of a job its status and return value (prechecked_sweeper._Forgetful):
    # the job's configurations (~0.1 MB pickled) need not travel back
    ret.cfg = ret.hydra_cfg = None
    return ret
