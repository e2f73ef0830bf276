"""Template filters of the coding-task pages: figures, Keras shapes, the representative seed.

``figure`` is the number format of these pages: the scripts show the verdict, the diagram
and the progress line as the server renders them and format no figure of their own (only the
plots' axis labels, which exist only in the browser). The verdict's figures (the
representative seed, its best epoch) come with the verdict: the filters only look them up.
"""

from __future__ import annotations

import math
from typing import Any

from django import template

register = template.Library()

BACKEND_LABELS = {"numpy": "NumPy", "tensorflow": "TensorFlow"}


@register.filter
def figure(value: Any) -> str:
    """At most 4 significant digits (``0.7857``, ``289``, ``1e-07``); "—" when missing."""
    if value is None or value == "" or isinstance(value, bool):
        return "—"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(number):
        return str(value)
    if number.is_integer() or abs(number) >= 1000:
        return f"{round(number):,}"
    return f"{number:.4g}"


@register.filter
def keras_shape(shape: Any) -> str:
    """An output shape as Keras prints it: ``[16]`` → ``(None, 16)``."""
    return "(" + ", ".join(["None", *(str(n) for n in (shape or []))]) + ")"


@register.filter
def backend_label(backend: str) -> str:
    return BACKEND_LABELS.get(backend, backend)


@register.filter
def representative_seed(result: dict[str, Any] | None) -> dict[str, Any] | None:
    """The seed the verdict names as representative: the one whose curves are shown.

    Its figures (``best_epoch`` included) come with the verdict
    (``training.judging.figures``); nothing is worked out here.
    """
    if not result or not result.get("seeds"):
        return None
    seed: dict[str, Any] = result["seeds"][result["representative"]]
    return seed


@register.filter
def main_check(result: dict[str, Any] | None) -> dict[str, Any] | None:
    """The first check of a verdict: the figure a list of submissions shows."""
    if not result or not result.get("checks"):
        return None
    first: dict[str, Any] = result["checks"][0]
    return first
