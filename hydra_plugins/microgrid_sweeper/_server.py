"""The joblib launcher's worker server: one process that imports the model stack once, from
which multiprocessing's forkserver forks the sweep's workers, instead of loky's default of
fresh interpreters that each import it again (about 1.5 s a worker). The server is
single-threaded, so forking from it is safe (forking the main process, which runs joblib's
threads, is not). Results are bit-identical; benchmarks/throughput.py measures the gain.

Standard library only: run.py calls :func:`start_early` before its own imports, so that the
server imports on the other core while the main process imports, checks and composes the
sweep (the server was the sweep's critical path: its ~1.5 s of imports began ~0.8 s into the
command). ``hydra_callbacks.warm_workers`` starts it otherwise, once the composed config names
the launcher; either call finds a running server and does nothing. A module whose name
starts with "_" is not imported by Hydra's plugin scan.
"""

from __future__ import annotations

WORKER_MODULES = ["run", "hydra_plugins.microgrid_sweeper._shared", "sim.model", "sim.output"]
"""What a worker needs: the task function's module, the launcher's job function and the
model stack (mesa, pandas, scipy, pyarrow), imported by :mod:`._preload`. Building the real
map's caches there too (layout, travel raster: a worker's first chongming_town build 0.35 s,
later ones 0.12 s) gave no gain: 5 alternating pairs of 8-run sweeps, medians 8.47 s with,
8.42 s without; again with the server started early (the layout only), 9.14 s with, 9.38 s
without, within this machine's run-to-run noise."""


def start_worker_server() -> None:
    """Start multiprocessing's forkserver, preloaded by :mod:`._preload` (a no-op when it runs).
    SIGINT is blocked while the server is spawned: the new process inherits the blocked
    signal until :mod:`._preload` ignores it, so a Ctrl-C during the server's own start-up
    (an interpreter's ~0.1 s) is dropped there too; here it is held for those milliseconds and
    then handled as usual."""
    import multiprocessing
    import multiprocessing.forkserver
    import signal

    multiprocessing.set_forkserver_preload(["hydra_plugins.microgrid_sweeper._preload"])
    held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        multiprocessing.forkserver.ensure_running()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def joblib_sweep_likely(overrides: list[str]) -> bool:
    """From a sweep's overrides alone: will it run on the joblib launcher? Yes when they name
    ``hydra/launcher=local_parallel`` (or ``joblib``), or, naming no launcher, an experiment
    (the shipped ones default to ``local_parallel``). A wrong guess costs the idle core's
    time and the server's memory until the command ends, nothing else."""
    launchers = [o.partition("=")[2] for o in overrides if o.startswith("hydra/launcher=")]
    if launchers:
        return launchers[-1] in ("local_parallel", "joblib")
    return any(o.startswith("experiment=") for o in overrides)


def start_early(argv: list[str]) -> bool:
    """Start the worker server when the raw command line (nothing checked yet) is a sweep
    (one ``-m``) that :func:`joblib_sweep_likely` puts on joblib and names no other flag (a
    print flag such as ``--cfg`` or ``--help`` launches nothing; a bad or repeated flag is
    refused). Returns whether it started one."""
    args = argv[1:]
    flags = [a for a in args if a.startswith("-")]
    if len(flags) != 1 or flags[0] not in ("-m", "--multirun"):
        return False
    if not joblib_sweep_likely([a for a in args if not a.startswith("-")]):
        return False
    start_worker_server()
    return True
