"""Central-difference gradient checks in float64 with a relative-error criterion."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def numerical_gradient(f: Callable[[], float], x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """d f / d x by central differences, perturbing ``x`` in place (restored afterwards)."""
    grad = np.zeros_like(x)
    flat_x = x.reshape(-1)
    flat_g = grad.reshape(-1)
    for i in range(flat_x.size):
        old = flat_x[i]
        flat_x[i] = old + h
        plus = f()
        flat_x[i] = old - h
        minus = f()
        flat_x[i] = old
        flat_g[i] = (plus - minus) / (2 * h)
    return grad


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """Largest elementwise ``|a - n| / (|a| + |n|)`` (cs231n's criterion).

    The denominator is floored at 1e-3 of the largest magnitude (and 1e-8), so elements
    thousands of times smaller than the rest, whose differences are dominated by rounding
    noise, are judged against the gradient's scale instead of their own.
    """
    num = np.abs(analytic - numeric)
    mag = np.abs(analytic) + np.abs(numeric)
    den = np.maximum(mag, max(1e-3 * float(mag.max(initial=0.0)), 1e-8))
    return float(np.max(num / den))
