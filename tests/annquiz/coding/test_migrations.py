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
