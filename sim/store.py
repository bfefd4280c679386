"""A results folder as a unit with an identity: staged, checksummed, committed in one step.

A run (or a sweep's aggregate) is written into a hidden staging folder ``.partial-<pid>``
inside its folder and moved into place by :func:`commit`, which

- replaces the *whole set* of result files: a result file of an earlier run that the new
  set does not have (a report, ``.hydra/``, ``run.log``, ``failed.json``) is removed with
  it, so old and new results never stand side by side; files that are not results (see
  :data:`RUN_FILES`, :data:`SWEEP_FILES`) are left alone;
- is all or nothing: every replaced or removed file is kept as a hard-linked backup in the
  stage until the last move has succeeded, and a failure or an interrupt at any point puts
  every one back (new files and folders are removed);
- cannot be split by a signal: SIGINT, SIGTERM and SIGHUP are blocked around it; one that
  arrived meanwhile rolls the commit back before it is delivered, so an interrupted run
  leaves existing folders byte-identical and writes nothing;
- survives SIGKILL: the moves are journalled in the stage before the first one, and the
  next run, resume or aggregation that finds a dead process's stage with a journal undoes
  the half-done commit (:func:`remove_stale_stages`) before anything else.

The manifest of a run records ``config_hash`` (the resolved configuration) and ``files``
(the SHA-256 of every other file); :func:`verify` says whether a folder holds a complete,
unaltered result of a given configuration.

Tests inject faults through :data:`FAULT` (in-process) or the ``SIM_TEST_FAULT``
environment variable (``commit:<k>:<action>``, read only in tests; actions ``raise``,
``sigint``, ``sigterm``, ``sighup``, ``sigkill``): the action happens just before the k-th
move of a commit.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import fnmatch
import hashlib
import json
import os
import shutil
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

STAGE_PREFIX = ".partial-"
JOURNAL = ".journal.json"
BACKUPS = ".backup"
HELD = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

RUN_FILES = ("summary.json", "manifest.json", "failed.json", "run.log", "report.md", "report.html", "*.png",
             "*.parquet", "sensitivity*.json", "sensitivity*.csv", "screen.json", "calibration.json", "optimise.json",
             ".hydra/*")
"""The result files of a run folder (patterns on relative paths): replaced as a set."""
SWEEP_FILES = ("runs.parquet", "samples.parquet", "comparison.json", "report.md", "report.html", "*.png", "run.log")
"""The aggregate files at a sweep root (the run folders are not among them)."""

FAULT: Callable[[int], None] | None = None
"""Test hook: called with the move's index just before each move of a commit."""


class Interrupted(BaseException):
    """SIGINT, SIGTERM or SIGHUP arrived; ``signum`` says which (exit code 128 + signum)."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


_DEFER = [False]
_PENDING: list[int] = []


_OWNER = [os.getpid()]
"""The process that installed the handlers; a child forked from it (pyabc's workers) inherits
them."""


def _raise_interrupted(signum, _frame) -> None:
    if os.getpid() != _OWNER[0]:  # a forked worker: its parent reports and cleans up; end quietly
        os._exit(128 + signum)
    if _DEFER[0]:  # inside library code: recorded, raised when our own code runs again
        if not _PENDING:
            _PENDING.append(signum)
        return
    raise Interrupted(signum)


@contextlib.contextmanager
def signals_deferred(live: bool = False) -> Iterator[None]:
    """Inside the block a signal is recorded instead of raised, and raised when the block
    ends: for library code (Hydra's launcher, OmegaConf's bookkeeping) that an exception
    half way through leaves broken, so that its cleanup fails with an error of its own.
    ``live=True`` is the opposite, for our own code called from such a block: a recorded
    signal is raised at once, and later ones as they come."""
    prev = _DEFER[0]
    _DEFER[0] = not live
    try:
        if live and _PENDING:
            raise Interrupted(_PENDING.pop())
        yield
    finally:
        _DEFER[0] = prev
    if not prev and _PENDING:  # the outermost deferral ends: the recorded signal now
        raise Interrupted(_PENDING.pop())


def install_signal_handlers() -> None:
    """SIGINT, SIGTERM and SIGHUP raise :class:`Interrupted` (so cleanup code runs) in this
    process; in a child forked from it they end the child quietly."""
    _OWNER[0] = os.getpid()
    for s in HELD:
        signal.signal(s, _raise_interrupted)


@contextlib.contextmanager
def signals_held() -> Iterator[list[int]]:
    """Defer SIGINT, SIGTERM and SIGHUP inside the block: they are recorded in the list it
    yields (the caller may act on them) and delivered when it ends. Blocking them with
    ``pthread_sigmask`` alone is not enough: a process-directed signal goes to any thread
    that does not block it (numpy's and pyarrow's pools), and Python then runs its
    handler in the main thread all the same, so the handlers are swapped too."""
    got: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield got  # only the main thread can swap handlers; commits run there
        return
    old = {s: signal.getsignal(s) for s in HELD}
    for s in HELD:
        signal.signal(s, lambda signum, _frame: got.append(signum))
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, HELD)
    try:
        yield got
    finally:
        got += [s for s in signal.sigpending() & set(HELD) if s not in got]
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # a blocked one is delivered to the recorder here
        for s, h in old.items():
            signal.signal(s, h)
        if got:
            signal.raise_signal(got[0])  # now, to the caller's handler


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def config_hash(data) -> str:
    """SHA-256 of a resolved configuration (plain data; key order does not matter)."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str, ensure_ascii=False).encode()).hexdigest()


def checksums(folder: Path, skip: tuple[str, ...] = ("manifest.json",)) -> dict[str, str]:
    """SHA-256 of every file under ``folder`` (relative path → hex), ``skip`` left out."""
    folder = Path(folder)
    out = {}
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if p.is_file() and rel not in skip and not rel.startswith((STAGE_PREFIX, BACKUPS, JOURNAL)):
            out[rel] = sha256_file(p)
    return out


def verify(folder: Path, expected_hash: str | None = None) -> str | None:
    """Why ``folder`` is not a complete, unaltered result (of configuration
    ``expected_hash`` when given), or None when it is."""
    folder = Path(folder)
    try:
        man = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        return f"manifest.json unreadable ({type(e).__name__})"
    if not isinstance(man, dict) or not isinstance(man.get("files"), dict):
        return "manifest.json has no checksums (written by an older version)"
    if "summary.json" not in man["files"]:
        return "manifest.json lists no summary.json"
    if expected_hash is not None and man.get("config_hash") != expected_hash:
        return "its configuration differs (config_hash)"
    for name, digest in man["files"].items():
        p = folder / name
        if not p.is_file():
            return f"{name} is missing"
        if sha256_file(p) != digest:
            return f"{name} does not match its checksum"
    return None


# ------------------------------------------------------------------ staging and commit


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def new_stage(folder: Path) -> Path:
    """A fresh staging folder inside ``folder`` (which must exist)."""
    stage = Path(folder) / f"{STAGE_PREFIX}{os.getpid()}"
    if stage.exists():
        shutil.rmtree(stage)
    stage.mkdir()
    return stage


def remove_stale_stages(folder: Path, all_of_them: bool = False) -> list[str]:
    """Remove ``.partial-<pid>`` folders left by killed processes (those whose process is
    gone, or every one but this process's when the caller owns ``folder``), first undoing
    any commit such a process had half done (its journal)."""
    removed = []
    folder = Path(folder)
    if not folder.is_dir():
        return removed
    for d in sorted(folder.glob(STAGE_PREFIX + "*")):
        tail = d.name[len(STAGE_PREFIX):]
        mine = tail == str(os.getpid())
        stale = (all_of_them and not mine) or (tail.isdigit() and not mine and not _pid_alive(int(tail)))
        if stale and d.is_dir() and not d.is_symlink():
            if (d / JOURNAL).is_file():
                _recover(d, folder)
            shutil.rmtree(d, ignore_errors=True)
            removed.append(d.name)
    return removed


def _staged_files(stage: Path) -> list[str]:
    """Relative paths of the files in ``stage``, ``summary.json`` last."""
    names = sorted(p.relative_to(stage).as_posix() for p in stage.rglob("*")
                   if p.is_file() and not p.relative_to(stage).as_posix().startswith((BACKUPS, JOURNAL)))
    return sorted(names, key=lambda n: n == "summary.json")


def owned_files(folder: Path, patterns: tuple[str, ...]) -> list[str]:
    """Result files in ``folder`` (relative paths matching ``patterns``; top level and
    ``.hydra/``), i.e. the set a commit replaces."""
    folder = Path(folder)
    out = []
    for p in folder.iterdir() if folder.is_dir() else ():
        if p.name.startswith(STAGE_PREFIX):
            continue
        if p.is_file() and not p.is_symlink():
            rel = p.name
            if any(fnmatch.fnmatchcase(rel, pat) for pat in patterns):
                out.append(rel)
        elif p.name == ".hydra" and p.is_dir() and not p.is_symlink() and ".hydra/*" in patterns:
            out += [f".hydra/{q.name}" for q in p.iterdir() if q.is_file() and not q.is_symlink()]
    return sorted(out)


def _check_targets(names: list[str], folder: Path) -> None:
    for n in names:
        t = folder / n
        if t.is_symlink() or (t.exists() and not t.is_file()):
            raise IsADirectoryError(errno.EISDIR, "a result file's place is taken by a folder or link", str(t))
        for parent in list(Path(n).parents)[:-1]:
            q = folder / parent
            if q.is_symlink() or (q.exists() and not q.is_dir()):
                raise NotADirectoryError(errno.ENOTDIR, "a result folder's place is taken by a file", str(q))


_COMMITS = 0  # commits this process has begun (tests pick one by its number)
COMMITTED: list[Path] = []
"""Folders this process has committed results into (a signal that arrives after the point
of no return is delivered when the commit ends: the caller can tell the user the results
are complete)."""


def _fault(k: int, hook: bool = True) -> None:
    if hook and FAULT is not None:
        FAULT(k)
    spec = os.environ.get("SIM_TEST_FAULT", "")  # commit:MOVE:ACTION[:NTH commit of this process]
    if spec.startswith("commit:"):
        _, at, action, *nth = spec.split(":")
        if int(at) == k and (not nth or int(nth[0]) == _COMMITS):
            if action == "raise":
                raise OSError(errno.EIO, "injected fault")
            sig = {"sigint": signal.SIGINT, "sigterm": signal.SIGTERM, "sighup": signal.SIGHUP,
                   "sigkill": signal.SIGKILL}[action]
            # to the main thread, where it is held: a process-directed os.kill may land on a
            # pool thread after the check below has passed (a real Ctrl-C that late finds
            # the commit done, and COMMITTED says so)
            signal.pthread_kill(threading.main_thread().ident, sig)


def commit(stage: Path, folder: Path, patterns: tuple[str, ...] = RUN_FILES) -> list[str]:
    """Make ``folder``'s result files exactly the files of ``stage``, all or nothing (see
    the module doc). Returns the committed names; the stage is left for the caller to
    remove. Raises the error (or :class:`Interrupted`) that stopped it, after rollback."""
    global _COMMITS
    _COMMITS += 1
    folder = Path(folder)
    names = _staged_files(stage)
    _check_targets(names, folder)
    old = [n for n in owned_files(folder, patterns) if n not in set(names)]
    backups = stage / BACKUPS
    backups.mkdir(exist_ok=True)
    plan = [{"op": "remove", "name": n, "backup": f"r{k}"} for k, n in enumerate(old)]
    # "had": the folder held a file of that name before (after a recovery restored it, a
    # second recovery must not take it for a new one)
    plan += [{"op": "put", "name": n, "backup": f"p{k}", "had": (folder / n).is_file()} for k, n in enumerate(names)]
    made: list[str] = []
    for n in names:
        for parent in reversed(list(Path(n).parents)[:-1]):
            if not (folder / parent).exists() and parent.as_posix() not in made:
                made.append(parent.as_posix())
    journal = {"plan": plan, "made_dirs": made}
    (stage / JOURNAL).write_text(json.dumps(journal), encoding="utf-8")
    with signals_held() as got:
        try:
            for d in made:
                (folder / d).mkdir()
            for k, step in enumerate(plan):
                _fault(k)
                target, backup = folder / step["name"], backups / step["backup"]
                if step["op"] == "remove":
                    os.replace(target, backup)
                else:
                    if target.exists():
                        os.link(target, backup)
                    os.replace(stage / step["name"], target)
            _fault(len(plan))
            got += [s for s in signal.sigpending() & set(HELD) if s not in got]
            if got:
                raise Interrupted(got[0])
            (stage / JOURNAL).unlink()  # the point of no return
            COMMITTED.append(folder)
            _fault(len(plan) + 1, hook=False)  # (tests: a real signal after the point of no return)
        except BaseException:
            _recover(stage, folder)
            raise
    for d in {str(Path(n).parent) for n in old if "/" in n}:
        with contextlib.suppress(OSError):
            (folder / d).rmdir()  # e.g. an old .hydra/ the new set does not have
    return names


def _recover(stage: Path, folder: Path) -> None:
    """Undo the journalled commit of ``stage`` into ``folder`` as far as it went."""
    try:
        journal = json.loads((stage / JOURNAL).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    backups = stage / BACKUPS
    for step in reversed(journal.get("plan", [])):
        target, backup = folder / step["name"], backups / step["backup"]
        with contextlib.suppress(OSError):
            if backup.exists():
                os.replace(backup, target)  # the earlier file back (also when not yet replaced)
            elif (step["op"] == "put" and not step.get("had", False) and not (stage / step["name"]).exists()
                  and target.exists()):
                os.unlink(target)  # a new file that was moved in: removed
    for d in reversed(journal.get("made_dirs", [])):
        with contextlib.suppress(OSError):
            (folder / d).rmdir()
    with contextlib.suppress(OSError):
        (stage / JOURNAL).unlink()


# ------------------------------------------------------------------ one writer per folder


class Busy(Exception):
    """Another process holds the folder's lock."""


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (``flock`` on the folder itself: no file is
    created, and the lock goes with the process however it ends). Raises :class:`Busy`."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Busy(str(folder)) from None
        yield
    finally:
        os.close(fd)
