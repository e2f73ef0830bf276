"""How often the automatic grader agreed with the instructors who reviewed its grades.

Each first decision on an automatic grade is one vote: a confirmation, or an override that
keeps the verdict (a changed score only), agrees; an override to another verdict disagrees.
The rate is agreed / decided, per question and per week (weeks start on Monday). Plain
Python, no Django.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Vote:
    key: str  # the question's key
    day: date  # the decision's day, in the site's time zone
    agrees: bool


@dataclass(frozen=True)
class Agreement:
    label: str
    decided: int
    agreed: int

    @property
    def rate(self) -> float | None:
        return self.agreed / self.decided if self.decided else None


def week_of(day: date) -> date:
    """The Monday starting ``day``'s week."""
    return day - timedelta(days=day.weekday())


def _tally(pairs: Iterable[tuple[str, bool]]) -> list[Agreement]:
    decided: dict[str, int] = defaultdict(int)
    agreed: dict[str, int] = defaultdict(int)
    for label, agrees in pairs:
        decided[label] += 1
        agreed[label] += int(agrees)
    return [Agreement(label, decided[label], agreed[label]) for label in sorted(decided)]


def overall(votes: Iterable[Vote]) -> Agreement:
    listed = list(votes)
    return Agreement("all", len(listed), sum(vote.agrees for vote in listed))


def per_question(votes: Iterable[Vote]) -> list[Agreement]:
    """One row per question with a vote, by key."""
    return _tally((vote.key, vote.agrees) for vote in votes)


def per_week(votes: Iterable[Vote]) -> list[Agreement]:
    """One row per week with a vote, oldest first, labelled by its Monday (YYYY-MM-DD)."""
    return _tally((week_of(vote.day).isoformat(), vote.agrees) for vote in votes)
