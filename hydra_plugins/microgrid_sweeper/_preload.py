"""Imported by the sweep's worker server only (:mod:`._server`), never by the main process:
the modules a worker needs (:data:`._server.WORKER_MODULES`), with Ctrl-C ignored meanwhile.

A Ctrl-C at the terminal reaches every process of the command, the server too. The command
says "interrupted" in one line and ends; the server, still importing, would print a
KeyboardInterrupt traceback from whichever import it was in. Ignoring SIGINT here (it was
blocked from the spawn on: :func:`._server.start_worker_server`) lets it finish its imports
(a second or two), see that the command has ended and exit quietly.
Afterwards SIGINT is handled as before: the server ignores it while serving, and the workers
it forks get Python's usual handler back.
"""

import signal
from importlib import import_module

from hydra_plugins.microgrid_sweeper._server import WORKER_MODULES

_before = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C held since the spawn is dropped
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
try:
    for _name in WORKER_MODULES:
        import_module(_name)
finally:
    signal.signal(signal.SIGINT, _before)
