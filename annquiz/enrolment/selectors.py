"""Who may read what: a user's offerings and their role in each.

The rules (docs/courses.md): a member of an offering (student or instructor) reads its
content; a student reads their own answers and submissions, an instructor those made in the
offerings they teach; staff (``is_staff`` or superuser) read everything. Anything else is a
404 that reads exactly like the 404 of something missing: the getters raise the same
``Http404`` for both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import (
    Case,
    DateTimeField,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.http import Http404
from django.utils import timezone

from annquiz.enrolment.models import (
    Invitation,
    LessonDeadline,
    Membership,
    Offering,
    Role,
    TaskSettings,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    AnyUser = AbstractBaseUser | AnonymousUser


def is_staff(user: AnyUser) -> bool:
    """Staff (``is_staff``) and superusers read every offering and everyone's work."""
    return bool(
        user.is_authenticated
        and (getattr(user, "is_staff", False) or getattr(user, "is_superuser", False))
    )


def role_in(*, user: AnyUser, offering: Offering) -> Role | None:
    """``user``'s role in ``offering``, or None when not a member (staff included: staff
    read everything without being members, see ``is_staff``)."""
    if not user.is_authenticated:
        return None
    role = (
        Membership.objects.filter(user_id=user.pk, offering_id=offering.pk)
        .values_list("role", flat=True)
        .first()
    )
    return Role(role) if role is not None else None


def may_teach(*, user: AnyUser, offering_id: int | None) -> bool:
    """True for staff and for an instructor of the offering: they read its students' work."""
    if is_staff(user):
        return True
    if not user.is_authenticated or offering_id is None:
        return False
    return Membership.objects.filter(
        user_id=user.pk, offering_id=offering_id, role=Role.INSTRUCTOR
    ).exists()


def offering_list_for_user(*, user: AnyUser) -> QuerySet[Offering]:
    """The offerings ``user`` belongs to (every offering for staff; none for anonymous),
    with their content, by title."""
    offerings = Offering.objects.select_related("course").order_by("title", "id")
    if not user.is_authenticated:
        return offerings.none()
    if is_staff(user):
        return offerings
    return offerings.filter(memberships__user_id=user.pk)


def has_memberships(*, user: AnyUser) -> bool:
    return user.is_authenticated and Membership.objects.filter(user_id=user.pk).exists()


def offering_get_for_user(*, user: AnyUser, slug: str) -> Offering:
    """The offering called ``slug`` if ``user`` may read it; else the 404 of a missing one."""
    offering = offering_list_for_user(user=user).filter(slug=slug).first()
    if offering is None:
        raise Http404(f"no course {slug!r}")
    return offering


def readable_course_ids(*, user: AnyUser) -> QuerySet[Offering, int] | None:
    """The ids of the contents ``user`` reads through an offering (``values_list`` for a
    subquery), or None for staff, who read every content."""
    if is_staff(user):
        return None
    return offering_list_for_user(user=user).values_list("course_id", flat=True)


@dataclass(frozen=True)
class WorkPlace:
    """Where a user's work on a content belongs, and the deadline there of one lesson."""

    offering: Offering
    lesson_due_at: datetime | None


def offering_for_content(*, user: AnyUser, course_id: int | None) -> Offering | None:
    """The offering in which ``user`` works on the content ``course_id``: where answers and
    submissions made outside a course's own URL (the task pages, the question API) belong.

    A user takes a content as a student in one offering at most (``services`` refuses a
    second); an instructor of several offerings of it works in the oldest; staff who are no
    member work in the content's default offering (slug = the content's slug), else its
    oldest. None when ``user`` reads the content through no offering.
    """
    place = work_place_for_content(user=user, course_id=course_id)
    return place.offering if place is not None else None


def _student_first() -> Case:
    return Case(When(role=Role.STUDENT, then=Value(0)), default=1, output_field=IntegerField())


def member_offering_id(*, user_id: int, course_id: int | OuterRef) -> Subquery:
    """A subquery: the offering in which the member ``user_id`` works on the content
    ``course_id`` (as a student if they are one, else the oldest they teach); NULL for a
    user who is no member of any offering of it."""
    memberships = (
        Membership.objects.filter(user_id=user_id, offering__course_id=course_id)
        .annotate(rank=_student_first())
        .order_by("rank", "offering_id")
    )
    return Subquery(memberships.values("offering_id")[:1])


def lesson_due_at_subquery(*, offering_id: OuterRef, lesson_id: int | OuterRef) -> Subquery:
    """A subquery: the offering's deadline of the lesson (NULL without one)."""
    deadlines = LessonDeadline.objects.filter(offering_id=offering_id, lesson_id=lesson_id)
    return Subquery(deadlines.values("due_at")[:1])


def work_place_for_content(
    *, user: AnyUser, course_id: int | None, lesson_id: int | None = None
) -> WorkPlace | None:
    """``offering_for_content`` and, in the same query, that offering's deadline of the
    lesson ``lesson_id`` (None without one)."""
    if not user.is_authenticated or course_id is None:
        return None

    def due_at(offering: OuterRef) -> Subquery | Value:
        if lesson_id is None:
            return Value(None, output_field=DateTimeField())
        return lesson_due_at_subquery(offering_id=offering, lesson_id=lesson_id)

    memberships = (
        Membership.objects.filter(user_id=user.pk, offering__course_id=course_id)
        .select_related("offering", "offering__course")
        .annotate(rank=_student_first(), lesson_due_at=due_at(OuterRef("offering_id")))
        .order_by("rank", "offering_id")
    )
    membership = memberships.first()
    if membership is not None:
        return WorkPlace(membership.offering, membership.lesson_due_at)
    if not is_staff(user):
        return None
    offering = (
        Offering.objects.filter(course_id=course_id)
        .select_related("course")
        .annotate(
            rank=Case(
                When(slug=F("course__slug"), then=Value(0)), default=1, output_field=IntegerField()
            ),
            lesson_due_at=due_at(OuterRef("pk")),
        )
        .order_by("rank", "id")
        .first()
    )
    return WorkPlace(offering, offering.lesson_due_at) if offering is not None else None


def offering_groups(*, offering_id: int) -> list[str]:
    """The names of the offering's student groups, sorted (students in no group left out)."""
    return list(
        Membership.objects.filter(offering_id=offering_id, role=Role.STUDENT)
        .exclude(group="")
        .order_by("group")
        .values_list("group", flat=True)
        .distinct()
    )


def student_group(*, offering_id: int, user_id: int) -> str:
    """The student's group in the offering ("" for none, or for no student)."""
    found = (
        Membership.objects.filter(offering_id=offering_id, user_id=user_id, role=Role.STUDENT)
        .values_list("group", flat=True)
        .first()
    )
    return found or ""


def group_member_ids(*, offering_id: int, group: str) -> QuerySet[Membership, int]:
    """The user ids of the offering's students in ``group`` (``values_list`` for a
    subquery)."""
    return Membership.objects.filter(
        offering_id=offering_id, role=Role.STUDENT, group=group
    ).values_list("user_id", flat=True)


def student_memberships(*, offering_id: int) -> QuerySet[Membership]:
    """The offering's student memberships with their users, by group then name."""
    return (
        Membership.objects.filter(offering_id=offering_id, role=Role.STUDENT)
        .select_related("user")
        .order_by("group", "user__last_name", "user__first_name", "user__username")
    )


def work_place_in(*, offering: Offering, lesson_id: int) -> WorkPlace:
    """``offering`` (already checked as the user's) with its deadline of the lesson."""
    return WorkPlace(offering, lesson_due_at(offering_id=offering.pk, lesson_id=lesson_id))


def lesson_due_at(*, offering_id: int, lesson_id: int) -> datetime | None:
    """The offering's deadline of the lesson, if it set one."""
    return (
        LessonDeadline.objects.filter(offering_id=offering_id, lesson_id=lesson_id)
        .values_list("due_at", flat=True)
        .first()
    )


def task_settings_of(*, offering_id: int | None, task_id: int) -> TaskSettings | None:
    """The offering's settings of the task, if it has any."""
    if offering_id is None:
        return None
    return TaskSettings.objects.filter(offering_id=offering_id, task_id=task_id).first()


def invitation_get_valid(*, token: str, now: datetime | None = None) -> Invitation | None:
    """The invitation ``token`` with its offering, if it may still be used."""
    moment = now or timezone.now()
    invitation = Invitation.objects.select_related("offering").filter(token=token).first()
    if invitation is None:
        return None
    if invitation.expires_at is not None and moment >= invitation.expires_at:
        return None
    if invitation.max_uses is not None and invitation.uses >= invitation.max_uses:
        return None
    return invitation
