"""Small validators of the spec's JSON: each returns the value or raises
`SpecError(path, reason)`, the reason written for a student."""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence
from typing import NoReturn, cast

from training.errors import SpecError
from training.validation import KEY_CHARS, as_mapping, check_known_keys, shorten

# Well-known misspellings or old Keras names whose right name difflib would not guess.
_FIELD_HINTS: dict[str, str] = {
    "lr": "learning_rate",
    "neurons": "units",
    "nodes": "units",
    "kernel": "kernel_size",
    "dropout": "rate",
    "regularizer": "kernel_regularizer",
    "bias": "use_bias",
    "callbacks": "early_stopping",
}

# Whole numbers above this are rejected outright (the cost limits are far smaller); it keeps
# every later computation on ordinary floats.
_MAX_WHOLE_NUMBER = 1_000_000_000


def fail(path: str, reason: str) -> NoReturn:
    raise SpecError(path, reason)


def describe(value: object) -> str:
    """A short, safe rendering of a bad value for an error message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "a number that is not finite"
    if isinstance(value, int) and abs(value) > 10**36:
        return "a whole number far too large"
    if isinstance(value, (int, float, str)):
        text = repr(value)
        return text if len(text) <= 40 else text[:37] + "..."
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "a list"
    return f"a value of type {type(value).__name__}"


def one_of(options: Sequence[str]) -> str:
    return ", ".join(options)


def suggest(word: str, options: Sequence[str]) -> str:
    """``' (did you mean 'x'?)'`` for a near miss, else ``''``."""
    if len(word) > KEY_CHARS:
        return ""
    lowered = word.lower()
    hinted = _FIELD_HINTS.get(lowered)
    if hinted is not None and hinted in options:
        return f" (did you mean '{hinted}'?)"
    close = difflib.get_close_matches(lowered, list(options), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def as_object(value: object, path: str, what: str) -> dict[str, object]:
    obj = as_mapping(
        value,
        path,
        fail=fail,
        not_a_mapping=lambda bad: f"{what} must be a JSON object, got {describe(bad)}",
        key_not_text=lambda key: f"{what} has a key {describe(key)}; keys must be strings",
        kind=dict,
    )
    return cast(dict[str, object], obj)


def check_keys(obj: dict[str, object], path: str, allowed: Sequence[str], what: str) -> None:
    check_known_keys(
        obj,
        path,
        allowed,
        fail=fail,
        unknown=lambda key: (
            f"unknown field '{shorten(key, KEY_CHARS)}' for {what}{suggest(key, allowed)}; "
            f"allowed: {one_of(allowed)}"
        ),
    )


_NOT_FINITE = "is not a finite number (NaN, Infinity or too large); give an ordinary number"


def whole_number(value: object, path: str, *, minimum: int = 1) -> int:
    if isinstance(value, float) and not math.isfinite(value):
        fail(path, _NOT_FINITE)
    if isinstance(value, bool) or not isinstance(value, int):
        fail(path, f"must be a whole number, got {describe(value)}")
    if value < minimum:
        wanted = "a positive whole number" if minimum == 1 else f"at least {minimum}"
        fail(path, f"must be {wanted}, got {describe(value)}")
    if value > _MAX_WHOLE_NUMBER:
        fail(path, f"is far too large ({describe(value)}); it must be at most {_MAX_WHOLE_NUMBER}")
    return value


def number_in_range(
    value: object,
    path: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """A finite float in the given range (``*_open`` excludes that end)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        fail(path, f"must be a number, got {describe(value)}")
    try:
        number = float(value)
    except OverflowError:
        fail(path, "is far too large to be a number")
    if not math.isfinite(number):
        fail(path, _NOT_FINITE)
    too_low = low is not None and (number <= low if low_open else number < low)
    too_high = high is not None and (number >= high if high_open else number > high)
    if too_low or too_high:
        fail(path, f"must be {_range_text(low, high, low_open, high_open)}, got {number:g}")
    return number


def _range_text(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    if low is not None and high is not None:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        return f"in {left}{low:g}, {high:g}{right}"
    if low is not None:
        return f"{'greater than' if low_open else 'at least'} {low:g}"
    assert high is not None
    return f"{'less than' if high_open else 'at most'} {high:g}"


def boolean(value: object, path: str) -> bool:
    if not isinstance(value, bool):
        fail(path, f"must be true or false, got {describe(value)}")
    return value


def known_name(
    value: object,
    path: str,
    known: Sequence[str],
    what: str,
    aliases: dict[str, str] | None = None,
) -> str:
    """A name from ``known`` (case-insensitive, Keras aliases accepted)."""
    if not isinstance(value, str):
        fail(path, f"must be the name of {what} (a string), got {describe(value)}")
    name = value.strip().lower()
    if aliases:
        name = aliases.get(name, name)
    if name not in known:
        fail(
            path,
            f"unknown {what} {describe(value)}{suggest(name, known)}; known: {one_of(known)}",
        )
    return name


def int_pair(value: object, path: str) -> tuple[int, int]:
    """An int ``n`` (meaning ``(n, n)``) or a list of two positive ints."""
    if isinstance(value, (list, tuple)):
        if len(value) != 2:
            fail(path, f"must be one whole number or a list of two, got {len(value)} items")
        return (whole_number(value[0], f"{path}[0]"), whole_number(value[1], f"{path}[1]"))
    n = whole_number(value, path)
    return (n, n)
