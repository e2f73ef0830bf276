"""The Celery tasks' names and options are part of the protocol with queued messages."""

from __future__ import annotations

from django.conf import settings

from annquiz.celery import app
from annquiz.coding import tasks


def test_task_names_are_pinned() -> None:
    # Renaming a task strands the messages already queued under the old name.
    assert tasks.grade_submission.name == "annquiz.coding.grade_submission"
    assert tasks.sweep_submissions.name == "annquiz.coding.sweep_submissions"
    assert {"annquiz.coding.grade_submission", "annquiz.coding.sweep_submissions"} <= set(app.tasks)
    assert tasks.regrade_item.name == "annquiz.coding.regrade_item"
    assert tasks.sweep_regrades.name == "annquiz.coding.sweep_regrades"
    assert {"annquiz.coding.regrade_item", "annquiz.coding.sweep_regrades"} <= set(app.tasks)


def test_regrades_run_on_their_own_queue_and_their_sweep_on_maintenance() -> None:
    routes = settings.CELERY_TASK_ROUTES
    assert routes[tasks.regrade_item.name] == {"queue": "regrade"}
    assert routes[tasks.sweep_regrades.name] == {"queue": "maintenance"}
    entry = settings.CELERY_BEAT_SCHEDULE["sweep-regrades"]
    assert entry["task"] == tasks.sweep_regrades.name
    assert entry["options"] == {
        "queue": "maintenance",
        "expires": float(settings.ANNQUIZ_SWEEP_INTERVAL),
    }
    regrade = tasks.regrade_item
    assert regrade.acks_late is True
    assert regrade.reject_on_worker_lost is True
    assert regrade.soft_time_limit == settings.ANNQUIZ_GRADE_SOFT_TIME_LIMIT
    assert regrade.time_limit == settings.ANNQUIZ_GRADE_HARD_TIME_LIMIT


def test_grading_is_acknowledged_late_and_bounded_in_time() -> None:
    grade = tasks.grade_submission
    assert grade.acks_late is True
    assert grade.reject_on_worker_lost is True
    assert grade.soft_time_limit == settings.ANNQUIZ_GRADE_SOFT_TIME_LIMIT
    assert grade.time_limit == settings.ANNQUIZ_GRADE_HARD_TIME_LIMIT
    assert grade.time_limit > grade.soft_time_limit


def test_the_broker_keeps_a_message_invisible_longer_than_a_grading_may_run() -> None:
    visibility = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    assert visibility > settings.ANNQUIZ_GRADE_HARD_TIME_LIMIT
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.task_acks_late is True


def test_the_sweeper_runs_periodically_on_the_default_queue() -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["sweep-submissions"]
    assert entry["task"] == tasks.sweep_submissions.name
    assert entry["schedule"] == settings.ANNQUIZ_SWEEP_INTERVAL
