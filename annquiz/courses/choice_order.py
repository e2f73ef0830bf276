"""The order in which one student sees a question's choices: shuffled, and stable for them.

The course files list the right option wherever the author wrote it (often first), so the
options are shown to each student in an order of their own: sorted by a hash of the
student's id, the question's key and the option's key. No state is needed: the same student
sees the same order on every page view, in the API and in the no-JavaScript form, in every
process; two students mostly see different orders. Adding or removing an option leaves the
other options in the same order relative to one another. The order shown is stored with
each answer (``Answer.choice_order``), so it can be read back even after the content changes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any


def _rank(student_id: int, question_key: str, choice_key: str) -> bytes:
    return hashlib.sha256(f"{student_id}:{question_key}:{choice_key}".encode()).digest()


def choice_order(*, student_id: int, question_key: str, choice_keys: Sequence[str]) -> list[str]:
    """``choice_keys`` in the order the student sees them (empty when there are none)."""
    return sorted(choice_keys, key=lambda key: _rank(student_id, question_key, key))


def public_config_for_student(
    public_config: Mapping[str, Any], *, student_id: int, question_key: str
) -> dict[str, Any]:
    """A copy of ``grading.public_config(...)`` with its choices in the student's order."""
    choices: list[dict[str, Any]] = list(public_config.get("choices", []))
    by_key = {str(choice["key"]): choice for choice in choices}
    order = choice_order(student_id=student_id, question_key=question_key, choice_keys=list(by_key))
    return {**public_config, "choices": [by_key[key] for key in order]}
