"""The agreement rate's arithmetic: per question, per week starting Monday, overall."""

from __future__ import annotations

from datetime import date

from annquiz.review.agreement import Vote, overall, per_question, per_week, week_of


def test_a_week_starts_on_its_monday() -> None:
    assert week_of(date(2026, 12, 3)) == date(2026, 11, 30)  # a Thursday
    assert week_of(date(2026, 11, 30)) == date(2026, 11, 30)
    assert week_of(date(2026, 12, 6)) == date(2026, 11, 30)  # the Sunday after


def test_the_rate_is_agreed_over_decided_per_question_and_per_week() -> None:
    votes = [
        Vote("b", date(2026, 11, 30), True),
        Vote("a", date(2026, 12, 1), True),
        Vote("a", date(2026, 12, 2), False),
        Vote("a", date(2026, 12, 7), True),
        Vote("a", date(2026, 12, 8), True),
    ]
    assert [(a.label, a.decided, a.agreed, a.rate) for a in per_question(votes)] == [
        ("a", 4, 3, 0.75),
        ("b", 1, 1, 1.0),
    ]
    assert [(a.label, a.decided, a.agreed) for a in per_week(votes)] == [
        ("2026-11-30", 3, 2),
        ("2026-12-07", 2, 2),
    ]
    total = overall(votes)
    assert (total.decided, total.agreed, total.rate) == (5, 4, 0.8)


def test_no_votes_have_no_rate() -> None:
    assert overall([]).rate is None
    assert per_question([]) == [] and per_week([]) == []
