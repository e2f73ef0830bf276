"""Writes about offerings: the default offering of a content, joining, invitations.

Joining is idempotent: a member who joins again keeps their membership (and role). A user
takes one content as a student in one offering at most, so that their answers and
submissions, which belong to the content's questions and tasks, belong to one offering.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from annquiz.core.services import DEMO_INSTRUCTOR, DEMO_STUDENT
from annquiz.enrolment.codes import join_code_normalize
from annquiz.enrolment.errors import (
    AlreadyStudying,
    GroupInvalid,
    InvitationInvalid,
    JoinClosed,
    UnknownJoinCode,
)
from annquiz.enrolment.models import GROUP_MAX_LENGTH, Invitation, Membership, Offering, Role

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

    from annquiz.courses.models import Course


@dataclass(frozen=True)
class DefaultOffering:
    offering: Offering
    created: bool


def offering_ensure_default(*, course: Course) -> DefaultOffering:
    """The content's default offering (slug and title of the content), created when
    missing; an existing one keeps its title, code and settings."""
    offering, created = Offering.objects.get_or_create(
        slug=course.slug, defaults={"course": course, "title": course.title}
    )
    return DefaultOffering(offering, created)


@dataclass(frozen=True)
class Joined:
    membership: Membership
    created: bool  # False: the user was a member already (their role is kept)


def membership_add(*, user: AbstractBaseUser, offering: Offering, role: Role) -> Joined:
    """Make ``user`` a member of ``offering`` with ``role`` unless a member already.

    Raises ``AlreadyStudying`` (409) when joining as a student while a student of another
    offering of the same content.
    """
    existing = Membership.objects.filter(user_id=user.pk, offering=offering).first()
    if existing is not None:
        return Joined(existing, created=False)
    if role == Role.STUDENT:
        elsewhere = (
            Membership.objects.filter(
                user_id=user.pk, role=Role.STUDENT, offering__course_id=offering.course_id
            )
            .select_related("offering")
            .first()
        )
        if elsewhere is not None:
            raise AlreadyStudying(
                f"you already take this course as a student in {elsewhere.offering.title!r}; "
                "ask its instructor to move you"
            )
    try:
        with transaction.atomic():
            membership = Membership.objects.create(user_id=user.pk, offering=offering, role=role)
    except IntegrityError:
        # The same join sent twice at once: the first one made the membership.
        return Joined(Membership.objects.get(user_id=user.pk, offering=offering), created=False)
    return Joined(membership, created=True)


def offering_join_by_code(
    *, user: AbstractBaseUser, code: str, now: datetime | None = None
) -> Joined:
    """Join the offering whose join code is ``code`` as a student.

    Raises ``UnknownJoinCode`` (400), ``JoinClosed`` (403), ``AlreadyStudying`` (409).
    """
    normalized = join_code_normalize(code)
    if not normalized:
        raise UnknownJoinCode("type the course code your instructor gave you")
    offering = Offering.objects.filter(join_code=normalized).first()
    if offering is None:
        raise UnknownJoinCode(f"no course has the code {normalized!r}; check it and try again")
    if Membership.objects.filter(user_id=user.pk, offering=offering).exists():
        return membership_add(user=user, offering=offering, role=Role.STUDENT)
    if not offering.takes_joins_by_code(now=now):
        raise JoinClosed(f"{offering.title!r} takes no new students with its code")
    return membership_add(user=user, offering=offering, role=Role.STUDENT)


def invitation_accept(*, user: AbstractBaseUser, token: str, now: datetime | None = None) -> Joined:
    """Join through the invitation ``token`` with the invitation's role; one use counted
    per new member. Raises ``InvitationInvalid`` (404: unknown, expired or used up; the same
    message for all three) and ``AlreadyStudying`` (409)."""
    moment = now or timezone.now()
    invalid = InvitationInvalid("this invitation link is not valid (any more)")
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .select_related("offering")
            .filter(token=token)
            .first()
        )
        if invitation is None:
            raise invalid
        member = Membership.objects.filter(user_id=user.pk, offering=invitation.offering).first()
        if member is not None:
            return Joined(member, created=False)
        if invitation.expires_at is not None and moment >= invitation.expires_at:
            raise invalid
        if invitation.max_uses is not None and invitation.uses >= invitation.max_uses:
            raise invalid
        joined = membership_add(user=user, offering=invitation.offering, role=Role(invitation.role))
        if joined.created:
            invitation.uses += 1
            invitation.save(update_fields=["uses"])
        return joined


def student_groups_set(*, offering: Offering, groups: Mapping[int, str]) -> int:
    """Put the offering's students in groups: ``groups`` maps a student's user id to a group
    name (surrounding spaces dropped; empty: in no group). All or nothing: raises
    ``GroupInvalid`` (400) naming the first bad entry before anything is written. Returns
    how many memberships changed."""
    cleaned: dict[int, str] = {}
    for user_id, name in groups.items():
        group = " ".join(name.split())
        if len(group) > GROUP_MAX_LENGTH:
            raise GroupInvalid(
                f"a group name has at most {GROUP_MAX_LENGTH} characters", field=f"group-{user_id}"
            )
        cleaned[user_id] = group
    with transaction.atomic():
        memberships = list(
            Membership.objects.select_for_update().filter(
                offering_id=offering.pk, role=Role.STUDENT, user_id__in=list(cleaned)
            )
        )
        unknown = set(cleaned) - {m.user_id for m in memberships}
        if unknown:
            first = min(unknown)
            raise GroupInvalid(
                f"user {first} is not a student of this course", field=f"group-{first}"
            )
        changed = [m for m in memberships if m.group != cleaned[m.user_id]]
        for membership in changed:
            membership.group = cleaned[membership.user_id]
        Membership.objects.bulk_update(changed, ["group"])
    return len(changed)


def demo_users_enrol() -> list[Offering]:
    """Enrol the demo accounts (``core.services.demo_users_ensure``) in every content's
    default offering: the demo instructor as its instructor, the demo student as its student.
    Returns those offerings; safe to run any number of times."""
    users = {
        user.get_username(): user
        for user in get_user_model().objects.filter(username__in=[DEMO_INSTRUCTOR, DEMO_STUDENT])
    }
    offerings = list(
        Offering.objects.filter(slug=F("course__slug")).select_related("course").order_by("slug")
    )
    for offering in offerings:
        for username, role in ((DEMO_INSTRUCTOR, Role.INSTRUCTOR), (DEMO_STUDENT, Role.STUDENT)):
            if username in users:
                membership_add(user=users[username], offering=offering, role=role)
    return offerings
