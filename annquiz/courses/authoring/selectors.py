"""Reads for the edit page. The question itself is fetched with its permission check by the
dashboards' selectors (``offering_get_for_teacher`` + ``question_get_in_offering``)."""

from __future__ import annotations

from annquiz.courses.models import Question, QuestionVersion
from annquiz.enrolment.models import Offering

VERSIONS_SHOWN = 10


def question_versions(*, question: Question) -> list[QuestionVersion]:
    """The question's latest web edits, newest first, with their authors."""
    return list(
        QuestionVersion.objects.filter(question=question)
        .select_related("author")
        .order_by("-number")[:VERSIONS_SHOWN]
    )


def offerings_sharing(*, question: Question) -> list[Offering]:
    """Every offering of the question's content: an edit changes the question in all."""
    return list(Offering.objects.filter(course_id=question.course_id).order_by("title", "id"))
