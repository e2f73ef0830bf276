"""The review's posted forms (and API bodies) read into what the services take. The services
validate; this only turns text into a number where one is wanted."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from annquiz.review.errors import ReviewInvalid
from annquiz.review.models import Decision
from annquiz.review.services import NewGrade

FIELD_LABELS = {
    "reason": "Why the grade seems wrong",
    "comment": "Comment",
    "score": "New score",
    "verdict": "New verdict",
    "decision": "Decision",
}


def _score(raw: str) -> float | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return float(raw)
    except ValueError:
        raise ReviewInvalid(
            f"must be a number from 0 to 1, not {raw[:20]!r}", field="score"
        ) from None


def grade_from_form(data: Mapping[str, Any]) -> NewGrade:
    """``decision`` (confirm or override), ``comment``, and for an override ``score`` (0 to 1)
    and ``verdict``."""
    decision = str(data.get("decision", ""))
    if decision not in Decision.values:
        raise ReviewInvalid("choose whether to confirm or override the grade", field="decision")
    return NewGrade(
        decision=Decision(decision),
        comment=str(data.get("comment", "")),
        score=_score(str(data.get("score", ""))) if decision == Decision.OVERRIDE else None,
        verdict=str(data.get("verdict", "")) if decision == Decision.OVERRIDE else None,
    )
