"""The gradebook's arithmetic: plain Python, no Django.

A *try* is one attempt at an item (an answer to a question, a submission to a task): its
number (1-based), its score in [0, 1] (None for a submission not graded: still pending or cut
off by a service failure) and whether it was late.

- The attempt rule chooses among the graded tries: ``first`` (lowest number), ``last``
  (highest number) or ``best`` (highest score *after* the late factor; the earlier on a tie).
- Late work: a late try's score is multiplied by ``late_factor`` (1: counted in full, only
  marked; 0: not counted).
- An item with no graded try is *missing* (``Cell.score`` is None), which is not a zero: it
  is shown as missing, and counts 0 in the totals.
- Totals (percent): each part (questions, tasks) is ``100 · Σ w·s / Σ w`` over its items of
  positive weight; with ``questions_percent`` p set, the total is ``(p·Q + (100-p)·T) / 100``
  (a part without items gives its share to the other), else ``100 · Σ w·s / Σ w`` over every
  item. None when nothing has weight.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

AttemptRule = Literal["first", "last", "best"]
ItemKind = Literal["question", "task"]
SCORE_DIGITS = 4
PERCENT_DIGITS = 2


# Named tuples rather than frozen dataclasses: a gradebook makes one per answer and per
# cell (some 20,000 for 200 students), and a tuple is built several times faster.
class Try(NamedTuple):
    number: int
    score: float | None
    late: bool = False


class Cell(NamedTuple):
    """One student's result on one item."""

    score: float | None  # what counts, after the late factor; None: missing
    raw: float | None  # the chosen try's own score
    late: bool  # the chosen try was late
    attempts: int  # every try, graded or not

    @property
    def pending(self) -> bool:
        """Tried, but no try is graded (yet)."""
        return self.score is None and self.attempts > 0


MISSING = Cell(score=None, raw=None, late=False, attempts=0)


def preferred(
    chosen: Try | None, candidate: Try, *, attempt: AttemptRule, late_factor: float
) -> Try | None:
    """The try the attempt rule keeps of the one chosen so far and the next one: a cell's
    try is chosen in one pass over its tries, in any order (``cell_from`` then makes the
    cell). An ungraded try is never chosen."""
    if candidate.score is None:
        return chosen
    if chosen is None:
        return candidate
    if attempt == "first":
        return candidate if candidate.number < chosen.number else chosen
    if attempt == "last":
        return candidate if candidate.number > chosen.number else chosen
    kept, new = _counted(chosen, late_factor), _counted(candidate, late_factor)
    if new > kept or (new == kept and candidate.number < chosen.number):
        return candidate
    return chosen


def cell_from(chosen: Try | None, *, attempts: int, late_factor: float) -> Cell:
    """The cell of the chosen try (None: no graded try) among ``attempts`` tries."""
    if chosen is None:
        return Cell(score=None, raw=None, late=False, attempts=attempts)
    return Cell(
        score=round(_counted(chosen, late_factor), SCORE_DIGITS),
        raw=chosen.score,
        late=chosen.late,
        attempts=attempts,
    )


def _counted(t: Try, late_factor: float) -> float:
    """The try's score after the late factor (a graded try's)."""
    score = t.score or 0.0
    return score * late_factor if t.late else score


@dataclass(frozen=True)
class Item:
    key: str
    kind: ItemKind
    weight: float


@dataclass(frozen=True)
class Totals:
    questions: float | None  # percent
    tasks: float | None
    total: float | None
    late: int  # items whose counted try was late
    missing: int  # items of positive weight without a graded try


def _part(cells: Mapping[str, Cell], items: Sequence[Item]) -> tuple[float, float]:
    """(Σ w·s, Σ w) over ``items`` of positive weight; a missing cell counts 0."""
    earned = weight = 0.0
    for item in items:
        if item.weight <= 0:
            continue
        weight += item.weight
        score = cells.get(item.key, MISSING).score
        earned += item.weight * (score or 0.0)
    return earned, weight


def _percent(earned: float, weight: float) -> float | None:
    return round(100 * earned / weight, PERCENT_DIGITS) if weight > 0 else None


def totals_of(
    cells: Mapping[str, Cell], items: Sequence[Item], *, questions_percent: int | None
) -> Totals:
    """One student's totals over ``items`` (see the module's docstring)."""
    questions = [i for i in items if i.kind == "question"]
    tasks = [i for i in items if i.kind == "task"]
    q_earned, q_weight = _part(cells, questions)
    t_earned, t_weight = _part(cells, tasks)
    q, t = _percent(q_earned, q_weight), _percent(t_earned, t_weight)
    if questions_percent is None:
        total = _percent(q_earned + t_earned, q_weight + t_weight)
    elif q is None or t is None:
        total = q if t is None else t
    else:
        share = questions_percent / 100
        q_exact, t_exact = 100 * q_earned / q_weight, 100 * t_earned / t_weight
        total = round(share * q_exact + (1 - share) * t_exact, PERCENT_DIGITS)
    late = sum(1 for i in items if cells.get(i.key, MISSING).late)
    missing = sum(1 for i in items if i.weight > 0 and cells.get(i.key, MISSING).score is None)
    return Totals(questions=q, tasks=t, total=total, late=late, missing=missing)
