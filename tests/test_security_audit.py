"""Security checks run with the tests: bandit over the code, pip-audit over the dependencies.

- bandit (``[tool.bandit]`` in pyproject.toml) over ``annquiz/`` and ``training/``: any finding
  fails. A finding that is not a risk is acknowledged where it is, ``# nosec BXXX`` with its
  reason beside it; the tests skipped everywhere are listed with theirs in pyproject.toml.
- pip-audit over the installed environment (less the project's own editable install), asking
  PyPI's vulnerability data for each installed version: a known vulnerability fails. So does a
  package pip-audit could not look up while others could (a partial audit) when ``CI=true``.
  When the index answers for no package at all (offline, or an index that serves no
  per-version data: ``/pypi/<name>/<version>/json`` answering 404 for every package), nothing
  can be audited: the test is skipped, saying so, rather than passed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
EDITABLE = "distribution marked as editable"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def run_tool(*command: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / command[0]), *command[1:]],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# --- reading the reports -------------------------------------------------------------------------


def bandit_findings(report: dict[str, Any]) -> list[str]:
    """One line per finding of a ``bandit -f json`` report."""
    return [
        f"{result['test_id']} ({result['test_name']}) {result['filename']}:"
        f"{result['line_number']}: {result['issue_text']}"
        for result in report["results"]
    ]


def pip_audit_vulnerabilities(report: dict[str, Any]) -> list[str]:
    """One line per known vulnerability of a ``pip-audit -f json`` report."""
    lines = []
    for dependency in report["dependencies"]:
        for vulnerability in dependency.get("vulns", []):
            fixed = ", ".join(vulnerability.get("fix_versions", [])) or "no fixed version"
            aliases = ", ".join(vulnerability.get("aliases", []))
            lines.append(
                f"{dependency['name']} {dependency['version']}: {vulnerability['id']}"
                f"{f' ({aliases})' if aliases else ''}, fixed in {fixed}"
            )
    return lines


def pip_audit_not_looked_up(report: dict[str, Any]) -> list[str]:
    """Why each dependency was not audited (the project's own editable install aside)."""
    return [
        dependency["skip_reason"]
        for dependency in report["dependencies"]
        if dependency.get("skip_reason") and dependency["skip_reason"] != EDITABLE
    ]


def pip_audit_audited(report: dict[str, Any]) -> int:
    return sum(1 for dependency in report["dependencies"] if "skip_reason" not in dependency)


def test_the_report_readers_find_vulnerabilities_and_packages_not_looked_up() -> None:
    report = {
        "dependencies": [
            {"name": "annquiz", "skip_reason": EDITABLE},
            {"name": "django", "version": "5.2.19", "vulns": []},
            {
                "name": "jinja2",
                "version": "3.1.2",
                "vulns": [
                    {"id": "GHSA-h5c8-rqwp-cp95", "fix_versions": ["3.1.3"], "aliases": []},
                ],
            },
            {
                "name": "redis",
                "skip_reason": "Dependency not found on PyPI and could not be audited: redis (8)",
            },
        ],
        "fixes": [],
    }

    assert pip_audit_vulnerabilities(report) == [
        "jinja2 3.1.2: GHSA-h5c8-rqwp-cp95, fixed in 3.1.3"
    ]
    assert pip_audit_not_looked_up(report) == [
        "Dependency not found on PyPI and could not be audited: redis (8)"
    ]
    assert pip_audit_audited(report) == 2
    assert bandit_findings(
        {
            "results": [
                {
                    "test_id": "B105",
                    "test_name": "hardcoded_password_string",
                    "filename": "annquiz/x.py",
                    "line_number": 3,
                    "issue_text": "Possible hardcoded password: 'x'",
                }
            ]
        }
    ) == ["B105 (hardcoded_password_string) annquiz/x.py:3: Possible hardcoded password: 'x'"]


# --- the checks ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_bandit_finds_nothing_unacknowledged_in_annquiz_and_training(tmp_path: Path) -> None:
    output = tmp_path / "bandit.json"
    result = run_tool(
        "bandit",
        "-c",
        "pyproject.toml",
        "-r",
        "annquiz",
        "training",
        "-f",
        "json",
        "-o",
        str(output),
    )

    assert result.returncode in (0, 1) and output.exists(), (
        f"bandit failed to run (exit {result.returncode}):\n{result.stdout}\n{result.stderr}"
    )
    report = json.loads(output.read_text())
    assert not report["errors"], f"bandit could not scan: {report['errors']}"
    assert report["metrics"]["_totals"]["loc"] > 1000  # it did read the code
    findings = bandit_findings(report)
    assert not findings, (
        f"bandit found {len(findings)} issue(s); fix each, or acknowledge it with "
        "`# nosec BXXX  # <why it is not a risk>` on its line:\n" + "\n".join(findings)
    )


@pytest.mark.slow
def test_no_installed_dependency_has_a_known_vulnerability() -> None:
    result = run_tool(
        "pip-audit",
        "--local",
        "--skip-editable",
        "--progress-spinner",
        "off",
        "--timeout",
        "30",
        "--format",
        "json",
    )

    if not result.stdout.strip().startswith("{"):
        message = f"pip-audit did not run to the end (exit {result.returncode}):\n{result.stderr}"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    report = json.loads(result.stdout)
    vulnerabilities = pip_audit_vulnerabilities(report)
    assert not vulnerabilities, (
        f"pip-audit found {len(vulnerabilities)} known vulnerabilit(y/ies) in installed "
        "packages; upgrade them (the fixed versions are named):\n" + "\n".join(vulnerabilities)
    )
    not_looked_up = pip_audit_not_looked_up(report)
    if not_looked_up:
        message = (
            f"pip-audit could not look up {len(not_looked_up)} of "
            f"{len(not_looked_up) + pip_audit_audited(report)} installed packages, so they "
            "were not audited (PyPI's vulnerability data did not answer for them: "
            "https://pypi.org/pypi/<name>/<version>/json). The first ones:\n"
            + "\n".join(not_looked_up[:10])
        )
        if in_ci() and pip_audit_audited(report) > 0:
            pytest.fail(message)
        pytest.skip(message)
    assert pip_audit_audited(report) > 10
