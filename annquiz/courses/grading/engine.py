"""Grading one response: a score in [0, 1], a verdict and one to three sentences of feedback."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from annquiz.courses.grading.base import Grade, Variant, clamp_score, verdict_for
from annquiz.courses.grading.claims import Claim, ClaimHit, TextClaims, analyse, excused
from annquiz.courses.grading.config import (
    ChoiceOption,
    Concept,
    Contradiction,
    parse_choices,
    parse_free_text,
    parse_numeric,
)
from annquiz.courses.grading.responses import validate_response
from annquiz.courses.grading.variants import expects_vector, template_hint

__all__ = ["grade"]


def _join_words(items: Sequence[str], conjunction: str = "and") -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text.endswith((".", "!", "?")) else text + "."


def _feedback(*sentences: str) -> str:
    return " ".join(s for s in (_sentence(s) for s in sentences) if s)


# --- choices ----------------------------------------------------------------------------------


def _grade_single(options: tuple[ChoiceOption, ...], choice: str) -> Grade:
    picked = next(option for option in options if option.key == choice)
    score = 1.0 if picked.correct else 0.0
    details: dict[str, Any] = {"choice": choice, "choice_correct": picked.correct}
    if picked.correct:
        details["expected"] = choice
    default = "That is the right answer" if picked.correct else "That is not the right answer"
    return Grade(score, verdict_for(score), _feedback(picked.feedback or default), details)


def _grade_multiple(options: tuple[ChoiceOption, ...], choices: list[str]) -> Grade:
    by_key = {option.key: option for option in options}
    right = [key for key in choices if by_key[key].correct]
    wrong = [key for key in choices if not by_key[key].correct]
    n_correct = sum(1 for option in options if option.correct)
    score = clamp_score(max(0.0, (len(right) - len(wrong)) / n_correct))
    missed = n_correct - len(right)
    details: dict[str, Any] = {
        "right": right,
        "wrong": wrong,
        "missed_count": missed,
        "choice_feedback": {key: by_key[key].feedback for key in choices if by_key[key].feedback},
    }
    if score >= 1.0:
        details["expected"] = sorted(right)
        summary = f"You picked all {n_correct} right options and no wrong one"
    else:
        options_word = "option" if n_correct == 1 else "options"
        wrong_part = f" and {len(wrong)} wrong {'one' if len(wrong) == 1 else 'ones'}"
        summary = (
            f"You picked {len(right)} of the {n_correct} right {options_word}"
            f"{wrong_part if wrong else ''}"
        )
    notes = [by_key[key].feedback for key in wrong if by_key[key].feedback]
    return Grade(score, verdict_for(score), _feedback(summary, *notes[:2]), details)


# --- numbers ----------------------------------------------------------------------------------


def _error(value: float, expected: float, relative: bool) -> float:
    """Absolute error, or relative error when ``relative`` (absolute when expected is 0)."""
    difference = abs(value - expected)
    if relative and expected != 0:
        return difference / abs(expected)
    return difference


def _within(value: float, expected: float, tolerance: float, relative: bool) -> bool:
    # A little slack for the binary representation of decimal input (0.1 + 0.2).
    return _error(value, expected, relative) <= tolerance * (1 + 1e-9) + 1e-12


def _miss(value: float, expected: float, tolerance: float, relative: bool, unit: str = "") -> str:
    """What is wrong with a value outside the tolerance, without giving the answer away."""
    if expected != 0 and _within(-value, expected, tolerance, relative):
        return f"{value:g}{unit} has the wrong sign"
    return f"{value:g}{unit} is too {'high' if value > expected else 'low'}"


def _grade_numeric(config: Mapping[str, Any], value: float) -> Grade:
    parsed = parse_numeric(config)
    unit = f" {parsed.unit}" if parsed.unit else ""
    details: dict[str, Any] = {"value": value, "unit": parsed.unit}
    if _within(value, parsed.answer, parsed.tolerance, parsed.relative):
        details.update(within_tolerance=True, expected=parsed.answer)
        return Grade(1.0, "correct", _feedback(f"{value:g}{unit} is right"), details)
    direction = "high" if value > parsed.answer else "low"
    details.update(within_tolerance=False, direction=direction)
    if parsed.partial_tolerance is not None and _within(
        value, parsed.answer, parsed.partial_tolerance, parsed.relative
    ):
        score = clamp_score(parsed.partial_score)
        return Grade(
            score,
            verdict_for(score),
            _feedback(
                f"{value:g}{unit} is close but a little too {direction}",
                "check your rounding and carry more decimals through the calculation",
            ),
            details,
        )
    miss = _miss(value, parsed.answer, parsed.tolerance, parsed.relative, unit)
    return Grade(0.0, "incorrect", _feedback(miss), details)


def _grade_parametrized(
    config: Mapping[str, Any], response: Mapping[str, Any], variant: Variant
) -> Grade:
    relative = bool(config.get("relative", False))
    tolerance = float(variant.tolerance)
    hint = template_hint(config)
    expected = variant.answer
    if expects_vector(config) or isinstance(expected, list):
        if not isinstance(expected, list) or "values" not in response:
            raise ValueError("the variant's answer does not match the question's template")
        values: list[float] = response["values"]  # as many as expected: validate_response
        hits = [
            _within(v, float(e), tolerance, relative) for v, e in zip(values, expected, strict=True)
        ]
        score = clamp_score(sum(hits) / len(hits))
        details: dict[str, Any] = {
            "values": values,
            "within_tolerance": hits,
            "correct_count": sum(hits),
        }
        if all(hits):
            details["expected"] = [float(e) for e in expected]
            return Grade(1.0, "correct", _feedback("Every probability is right"), details)
        total = sum(values)
        notes = [f"{sum(hits)} of the {len(hits)} probabilities are right", hint]
        if not math.isclose(total, 1.0, abs_tol=max(tolerance * len(values), 0.01)):
            notes[1] = f"your probabilities sum to {total:.3g}, but softmax outputs always sum to 1"
        return Grade(score, verdict_for(score), _feedback(*notes), details)
    if "value" not in response:
        raise ValueError("the response does not fit the question's template")
    value: float = response["value"]
    answer = float(expected)
    details = {"value": value}
    if _within(value, answer, tolerance, relative):
        details.update(within_tolerance=True, expected=answer)
        return Grade(1.0, "correct", _feedback(f"{value:g} is right"), details)
    direction = "high" if value > answer else "low"
    details.update(within_tolerance=False, direction=direction)
    miss = _miss(value, answer, tolerance, relative)
    return Grade(0.0, "incorrect", _feedback(miss, hint), details)


# --- free text --------------------------------------------------------------------------------

# What lowers the confidence of a free-text grading (see docs/questions.md, "Confidence").
_FUZZY_COST = 0.15  # a credited claim found only through a spelling slip
_INFERRED_COST = 0.1  # a credited claim whose subject came from an earlier clause
_MIXED_COST = 0.35  # a claim both stated and denied, or a concept next to its contradiction
_DENIED_COST = 0.15  # a required claim denied
_LIST_COST = 0.3  # rubric words listed without a claim
_DANGLING_COST = 0.1  # rubric subjects that nothing is said about, when nothing is credited
_LONG_CONTRADICTION_COST = 0.2  # a long answer holding a contradiction
_BORDER_COST = 0.2  # a score within 0.1 of the pass threshold
_LONG_ANSWER_TOKENS = 60


def _found_sentence(choice_correct: bool | None, found: list[Concept]) -> str:
    labels = _join_words([concept.label for concept in found])
    if choice_correct is None:
        if found:
            return f"You stated {labels}"
        return "Your answer does not state any of the key claims yet"
    if choice_correct:
        if found:
            return f"Your choice is right and you stated {labels}"
        return "Your choice is right, but your explanation does not state any of the key claims"
    if found:
        return f"Your choice is not the best one, although you stated {labels}"
    return "Your choice is not the best one, and your explanation does not state the key claims"


def _missing_sentence(missing: list[Concept]) -> str:
    if not missing:
        return ""
    phrases = [concept.missing or concept.label for concept in missing]
    if len(phrases) == 1:
        return f"Missing: {phrases[0]}"
    return "Missing: " + "; ".join(phrases)


def _wrong_sentence(contradictions: list[Contradiction], denied: list[Concept]) -> str:
    """The explanation of the costliest contradiction (details list every one), else the
    first denied claim."""
    if contradictions:
        worst = max(contradictions, key=lambda item: item.penalty)
        return worst.feedback or f"Careful: {worst.label}"
    if denied:
        return f"Careful: your answer denies {denied[0].label}"
    return ""


def _hits(claims: tuple[Claim, ...], found: TextClaims) -> tuple[list[ClaimHit], list[ClaimHit]]:
    stated = [hit for claim in claims for hit in found.stated(claim)]
    denied = [hit for claim in claims for hit in found.denied(claim)]
    return stated, denied


def _confidence(
    *,
    found: TextClaims,
    credited: list[ClaimHit],
    mixed: int,
    denied: int,
    contradictions: int,
    score: float,
    threshold: float,
) -> float:
    """How sure the grading is, from 1 down: each doubtful sign costs a fixed amount."""
    confidence = 1.0
    confidence -= _FUZZY_COST * min(2, sum(hit.fuzzy for hit in credited))
    confidence -= _INFERRED_COST * min(2, sum(hit.inferred_subject for hit in credited))
    confidence -= _MIXED_COST * min(2, mixed)
    confidence -= _DENIED_COST * min(2, denied)
    if found.list_clauses:
        confidence -= _LIST_COST
    if not credited and found.dangling_subjects:
        confidence -= _DANGLING_COST
    if contradictions and found.token_count > _LONG_ANSWER_TOKENS:
        confidence -= _LONG_CONTRADICTION_COST
    if abs(score - threshold) < 0.1:
        confidence -= _BORDER_COST
    return round(min(1.0, max(0.0, confidence)), 2)


def _grade_free_text(config: Mapping[str, Any], response: Mapping[str, Any]) -> Grade:
    parsed = parse_free_text(config)
    all_claims = tuple(claim for item in parsed.concepts for claim in item.claims) + tuple(
        claim for item in parsed.contradictions for claim in item.claims
    )
    found = analyse(
        response["text"],
        all_claims,
        helpers=parsed.helpers,
        vocabulary_words=parsed.known,
    )

    choice_correct: bool | None = None
    choice_score = 0.0
    choice_feedback = ""
    if parsed.choices:
        picked = next(option for option in parsed.choices if option.key == response["choice"])
        choice_correct = picked.correct
        choice_feedback = picked.feedback
        choice_score = parsed.choice_weight if picked.correct else 0.0

    credited: list[ClaimHit] = []
    found_concepts: list[Concept] = []
    denied_concepts: list[Concept] = []
    mixed = 0
    for concept in parsed.concepts:
        stated, denied = _hits(concept.claims, found)
        if stated:
            found_concepts.append(concept)
            credited.append(stated[0])
            mixed += bool(denied)
        elif denied:
            denied_concepts.append(concept)
    contradictions: list[Contradiction] = []
    concept_hits = [hit for concept in parsed.concepts for hit in _hits(concept.claims, found)[0]]
    for item in parsed.contradictions:
        stated, _ = _hits(item.claims, found)
        if any(not excused(hit, found, concept_hits) for hit in stated):
            contradictions.append(item)
    mixed += min(len(contradictions), len(found_concepts))

    missing = [c for c in parsed.concepts if c not in found_concepts]
    total_weight = sum(concept.weight for concept in parsed.concepts)
    text_share = 1.0 - parsed.choice_weight
    text_score = text_share * sum(c.weight for c in found_concepts) / total_weight
    # Denying a required claim is as wrong as stating it is right.
    denial = text_share * sum(c.weight for c in denied_concepts) / total_weight
    penalty = sum(item.penalty for item in contradictions) + denial
    # A denied claim costs the explanation its share, never a right choice its share; a
    # stated contradiction costs the answer as a whole. An explanation that argues for a
    # wrong choice earns nothing.
    explained = max(0.0, text_score - denial)
    if choice_correct is False and penalty > 0:
        explained = 0.0
    score = clamp_score(choice_score + explained - sum(item.penalty for item in contradictions))

    details: dict[str, Any] = {
        "found": [concept.label for concept in found_concepts],
        "missing": [concept.label for concept in missing],
        "contradictions": [item.label for item in contradictions],
        "denied": [concept.label for concept in denied_concepts],
        "claims": [{"claim": hit.claim.says, "evidence": hit.evidence} for hit in credited],
        "choice_correct": choice_correct,
        "choice_score": round(choice_score, 4),
        "text_score": round(text_score, 4),
        "penalty": round(penalty, 4),
    }
    if choice_feedback:
        details["choice_feedback"] = choice_feedback
    feedback = _feedback(
        _found_sentence(choice_correct, found_concepts),
        _missing_sentence(missing),
        _wrong_sentence(contradictions, denied_concepts),
    )
    verdict = verdict_for(score, parsed.pass_threshold)
    if verdict == "correct" and (choice_correct is False or contradictions or denied_concepts):
        # A wrong choice is a wrong answer, however good the explanation, and an answer that
        # also states something wrong is never "correct" (nor earns the model answer).
        verdict = "partial"
    confidence = _confidence(
        found=found,
        credited=credited,
        mixed=mixed,
        denied=len(denied_concepts),
        contradictions=len(contradictions),
        score=score,
        threshold=parsed.pass_threshold,
    )
    return Grade(score, verdict, feedback, details, confidence=confidence)


# --- entry point ------------------------------------------------------------------------------


def grade(
    kind: str,
    config: Mapping[str, Any],
    response: Mapping[str, Any],
    *,
    variant: Variant | None = None,
) -> Grade:
    """Grade ``response`` to a question of ``kind`` with ``config``.

    The response is validated first, against the variant too (``AnswerError`` when it does
    not fit; ``ConfigError`` when the config is broken), so raw client input is safe here.
    A parametrized question needs the student's ``variant``; other kinds take none.
    """
    cleaned = validate_response(kind, config, response, variant=variant)
    if kind == "parametrized":
        if variant is None:
            raise ValueError("a parametrized question is graded against the student's variant")
        return _grade_parametrized(config, cleaned, variant)
    if variant is not None:
        raise ValueError(f"a {kind} question has no variants")
    if kind == "single_choice":
        return _grade_single(parse_choices(kind, config), cleaned["choice"])
    if kind == "multiple_choice":
        return _grade_multiple(parse_choices(kind, config), cleaned["choices"])
    if kind == "numeric":
        return _grade_numeric(config, cleaned["value"])
    return _grade_free_text(config, cleaned)
