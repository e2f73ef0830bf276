"""``manage.py calibrate_tasks [--seeds N] [--task SLUG]``: measure every task's thresholds.

Each task's reference and broken solutions are judged over N training seeds (0..N-1, not only
the task's judging seeds), and ``fixtures/tasks/CALIBRATION.md`` records, per task and check,
the min / median / max of the measured figure for both, the threshold, the margin and how many
seeds passed. A task is calibrated when its reference passes every check on every seed and its
broken solution fails at least one check on every seed. For a ``metric_near_reference`` check
the models in the task's ``ann_candidates/`` folder are measured too, and the best median is
reported next to the stored reference figure.

Each task's mutation family (``training.judging.mutations``) is judged too, unless
``--skip-mutations``: every variant's verdict on the grading seeds against its expectation in
the task's ``mutations.yaml``, and every threshold whose margin is too thin is flagged
(``annquiz.coding.mutation_calibration``). A disagreement makes the task not calibrated.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import platform
import re
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from django.core.management.base import BaseCommand, CommandError, CommandParser

from annquiz.coding.catalog import (
    DEFAULT_CATALOG_DIRECTORY,
    CatalogError,
    TaskFile,
    load_catalog,
)
from annquiz.coding.mutation_calibration import mutation_report, passes_when_higher
from annquiz.coding.mutation_expectations import load_task_mutations
from training.judging import Judgement, TaskDefinition, judge
from training.solutions import parse_solution
from training.spec import DEFAULT_LIMITS, ModelSpec

CALIBRATION_FILE = "CALIBRATION.md"
_MARKER = "<!-- task:{slug} -->"
_SECTION_RE = r"<!-- task:{slug} -->\n.*?(?=<!-- task:|\Z)"


def _figures(judgement: Judgement, index: int) -> list[float | None]:
    return [entry["measured"] for entry in judgement.checks[index]["per_seed"]]


def _spread(values: Sequence[float | None]) -> str:
    finite = [v for v in values if v is not None]
    if not finite:
        return "n/a"
    missing = len(values) - len(finite)
    text = f"{min(finite):.4g} / {statistics.median(finite):.4g} / {max(finite):.4g}"
    return text + (f" ({missing} without a figure)" if missing else "")


def _margin(values: Sequence[float | None], threshold: float | None, higher: bool) -> str:
    """Signed distance of the worst seed from the threshold; positive = on the passing side."""
    finite = [v for v in values if v is not None]
    if threshold is None or not finite:
        return "n/a"
    worst = min(finite) if higher else max(finite)
    return f"{(worst - threshold) if higher else (threshold - worst):+.4g}"


def _broken_margin(values: Sequence[float | None], threshold: float | None, higher: bool) -> str:
    """Signed distance of the broken solution's best seed; positive = on the failing side."""
    finite = [v for v in values if v is not None]
    if threshold is None or not finite:
        return "n/a"
    best = max(finite) if higher else min(finite)
    return f"{(threshold - best) if higher else (best - threshold):+.4g}"


class Command(BaseCommand):
    # Nothing here touches the database: training and judging only.
    requires_system_checks: list[str] = []
    help = (
        "Judge every task's reference and broken solution over N training seeds and write "
        "the figures, thresholds and margins to fixtures/tasks/CALIBRATION.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seeds", type=int, default=10, help="training seeds 0..N-1")
        parser.add_argument("--task", help="calibrate only the task with this slug")
        parser.add_argument(
            "--skip-mutations",
            action="store_true",
            help="judge only the reference and broken solutions, not the mutation families",
        )
        parser.add_argument(
            "--catalog",
            type=Path,
            default=DEFAULT_CATALOG_DIRECTORY,
            help=f"the catalog directory (default: {DEFAULT_CATALOG_DIRECTORY})",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        n_seeds: int = options["seeds"]
        if n_seeds < 1:
            raise CommandError("--seeds must be at least 1")
        directory: Path = options["catalog"]
        try:
            catalog = load_catalog(directory)
        except CatalogError as exc:
            raise CommandError(str(exc)) from None
        self.mutations: bool = not options["skip_mutations"]
        slug: str | None = options["task"]
        if slug is not None:
            catalog = [task for task in catalog if task.slug == slug]
            if not catalog:
                raise CommandError(f"--task {slug}: there is no task with this slug")
        sections: dict[str, str] = {}
        problems: list[str] = []
        for task in catalog:
            self.stdout.write(f"calibrating {task.slug} on {n_seeds} seeds ...")
            text, task_problems = self._calibrate(task, directory, n_seeds)
            sections[task.slug] = text
            problems += task_problems
        path = directory / CALIBRATION_FILE
        command = " ".join(["manage.py calibrate_tasks", *sys.argv[2:]])
        self._write(
            path, sections, n_seeds, command, [task.slug for task in load_catalog(directory)]
        )
        for problem in problems:
            self.stderr.write(f"not calibrated: {problem}")
        self.stdout.write(f"wrote {path}")

    def _calibrate(self, task: TaskFile, directory: Path, n_seeds: int) -> tuple[str, list[str]]:
        seeds = tuple(range(n_seeds))
        definition = dataclasses.replace(
            task.definition, seeds=seeds, required_passes=n_seeds, limits=DEFAULT_LIMITS
        )
        reference = judge(definition, parse_solution(task.reference_kind, task.reference_source))
        broken = judge(definition, parse_solution(task.broken_kind, task.broken_source))
        problems: list[str] = []
        rows = []
        for index, check in enumerate(task.definition.checks):
            higher = passes_when_higher(check)
            ref_values = _figures(reference, index)
            broken_values = _figures(broken, index)
            threshold = reference.checks[index]["threshold"]
            ref_passes = reference.checks[index]["seeds_passed"]
            broken_passes = broken.checks[index]["seeds_passed"]
            if ref_passes < n_seeds:
                problems.append(
                    f"{task.slug}: the reference fails {check.label!r} on "
                    f"{n_seeds - ref_passes} of {n_seeds} seeds"
                )
            rows.append(
                "| "
                + " | ".join(
                    [
                        f"{check.label} (`{check.kind}`)",
                        "≥" if higher else "≤",
                        "n/a" if threshold is None else f"{threshold:.4g}",
                        _spread(ref_values),
                        f"{ref_passes}/{n_seeds}",
                        _margin(ref_values, threshold, higher),
                        _spread(broken_values),
                        f"{broken_passes}/{n_seeds}",
                        _broken_margin(broken_values, threshold, higher),
                    ]
                )
                + " |"
            )
        # The broken solution must fail at least one check on every seed.
        broken_seed_passes = [
            all(check["per_seed"][i]["passed"] for check in broken.checks) for i in range(n_seeds)
        ]
        if any(broken_seed_passes):
            problems.append(
                f"{task.slug}: the broken solution passes every check on "
                f"{sum(broken_seed_passes)} of {n_seeds} seeds"
            )
        ref_all_pass = sum(
            all(check["per_seed"][i]["passed"] for check in reference.checks)
            for i in range(n_seeds)
        )
        lines = [
            _MARKER.format(slug=task.slug),
            f"## {task.slug}: {task.title}",
            "",
            f"Dataset `{task.definition.dataset}`, backend `{task.definition.backend}`, "
            f"grading seeds {list(task.definition.seeds)} "
            f"({task.definition.required_passes} must pass). "
            f"Reference verdict on {n_seeds} seeds: every check passes on "
            f"{ref_all_pass}"
            f"/{n_seeds} seeds; broken: fails at least one check on "
            f"{n_seeds - sum(broken_seed_passes)}/{n_seeds} seeds. Judging time "
            f"(all {n_seeds} seeds): reference {reference.seconds:.2f} s, "
            f"broken {broken.seconds:.2f} s.",
            "",
            "| Check | passes when | threshold | reference min / median / max | passed | "
            "reference margin | broken min / median / max | passed | broken margin |",
            "|---|---|---|---|---|---|---|---|---|",
            *rows,
            "",
        ]
        lines += self._candidates(task, directory, definition)
        if self.mutations:
            try:
                mutations = load_task_mutations(task, directory)
            except CatalogError as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(f"  judging {len(mutations.mutants)} variants of the reference ...")
            mutation_lines, mutation_problems = mutation_report(
                task, mutations, definition, reference, broken
            )
            lines += mutation_lines
            problems += mutation_problems
        lines.append("Status: " + ("**calibrated**" if not problems else "**NOT calibrated**: "))
        lines += [f"- {problem}" for problem in problems]
        lines.append("")
        return "\n".join(lines) + "\n", problems

    def _candidates(self, task: TaskFile, directory: Path, definition: TaskDefinition) -> list[str]:
        folder = directory / task.slug / "ann_candidates"
        indexes = [
            i for i, c in enumerate(task.definition.checks) if c.kind == "metric_near_reference"
        ]
        if not folder.is_dir() or not indexes:
            return []
        index = indexes[0]
        check = task.definition.checks[index]
        higher = passes_when_higher(check)
        lines = [
            f"Reference models for `{check.label}` ({check.params['metric']} on the "
            f"{check.params['split']} split, median over the seeds):",
            "",
        ]
        medians: list[tuple[float, str]] = []
        for path in sorted(folder.iterdir()):
            if path.suffix not in (".json", ".py"):
                continue
            spec: ModelSpec = parse_solution(
                "json" if path.suffix == ".json" else "keras", path.read_text()
            )
            judgement = judge(definition, spec)
            values = [v for v in _figures(judgement, index) if v is not None]
            median = float(np.median(values)) if values else float("nan")
            medians.append((median, path.name))
            lines.append(f"- `{path.name}`: {_spread(values)} (min / median / max)")
        if medians:
            best = max(medians) if higher else min(medians)
            lines += [
                "",
                f"Best: `{best[1]}` with a median of {best[0]:.4g}; the task stores "
                f"reference {check.params['reference']:.4g} with margin "
                f"{check.params['margin']:.4g}.",
                "",
            ]
        return lines

    def _write(
        self,
        path: Path,
        sections: dict[str, str],
        n_seeds: int,
        command: str,
        order: list[str],
    ) -> None:
        existing = path.read_text(encoding="utf-8") if path.is_file() else ""
        kept: dict[str, str] = {}
        for slug in order:
            if slug in sections:
                kept[slug] = sections[slug]
                continue
            match = re.search(_SECTION_RE.format(slug=re.escape(slug)), existing, flags=re.S)
            if match:
                kept[slug] = match.group(0)
        now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
        machine = (
            f"{platform.node() or 'unknown host'}, {platform.machine()}, "
            f"{os.cpu_count()} CPU cores, Python {platform.python_version()}, "
            f"NumPy {np.__version__}"
        )
        header = [
            "# Task calibration",
            "",
            "Every task's reference and broken solution judged over many training seeds, to "
            "choose thresholds that the reference passes and the broken solution fails on "
            "every seed with a clear margin. Figures per check: min / median / max over the "
            "seeds; `passed` counts seeds on which the check passed; a margin is the distance "
            "of the worst reference seed (or the best broken seed) from the threshold, "
            "positive when on the expected side. The broken solution only has to fail one "
            "check per seed. Each task's mutation family (variants of the reference, "
            "`mutations.yaml`) follows: expected verdict, verdict on the grading seeds, each "
            "seed's own outcome, and the threshold margins, ⚑ flagging any under 0.03 "
            '(docs/judging.md, "Mutation tests"; the TensorFlow tasks on fewer seeds). '
            "Produced by `manage.py calibrate_tasks`; do not edit by hand.",
            "",
            f"- Last run: {now}, `{command}` ({n_seeds} seeds: 0..{n_seeds - 1})",
            f"- Machine: {machine}",
            "",
        ]
        body = "".join(kept[slug] for slug in order if slug in kept)
        path.write_text("\n".join(header) + "\n" + body, encoding="utf-8")
