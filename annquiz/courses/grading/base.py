"""The kinds of question and the value types grading hands back."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache, wraps
from typing import Any, Literal, TypeVar

QUESTION_KINDS: tuple[str, ...] = (
    "single_choice",
    "multiple_choice",
    "numeric",
    "free_text",
    "parametrized",
)

VerdictName = Literal["correct", "partial", "incorrect"]

# Scores are compared with this slack so that 0.7000000000000001 passes a 0.7 threshold.
SCORE_EPSILON = 1e-9


@dataclass(frozen=True)
class Grade:
    """The result of grading one response.

    ``score`` is in [0, 1]; ``feedback`` is one to three sentences for the student; ``details``
    is JSON-serialisable and holds only what is safe to show right after grading (it never
    reveals the expected answer of a response that was not correct). ``confidence`` (0 to 1) is
    how sure the grading is: 1 for every kind but free text, whose doubtful gradings an
    instructor reviews.
    """

    score: float
    verdict: VerdictName
    feedback: str
    details: dict[str, Any] = field(default_factory=dict)
    confidence: float = 1.0


@dataclass(frozen=True)
class Variant:
    """One student's numbers for a parametrized question.

    ``params`` are the JSON-serialisable numbers drawn, ``prompt_text`` the filled-in Markdown
    prompt, ``answer`` the value computed by the training core (a list for vector answers) and
    ``tolerance`` the accepted error (relative or absolute, as the question's config says).
    """

    params: dict[str, Any]
    prompt_text: str
    answer: float | list[float]
    tolerance: float


def verdict_for(score: float, pass_threshold: float = 1.0) -> VerdictName:
    """``correct`` at or above the threshold, ``partial`` above zero, else ``incorrect``."""
    if score >= pass_threshold - SCORE_EPSILON:
        return "correct"
    if score > SCORE_EPSILON:
        return "partial"
    return "incorrect"


def clamp_score(score: float) -> float:
    """``score`` clamped to [0, 1] and rounded to 4 decimals (stored and shown as is)."""
    return round(min(1.0, max(0.0, score)), 4)


_T = TypeVar("_T")


def memoized_by_json(parse: Callable[[Any], _T]) -> Callable[[Any], _T]:
    """Cache ``parse(config)`` by the config's canonical JSON text.

    Grading one answer checks the same config several times (validate, normalise, grade),
    and a course has few questions; parsed configs are immutable, so they can be shared.
    A config that is not JSON-serialisable is parsed every time.
    """
    cached = lru_cache(maxsize=512)(lambda key: parse(json.loads(key)))

    @wraps(parse)
    def wrapper(config: Any) -> _T:
        try:
            key = json.dumps(config, sort_keys=True)
        except (TypeError, ValueError):
            return parse(config)
        return cached(key)

    return wrapper
