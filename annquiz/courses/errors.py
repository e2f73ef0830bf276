"""Why an answer is refused, each with the HTTP status the API answers with; and why course
content cannot be stored (a loader error, not an HTTP one).

An answer with no attempts left raises ``core.errors.AttemptsExhausted`` (409, field
``"question"``), the error coding tasks raise too.
"""

from __future__ import annotations

from typing import Any

from annquiz.core.errors import ServiceError


class InvalidAnswer(ServiceError):
    """The response does not fit the question (400); ``field`` names the part of the
    response that is wrong (``"choice"``, ``"choices[1]"``), or ``"variant"``."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message, field=field)

    @property
    def request_field(self) -> str:
        """The field as the answer's request body names it: ``response.choice``."""
        field = self.field or "response"
        if field == "variant" or field == "response" or field.startswith("response."):
            return field
        return f"response.{field}"

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class QuestionInactive(ServiceError):
    """The question was removed from the course (404)."""

    status_code = 404
    field = "question"


class VariantMismatch(ServiceError):
    """The variant belongs to another student (403)."""

    status_code = 403
    field = "variant"


class AnswerConflict(ServiceError):
    """Another answer to the same question was stored at the same moment (409 Conflict)."""

    status_code = 409
    field = "question"


class ContentInvalid(Exception):
    """Parsed course content that cannot be stored; the message starts with "path:line: "."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class QuestionEditInvalid(ServiceError):
    """An edit of a question that cannot be stored (400): ``field`` names the part of the
    edit that is wrong (``"prompt"``, ``"hints[1]"``, ``"config.rubric.concepts[0].weight"``)."""

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class QuestionEditConflict(ServiceError):
    """The question changed since the edit was opened (409): saving would undo that change
    unseen. ``current`` is the question's update time now."""

    status_code = 409
    field = "base"

    def __init__(self, message: str, *, current: str) -> None:
        super().__init__(message)
        self.current = current


class TableTestFailed(ServiceError):
    """An edit whose rubric grades some test answers otherwise than they expect (422):
    ``failures`` lists each of them and what it got; nothing was stored."""

    status_code = 422
    field = "test_answers"

    def __init__(self, failures: list[Any]) -> None:
        count = len(failures)
        super().__init__(
            f"{count} test answer{'s' if count != 1 else ''} did not get the expected verdict "
            "with the edited question; nothing was saved"
        )
        self.failures = failures
