"""The data migration that gives verdicts stored earlier the figures the judge now adds."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps

from annquiz.coding.models import CodingTask, Submission
from annquiz.coding.statuses import Status
from tests.factories import StudentFactory
from training.judging.figures import with_figures
from training.solutions import admitted_spec_load, admitted_spec_record, parse_solution
from training.spec import spec_to_dict

pytestmark = pytest.mark.django_db

fill_verdict_figures = importlib.import_module(
    "annquiz.coding.migrations.0003_verdict_figures"
).fill_verdict_figures


def stored(task: CodingTask, result: dict[str, Any] | None) -> Submission:
    return Submission.objects.create(
        task=task,
        student=StudentFactory.create(),
        number=1,
        source_kind="keras",
        source=task.starter_source,
        spec={},
        status=Status.FAILED if result else Status.QUEUED,
        result=result,
        queue=task.queue,
    )


def test_a_stored_verdict_is_given_its_best_epochs_and_a_valid_representative(
    handout_task: CodingTask,
) -> None:
    old = {
        "verdict": "failed",
        "summary": "Not passed yet.",
        "seeds": [
            {"seed": 0, "history": {"val_loss": [0.6, 0.5, 0.7]}, "best_epoch": None},
            {"seed": 1, "history": {"val_loss": [0.6, 0.5, 0.4]}, "best_epoch": 1},
        ],
        "representative": 7,
    }
    submission = stored(handout_task, old)
    waiting = stored(handout_task, None)

    fill_verdict_figures(apps, None)

    submission.refresh_from_db()
    assert submission.result == with_figures(old)
    assert [s["best_epoch"] for s in submission.result["seeds"]] == [2, 1]
    assert submission.result["representative"] == 0
    waiting.refresh_from_db()
    assert waiting.result is None


fill_admitted_specs = importlib.import_module(
    "annquiz.coding.migrations.0004_submission_admitted_spec"
).fill_admitted_specs


def test_a_row_stored_before_the_admitted_spec_gets_the_record_its_spec_was_admitted_as(
    handout_task: CodingTask,
) -> None:
    spec = parse_solution(handout_task.reference_kind, handout_task.reference_source)
    old = stored(handout_task, None)
    Submission.objects.filter(pk=old.pk).update(spec=spec_to_dict(spec), admitted_spec=None)
    recorded = stored(handout_task, None)
    Submission.objects.filter(pk=recorded.pk).update(admitted_spec={"format": 1, "kept": True})

    fill_admitted_specs(apps, None)

    old.refresh_from_db()
    assert old.admitted_spec == admitted_spec_record(spec)
    assert admitted_spec_load(old.admitted_spec) == spec
    recorded.refresh_from_db()
    assert recorded.admitted_spec == {"format": 1, "kept": True}


fill_check_figures = importlib.import_module(
    "annquiz.coding.migrations.0005_check_figures"
).fill_check_figures


def test_a_stored_check_is_given_its_figure_in_words(handout_task: CodingTask) -> None:
    old = {
        "verdict": "failed",
        "checks": [
            {"kind": "metric_at_least", "label": "Accuracy", "measured": 0.6, "threshold": 0.72}
        ],
        "seeds": [],
    }
    submission = stored(handout_task, old)

    fill_check_figures(apps, None)

    submission.refresh_from_db()
    assert submission.result is not None
    assert submission.result["checks"][0]["figure"] == "Accuracy: 0.6 (needs ≥ 0.72)"
    assert submission.result == with_figures(old)
