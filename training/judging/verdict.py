"""The verdict: each check aggregated over the seeds, the summary, the seeds' records.

`assemble_judgement` turns the seeds' runs into the `Judgement` stored and shown: a check
passes on at least `required_passes` seeds, its figure is the median over the seeds, its
message the representative seed's (see docs/judging.md).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from training import checks as core_checks
from training.checks import CheckResult, json_safe
from training.diagnostics import (
    causes_named,
    diagnose,
    evidence_only,
    learning_rate_diagnosis,
)
from training.errors import DataError, TrainingError
from training.judging.admission import effective_learning_rate
from training.judging.figures import check_figure, with_figures
from training.judging.runners import run_check
from training.judging.seed_run import DIAGNOSTIC_ROWS, SeedRun
from training.judging.task import DEFAULT_SECTIONS, CheckSpec, TaskDefinition

__all__ = ["Judgement", "Verdict", "assemble_judgement"]

Verdict = Literal["passed", "failed", "diverged"]


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    summary: str
    checks: list[dict[str, Any]]
    diagnostics: list[dict[str, Any]]
    seeds: list[dict[str, Any]]
    representative: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """Everything as plain JSON data (NaN/inf become None)."""
        data = {
            "verdict": self.verdict,
            "summary": self.summary,
            "checks": self.checks,
            "diagnostics": self.diagnostics,
            "seeds": self.seeds,
            "representative": self.representative,
            "seconds": self.seconds,
        }
        safe: dict[str, Any] = json_safe(data)
        return with_figures(safe)


def _finite(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def _representative(results: list[list[CheckResult]]) -> int:
    """The seed whose first check's figure is the median (seeds without one sort last)."""
    if not results or not results[0]:
        return 0
    figures = [_finite(r[0].measured) for r in results]
    order = sorted(range(len(results)), key=lambda i: (figures[i] is None, figures[i] or 0.0, i))
    return order[(len(order) - 1) // 2]


def _check_names(specs: Sequence[CheckSpec]) -> list[str]:
    names: list[str] = []
    for spec in specs:
        name, n = spec.kind, 2
        while name in names:
            name, n = f"{spec.kind}_{n}", n + 1
        names.append(name)
    return names


def _aggregate(
    task: TaskDefinition, runs: list[SeedRun], results: list[list[CheckResult]], rep: int
) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for index, (spec, name) in enumerate(zip(task.checks, _check_names(task.checks), strict=True)):
        per_seed = [seed_results[index] for seed_results in results]
        passes = sum(1 for r in per_seed if r.passed)
        figures = [f for f in (_finite(r.measured) for r in per_seed) if f is not None]
        measured = float(np.median(figures)) if figures else None
        chosen = per_seed[rep]
        threshold = chosen.threshold
        if threshold is None:
            threshold = next((r.threshold for r in per_seed if r.threshold is not None), None)
        out.append(
            {
                "name": name,
                "kind": spec.kind,
                "label": spec.label,
                "passed": passes >= task.required_passes,
                "measured": measured,
                "threshold": threshold,
                "figure": check_figure(spec, measured, threshold),
                "message": chosen.message,
                "section": spec.section,
                "seeds_passed": passes,
                "n_seeds": len(runs),
                "per_seed": [
                    {
                        "seed": run.seed,
                        "passed": bool(r.passed),
                        "measured": _finite(r.measured),
                        "figure": check_figure(spec, _finite(r.measured), r.threshold),
                        "message": r.message,
                    }
                    for run, r in zip(runs, per_seed, strict=True)
                ],
            }
        )
    return json_safe(out)  # type: ignore[no-any-return]


def _seed_entry(run: SeedRun) -> dict[str, Any]:
    history = run.history
    onset: int | None = None
    if "val_loss" in history and "loss" in history and not run.diverged:
        try:
            found = core_checks.overfitting(history).details.get("onset_epoch")
            onset = int(found) if found is not None else None
        except DataError:
            onset = None
    result = run.result
    test = None if result is None or run.diverged else run.figures("test")
    best = None if result is None or result.best_epoch is None else result.best_epoch + 1
    return {
        "seed": run.seed,
        "history": {k: [float(v) for v in values] for k, values in history.items()},
        "epochs_run": len(history.get("loss", [])) if result is None else result.epochs_run,
        "best_epoch": best,
        "overfitting_onset": onset,
        "diverged": run.diverged,
        "stopped_early": False if result is None else bool(result.stopped_early),
        "test": test,
    }


def _gradient_ratio(task: TaskDefinition) -> float:
    """The vanishing-gradient threshold: the task's own check's, so that the diagnostic and
    the check read the same figure against the same line; else the diagnostic's default."""
    for check in task.checks:
        if check.kind == "first_layer_gradient_at_least":
            return float(check.params["min_ratio"])
    return 0.01


def _diagnostics(
    task: TaskDefinition, run: SeedRun, failed: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The representative seed's diagnostics, consistent with the checks: a diagnostic that
    found nothing about a cause a failed check's explanation names (``causes_named``) states
    its evidence only (``evidence_only``), never that the cause is fine."""
    rate = effective_learning_rate(run.spec)
    found: list[CheckResult] = []
    model = run.model
    if model is not None and not run.diverged:
        x = run.dataset.x_val[:DIAGNOSTIC_ROWS]
        y = run.dataset.y_val[:DIAGNOSTIC_ROWS]
        try:
            found = diagnose(
                model,
                run.spec,
                run.history,
                x,
                y,
                learning_rate=rate,
                min_gradient_ratio=_gradient_ratio(task),
            )
        except (TrainingError, FloatingPointError, ValueError):
            found = []
    if not found and len(run.history.get("loss", [])) >= 2:
        try:
            found = [learning_rate_diagnosis(run.history, learning_rate=rate)]
        except DataError:
            found = []
    blamed: set[str] = set()
    for check in failed:
        blamed |= causes_named(check["message"])
    out = []
    for result in found:
        if result.passed and result.name in blamed:
            result = evidence_only(result)
        entry = result.to_dict()
        if result.details.get("conclusive") is False:
            entry["passed"] = None  # neither "no problem found" nor a problem
        entry["section"] = DEFAULT_SECTIONS.get(result.name)
        out.append(entry)
    return out


def _summary(
    verdict: Verdict, checks: list[dict[str, Any]], task: TaskDefinition, diverged: int
) -> str:
    n = len(task.seeds)
    if verdict == "diverged":
        return (
            f"Training diverged on {diverged} of the {n} training seeds: the loss became NaN, "
            "infinite or exploded, so the network learned nothing. The learning rate is most "
            "likely too high — lower it, or use an adaptive optimizer such as Adam."
        )
    if verdict == "passed":
        return (
            f"Passed: all {len(checks)} checks held on at least {task.required_passes} of the "
            f"{n} training seeds."
        )
    failing = [c for c in checks if not c["passed"]]
    labels = ", ".join(c["label"] for c in failing)
    return (
        f"Not passed yet: {len(failing)} of {len(checks)} checks failed ({labels}). "
        f"{_headline(failing[0]['message'])} Each check below says what to change."
    )


def _headline(message: str) -> str:
    """The first statement of a check's message: up to its first colon or sentence end."""
    end = len(message)
    for mark in (": ", ". ", " — "):
        found = message.find(mark)
        if found != -1:
            end = min(end, found)
    return message[:end].rstrip(".") + "."


def assemble_judgement(task: TaskDefinition, runs: list[SeedRun], *, started: float) -> Judgement:
    """Run every check on every seed, aggregate, diagnose the representative seed.

    `started` is the `time.perf_counter()` reading when judging began.
    """
    n = len(task.seeds)
    diverged = sum(1 for run in runs if run.diverged)
    results = [[run_check(check, run) for check in task.checks] for run in runs]
    rep = _representative(results)
    if diverged > n - task.required_passes:
        # Show a diverged seed's curve: the one that trained longest before it blew up.
        rep = max(
            (i for i, run in enumerate(runs) if run.diverged),
            key=lambda i: (len(runs[i].history.get("loss", [])), -i),
        )
    checks = _aggregate(task, runs, results, rep)
    verdict: Verdict
    if diverged > n - task.required_passes:
        verdict = "diverged"
    elif all(c["passed"] for c in checks):
        verdict = "passed"
    else:
        verdict = "failed"
    return Judgement(
        verdict=verdict,
        summary=_summary(verdict, checks, task, diverged),
        checks=checks,
        diagnostics=_diagnostics(task, runs[rep], [c for c in checks if not c["passed"]]),
        seeds=[_seed_entry(run) for run in runs],
        representative=rep,
        seconds=time.perf_counter() - started,
    )
