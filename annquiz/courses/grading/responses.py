"""Checking a student's response before it is graded or stored.

``validate_response`` returns the response in normal form (stripped text, numbers as floats)
or raises ``AnswerError(field, message)``; the API turns that into HTTP 400. Everything a
response must fit is checked here, the student's own variant included (a softmax vector has
one number per class of the student's logits), so that grading never meets a response it
cannot grade and a misfit is refused before anything is stored.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from annquiz.courses.grading.base import Variant
from annquiz.courses.grading.config import (
    ChoiceOption,
    parse_choices,
    parse_free_text,
    validate_config,
)
from annquiz.courses.grading.errors import AnswerError
from annquiz.courses.grading.variants import expects_vector

__all__ = ["MAX_TEXT_LENGTH", "MAX_VALUES", "validate_response"]

MAX_TEXT_LENGTH = 5000
MAX_NUMBER_TEXT = 64
MAX_VALUES = 32
MAX_CHOICE_KEY = 100

_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
# Characters allowed in free text besides printable ones: tab, line feed, carriage return.
_ALLOWED_CONTROLS = frozenset("\t\n\r")


def _fields(
    response: object, *, required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> Mapping[str, Any]:
    if not isinstance(response, Mapping):
        raise AnswerError("response", f"must be a JSON object, got {_type(response)}")
    for key in response:
        if not isinstance(key, str) or (key not in required and key not in optional):
            expected = ", ".join(repr(k) for k in (*required, *optional))
            raise AnswerError(str(key), f"is not a field of this answer; send only {expected}")
    for key in required:
        if key not in response:
            raise AnswerError(key, "is required")
    return response


def _type(value: object) -> str:
    names = {bool: "a boolean", str: "text", int: "a number", float: "a number", list: "a list"}
    if value is None:
        return "null"
    if isinstance(value, Mapping):
        return "an object"
    return names.get(type(value), type(value).__name__)


def _control_character(text: str) -> str | None:
    """The first disallowed character: NUL and other controls, lone surrogates, non-characters."""
    for char in text:
        if char in _ALLOWED_CONTROLS:
            continue
        category = unicodedata.category(char)
        if category in ("Cc", "Cs") or (category == "Cn" and _noncharacter(char)):
            return char
    return None


def _noncharacter(char: str) -> bool:
    code = ord(char)
    return 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE


def _choice(value: object, field: str, options: tuple[ChoiceOption, ...]) -> str:
    valid = ", ".join(option.key for option in options)
    if not isinstance(value, str):
        raise AnswerError(field, f"must be the key of a choice ({valid}), got {_type(value)}")
    key = value.strip()
    if not key:
        raise AnswerError(field, f"is empty; choose one of {valid}")
    if len(key) > MAX_CHOICE_KEY or key not in {option.key for option in options}:
        shown = key if len(key) <= 40 else key[:40] + "..."
        raise AnswerError(field, f"{shown!r} is not a choice of this question; valid: {valid}")
    return key


def _choices(value: object, options: tuple[ChoiceOption, ...]) -> list[str]:
    if not isinstance(value, list):
        raise AnswerError("choices", f"must be a list of choice keys, got {_type(value)}")
    if not value:
        raise AnswerError("choices", "is empty; choose at least one option")
    if len(value) > len(options):
        raise AnswerError(
            "choices", f"has {len(value)} items but the question has only {len(options)} choices"
        )
    keys: list[str] = []
    for index, item in enumerate(value):
        key = _choice(item, f"choices[{index}]", options)
        if key in keys:
            raise AnswerError(f"choices[{index}]", f"{key!r} is chosen twice")
        keys.append(key)
    return keys


def parse_number(value: object, field: str) -> float:
    """A finite float from a JSON number or a numeric string; booleans, NaN and inf refused."""
    if isinstance(value, bool):
        raise AnswerError(field, "must be a number, got a boolean")
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:  # a JSON integer with hundreds of digits
            raise AnswerError(field, "is not a finite number (it overflows a float)") from None
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise AnswerError(field, "is empty; enter a number")
        if len(text) > MAX_NUMBER_TEXT or not _NUMBER_RE.fullmatch(text):
            shown = text if len(text) <= 20 else text[:20] + "..."
            raise AnswerError(field, f"{shown!r} is not a number (write e.g. 0.731 or 1e-3)")
        number = float(text)
    else:
        raise AnswerError(field, f"must be a number, got {_type(value)}")
    if not math.isfinite(number):
        raise AnswerError(field, "must be a finite number (not NaN or infinity)")
    return number + 0.0


def _values(value: object, variant: Variant | None) -> list[float]:
    if not isinstance(value, list):
        raise AnswerError("values", f"must be a list of numbers, got {_type(value)}")
    if not value:
        raise AnswerError("values", "is empty; give one number per class")
    if len(value) > MAX_VALUES:
        raise AnswerError("values", f"has more than {MAX_VALUES} numbers")
    values = [parse_number(item, f"values[{index}]") for index, item in enumerate(value)]
    if variant is not None and isinstance(variant.answer, list):
        expected = len(variant.answer)
        if len(values) != expected:
            raise AnswerError(
                "values",
                f"expected exactly {expected} numbers, one per class in order; got {len(values)}",
            )
    return values


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise AnswerError("text", f"must be text, got {_type(value)}")
    if len(value) > MAX_TEXT_LENGTH:
        raise AnswerError(
            "text", f"is {len(value):,} characters long; the limit is {MAX_TEXT_LENGTH:,}"
        )
    bad = _control_character(value)
    if bad is not None:
        raise AnswerError(
            "text", f"contains the control or binary character U+{ord(bad):04X}; send plain text"
        )
    text = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise AnswerError("text", "is empty; explain your answer in a sentence or two")
    return text


def validate_response(
    kind: str, config: Mapping[str, Any], response: object, *, variant: Variant | None = None
) -> dict[str, Any]:
    """The response in normal form, or ``AnswerError(field, message)`` saying what is wrong.

    Shapes: single_choice ``{"choice": key}``; multiple_choice ``{"choices": [keys]}``;
    numeric ``{"value": number}``; free_text ``{"text": str}`` plus ``"choice"`` when the
    question has choices; parametrized ``{"value": number}`` or ``{"values": [numbers]}``
    (softmax's whole vector). Numbers may be sent as numeric strings. Given the student's
    ``variant`` of a parametrized question, the response must fit it too: a vector has exactly
    as many numbers as the variant's answer. Raises ConfigError when the config itself is
    broken.
    """
    validate_config(kind, config)
    if kind == "single_choice":
        fields = _fields(response, required=("choice",))
        return {"choice": _choice(fields["choice"], "choice", parse_choices(kind, config))}
    if kind == "multiple_choice":
        fields = _fields(response, required=("choices",))
        return {"choices": _choices(fields["choices"], parse_choices(kind, config))}
    if kind == "numeric":
        fields = _fields(response, required=("value",))
        return {"value": parse_number(fields["value"], "value")}
    if kind == "free_text":
        parsed = parse_free_text(config)
        if parsed.choices:
            fields = _fields(response, required=("choice", "text"))
            choice = _choice(fields["choice"], "choice", parsed.choices)
            return {"choice": choice, "text": _text(fields["text"])}
        fields = _fields(response, required=("text",))
        return {"text": _text(fields["text"])}
    if expects_vector(config):
        fields = _fields(response, required=("values",))
        return {"values": _values(fields["values"], variant)}
    fields = _fields(response, required=("value",))
    return {"value": parse_number(fields["value"], "value")}
