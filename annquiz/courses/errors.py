"""Domain errors raised by the courses services; the API maps each to one HTTP status."""

from __future__ import annotations


class CourseError(Exception):
    """Base class: ``field`` names the part of the request that is wrong (or None)."""

    field: str | None = None

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidAnswer(CourseError):
    """The response does not fit the question (HTTP 400)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class QuestionInactive(CourseError):
    """The question was removed from the course (HTTP 404)."""

    field = "question"


class VariantMismatch(CourseError):
    """The variant belongs to another student (HTTP 403)."""

    field = "variant"


class AttemptsExhausted(CourseError):
    """Every attempt allowed on the question is used (HTTP 409 Conflict)."""

    field = "question"

    def __init__(self, message: str, *, max_attempts: int) -> None:
        super().__init__(message)
        self.max_attempts = max_attempts


class AnswerConflict(CourseError):
    """Another answer to the same question was stored at the same moment (HTTP 409)."""

    field = "question"


class ContentInvalid(CourseError):
    """Parsed course content that cannot be stored; the message starts with "path:line: "."""
