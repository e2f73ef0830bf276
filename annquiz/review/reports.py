"""The review's instructor pages as data: tables (drawn by the dashboards' ``_table.html`` and
downloaded as CSV) and the agreement plot."""

from __future__ import annotations

from typing import Any

from annquiz.coding.grades import submission_score
from annquiz.dashboards.reports import Page
from annquiz.dashboards.selectors import display_name
from annquiz.dashboards.svg import bar_chart
from annquiz.dashboards.tables import Cell, Link, Table
from annquiz.enrolment.models import Offering
from annquiz.review import agreement, selectors
from annquiz.review.audit import CHANGE_HEADERS, change_row, item_label, review_url, when


def _rate(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def _grade(score: float | None, verdict: str) -> str:
    if score is None:
        return "not graded"
    return f"{score:.2f} ({verdict or 'no verdict'})"


def queue_page(offering: Offering) -> Page:
    page = Page()
    items = selectors.review_queue(offering=offering)
    rows: list[list[Cell]] = []
    for item in items:
        if item.answer is not None:
            grade = _grade(item.answer.score, item.answer.verdict)
            student = item.answer.student
        else:
            assert item.submission is not None
            grade = _grade(submission_score(item.submission), item.submission.status)
            student = item.submission.student
        why = f"disputed: {item.dispute.reason}" if item.dispute is not None else "grader unsure"
        rows.append(
            [
                when(item.waiting_since),
                display_name(student),
                Link(item_label(item), review_url(offering, item)),
                grade,
                why[:300],
            ]
        )
    page.add(
        Table(
            "queue",
            "Waiting for review, the longest waiting first",
            ("Waiting since", "Student", "Answer or submission", "Grade", "Why"),
            rows,
            empty="Nothing waits for review.",
        )
    )
    votes = selectors.agreement_votes(offering=offering)
    total = agreement.overall(votes)
    page.facts["agreement"] = total
    headers = ("Decisions", "Agreed", "Agreement rate")
    questions = agreement.per_question(votes)
    page.add(
        Table(
            "agreement_questions",
            "The grader's agreement with instructors, per question",
            ("Question", *headers),
            [(a.label, a.decided, a.agreed, _rate(a.rate)) for a in questions],
            empty="No grade reviewed yet.",
        )
    )
    weeks = agreement.per_week(votes)
    page.add(
        Table(
            "agreement_weeks",
            "The grader's agreement with instructors, per week (starting Monday)",
            ("Week", *headers),
            [(a.label, a.decided, a.agreed, _rate(a.rate)) for a in weeks],
            empty="No grade reviewed yet.",
        )
    )
    if weeks:
        page.plots["agreement"] = bar_chart(
            "agreement-plot",
            title="The grader's agreement with instructors per week",
            labels=[a.label for a in weeks],
            values=[a.rate for a in weeks],
            y_label="agreement rate",
            y_max=1.0,
        )
    return page


def history_table(changes: list[Any]) -> Table:
    """One answer's or submission's decisions, oldest first."""
    return Table(
        "history",
        "Decisions on this grade, oldest first",
        CHANGE_HEADERS,
        [change_row(change) for change in changes],
        empty="No instructor has decided on this grade yet.",
    )


def audit_page(offering: Offering) -> Page:
    page = Page()
    changes = selectors.changes_of_offering(offering=offering)
    page.add(
        Table(
            "audit",
            "Every decision on a grade, the newest first",
            ("Student", "Answer or submission", *CHANGE_HEADERS),
            [
                [
                    display_name(change.student),
                    Link(item_label(change), review_url(offering, change)),
                    *change_row(change),
                ]
                for change in changes
            ],
            empty="No grade has been confirmed or overridden yet.",
        )
    )
    return page
