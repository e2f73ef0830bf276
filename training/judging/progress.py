"""The progress a running submission shows, from the epochs each seed has trained so far."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from training.backends import get_backend

__all__ = ["training_progress"]


def training_progress(
    epochs_done: Mapping[int, int], *, n_seeds: int, epochs: int, backend: str
) -> dict[str, Any]:
    """The progress report: `epoch` of `epochs` on seed `seed_index + 1` of `n_seeds`,
    `together` when `backend` trains the seeds in one pass (`Backend.trains_seeds_together`),
    and `fraction` of the whole training done.

    `epochs_done` maps each seed that has started, in the order they started, to the number
    of epochs it has finished.
    """
    if not epochs_done:
        return {
            "seed_index": 0,
            "n_seeds": n_seeds,
            "epoch": 0,
            "epochs": epochs,
            "together": False,
            "fraction": 0.0,
        }
    done = sum(min(count, epochs) for count in epochs_done.values())
    started = list(epochs_done)
    return {
        "seed_index": len(started) - 1,
        "n_seeds": n_seeds,
        "epoch": epochs_done[started[-1]],
        "epochs": epochs,
        "together": get_backend(backend).trains_seeds_together,
        "fraction": round(done / max(1, n_seeds * epochs), 4),
    }
