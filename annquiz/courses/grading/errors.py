"""The two ways grading input can be wrong: a broken question config, a bad student response."""

from __future__ import annotations


class ConfigError(ValueError):
    """A question's ``config`` is broken.

    ``path`` locates the problem inside the config (``"rubric.concepts[2].weight"``; empty for
    the config as a whole) and ``message`` says what is wrong with it.
    """

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}" if path else message)


class AnswerError(ValueError):
    """A student's response does not fit the question (the API answers HTTP 400).

    ``field`` names the response field at fault (``"choice"``, ``"values[2]"``, or
    ``"response"`` for the response as a whole) and ``message`` says what is wrong.
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")
