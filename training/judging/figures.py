"""The figures a verdict's pages show, computed once, when the verdict is made.

A verdict (``Judgement.to_dict()``) names its representative seed (``representative``, an
index into ``seeds``) and gives each seed a ``best_epoch`` (1-based). Early stopping decides
the best epoch of the runs that use it; a run without early stopping has none of its own, so
the epoch of the lowest validation loss stands in: the epoch the curves mark as best. A run
without validation loss has no best epoch (``None``).

``with_figures`` fills both in. The judge calls it on every verdict it makes, and a data
migration of ``annquiz.coding`` on the verdicts stored before, so the pages (templates and
scripts alike) only read the figures and never work them out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any


def lowest_validation_epoch(history: Mapping[str, Sequence[float | None]]) -> int | None:
    """The 1-based epoch of the lowest finite ``val_loss`` (the first one on a tie)."""
    finite = [
        (value, index)
        for index, value in enumerate(history.get("val_loss", []))
        if value is not None and math.isfinite(value)
    ]
    return min(finite)[1] + 1 if finite else None


def best_epoch(seed: Mapping[str, Any]) -> int | None:
    """The seed's own ``best_epoch`` if early stopping set one, else its lowest validation
    loss's epoch."""
    own = seed.get("best_epoch")
    if own:
        return int(own)
    history: Mapping[str, Sequence[float | None]] = seed.get("history") or {}
    return lowest_validation_epoch(history)


def representative_index(result: Mapping[str, Any]) -> int:
    """The verdict's ``representative`` when it names one of its seeds, else the first seed."""
    index = result.get("representative")
    seeds: Sequence[Any] = result.get("seeds") or []
    if isinstance(index, int) and not isinstance(index, bool) and 0 <= index < len(seeds):
        return index
    return 0


def with_figures(result: Mapping[str, Any]) -> dict[str, Any]:
    """``result`` with ``representative`` within its seeds and every seed's ``best_epoch``
    filled in; the rest is left as it is (a copy: ``result`` is not changed)."""
    seeds = [{**seed, "best_epoch": best_epoch(seed)} for seed in result.get("seeds") or []]
    return {**result, "seeds": seeds, "representative": representative_index(result)}
