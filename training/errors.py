"""Errors raised by the training core.

Every error names *where* the problem is (a JSON path such as ``layers[2].units`` or a
line of a Keras snippet) and *why*, in one sentence a student can act on.
"""

from __future__ import annotations


class TrainingError(Exception):
    """Base class of every error the training core raises on purpose."""


class SpecError(TrainingError):
    """A spec field is missing, malformed, or out of bounds.

    ``path`` is the dotted/indexed location in the JSON spec (``"layers[0].units"``), or
    ``"line 4"`` for a Keras snippet; ``reason`` says what is wrong.
    """

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}" if path else reason)


class LimitExceeded(SpecError):
    """The spec is valid but would cost more than the configured limits allow."""


class UnsupportedByBackend(TrainingError):
    """The chosen backend cannot train a layer or feature of this spec."""


class DataError(TrainingError):
    """Training data is missing, malformed, or does not fit the spec."""
