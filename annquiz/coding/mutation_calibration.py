"""The mutation part of ``manage.py calibrate_tasks``: every variant of a task's reference
judged over N training seeds, compared with its written expectation, and the thresholds
whose margin is too thin.

`mutation_report` returns the Markdown lines of a task's section and its problems (a variant,
or the broken solution, whose verdict on the task's grading seeds is not the expected one).
A margin is the distance of a figure from the check's threshold, positive on the expected
side: the reference's worst seed must pass, and the best seed of the broken solution and of
every variant expected to fail that check must fail. A margin under `THIN_MARGIN` is
flagged: in the figure's own units for proportions (accuracy, balanced accuracy, a gap in
accuracy), as a fraction of the threshold for any other figure (a loss, an error, a ratio).
A parameter count is exact, so it is never flagged.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from annquiz.coding.catalog import TaskFile
from annquiz.coding.mutation_expectations import TaskMutations
from training.checks import higher_is_better
from training.errors import SpecError, TrainingError
from training.judging import CheckSpec, Judgement, TaskDefinition, admit, judge
from training.judging.mutations import (
    Expectation,
    Outcome,
    check_names,
    disagreement,
    outcome_on_seeds,
    seed_outcomes,
)
from training.spec import DEFAULT_LIMITS, parse_spec

__all__ = ["THIN_MARGIN", "mutation_report", "passes_when_higher"]

THIN_MARGIN = 0.03
_PASS_WHEN_HIGHER = ("metric_at_least", "overfitting_shown", "first_layer_gradient_at_least")
_PROPORTIONS = ("accuracy", "balanced_accuracy")


def passes_when_higher(check: CheckSpec) -> bool:
    """True when a larger measured figure is on the passing side of the threshold."""
    if check.kind in _PASS_WHEN_HIGHER:
        return True
    if check.kind == "metric_near_reference":
        return higher_is_better(str(check.params["metric"]))
    return False


def _is_proportion(check: CheckSpec) -> bool:
    if check.kind == "train_val_gap_at_most":
        return str(check.params.get("metric", "accuracy")) in _PROPORTIONS
    return str(check.params.get("metric", "")) in _PROPORTIONS


@dataclass(frozen=True)
class _Run:
    """A variant judged over the calibration seeds, or refused before training."""

    outcome: Outcome  # on the task's grading seeds
    per_seed: list[Outcome]
    judgement: Judgement | None


def _judge_variant(task: TaskDefinition, wide: TaskDefinition, document: Mapping[str, Any]) -> _Run:
    """Admission under the task's own definition, training over the calibration seeds."""
    try:
        spec = parse_spec(document, external_validation=True)
        admit(task, spec)
        judgement = judge(wide, spec)
    except TrainingError as error:
        path = error.path if isinstance(error, SpecError) else None
        refused = Outcome("not admitted", field=path or None, reason=str(error))
        return _Run(refused, [], None)
    return _Run(_grading_outcome(task, judgement), seed_outcomes(judgement), judgement)


def _grading_outcome(task: TaskDefinition, judgement: Judgement) -> Outcome:
    judged = {entry["seed"] for entry in judgement.seeds}
    if not set(task.seeds) <= judged:
        return Outcome("not admitted", reason="the grading seeds were not all calibrated")
    return outcome_on_seeds(judgement, task.seeds, task.required_passes)


def _per_seed_summary(outcomes: Sequence[Outcome]) -> str:
    if not outcomes:
        return "refused before training"
    counts = Counter(outcome.describe() for outcome in outcomes)
    return ", ".join(f"{text}: {n}" for text, n in counts.most_common())


def _seeds_as_expected(expected: Expectation, outcomes: Sequence[Outcome]) -> str:
    if not outcomes:
        return ""
    agree = sum(1 for outcome in outcomes if disagreement(expected, outcome) is None)
    return f"; {agree}/{len(outcomes)} seeds as expected"


def _margin(check: CheckSpec, value: float, threshold: float, *, should_pass: bool) -> float:
    """Signed distance from the threshold, positive on the expected side, scaled."""
    higher = passes_when_higher(check)
    distance = (value - threshold) if higher else (threshold - value)
    if not should_pass:
        distance = -distance
    if not _is_proportion(check) and threshold != 0:
        distance /= abs(threshold)
    return distance


def _extreme(
    check: CheckSpec, index: int, judgement: Judgement, threshold: float, *, should_pass: bool
) -> float | None:
    """The margin of the seed closest to the wrong side (None without any figure)."""
    values = [s["measured"] for s in judgement.checks[index]["per_seed"]]
    margins = [
        _margin(check, v, threshold, should_pass=should_pass) for v in values if v is not None
    ]
    return min(margins) if margins else None


def _shown(check: CheckSpec, margin: float) -> str:
    text = f"{margin:+.3g}" if _is_proportion(check) else f"{margin:+.1%}"
    return f"**{text}** ⚑" if margin < THIN_MARGIN else text


def _threshold_rows(
    task: TaskFile,
    mutations: TaskMutations,
    reference: Judgement,
    broken: Judgement,
    runs: dict[str, _Run],
) -> tuple[list[str], list[str]]:
    names = check_names(task.definition)
    rows: list[str] = []
    flags: list[str] = []
    for index, (check, name) in enumerate(zip(task.definition.checks, names, strict=True)):
        threshold = reference.checks[index]["threshold"]
        if threshold is None:
            continue
        if check.kind == "params_at_most":
            rows.append(f"| {check.label} (`{name}`) | {threshold:.4g} | exact | exact |")
            continue
        ref = _extreme(check, index, reference, threshold, should_pass=True)
        failing: list[tuple[str, float]] = []
        expected_to_fail = [("broken", broken, mutations.broken)] + [
            (m, run.judgement, mutations.expected[m])
            for m, run in runs.items()
            if run.judgement is not None
        ]
        for who, judgement, expected in expected_to_fail:
            if judgement is None or expected.verdict != "failed" or name not in expected.fails:
                continue
            margin = _extreme(check, index, judgement, threshold, should_pass=False)
            if margin is not None:
                failing.append((who, margin))
        ref_text = "n/a" if ref is None else _shown(check, ref)
        fail_text = ", ".join(f"{who} {_shown(check, m)}" for who, m in failing) or "none"
        rows.append(f"| {check.label} (`{name}`) | {threshold:.4g} | {ref_text} | {fail_text} |")
        if ref is not None and ref < THIN_MARGIN:
            flags.append(f"`{name}`: the reference's worst seed is {_shown(check, ref)} from it")
        for who, margin in failing:
            if margin < THIN_MARGIN:
                flags.append(f"`{name}`: {who}'s best seed is {_shown(check, margin)} from it")
    return rows, flags


def mutation_report(
    task: TaskFile,
    mutations: TaskMutations,
    definition: TaskDefinition,
    reference: Judgement,
    broken: Judgement,
) -> tuple[list[str], list[str]]:
    """The Markdown lines of the task's mutation table and threshold margins, and problems.

    ``definition`` is the task widened to the calibration seeds (as the reference and the
    broken solution were judged); variants are admitted under the task's own definition and
    trained with ``required_passes`` 1 so that no seed is cut short by the others.
    """
    n_seeds = len(definition.seeds)
    wide = dataclasses.replace(definition, required_passes=1, limits=DEFAULT_LIMITS)
    runs = {m.name: _judge_variant(task.definition, wide, m.document) for m in mutations.mutants}
    problems: list[str] = []
    rows: list[str] = []
    broken_got = _grading_outcome(task.definition, broken)
    entries: list[tuple[str, str, Expectation, Outcome, list[Outcome]]] = [
        ("broken", "the broken solution", mutations.broken, broken_got, seed_outcomes(broken))
    ]
    entries += [
        (m.name, m.title, mutations.expected[m.name], runs[m.name].outcome, runs[m.name].per_seed)
        for m in mutations.mutants
    ]
    for name, title, expected, got, per_seed in entries:
        differs = disagreement(expected, got)
        if differs is not None:
            problems.append(f"{task.slug}: {name}: {differs}")
        rows.append(
            "| "
            + " | ".join(
                [
                    f"`{name}`: {title}",
                    expected.describe(),
                    got.describe(),
                    _per_seed_summary(per_seed),
                    ("agrees" if differs is None else "**DISAGREES**")
                    + _seeds_as_expected(expected, per_seed),
                ]
            )
            + " |"
        )
    threshold_rows, flags = _threshold_rows(task, mutations, reference, broken, runs)
    seeds = list(task.definition.seeds)
    lines = [
        f"Mutation family (`{task.slug}/mutations.yaml`): expected verdict on the grading seeds "
        f"{seeds}, the verdict got there, and each of the {n_seeds} seeds on its own.",
        "",
        "| Variant | expected | got on grading seeds | per seed | agreement |",
        "|---|---|---|---|---|",
        *rows,
        "",
    ]
    revised = [
        f"- `{name}`: {expected.revised}" for name, _, expected, _, _ in entries if expected.revised
    ]
    if revised:
        lines += ["Expectations revised after a run:", "", *revised, ""]
    lines += [
        "Threshold margins (worst seed on the expected side; ⚑ = under "
        f"{THIN_MARGIN:g}, in the figure's units for proportions, as a fraction of the "
        "threshold otherwise):",
        "",
        "| Check | threshold | reference | expected to fail it |",
        "|---|---|---|---|",
        *threshold_rows,
        "",
    ]
    if flags:
        lines += ["Flagged thresholds:", "", *[f"- {flag}" for flag in flags], ""]
    return lines, problems
