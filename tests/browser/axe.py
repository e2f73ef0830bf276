"""axe-core in the browser tests: inject the pinned axe-core (tests/browser/node_modules, installed
by ``python3 run.py test`` from package-lock.json) and fail on serious or critical violations.

Nothing is fetched while the tests run: the script is read from disk by ``add_script_tag``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Page

AXE_JS = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "a11y"


def require_axe() -> Path:
    """The axe-core script, or a skip (a failure in CI) naming how to install it."""
    if not AXE_JS.exists():
        message = (
            f"{AXE_JS} is missing: `python3 run.py test` installs it (npm ci in tests/browser/)"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return AXE_JS


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now (WCAG 2.x A and AA rules and best
    practices), each with its rule id, impact, help and the target selectors of its nodes."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(require_axe()))
    result: list[dict[str, Any]] = page.evaluate(
        """async () => {
          const results = await axe.run(document, {resultTypes: ['violations']});
          return results.violations.map((v) => ({
            id: v.id,
            impact: v.impact,
            help: v.help,
            helpUrl: v.helpUrl,
            nodes: v.nodes.map((n) => ({
              target: n.target.map(String).join(' '),
              summary: n.failureSummary || '',
            })),
          }));
        }"""
    )
    return result


def format_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        impact, rule = violation["impact"], violation["id"]
        lines.append(f"[{impact}] {rule}: {violation['help']} ({violation['helpUrl']})")
        for node in violation["nodes"]:
            summary = " ".join(node["summary"].split())
            lines.append(f"    {node['target']}  — {summary}")
    return "\n".join(lines)


def assert_no_serious_violations(page: Page, where: str) -> None:
    blocking = [v for v in axe_violations(page) if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, f"axe-core on {where} ({page.url}):\n{format_violations(blocking)}"


def save_artifact(page: Page, name: str) -> Path:
    """A full-page screenshot under test-artifacts/a11y/ (git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
