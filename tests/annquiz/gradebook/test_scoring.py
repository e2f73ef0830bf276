"""The gradebook's arithmetic as tables: which try counts, late work, missing work, totals."""

from __future__ import annotations

import pytest

from annquiz.gradebook.scoring import (
    MISSING,
    AttemptRule,
    Cell,
    Item,
    Try,
    cell_from,
    preferred,
    totals_of,
)


def cell_of(tries: list[Try], *, attempt: AttemptRule, late_factor: float) -> Cell:
    """The cell of ``tries`` as the gradebook finds it: one pass of ``preferred``, in the
    order given (the tables also run each in reverse, since the database gives no order)."""
    cells = set()
    for order in (tries, tries[::-1]):
        chosen: Try | None = None
        for candidate in order:
            chosen = preferred(chosen, candidate, attempt=attempt, late_factor=late_factor)
        cells.add(cell_from(chosen, attempts=len(tries), late_factor=late_factor))
    (cell,) = cells
    return cell


TRIES = [Try(1, 0.2), Try(2, 0.9), Try(3, 0.5)]
LATE_BEST = [Try(1, 0.6), Try(2, 1.0, late=True)]


@pytest.mark.parametrize(
    ("tries", "attempt", "late_factor", "score", "late"),
    [
        (TRIES, "first", 1.0, 0.2, False),
        (TRIES, "last", 1.0, 0.5, False),
        (TRIES, "best", 1.0, 0.9, False),
        # the tries' order in the list does not matter, their numbers do
        (list(reversed(TRIES)), "first", 1.0, 0.2, False),
        (list(reversed(TRIES)), "last", 1.0, 0.5, False),
        # late work: counted in full (only marked), halved, not counted
        (LATE_BEST, "last", 1.0, 1.0, True),
        (LATE_BEST, "last", 0.5, 0.5, True),
        (LATE_BEST, "last", 0.0, 0.0, True),
        # best compares the scores after the late factor
        (LATE_BEST, "best", 1.0, 1.0, True),
        (LATE_BEST, "best", 0.5, 0.6, False),
        (LATE_BEST, "first", 0.5, 0.6, False),
        # ungraded tries (a pending or failed-by-the-service submission) are skipped
        ([Try(1, None), Try(2, 0.0), Try(3, None)], "first", 1.0, 0.0, False),
        ([Try(1, None), Try(2, 0.0), Try(3, None)], "last", 1.0, 0.0, False),
        # best: the earlier of two equal scores
        ([Try(1, 1.0, late=True), Try(2, 1.0)], "best", 1.0, 1.0, True),
    ],
)
def test_the_policy_chooses_the_try_that_counts(
    tries: list[Try], attempt: AttemptRule, late_factor: float, score: float, late: bool
) -> None:
    cell = cell_of(tries, attempt=attempt, late_factor=late_factor)

    assert (cell.score, cell.late, cell.attempts) == (score, late, len(tries))


@pytest.mark.parametrize("attempt", ["first", "last", "best"])
def test_no_try_is_missing_and_an_ungraded_try_pending_neither_is_a_zero(
    attempt: AttemptRule,
) -> None:
    missing = cell_of([], attempt=attempt, late_factor=1.0)
    pending = cell_of([Try(1, None)], attempt=attempt, late_factor=1.0)
    zero = cell_of([Try(1, 0.0)], attempt=attempt, late_factor=1.0)

    assert missing == MISSING and missing.score is None and not missing.pending
    assert pending.score is None and pending.pending and pending.attempts == 1
    assert zero.score == 0.0 and not zero.pending


def _cells(**scores: float | None) -> dict[str, Cell]:
    return {
        key: (MISSING if score is None else Cell(score, score, False, 1))
        for key, score in scores.items()
    }


Q1, Q2, T1 = Item("q1", "question", 1.0), Item("q2", "question", 3.0), Item("t1", "task", 1.0)


@pytest.mark.parametrize(
    ("cells", "items", "share", "questions", "tasks", "total", "missing"),
    [
        # every weight 1: the mean of the items, missing counted 0
        (_cells(q1=1.0, t1=0.5), [Q1, Item("q2", "question", 1.0), T1], None, 50.0, 50.0, 50.0, 1),
        # weights: q2 weighs three times q1
        (_cells(q1=1.0, q2=0.0), [Q1, Q2], None, 25.0, None, 25.0, 0),
        (_cells(q1=0.0, q2=1.0, t1=1.0), [Q1, Q2, T1], None, 75.0, 100.0, 80.0, 0),
        # the split: 40 % questions, 60 % tasks
        (_cells(q1=0.0, q2=1.0, t1=1.0), [Q1, Q2, T1], 40, 75.0, 100.0, 90.0, 0),
        # a part without items gives its share to the other
        (_cells(q1=1.0, q2=1.0), [Q1, Q2], 40, 100.0, None, 100.0, 0),
        # a weight of 0 leaves the item out (and it is not counted missing)
        (_cells(q1=1.0), [Q1, Item("q2", "question", 0.0)], None, 100.0, None, 100.0, 0),
        # nothing has weight: no total
        (_cells(q1=1.0), [Item("q1", "question", 0.0)], None, None, None, None, 0),
        # nothing done: zero, with every item missing
        (_cells(), [Q1, T1], None, 0.0, 0.0, 0.0, 2),
    ],
)
def test_totals_weigh_the_items_and_count_missing_work_as_zero(
    cells: dict[str, Cell],
    items: list[Item],
    share: int | None,
    questions: float | None,
    tasks: float | None,
    total: float | None,
    missing: int,
) -> None:
    totals = totals_of(cells, items, questions_percent=share)

    assert (totals.questions, totals.tasks, totals.total, totals.missing) == (
        questions,
        tasks,
        total,
        missing,
    )


def test_totals_count_the_items_whose_counted_try_was_late() -> None:
    cells = {"q1": Cell(0.5, 1.0, True, 2), "t1": Cell(1.0, 1.0, False, 1)}

    totals = totals_of(cells, [Q1, T1], questions_percent=None)

    assert totals.late == 1
    assert totals.total == 75.0
