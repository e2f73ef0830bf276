"""Why joining an offering is refused, each with the HTTP status the pages and API answer."""

from __future__ import annotations

from annquiz.core.errors import ServiceError


class UnknownJoinCode(ServiceError):
    """No offering has the code typed (400, field ``code``)."""

    field = "code"


class JoinClosed(ServiceError):
    """The offering takes no one with its code any more (403, field ``code``)."""

    status_code = 403
    field = "code"


class InvitationInvalid(ServiceError):
    """The invitation link is unknown, expired or used up (404)."""

    status_code = 404
    field = "token"


class AlreadyStudying(ServiceError):
    """The user already takes the same content as a student in another offering (409)."""

    status_code = 409
    field = "code"


class GroupInvalid(ServiceError):
    """A group name that cannot be stored, or a student who is not one of the course's
    (400, field ``group-<user id>``)."""
