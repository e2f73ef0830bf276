"""Time and memory bombs: the most costly networks admission still accepts are judged within
the worker's time limit. The worst ones are searched for, not picked by hand: over a grid of
epochs, batch sizes and hidden units, the admitted spec with the highest cost estimate (the
time bomb) and the one with the most parameters (the memory bomb), against a soft time limit
of 24 s (a time budget of 6 s), so that the test stays short; the ratio is production's."""

from __future__ import annotations

import copy
import itertools
from typing import TYPE_CHECKING, Any

import pytest

from annquiz.coding.selectors import task_definition
from annquiz.coding.statuses import JUDGED_STATUSES
from annquiz.coding.submitting import judging_time_budget
from tests.annquiz.coding.conftest import store_task
from tests.faults import figures
from tests.faults.work import HANDOUT, reference_spec, student_api, submit, wait_all_final
from tests.worker import CeleryStack, WorkerOptions
from training.errors import TrainingError
from training.judging import admit
from training.judging.budget import judging_cost
from training.spec import parse_spec

if TYPE_CHECKING:
    from pytest_django.fixtures import Settings

pytestmark = [pytest.mark.faults, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

LIMITS = {"ANNQUIZ_GRADE_SOFT_TIME_LIMIT": "24", "ANNQUIZ_GRADE_HARD_TIME_LIMIT": "30"}
EPOCHS = (200, 100, 50, 20, 10, 5, 2, 1)
BATCH_SIZES = (1, 4, 32, 256)
UNITS = (16, 64, 256, 512, 768, 1024)


def variant(base: dict[str, Any], *, epochs: int, batch_size: int, units: int) -> dict[str, Any]:
    spec = copy.deepcopy(base)
    spec.update(epochs=epochs, batch_size=batch_size)
    for layer in spec["layers"][:-1]:
        layer["units"] = units
    return spec


def worst_admitted(base: dict[str, Any], definition: Any, budget: float) -> dict[str, Any]:
    """The admitted variants with the highest estimated cost and with the most parameters."""
    admitted: list[tuple[float, int, dict[str, Any]]] = []
    for epochs, batch_size, units in itertools.product(EPOCHS, BATCH_SIZES, UNITS):
        spec_dict = variant(base, epochs=epochs, batch_size=batch_size, units=units)
        spec = parse_spec(spec_dict)
        try:
            admit(definition, spec, time_budget=budget)
        except TrainingError:
            continue
        estimate = judging_cost(definition, spec).upper_seconds
        admitted.append((estimate, units, spec_dict))
    assert admitted, "nothing admitted"
    slowest = max(admitted, key=lambda entry: entry[0])
    largest = max(admitted, key=lambda entry: (entry[1], entry[0]))
    return {"time bomb": slowest, "memory bomb": largest}


def test_the_worst_admissible_networks_are_judged_within_the_time_limit(
    celery_stack: CeleryStack, settings: Settings
) -> None:
    settings.ANNQUIZ_GRADE_SOFT_TIME_LIMIT = int(LIMITS["ANNQUIZ_GRADE_SOFT_TIME_LIMIT"])
    settings.ANNQUIZ_GRADE_HARD_TIME_LIMIT = int(LIMITS["ANNQUIZ_GRADE_HARD_TIME_LIMIT"])
    budget = judging_time_budget()
    task = store_task(HANDOUT)
    bombs = worst_admitted(reference_spec(task), task_definition(task), budget)
    worker = celery_stack.start_worker(WorkerOptions(concurrency=1, env=LIMITS))

    submitted = {
        name: submit(student_api(), task, {"spec": spec}) for name, (_, _, spec) in bombs.items()
    }
    rows = {row.pk: row for row in wait_all_final(submitted.values(), 120, [worker])}

    measured: dict[str, Any] = {}
    for name, submission_id in submitted.items():
        row = rows[submission_id]
        assert row.status in JUDGED_STATUSES, (name, row.status, row.message)
        assert row.started_at is not None and row.finished_at is not None
        seconds = (row.finished_at - row.started_at).total_seconds()
        assert seconds < settings.ANNQUIZ_GRADE_SOFT_TIME_LIMIT, (name, seconds)
        estimate, units, spec = bombs[name]
        key = name.replace(" ", "_")
        measured[f"{key}_spec"] = (
            f"epochs {spec['epochs']}, batch {spec['batch_size']}, hidden units {units}"
        )
        measured[f"{key}_estimate_s"] = estimate
        measured[f"{key}_judged_in_s"] = seconds
        measured[f"{key}_verdict"] = row.status
    figures.record(
        "costly-networks",
        title="The worst admissible networks (time bomb, memory bomb) of the handout task",
        bound=f"judged within the soft limit {settings.ANNQUIZ_GRADE_SOFT_TIME_LIMIT} s "
        f"(budget {budget:g} s)",
        **measured,
    )
