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

    # Bounds that hold whatever a caller passes: the messages themselves quote at most about
    # 100 characters of the input (``training.validation.shorten``).
    MAX_PATH_CHARS = 200
    MAX_REASON_CHARS = 1_000

    def __init__(self, path: str, reason: str) -> None:
        self.path = _bounded(path, self.MAX_PATH_CHARS)
        self.reason = _bounded(reason, self.MAX_REASON_CHARS)
        super().__init__(f"{self.path}: {self.reason}" if self.path else self.reason)


def _bounded(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[: limit - 25]}… ({len(text):,} characters)"


class LimitExceeded(SpecError):
    """The spec is valid but would cost more than the configured limits allow."""


class UnsupportedByBackend(TrainingError):
    """The chosen backend cannot train a layer or feature of this spec."""


class DataError(TrainingError):
    """Training data is missing, malformed, or does not fit the spec."""
