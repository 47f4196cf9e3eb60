"""A real single-node SLURM for tests: munge, MariaDB, slurmdbd, slurmctld and slurmd from
Debian's packages, on loopback, with private ports, sockets and files under one temporary
base directory, so that two test sessions on one machine never meet.

Every daemon runs in the foreground as a `subprocess.Popen` child that `stop()` terminates
and `wait()`s for (daemons that fork away are never reaped here). Nothing outside the base
directory is touched: munge gets its own key and socket, MariaDB its own data directory.

The cluster: one node `localhost` advertising 80 CPUs, 4000 MB and four fake GPUs (device
files under the base directory), one default partition `gpu`, accounting enforced through
slurmdbd, account `tutor-class` with user root and QOS `normal` + `acc_debug`
(MaxWall 02:00:00, DenyOnLimit).

Run it by hand: `python tests/slurm_cluster.py` starts it and prints the `SLURM_CONF` to
export; Ctrl-C (or SIGTERM to its pid) stops it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Optional

DAEMONS = ("munged", "mariadbd", "mariadb-install-db", "slurmdbd", "slurmctld", "slurmd", "sacctmgr", "sbatch", "squeue", "sacct", "scancel")
CLUSTER = "tutortest"
ACCOUNT = "tutor-class"
QOS = "acc_debug"
PARTITION = "gpu"
GPUS = 4
CPUS = 80
MEMORY_MB = 4000


def _free_ports(n: int) -> list[int]:
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _tool(name: str) -> str:
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin")
    if not found:
        raise RuntimeError(f"{name} is not installed (make deb)")
    return found


class SlurmCluster:
    def __init__(self, base: Optional[Path] = None) -> None:
        self.base = Path(base or tempfile.mkdtemp(prefix="tutor-slurm-"))
        self.procs: dict[str, subprocess.Popen] = {}
        self.ctld_port, self.d_port, self.dbd_port, self.db_port = _free_ports(4)
        self.conf = self.base / "etc" / "slurm.conf"
        self.munge_socket = self.base / "munge" / "munge.socket"
        self.user = "root"

    # ------------------------------------------------------------------ environment

    @property
    def env(self) -> dict[str, str]:
        """What a client call needs (merge into os.environ)."""
        return {"SLURM_CONF": str(self.conf)}

    def run(self, *args: str, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            list(args), env={**os.environ, **self.env}, capture_output=True, text=True, timeout=timeout
        )
        if check and proc.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()}")
        return proc

    # ------------------------------------------------------------------ start/stop

    def start(self) -> "SlurmCluster":
        try:
            self._layout()
            self._start_munge()
            self._start_mariadb()
            self._start_slurmdbd()
            self._accounts()
            self._start("slurmctld", [_tool("slurmctld"), "-D", "-f", str(self.conf)])
            self._start("slurmd", [_tool("slurmd"), "-D", "-N", "localhost", "-f", str(self.conf)])
            self._wait_idle()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop exactly the daemons this object started, newest first, and reap them. Jobs
        still running are cancelled first, while slurmd is there to end their job steps."""
        self._drain()
        for name in reversed(list(self.procs)):
            proc = self.procs.pop(name)
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=15)
        shutil.rmtree(self.base, ignore_errors=True)

    def _drain(self, timeout: float = 30.0) -> None:
        alive = all(n in self.procs and self.procs[n].poll() is None for n in ("slurmctld", "slurmd"))
        if not alive:
            return
        try:
            self.run("scancel", f"--user={self.user}", check=False, timeout=10)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                queue = self.run("squeue", "--noheader", check=False, timeout=10)
                if queue.returncode != 0 or not queue.stdout.strip():
                    return
                time.sleep(0.5)
        except (subprocess.TimeoutExpired, OSError):
            return

    def __enter__(self) -> "SlurmCluster":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def log(self, name: str) -> str:
        path = self.base / "log" / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # ------------------------------------------------------------------ pieces

    def _start(self, name: str, argv: list[str]) -> subprocess.Popen:
        out = open(self.base / "log" / f"{name}.stdout", "wb")
        proc = subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env={**os.environ, **self.env}, cwd=self.base,
        )
        out.close()
        self.procs[name] = proc
        return proc

    def _check_alive(self, name: str) -> None:
        proc = self.procs[name]
        if proc.poll() is not None:
            tail = (self.base / "log" / f"{name}.stdout").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{name} exited with {proc.returncode}:\n{tail}\n{self.log(name)[-2000:]}")

    def _wait(self, name: str, ready, timeout: float = 30.0, what: str = "") -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive(name)
            if ready():
                return
            time.sleep(0.1)
        raise RuntimeError(f"{name}: not ready after {timeout:.0f} s {what}\n{self.log(name)[-2000:]}")

    def _layout(self) -> None:
        for sub in ("etc", "log", "run", "state", "spool", "munge", "db", "dev"):
            (self.base / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(self.base, 0o755)
        for k in range(GPUS):
            (self.base / "dev" / f"nvidia{k}").touch()
        auth = f"AuthInfo=socket={self.munge_socket}"
        b = self.base
        self.conf.write_text(
            "\n".join(
                [
                    f"ClusterName={CLUSTER}",
                    "SlurmctldHost=localhost(127.0.0.1)",
                    f"SlurmctldPort={self.ctld_port}",
                    f"SlurmdPort={self.d_port}",
                    "AuthType=auth/munge",
                    "CredType=cred/munge",
                    auth,
                    "SlurmUser=root",
                    "SlurmdUser=root",
                    f"StateSaveLocation={b}/state",
                    f"SlurmdSpoolDir={b}/spool/%n",
                    f"SlurmctldPidFile={b}/run/slurmctld.pid",
                    f"SlurmdPidFile={b}/run/slurmd.pid",
                    f"SlurmctldLogFile={b}/log/slurmctld.log",
                    f"SlurmdLogFile={b}/log/slurmd.log",
                    "ProctrackType=proctrack/linuxproc",
                    "TaskPlugin=task/none",
                    "MpiDefault=none",
                    "MailProg=/bin/true",
                    "ReturnToService=2",
                    "SchedulerType=sched/backfill",
                    "SchedulerParameters=batch_sched_delay=0,sched_min_interval=0",
                    "SelectType=select/cons_tres",
                    "SelectTypeParameters=CR_CPU_Memory",
                    "DefMemPerCPU=10",  # without it every job takes the whole node's memory
                    "MinJobAge=300",
                    "KillWait=5",
                    "InactiveLimit=0",
                    "EnforcePartLimits=ALL",
                    "SlurmdParameters=config_overrides",
                    "GresTypes=gpu",
                    "AccountingStorageType=accounting_storage/slurmdbd",
                    "AccountingStorageHost=127.0.0.1",
                    f"AccountingStoragePort={self.dbd_port}",
                    f"AccountingStoragePass={self.munge_socket}",
                    "AccountingStorageEnforce=associations,limits,qos",
                    "AccountingStorageTRES=gres/gpu",
                    "JobAcctGatherType=jobacct_gather/none",
                    "JobCompType=jobcomp/none",
                    f"NodeName=localhost NodeAddr=127.0.0.1 CPUs={CPUS} RealMemory={MEMORY_MB} "
                    f"Gres=gpu:{GPUS} State=UNKNOWN",
                    f"PartitionName={PARTITION} Nodes=localhost Default=YES MaxTime=INFINITE State=UP",
                    "",
                ]
            )
        )
        (self.base / "etc" / "gres.conf").write_text(
            f"NodeName=localhost Name=gpu File={b}/dev/nvidia[0-{GPUS - 1}]\n"
        )
        dbd = self.base / "etc" / "slurmdbd.conf"
        dbd.write_text(
            "\n".join(
                [
                    "AuthType=auth/munge",
                    auth,
                    "DbdHost=localhost",
                    "DbdAddr=127.0.0.1",
                    f"DbdPort={self.dbd_port}",
                    "SlurmUser=root",
                    f"LogFile={b}/log/slurmdbd.log",
                    f"PidFile={b}/run/slurmdbd.pid",
                    "StorageType=accounting_storage/mysql",
                    "StorageHost=127.0.0.1",
                    f"StoragePort={self.db_port}",
                    "StorageUser=root",
                    "StorageLoc=slurm_acct_db",
                    "",
                ]
            )
        )
        os.chmod(dbd, 0o600)

    def _start_munge(self) -> None:
        key = self.base / "munge" / "munge.key"
        key.write_bytes(os.urandom(1024))
        os.chmod(key, 0o600)
        os.chmod(self.base / "munge", 0o700)
        self._start(
            "munged",
            [
                _tool("munged"), "--foreground", "--force",
                f"--socket={self.munge_socket}",
                f"--key-file={key}",
                f"--pid-file={self.base}/run/munged.pid",
                f"--log-file={self.base}/log/munged.log",
                f"--seed-file={self.base}/munge/munged.seed",
            ],
        )
        self._wait("munged", lambda: self.munge_socket.exists(), what="(no socket)")

    def _start_mariadb(self) -> None:
        data = self.base / "db" / "data"
        subprocess.run(
            [
                _tool("mariadb-install-db"), "--no-defaults", f"--datadir={data}", "--user=root",
                "--auth-root-authentication-method=normal", "--skip-test-db",
            ],
            check=True, capture_output=True, timeout=120,
        )
        self._start(
            "mariadbd",
            [
                _tool("mariadbd"), "--no-defaults", f"--datadir={data}", "--user=root",
                "--bind-address=127.0.0.1", f"--port={self.db_port}",
                f"--socket={self.base}/db/mysqld.sock", f"--pid-file={self.base}/run/mariadbd.pid",
                f"--log-error={self.base}/log/mariadbd.log", "--skip-name-resolve=0",
                "--innodb-buffer-pool-size=32M", "--innodb-log-file-size=16M",
            ],
        )

        def accepting() -> bool:
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", self.db_port)) == 0

        self._wait("mariadbd", accepting, timeout=60, what="(port closed)")

    def _start_slurmdbd(self) -> None:
        self._start("slurmdbd", [_tool("slurmdbd"), "-D"])
        # slurmdbd.conf and gres.conf are read from SLURM_CONF's folder.

        def answering() -> bool:
            return self.run("sacctmgr", "-n", "show", "cluster", check=False, timeout=10).returncode == 0

        self._wait("slurmdbd", answering, timeout=60, what="(sacctmgr gets no answer)")

    def _accounts(self) -> None:
        m = ("sacctmgr", "-i")
        self.run(*m, "add", "cluster", CLUSTER)
        self.run(*m, "add", "qos", QOS, "MaxWall=02:00:00", "Flags=DenyOnLimit")
        self.run(*m, "add", "account", ACCOUNT, f"Cluster={CLUSTER}", "Description=tests", "Organization=tutor")
        self.run(*m, "add", "user", self.user, f"Account={ACCOUNT}", f"Cluster={CLUSTER}",
                 f"QOS=normal,{QOS}", "DefaultQOS=normal")

    def _wait_idle(self) -> None:
        def idle() -> bool:
            self._check_alive("slurmd")
            out = self.run("sinfo", "-h", "-N", "-o", "%t", check=False, timeout=10).stdout.strip()
            return out in ("idle", "mix")

        self._wait("slurmctld", idle, timeout=60, what="(node not idle)")


def _interrupt(signum, frame):  # pragma: no cover - manual use
    raise KeyboardInterrupt


if __name__ == "__main__":  # pragma: no cover - manual use
    signal.signal(signal.SIGTERM, _interrupt)  # background shells ignore SIGINT
    cluster = SlurmCluster().start()
    print(f"export SLURM_CONF={cluster.conf}")
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop()


# ---------------------------------------------------------------------- pytest fixture

try:
    import pytest
except ImportError:  # pragma: no cover - manual use without pytest
    pytest = None

if pytest is not None:

    @pytest.fixture(scope="session")
    def slurm_cluster():
        """A running single-node SLURM with accounting (skips locally without the Debian
        packages, fails in CI); stopped, and its files removed, at the end of the session."""
        from tests.conftest import require_tool

        for folder in ("/usr/sbin", "/sbin"):
            if folder not in os.environ.get("PATH", "").split(os.pathsep):
                os.environ["PATH"] = os.environ.get("PATH", "") + os.pathsep + folder
        require_tool(*DAEMONS)
        cluster = SlurmCluster()
        cluster.start()
        try:
            yield cluster
        finally:
            cluster.stop()
