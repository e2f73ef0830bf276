"""Time to answer and latency percentiles. Plain Python, no Django.

*Time to answer* an attempt is the time since the same student's previous answer in the
same lesson (any question, any attempt): the time spent reading and thinking between two
submissions. A student's first answer in a lesson has no previous one and is left out (the
time they opened the page is not recorded); so is a gap over ``MAX_GAP`` (a break, not work).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from itertools import pairwise

MAX_GAP = timedelta(minutes=60)


def answer_gaps(
    rows: Iterable[tuple[int, int, int, datetime]],
) -> dict[tuple[int, int, int], timedelta]:
    """``rows``: (student, question, attempt number, created at) of one lesson's answers;
    the time to answer of each (student, question, attempt) that has one."""
    by_student: dict[int, list[tuple[datetime, int, int]]] = defaultdict(list)
    for student, question, attempt, created in rows:
        by_student[student].append((created, question, attempt))
    gaps: dict[tuple[int, int, int], timedelta] = {}
    for answers in by_student.values():
        answers.sort()
        for (before, _, _), (at, question, attempt) in pairwise(answers):
            gap = at - before
            if gap <= MAX_GAP:
                gaps[(student, question, attempt)] = gap
    return gaps


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-th percentile (0 to 100) by linear interpolation between the closest ranks
    (NumPy's default); None without values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
