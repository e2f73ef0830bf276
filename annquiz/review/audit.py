"""How one decision on a grade reads in a table row: the audit trail's columns, shared by the
review's pages and the dashboards' student page."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone

from annquiz.dashboards.selectors import display_name
from annquiz.dashboards.tables import Cell
from annquiz.enrolment.models import Offering
from annquiz.review.models import GradeChange


def when(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def item_label(change_or_item: Any) -> str:
    """ "<question key>, attempt N" for an answer, "<task title> #N" for a submission."""
    answer, submission = change_or_item.answer, change_or_item.submission
    if answer is not None:
        return f"{answer.question.key}, attempt {answer.attempt_number}"
    return f"{submission.task.title} #{submission.number}"


def review_url(offering: Offering, change_or_item: Any) -> str:
    """The instructor's page to decide on the item's grade."""
    if change_or_item.answer is not None:
        return reverse("review:answer", args=[offering.slug, change_or_item.answer.pk])
    return reverse("review:submission", args=[offering.slug, change_or_item.submission.pk])


def change_row(change: GradeChange) -> list[Cell]:
    return [
        when(change.decided_at),
        display_name(change.decided_by) if change.decided_by is not None else "",
        change.get_decision_display(),
        change.before_score,
        change.before_verdict,
        change.after_score,
        change.after_verdict,
        change.comment,
    ]


CHANGE_HEADERS = (
    "When",
    "By",
    "Decision",
    "Score before",
    "Verdict before",
    "Score after",
    "Verdict after",
    "Comment",
)
