"""Joining courses, per-course settings, submission numbers and the default course."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from annquiz.coding.models import CodingTask
from annquiz.core.errors import AttemptsExhausted
from annquiz.core.ordinals import ordinal
from annquiz.core.services import demo_users_ensure
from annquiz.courses.services import answer_submit
from annquiz.enrolment import selectors, services
from annquiz.enrolment.errors import AlreadyStudying, InvitationInvalid, JoinClosed, UnknownJoinCode
from annquiz.enrolment.models import (
    Invitation,
    LessonDeadline,
    Membership,
    Offering,
    Role,
    TaskSettings,
)
from tests.annquiz.coding.conftest import another_try, catalog_task, store_task, submit
from tests.annquiz.courses.factories import CourseFactory, QuestionFactory, default_offering
from tests.factories import StudentFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.explicit_enrolment]


@pytest.fixture
def course() -> Offering:
    return default_offering(CourseFactory.create(slug="ann-handout"))


def test_a_code_is_read_without_case_spaces_or_dashes(course: Offering) -> None:
    student = StudentFactory.create()
    typed = f" {course.join_code[:4].lower()}-{course.join_code[4:]} "
    joined = services.offering_join_by_code(user=student, code=typed)
    assert joined.created and joined.membership.role == Role.STUDENT
    assert selectors.role_in(user=student, offering=course) == Role.STUDENT


def test_joining_twice_keeps_the_one_membership(course: Offering) -> None:
    student = StudentFactory.create()
    services.offering_join_by_code(user=student, code=course.join_code)
    again = services.offering_join_by_code(user=student, code=course.join_code)
    assert not again.created
    assert Membership.objects.filter(user=student).count() == 1


def test_an_unknown_or_empty_code_is_refused_naming_the_code(course: Offering) -> None:
    with pytest.raises(UnknownJoinCode) as refused:
        services.offering_join_by_code(user=StudentFactory.create(), code="ZZZZZZZZ")
    assert refused.value.field == "code" and "ZZZZZZZZ" in refused.value.message
    with pytest.raises(UnknownJoinCode):
        services.offering_join_by_code(user=StudentFactory.create(), code="  ")


def test_a_closed_or_ended_course_takes_no_one_by_code(course: Offering) -> None:
    course.is_open = False
    course.save(update_fields=["is_open"])
    with pytest.raises(JoinClosed):
        services.offering_join_by_code(user=StudentFactory.create(), code=course.join_code)
    course.is_open = True
    course.ends_at = timezone.now() - timedelta(days=1)
    course.save(update_fields=["is_open", "ends_at"])
    with pytest.raises(JoinClosed):
        services.offering_join_by_code(user=StudentFactory.create(), code=course.join_code)


def test_a_student_takes_one_content_in_one_course_only(course: Offering) -> None:
    second = Offering.objects.create(slug="ann-autumn", title="Autumn", course=course.course)
    student = StudentFactory.create()
    services.offering_join_by_code(user=student, code=course.join_code)
    with pytest.raises(AlreadyStudying):
        services.offering_join_by_code(user=student, code=second.join_code)
    # Teaching another course of the same content is fine.
    invitation = Invitation.objects.create(offering=second, role=Role.INSTRUCTOR)
    joined = services.invitation_accept(user=student, token=invitation.token)
    assert joined.membership.role == Role.INSTRUCTOR


def test_an_invitation_gives_its_role_and_counts_its_uses(course: Offering) -> None:
    invitation = Invitation.objects.create(offering=course, role=Role.INSTRUCTOR, max_uses=1)
    teacher = UserFactory.create()
    assert services.invitation_accept(user=teacher, token=invitation.token).created
    assert selectors.role_in(user=teacher, offering=course) == Role.INSTRUCTOR
    # Used up for anyone new; its member following it again is simply a member.
    assert not services.invitation_accept(user=teacher, token=invitation.token).created
    with pytest.raises(InvitationInvalid):
        services.invitation_accept(user=StudentFactory.create(), token=invitation.token)


def test_an_expired_or_unknown_invitation_is_the_same_refusal(course: Offering) -> None:
    expired = Invitation.objects.create(
        offering=course, expires_at=timezone.now() - timedelta(minutes=1)
    )
    with pytest.raises(InvitationInvalid) as late:
        services.invitation_accept(user=StudentFactory.create(), token=expired.token)
    with pytest.raises(InvitationInvalid) as unknown:
        services.invitation_accept(user=StudentFactory.create(), token="no-such-token")
    assert late.value.message == unknown.value.message


def test_a_user_in_no_course_is_sent_to_join_one_and_joins_with_the_code(
    course: Offering,
) -> None:
    client = Client()
    client.force_login(StudentFactory.create())
    response = client.get(reverse("courses:course-list"))
    assert response.status_code == 302 and response["Location"] == reverse("enrolment:join")
    assert "not in any course yet" in client.get(reverse("enrolment:join")).content.decode()

    refused = client.post(reverse("enrolment:join"), {"code": "nothing"})
    assert refused.status_code == 400
    assert "Course code: no course has the code" in refused.content.decode()

    joined = client.post(reverse("enrolment:join"), {"code": course.join_code}, follow=True)
    assert joined.redirect_chain[-1][0] == reverse("courses:course", args=[course.slug])
    assert f"You joined {course.title} as a student." in joined.content.decode()


def test_an_invitation_link_needs_a_log_in_then_joins(course: Offering) -> None:
    invitation = Invitation.objects.create(offering=course)
    url = reverse("enrolment:invitation", args=[invitation.token])
    client = Client()
    assert reverse("login") in client.get(url)["Location"]
    student = StudentFactory.create()
    client.force_login(student)
    assert course.title in client.get(url).content.decode()
    response = client.post(url)
    assert response["Location"] == reverse("courses:course", args=[course.slug])
    assert selectors.role_in(user=student, offering=course) == Role.STUDENT


def test_joining_by_api_answers_201_then_200(course: Offering) -> None:
    client = Client()
    client.force_login(StudentFactory.create())
    url = reverse("api:memberships")
    first = client.post(url, {"code": course.join_code}, content_type="application/json")
    assert first.status_code == 201
    assert first.json() == {"course": course.slug, "title": course.title, "role": "student"}
    again = client.post(url, {"code": course.join_code}, content_type="application/json")
    assert again.status_code == 200
    unknown = client.post(url, {"code": "QQQQ"}, content_type="application/json")
    assert unknown.status_code == 400 and unknown.json()["error"]["field"] == "code"
    assert client.get(url).json() == [first.json()]


def test_an_instructor_reads_only_their_own_courses_submissions(course: Offering) -> None:
    other = default_offering(CourseFactory.create(slug="other-content"))
    teacher, stranger, student = UserFactory.create(), UserFactory.create(), StudentFactory.create()
    Membership.objects.create(user=teacher, offering=course, role=Role.INSTRUCTOR)
    Membership.objects.create(user=stranger, offering=other, role=Role.INSTRUCTOR)
    Membership.objects.create(user=student, offering=course, role=Role.STUDENT)
    assert selectors.may_teach(user=teacher, offering_id=course.pk)
    assert not selectors.may_teach(user=stranger, offering_id=course.pk)
    assert not selectors.may_teach(user=student, offering_id=course.pk)
    assert selectors.may_teach(user=UserFactory.create(is_staff=True), offering_id=course.pk)
    assert list(selectors.offering_list_for_user(user=teacher)) == [course]


@pytest.mark.parametrize(
    ("number", "words"),
    [
        (1, "1st"),
        (2, "2nd"),
        (3, "3rd"),
        (4, "4th"),
        (11, "11th"),
        (12, "12th"),
        (13, "13th"),
        (21, "21st"),
        (22, "22nd"),
        (101, "101st"),
        (111, "111th"),
    ],
)
def test_ordinals(number: int, words: str) -> None:
    assert ordinal(number) == words


@pytest.fixture
def enrolled(course: Offering) -> tuple[User, CodingTask]:
    task = store_task("handout-keras")
    student = StudentFactory.create()
    Membership.objects.create(user=student, offering=course, role=Role.STUDENT)
    return student, task


def test_submissions_are_numbered_per_student_and_task(
    course: Offering, enrolled: tuple[User, CodingTask]
) -> None:
    student, task = enrolled
    reference = catalog_task(task.slug).reference_source
    first = submit(student, task, another_try(reference, 1))
    second = submit(student, task, another_try(reference, 2))
    classmate = StudentFactory.create()
    Membership.objects.create(user=classmate, offering=course, role=Role.STUDENT)
    theirs = submit(classmate, task, another_try(reference, 3))
    assert (first.number, second.number, theirs.number) == (1, 2, 1)
    assert first.offering_id == course.pk

    client = Client()
    client.force_login(student)
    api = client.get(reverse("api:submission-detail", args=[second.pk])).json()
    assert (api["number"], api["ordinal"]) == (2, "2nd")
    page = client.get(reverse("coding:submission", args=[task.slug, second.pk])).content.decode()
    assert "Your 2nd submission" in page


def test_a_courses_task_settings_set_attempts_and_the_deadline(
    course: Offering, enrolled: tuple[User, CodingTask]
) -> None:
    student, task = enrolled
    TaskSettings.objects.create(
        offering=course, task=task, max_attempts=1, due_at=timezone.now() - timedelta(hours=1)
    )
    reference = catalog_task(task.slug).reference_source
    late = submit(student, task, another_try(reference, 1))
    assert late.is_late
    with pytest.raises(AttemptsExhausted, match="all 1 attempts"):
        submit(student, task, another_try(reference, 2))


def test_an_answer_after_the_lessons_deadline_is_late(course: Offering) -> None:
    question = QuestionFactory.create(lesson__course=course.course)
    student = StudentFactory.create()
    Membership.objects.create(user=student, offering=course, role=Role.STUDENT)
    on_time = answer_submit(student=student, question=question, response={"choice": "a"})
    LessonDeadline.objects.create(
        offering=course, lesson=question.lesson, due_at=timezone.now() - timedelta(seconds=1)
    )
    late = answer_submit(student=student, question=question, response={"choice": "b"})
    assert (on_time.is_late, late.is_late) == (False, True)
    assert late.offering_id == course.pk


def test_the_demo_accounts_join_the_default_course_and_its_code_is_printed(
    course: Offering,
) -> None:
    demo_users_ensure(password="demo-pass")
    out = StringIO()
    call_command("create_demo_users", stdout=out)
    call_command("create_demo_users", stdout=StringIO())  # safe to repeat
    assert course.join_code in out.getvalue()
    roles = dict(Membership.objects.filter(offering=course).values_list("user__username", "role"))
    assert roles == {"instructor": Role.INSTRUCTOR, "student": Role.STUDENT}
