"""Why a grading policy is refused (400, naming the field)."""

from __future__ import annotations

from annquiz.core.errors import ServiceError


class PolicyInvalid(ServiceError):
    """A grading policy that cannot be stored; ``field`` names the form field."""
