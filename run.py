#!/usr/bin/env python3
"""annquiz's commands, for a machine with nothing but Python 3.11+ and pip.

    python3 run.py serve [--port 8000] [--host 127.0.0.1]   start the whole service
    python3 run.py test [pytest args]                       run the test suite
    python3 run.py lock                                     re-pin constraints.txt (deliberately)

``serve`` and ``test`` create ``.venv`` when it is missing. ``serve`` installs the runtime
dependencies only (``pip install -e . -c constraints.txt``); ``test`` installs the dev extras as
well (``pip install -e '.[dev]' -c constraints.txt``) and, for the browser tests, axe-core from
the npm registry (``npm ci`` in tests/browser/). Each install is remembered by a stamp in .venv
(or node_modules/) holding the hash of the files it came from, so it is repeated only when one of
them changed: ``serve`` after ``test`` installs nothing, and ``test`` after ``serve`` only adds
the dev extras. Standard library only: this file runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
VENV_PYTHON = VENV / "bin" / "python"
PYPROJECT = ROOT / "pyproject.toml"
CONSTRAINTS = ROOT / "constraints.txt"
RUNTIME_STAMP = VENV / ".annquiz-runtime-stamp"
DEV_STAMP = VENV / ".annquiz-dev-stamp"
BROWSER_TESTS = ROOT / "tests" / "browser"
NPM_LOCK = BROWSER_TESTS / "package-lock.json"
NODE_MODULES = BROWSER_TESTS / "node_modules"
AXE_STAMP = NODE_MODULES / ".annquiz-npm-stamp"
CHROMIUM = Path("/usr/bin/chromium")
PYTEST_NO_TESTS_COLLECTED = 5
MIN_PYTHON = (3, 11)
RUNTIME, DEV = ".", ".[dev]"

USAGE = """usage: python3 run.py serve [serve options]   start annquiz (see: run.py serve --help)
       python3 run.py test [pytest args]        run the tests (e.g. run.py test -m 'not slow')
       python3 run.py lock                      re-pin constraints.txt to the newest versions
                                                pyproject.toml allows (then run the tests)"""

LOCK_HEADER = """\
# The exact version of every package annquiz installs, dependencies of dependencies included:
# `python3 run.py serve` installs the runtime ones and `python3 run.py test` the dev extras too,
# both with `-c constraints.txt`. Pinned because a new TensorFlow or Keras release can move the
# NumPy/Keras parity figures. Update deliberately: `python3 run.py lock` (a fresh virtualenv with
# the newest versions pyproject.toml allows, frozen here), then `python3 run.py test`, then
# commit this file saying why.
"""


def say(message: str) -> None:
    print(f"run.py: {message}", flush=True)


def fail(message: str, code: int = 1) -> int:
    print(f"run.py: error: {message}", file=sys.stderr, flush=True)
    return code


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def files_hash(*paths: Path) -> str:
    """One hash of the files an install came from (a missing file counts as empty)."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + b"\0")
        digest.update(path.read_bytes() if path.exists() else b"")
        digest.update(b"\0")
    return digest.hexdigest()


def read_stamp(path: Path) -> str:
    return path.read_text().strip() if path.exists() else ""


def requirement_to_install(command: str, *, wanted: str, runtime: str, dev: str) -> str | None:
    """What ``pip install -e`` must install before ``command`` runs, or None when nothing.

    ``wanted`` is the hash of pyproject.toml and constraints.txt now; ``runtime`` and ``dev``
    are the hashes stamped by the last runtime-only and the last runtime-plus-dev install.
    A dev install holds the runtime one, so ``serve`` after ``test`` installs nothing.
    """
    if command == "test":
        return None if dev == wanted else DEV
    return None if wanted in {runtime, dev} else RUNTIME


def pip_install_command(python: Path, requirement: str) -> list[str]:
    return [
        str(python),
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--progress-bar",
        "off",
        # Byte-compiling every installed module (TensorFlow's thousands among them) took
        # 27 of the 68 s of a first install; Python compiles what it imports, on first import.
        "--no-compile",
        "-e",
        requirement,
        "-c",
        CONSTRAINTS.name,
    ]


def stamps_written(requirement: str) -> tuple[Path, ...]:
    return (RUNTIME_STAMP, DEV_STAMP) if requirement == DEV else (RUNTIME_STAMP,)


def ensure_venv(command: str) -> None:
    """Create .venv when missing; install what ``command`` needs when its inputs changed."""
    if not VENV_PYTHON.exists():
        say(f"creating the virtualenv {VENV}")
        result = subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=False)
        if result.returncode != 0 or not VENV_PYTHON.exists():
            raise SystemExit(
                fail(
                    f"could not create {VENV} with {sys.executable} -m venv "
                    "(on Debian/Ubuntu install the python3-venv package)"
                )
            )
    if not CONSTRAINTS.exists():
        raise SystemExit(fail(f"{CONSTRAINTS} is missing: it pins every installed version"))
    wanted = files_hash(PYPROJECT, CONSTRAINTS)
    requirement = requirement_to_install(
        command, wanted=wanted, runtime=read_stamp(RUNTIME_STAMP), dev=read_stamp(DEV_STAMP)
    )
    if requirement is None:
        return
    what = "with the dev extras" if requirement == DEV else "runtime dependencies only"
    say(
        f"installing annquiz into .venv, {what} "
        f"(pip install -e '{requirement}' -c {CONSTRAINTS.name})"
    )
    result = subprocess.run(pip_install_command(VENV_PYTHON, requirement), cwd=ROOT, check=False)
    if result.returncode != 0:
        raise SystemExit(fail(f"pip install failed with exit code {result.returncode}"))
    for stamp in stamps_written(requirement):
        stamp.write_text(wanted + "\n")


def constraints_text(freeze_output: str) -> str:
    """constraints.txt from ``pip freeze`` output: exact pins, sorted, annquiz itself left out."""
    pins = []
    for line in freeze_output.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "-e ")):
            continue
        name = re.split(r"\s*(?:==|@)\s*", line, maxsplit=1)[0].lower()
        if name == "annquiz":
            continue
        if "==" not in line:
            raise ValueError(f"not an exact pin in pip freeze's output: {line!r}")
        pins.append(line)
    return LOCK_HEADER + "".join(f"{pin}\n" for pin in sorted(pins, key=str.lower))


def lock() -> int:
    """Freeze the newest versions pyproject.toml allows, installed into a scratch virtualenv."""
    with tempfile.TemporaryDirectory(prefix="annquiz-lock-") as scratch:
        venv = Path(scratch) / "venv"
        python = venv / "bin" / "python"
        say(f"installing '.[dev]' without constraints into a scratch virtualenv ({venv})")
        steps = [
            [sys.executable, "-m", "venv", str(venv)],
            [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q", ".[dev]"],
        ]
        for step in steps:
            if subprocess.run(step, cwd=ROOT, check=False).returncode != 0:
                return fail(f"`{' '.join(step)}` failed; constraints.txt is unchanged")
        freeze = subprocess.run(
            [str(python), "-m", "pip", "freeze", "--disable-pip-version-check"],
            capture_output=True,
            text=True,
            check=False,
        )
        if freeze.returncode != 0:
            return fail(f"pip freeze failed: {freeze.stderr.strip()}")
    CONSTRAINTS.write_text(constraints_text(freeze.stdout))
    say(
        f"wrote {CONSTRAINTS.name}: review `git diff {CONSTRAINTS.name}`, run "
        "`python3 run.py test` (it installs the new pins), and commit it saying why"
    )
    return 0


def ensure_browser() -> None:
    """Debian's chromium drives the browser tests; install it when we can, else explain."""
    if CHROMIUM.exists():
        return
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        say(f"{CHROMIUM} is missing: installing Debian's chromium package for the browser tests")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (["apt-get", "update"], ["apt-get", "install", "-y", "chromium"]):
            if subprocess.run(command, env=env, check=False).returncode != 0:
                say(f"`{' '.join(command)}` failed")
                break
        if CHROMIUM.exists():
            return
    if in_ci():
        raise SystemExit(
            fail(
                f"{CHROMIUM} is missing and could not be installed: the browser tests need "
                "Debian's chromium package (apt-get install chromium)"
            )
        )
    say(
        f"note: {CHROMIUM} is missing, so the browser tests will be skipped; "
        "install it with `sudo apt-get install chromium` to run them"
    )


def npm_install_needed(*, lock_hash: str, stamp: str, installed: bool) -> bool:
    """``npm ci`` is due when axe-core is missing or package-lock.json changed since."""
    return not installed or stamp != lock_hash


def ensure_axe() -> None:
    """axe-core, pinned by tests/browser/package-lock.json, for the accessibility tests."""
    lock_hash = files_hash(NPM_LOCK)
    installed = (NODE_MODULES / "axe-core" / "axe.min.js").exists()
    if not npm_install_needed(
        lock_hash=lock_hash, stamp=read_stamp(AXE_STAMP), installed=installed
    ):
        return
    npm = shutil.which("npm")
    if npm is None:
        message = (
            "npm is missing, so axe-core cannot be installed for the accessibility tests "
            "(Debian package npm)"
        )
        if in_ci():
            raise SystemExit(fail(message))
        say(f"note: {message}; they will be skipped")
        return
    say("installing axe-core for the accessibility tests (npm ci in tests/browser/)")
    command = [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"]
    result = subprocess.run(command, cwd=BROWSER_TESTS, check=False)
    if result.returncode != 0:
        raise SystemExit(fail(f"npm ci failed with exit code {result.returncode}"))
    AXE_STAMP.write_text(lock_hash + "\n")


def run_tests(args: list[str]) -> int:
    ensure_browser()
    ensure_axe()
    child = subprocess.Popen([str(VENV_PYTHON), "-m", "pytest", *args], cwd=ROOT)

    def forward(signum: int, frame: FrameType | None) -> None:
        # Ctrl-C already reaches pytest through the terminal's process group.
        if signum != signal.SIGINT:
            child.send_signal(signum)

    signal.signal(signal.SIGINT, forward)
    signal.signal(signal.SIGTERM, forward)
    code = child.wait()
    if code == PYTEST_NO_TESTS_COLLECTED:
        return fail("pytest collected no tests: treating that as a failure")
    return code


def serve(args: list[str]) -> int:
    os.chdir(ROOT)
    python = str(VENV_PYTHON)
    os.execv(python, [python, "manage.py", "serve", *args])


def main(argv: list[str]) -> int:
    if sys.version_info < MIN_PYTHON:
        return fail(f"Python {'.'.join(map(str, MIN_PYTHON))} or newer is needed")
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(USAGE)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if command not in {"serve", "test", "lock"}:
        print(USAGE, file=sys.stderr)
        return fail(f"unknown command {command!r}: use serve, test or lock", code=2)
    if command == "lock":
        return lock()
    ensure_venv(command)
    if command == "serve":
        return serve(rest)
    return run_tests(rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
