"""The most common wrong answers to a question, normalized so that equal answers count
together. Plain Python, no Django.

- single choice: the option chosen; multiple choice: the set of options chosen (sorted);
- numeric and parametrized: the number(s) to four significant digits;
- free text: each concept the grader found *missing* from the answer and each statement it
  found *contradicted* (``Answer.details``: ``missing``, ``contradictions``), plus a wrong
  choice when the question has one: one wrong answer may count in several groups;
- anything else: the response's text, lower-cased with its spaces collapsed.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class WrongAnswer:
    label: str
    count: int
    example: str  # one student's response, as text


def _number(value: Any) -> str:
    try:
        return f"{float(value):.4g}"
    except (TypeError, ValueError):
        return _SPACES.sub(" ", str(value)).strip().lower()


def response_text(response: Mapping[str, Any]) -> str:
    """A response as one line of text, for an example."""
    parts = []
    for key in ("choice", "choices", "value", "values", "text"):
        if key in response and response[key] not in ("", [], None):
            value = response[key]
            parts.append(", ".join(map(str, value)) if isinstance(value, list) else str(value))
    return " - ".join(parts)


def groups_of(
    kind: str,
    response: Mapping[str, Any],
    details: Mapping[str, Any],
    choice_texts: Mapping[str, str],
) -> list[str]:
    """The normalized groups one wrong answer counts in."""
    if kind == "single_choice":
        key = str(response.get("choice", ""))
        return [f"chose {key}: {choice_texts.get(key, '?')}"]
    if kind == "multiple_choice":
        keys = sorted(str(k) for k in response.get("choices", []))
        return ["chose " + (", ".join(keys) if keys else "nothing")]
    if kind in ("numeric", "parametrized"):
        if "values" in response:
            return ["answered " + ", ".join(_number(v) for v in response.get("values", []))]
        return [f"answered {_number(response.get('value', ''))}"]
    if kind == "free_text":
        groups = [f"missing: {label}" for label in details.get("missing", [])]
        groups += [f"contradicts: {label}" for label in details.get("contradictions", [])]
        if details.get("choice_correct") is False:
            key = str(response.get("choice", ""))
            groups.append(f"chose {key}: {choice_texts.get(key, '?')}")
        return groups or ["no concept named as missing"]
    return [_SPACES.sub(" ", response_text(response)).strip().lower()]


def common_wrong_answers(
    kind: str,
    answers: Iterable[tuple[Mapping[str, Any], Mapping[str, Any]]],
    *,
    choice_texts: Mapping[str, str] | None = None,
    limit: int = 10,
) -> list[WrongAnswer]:
    """``answers``: (response, details) of the wrong answers; the ``limit`` most common
    groups, most frequent first (ties by label), each with its first example."""
    counts: Counter[str] = Counter()
    examples: dict[str, str] = {}
    for response, details in answers:
        for group in groups_of(kind, response, details, choice_texts or {}):
            counts[group] += 1
            examples.setdefault(group, response_text(response))
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:limit]
    return [WrongAnswer(label, count, examples[label]) for label, count in ordered]
