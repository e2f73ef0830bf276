"""Why a dispute or a decision on a grade is refused, each with its HTTP status."""

from __future__ import annotations

from annquiz.core.errors import ServiceError


class ReviewInvalid(ServiceError):
    """Bad input (400); ``field`` names it: ``reason``, ``comment``, ``score``, ``verdict``,
    ``decision``."""


class DisputeAlreadyOpen(ServiceError):
    """The answer or submission already has an open dispute (409 Conflict)."""

    status_code = 409
    field = "dispute"


class NotGradedYet(ServiceError):
    """The submission is still waiting or running, or has no grade to confirm (409)."""

    status_code = 409
    field = "grade"
