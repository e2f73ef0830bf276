"""Groups of students: the instructors' form that sets them, and the group filter that every
dashboard aggregating students (and its CSV) applies."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from annquiz.coding.models import CodingTask
from annquiz.courses.models import Answer, Question
from annquiz.dashboards.demo_course import GROUPS, demo_course_generate
from annquiz.enrolment.models import Membership, Offering, Role
from tests.annquiz.courses.factories import CourseFactory, default_offering
from tests.factories import StudentFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.explicit_enrolment]
SLUG = "demo-groups"


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _teacher(course: Offering) -> User:
    user = UserFactory.create()
    Membership.objects.create(user=user, offering=course, role=Role.INSTRUCTOR)
    return user


# --- the form ----------------------------------------------------------------------------------


@pytest.fixture
def course() -> Offering:
    return default_offering(CourseFactory.create(slug="ann-handout"))


def _students(course: Offering, n: int) -> list[User]:
    users = StudentFactory.create_batch(n)
    for user in users:
        Membership.objects.create(user=user, offering=course, role=Role.STUDENT)
    return users


def test_the_instructor_puts_students_in_groups(course: Offering) -> None:
    ada, bob = _students(course, 2)
    client = _client(_teacher(course))
    url = reverse("dashboards:groups", args=[course.slug])
    assert client.get(url).status_code == 200

    response = client.post(url, {f"group-{ada.pk}": "  Lab   A ", f"group-{bob.pk}": ""})

    assert response.status_code == 302
    groups = dict(Membership.objects.filter(offering=course).values_list("user_id", "group"))
    assert groups[ada.pk] == "Lab A" and groups[bob.pk] == ""
    assert "Lab A" in client.get(url).content.decode()
    student_page = client.get(reverse("dashboards:student", args=[course.slug, ada.pk]))
    assert "group Lab A" in student_page.content.decode()


@pytest.mark.parametrize("bad", ["too long", "not a student"])
def test_a_bad_group_is_a_400_naming_it_and_nothing_is_written(course: Offering, bad: str) -> None:
    ada, bob = _students(course, 2)
    other = _students(default_offering(CourseFactory.create(slug="other")), 1)[0]
    form = {f"group-{ada.pk}": "Lab A", f"group-{bob.pk}": "Lab B"}
    if bad == "too long":
        form[f"group-{bob.pk}"] = "x" * 41
    else:
        form[f"group-{other.pk}"] = "Lab C"

    response = _client(_teacher(course)).post(
        reverse("dashboards:groups", args=[course.slug]), form
    )

    assert response.status_code == 400
    html = response.content.decode()
    assert 'role="alert"' in html
    if bad == "too long":
        assert "at most 40 characters" in html and 'aria-invalid="true"' in html
    else:
        assert "is not a student of this course" in html
    assert set(Membership.objects.values_list("group", flat=True)) == {""}


# --- the filter ------------------------------------------------------------------------------


@pytest.fixture
def demo() -> Offering:
    call_command("load_course", verbosity=0)
    call_command("load_tasks", verbosity=0)
    cache.clear()
    return demo_course_generate(
        content_slug="ann-handout", slug=SLUG, students=24, submissions=150, seed=5
    ).offering


def _csv(client: Client, url: str, table: str, **params: str) -> list[dict[str, str]]:
    response = client.get(url, {"format": "csv", "table": table, **params})
    assert response.status_code == 200, response.content
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_the_overview_counts_only_the_groups_students(demo: Offering) -> None:
    client = _client(_teacher(demo))
    url = reverse("dashboards:overview", args=[SLUG])
    group = GROUPS[1]
    members = set(
        Membership.objects.filter(offering=demo, group=group).values_list(
            "user__username", flat=True
        )
    )

    everyone = client.get(url)
    one_group = client.get(url, {"group": group})

    assert everyone.context["facts"]["students"] == 24
    assert one_group.context["facts"]["students"] == len(members) == 6
    assert len(_csv(client, url, "students", group=group)) == 6
    tasks = _csv(client, url, "tasks", group=group)
    assert all(int(row["Students who submitted"]) <= 6 for row in tasks)
    assert f"<option selected>{group}</option>" in one_group.content.decode()


def test_the_question_statistics_count_only_the_groups_answers(demo: Offering) -> None:
    client = _client(_teacher(demo))
    group = GROUPS[2]
    question = Question.objects.filter(answers__offering=demo).order_by("id").first()
    assert question is not None
    answered = (
        Answer.objects.filter(offering=demo, question=question, student__memberships__group=group)
        .values("student_id")
        .distinct()
        .count()
    )

    rows = _csv(client, reverse("dashboards:questions", args=[SLUG]), "items", group=group)

    row = next(r for r in rows if r["Question"] == question.key)
    assert int(row["Students"]) == answered < 24


def test_the_task_page_counts_only_the_groups_submissions(demo: Offering) -> None:
    client = _client(_teacher(demo))
    group = GROUPS[0]
    task = CodingTask.objects.filter(submissions__offering=demo).order_by("id").first()
    assert task is not None
    url = reverse("dashboards:task", args=[SLUG, task.slug])

    everyone = client.get(url).context["facts"]
    one_group = client.get(url, {"group": group}).context["facts"]

    expected = task.submissions.filter(offering=demo, student__memberships__group=group).count()
    assert one_group["submissions"] == expected < everyone["submissions"]


@pytest.mark.parametrize("page", ["overview", "questions", "queue"])
def test_an_unknown_group_is_a_400_naming_it(demo: Offering, page: str) -> None:
    response = _client(_teacher(demo)).get(
        reverse(f"dashboards:{page}", args=[SLUG]), {"group": "Lab Z"}
    )

    assert response.status_code == 400
    assert b"Group: this course has no group" in response.content


def test_a_group_costs_the_dashboards_no_query_per_student(
    demo: Offering, django_assert_max_num_queries: Any
) -> None:
    client = _client(_teacher(demo))
    for page in ("overview", "questions"):
        with django_assert_max_num_queries(25):
            response = client.get(reverse(f"dashboards:{page}", args=[SLUG]), {"group": GROUPS[3]})
        assert response.status_code == 200
