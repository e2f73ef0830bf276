"""Judging a coding submission: train it on the task's seeds, check it, explain the verdict.

How a verdict is reached (the multi-seed rule, divergence, the representative seed, every
check kind and its parameters) is described in docs/judging.md. One module per job:

- `task`: the task definition and its parsing (`parse_task_definition`);
- `admission`: `admit`, whether a submission is acceptable before anything is trained;
- `seed_run` and `runners`: one seed's outcome and each check run on it;
- `verdict`: the checks aggregated over the seeds, the summary (`Judgement`);
- `driver`: `judge`, which trains the seeds and stops early on divergence;
- `progress`: the progress report of a submission being trained.
"""

from training.judging.admission import admit, effective_learning_rate
from training.judging.driver import EXPLOSION_CEILING, EXPLOSION_FACTOR, judge
from training.judging.progress import training_progress
from training.judging.seed_run import DIAGNOSTIC_ROWS
from training.judging.task import (
    CHECK_KINDS,
    CONSTRAINT_KINDS,
    DEFAULT_SECTIONS,
    TASK_DEFINITION_FIELDS,
    CheckSpec,
    TaskDefinition,
    TaskDefinitionError,
    parse_task_definition,
)
from training.judging.verdict import Judgement, Verdict

__all__ = [
    "CHECK_KINDS",
    "CONSTRAINT_KINDS",
    "DEFAULT_SECTIONS",
    "DIAGNOSTIC_ROWS",
    "EXPLOSION_CEILING",
    "EXPLOSION_FACTOR",
    "TASK_DEFINITION_FIELDS",
    "CheckSpec",
    "Judgement",
    "TaskDefinition",
    "TaskDefinitionError",
    "Verdict",
    "admit",
    "effective_learning_rate",
    "judge",
    "parse_task_definition",
    "training_progress",
]
