"""The house checks run with the tests: ruff (lint and format), mypy and the import contracts.

The import contracts (``[tool.importlinter]`` in pyproject.toml) keep the package boundaries:
the training core free of Django, ``core`` free of the apps, no app importing another's views,
APIs, URLs or admin, and TensorFlow only inside ``training.tf_backend``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def run_tool(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / command[0]), *command[1:]],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.mark.parametrize(
    "command",
    [
        ("ruff", "check", "."),
        ("ruff", "format", "--check", "."),
        ("mypy", "."),
        ("lint-imports",),
    ],
    ids=["ruff-check", "ruff-format", "mypy", "import-contracts"],
)
def test_the_tree_passes(command: tuple[str, ...]) -> None:
    result = run_tool(*command)
    assert result.returncode == 0, result.stdout + result.stderr
