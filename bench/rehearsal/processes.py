"""Child processes of the rehearsal, each the leader of its own process group, logging to a
file; stopping them all leaves nothing behind.

Every child is started with ``start_new_session``, so a Ctrl-C in the terminal reaches only
the rehearsal, which then stops the children itself: SIGTERM to every group at once, a grace
period, SIGKILL to every group, and a last look for any process still in one of the groups
(a forked pool process, an nginx worker).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil


class RehearsalError(RuntimeError):
    """A step of the rehearsal failed; the message says which and why."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


@dataclass
class Child:
    name: str
    command: list[str]
    popen: subprocess.Popen[bytes]
    log_path: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def running(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, chars: int = 3000) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")[-chars:]
        return ""


@dataclass
class Launcher:
    """Starts children (own process group, stdout and stderr to ``log_dir/<name>.log``) and
    stops them all."""

    log_dir: Path
    cwd: Path
    children: list[Child] = field(default_factory=list)
    # Every process group ever started (each child's pid), for the final check.
    started_pids: list[int] = field(default_factory=list)

    def start(self, name: str, command: Sequence[str], env: Mapping[str, str]) -> Child:
        log_path = self.log_dir / f"{name}.log"
        with log_path.open("ab") as log:
            try:
                popen = subprocess.Popen(  # nosec B603  # fixed argv lists, no shell
                    list(command),
                    cwd=self.cwd,
                    env=dict(env),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            except OSError as exc:
                raise RehearsalError(f"could not start {name} ({command[0]}): {exc}") from exc
        child = Child(name=name, command=list(command), popen=popen, log_path=log_path)
        self.children.append(child)
        self.started_pids.append(popen.pid)
        return child

    def check_alive(self) -> None:
        """Raise naming the first child that has exited (with the end of its log)."""
        for child in self.children:
            if not child.running():
                raise RehearsalError(
                    f"{child.name} exited with code {child.popen.returncode}; the end of "
                    f"{child.log_path}:\n{child.log_tail()}"
                )

    def stop(self, names: Sequence[str], grace: float = 15.0) -> None:
        """Stop the children named (see ``stop_all``) and forget them."""
        chosen = [child for child in self.children if child.name in names]
        _stop(chosen, grace)
        self.children = [child for child in self.children if child not in chosen]

    def stop_all(self, grace: float = 15.0) -> list[str]:
        """SIGTERM every group, wait up to ``grace`` seconds, SIGKILL every group; returns the
        processes that were still alive after that (empty: nothing left behind)."""
        children, self.children = self.children, []
        return _stop(children, grace)


def _group_members(pgids: set[int]) -> list[psutil.Process]:
    members = []
    for proc in psutil.process_iter():
        with contextlib.suppress(psutil.Error, ProcessLookupError):
            if os.getpgid(proc.pid) in pgids and proc.status() != psutil.STATUS_ZOMBIE:
                members.append(proc)
    return members


def _stop(children: Sequence[Child], grace: float) -> list[str]:
    pgids = {child.pid for child in children}
    for child in reversed(children):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and _group_members(pgids):
        for child in children:
            child.popen.poll()  # reap the leaders as they exit
        time.sleep(0.1)
    for pgid in pgids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
    for child in children:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.popen.wait(timeout=10)
    _, alive = psutil.wait_procs(_group_members(pgids), timeout=5)
    return [f"{proc.pid} ({_name(proc)})" for proc in alive]


def _name(proc: psutil.Process) -> str:
    with contextlib.suppress(psutil.Error):
        return " ".join(proc.cmdline()[:4])
    return "?"
