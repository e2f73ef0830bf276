"""Template filters of the coding-task pages: figures, Keras shapes, the representative seed.

They mirror the formatting of ``static/coding/js/coding.js``, so a page reads the same whether
the server rendered it or the script updated it.
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
    """The seed whose curves stand for the submission, with ``best_epoch`` filled in.

    A run without early stopping has no ``best_epoch`` of its own; the epoch of the lowest
    validation loss stands in, as the plot marks it.
    """
    if not result or not result.get("seeds"):
        return None
    seeds = result["seeds"]
    index = result.get("representative") or 0
    seed = dict(seeds[index] if 0 <= index < len(seeds) else seeds[0])
    if not seed.get("best_epoch"):
        val_loss = seed.get("history", {}).get("val_loss", [])
        finite = [(v, i) for i, v in enumerate(val_loss) if v is not None and math.isfinite(v)]
        seed["best_epoch"] = min(finite)[1] + 1 if finite else None
    return seed


@register.filter
def main_check(result: dict[str, Any] | None) -> dict[str, Any] | None:
    """The first check of a verdict: the figure a list of submissions shows."""
    if not result or not result.get("checks"):
        return None
    first: dict[str, Any] = result["checks"][0]
    return first
