"""A one-node SLURM cluster for tests, from Debian's ``slurm-wlm`` and ``munge`` (installed
by ``.ci/run``), started in a private folder and stopped afterwards.

Everything is private to the folder: a fresh munge key and socket, ``slurm.conf`` (passed
to every command through ``SLURM_CONF``), state, spool and logs, free TCP ports; nothing
under /etc or /run is touched. It runs as root (``SlurmUser=root``) with the settings that
work in a container: ``ProctrackType=proctrack/linuxproc`` and ``TaskPlugin=task/none``
(the cgroup defaults fail there), ``SelectType=select/cons_tres``, no accounting database
(``sacct`` then fails, which submitit tolerates: it reads each job's result file). The node
line is the machine's own (``slurmd -C``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

DAEMONS = ("munged", "mungekey", "slurmctld", "slurmd", "sinfo", "sbatch", "scancel")
PARTITION = "debug"


def missing_binaries() -> list[str]:
    """The SLURM and munge programs this machine lacks (apt-get install slurm-wlm munge)."""
    paths = os.environ.get("PATH", "") + os.pathsep + "/usr/sbin" + os.pathsep + "/sbin"
    return [b for b in DAEMONS if shutil.which(b, path=paths) is None]


def _which(name: str) -> str:
    paths = os.environ.get("PATH", "") + os.pathsep + "/usr/sbin" + os.pathsep + "/sbin"
    return shutil.which(name, path=paths) or name


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def node_line() -> tuple[str, str]:
    """``(node name, its NodeName=... line)`` from ``slurmd -C``, addressed on the loopback."""
    out = subprocess.run([_which("slurmd"), "-C"], capture_output=True, text=True, check=True, timeout=30).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("NodeName="))
    name = line.split()[0].split("=", 1)[1]
    return name, f"{line} NodeAddr=127.0.0.1 State=UNKNOWN"


class LocalSlurm:
    """``with LocalSlurm(folder) as c:`` a running one-node cluster; ``c.env`` is the
    environment for its commands (``SLURM_CONF``), ``c.partition`` its partition."""

    def __init__(self, root: Path, start_timeout_s: float = 60.0):
        self.root = Path(root)
        self.timeout = start_timeout_s
        self.procs: list[subprocess.Popen] = []
        self.partition = PARTITION
        self.env = dict(os.environ)

    # ------------------------------------------------------------------ start
    def __enter__(self) -> LocalSlurm:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _start(self) -> None:
        r = self.root
        for d in ("munge", "key", "state", "spool", "log"):
            (r / d).mkdir(parents=True, exist_ok=True)
        (r / "key").chmod(0o700)
        (r / "munge").chmod(0o755)
        key, sock = r / "key" / "munge.key", r / "munge" / "munge.socket"
        subprocess.run([_which("mungekey"), "--create", f"--keyfile={key}", "--force"], check=True,
                       capture_output=True, timeout=30)
        self._spawn("munged", [_which("munged"), "--foreground", "--force", f"--socket={sock}", f"--key-file={key}",
                               f"--log-file={r / 'log' / 'munged.log'}", f"--pid-file={r / 'munge' / 'munged.pid'}",
                               f"--seed-file={r / 'key' / 'munged.seed'}"])
        self._wait(lambda: sock.exists(), "munged did not create its socket", "munged")
        name, node = node_line()
        conf = r / "slurm.conf"
        conf.write_text("\n".join([
            "ClusterName=simtest",
            f"SlurmctldHost={name}(127.0.0.1)",
            "SlurmUser=root",
            "SlurmdUser=root",
            f"SlurmctldPort={_free_port()}",
            f"SlurmdPort={_free_port()}",
            "AuthType=auth/munge",
            "CredType=cred/munge",
            f"AuthInfo=socket={sock}",
            f"StateSaveLocation={r / 'state'}",
            f"SlurmdSpoolDir={r / 'spool'}",
            f"SlurmctldPidFile={r / 'slurmctld.pid'}",
            f"SlurmdPidFile={r / 'slurmd.pid'}",
            f"SlurmctldLogFile={r / 'log' / 'slurmctld.log'}",
            f"SlurmdLogFile={r / 'log' / 'slurmd.log'}",
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_Core",
            "SchedulerType=sched/backfill",
            "AccountingStorageType=accounting_storage/none",
            "JobAcctGatherType=jobacct_gather/none",
            "JobCompType=jobcomp/none",
            "MpiDefault=none",
            "ReturnToService=2",
            "SlurmctldTimeout=30",
            "SlurmdTimeout=30",
            node,
            f"PartitionName={self.partition} Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
            "",
        ]))
        self.env["SLURM_CONF"] = str(conf)
        self._spawn("slurmctld", [_which("slurmctld"), "-D", "-i", "-f", str(conf)])
        self._spawn("slurmd", [_which("slurmd"), "-D", "-f", str(conf)])
        self._wait(self._idle, "the node did not come up idle", "slurmctld", "slurmd")

    def _spawn(self, name: str, cmd: list[str]) -> None:
        log = open(self.root / "log" / f"{name}.out", "wb")
        self.procs.append(subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                           env=self.env, start_new_session=True))
        log.close()

    def _idle(self) -> bool:
        r = subprocess.run([_which("sinfo"), "-h", "-o", "%T"], capture_output=True, text=True, env=self.env,
                           timeout=30)
        return r.returncode == 0 and r.stdout.strip() == "idle"

    def _wait(self, ok, what: str, *logs: str) -> None:
        t0 = time.monotonic()
        while time.monotonic() - t0 < self.timeout:
            if ok():
                return
            dead = [p for p in self.procs if p.poll() is not None]
            if dead:
                break
            time.sleep(0.3)
        raise RuntimeError(f"SLURM test cluster: {what} within {self.timeout:g} s; logs:\n" + self.logs(*logs))

    def logs(self, *names: str) -> str:
        out = []
        for n in names or ("munged", "slurmctld", "slurmd"):
            for f in (self.root / "log" / f"{n}.out", self.root / "log" / f"{n}.log"):
                if f.is_file():
                    out.append(f"--- {f.name}\n" + "\n".join(f.read_text(errors="replace").splitlines()[-20:]))
        return "\n".join(out)

    # ------------------------------------------------------------------ stop
    def stop(self) -> None:
        """Cancel what is left in the queue, then stop every daemon this cluster started
        (slurmd, slurmctld, munged: by their process ids)."""
        if "SLURM_CONF" in self.env and any(p.poll() is None for p in self.procs):
            subprocess.run([_which("scancel"), "--full", "--user=root"], capture_output=True, env=self.env, timeout=30)
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
        for p in reversed(self.procs):
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=15)
        self.procs = []
