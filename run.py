#!/usr/bin/env python3
"""annquiz's two commands, for a machine with nothing but Python 3.11+ and pip.

    python3 run.py serve [--port 8000] [--host 127.0.0.1]   start the whole service
    python3 run.py test [pytest args]                       run the test suite

Both create ``.venv`` when it is missing and install the project into it
(``pip install -e '.[dev]'``) whenever pyproject.toml changed since the last install.
Standard library only: this file runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
VENV_PYTHON = VENV / "bin" / "python"
STAMP = VENV / ".annquiz-install-stamp"
PYPROJECT = ROOT / "pyproject.toml"
CHROMIUM = Path("/usr/bin/chromium")
PYTEST_NO_TESTS_COLLECTED = 5
MIN_PYTHON = (3, 11)

USAGE = """usage: python3 run.py serve [serve options]   start annquiz (see: run.py serve --help)
       python3 run.py test [pytest args]        run the tests (e.g. run.py test -m 'not slow')"""


def say(message: str) -> None:
    print(f"run.py: {message}", flush=True)


def fail(message: str, code: int = 1) -> int:
    print(f"run.py: error: {message}", file=sys.stderr, flush=True)
    return code


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def pyproject_hash() -> str:
    return hashlib.sha256(PYPROJECT.read_bytes()).hexdigest()


def ensure_venv() -> None:
    """Create .venv when missing and (re)install the project when pyproject.toml changed."""
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
    wanted = pyproject_hash()
    installed = STAMP.read_text().strip() if STAMP.exists() else ""
    if installed == wanted:
        return
    say("installing annquiz and its dependencies into .venv (pip install -e '.[dev]')")
    command = [
        str(VENV_PYTHON),
        "-m",
        "pip",
        "install",
        "--disable-pip-version-check",
        "--progress-bar",
        "off",
        "-e",
        ".[dev]",
    ]
    result = subprocess.run(command, cwd=ROOT, check=False)
    if result.returncode != 0:
        raise SystemExit(fail(f"pip install failed with exit code {result.returncode}"))
    STAMP.write_text(wanted + "\n")


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


def run_tests(args: list[str]) -> int:
    ensure_browser()
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
    if command not in {"serve", "test"}:
        print(USAGE, file=sys.stderr)
        return fail(f"unknown command {command!r}: use serve or test", code=2)
    ensure_venv()
    if command == "serve":
        return serve(rest)
    return run_tests(rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
