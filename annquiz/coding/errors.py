"""Why a submission is refused; each error carries the HTTP status the API answers with.

A submission with no attempts left raises ``core.errors.AttemptsExhausted`` (409, field
``"task"``), the error quiz answers raise too.
"""

from __future__ import annotations

import math

from annquiz.core.errors import ServiceError


class InvalidSubmission(ServiceError):
    """The spec or snippet is malformed, breaks the task's rules or costs too much (400)."""


class TaskClosed(ServiceError):
    """The task takes no new submissions (400)."""

    field = "task"


class IdempotencyKeyReused(ServiceError):
    """The Idempotency-Key was first used with another request body (409 Conflict)."""

    status_code = 409
    field = "Idempotency-Key"


class RateLimited(ServiceError):
    """Too many submissions in the window (429 with Retry-After)."""

    status_code = 429

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = max(1, math.ceil(retry_after))

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class TooManyActive(RateLimited):
    """The student already has the most submissions allowed waiting for or in judging
    (429 with Retry-After)."""


class TaskLocked(ServiceError):
    """The task opens once the student has earned the model answer of a lesson's checkpoint,
    which its rules give away (409 Conflict, like attempts used up: answering the checkpoint
    opens it). See ``annquiz.coding.gating``."""

    status_code = 409
    field = "task"


class InvalidRegrade(ServiceError):
    """A regrade asked for with a bad scope or student, or with nothing to judge (400)."""


class RegradeConflict(ServiceError):
    """The regrade cannot be done now: another run of the task is judging, or this run is
    not ready to apply (409 Conflict)."""

    status_code = 409
