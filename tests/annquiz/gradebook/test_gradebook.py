"""The gradebook of a course: its cells by the grading policy, late and missing work, its
CSV and JSON (the page's numbers), its cost in queries, the group filter and the policy form."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from annquiz.coding.models import CodingTask, Submission
from annquiz.coding.statuses import Status
from annquiz.courses.models import Answer, Lesson, Question
from annquiz.dashboards.demo_course import GROUPS, demo_course_generate
from annquiz.enrolment.models import LessonDeadline, Membership, Offering, Role
from annquiz.gradebook.models import GradingPolicy
from tests.annquiz.coding.conftest import store_task
from tests.annquiz.courses.factories import (
    AnswerFactory,
    CourseFactory,
    LessonFactory,
    QuestionFactory,
    default_offering,
)
from tests.factories import StudentFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.explicit_enrolment]


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _submission(task: CodingTask, student: User, course: Offering, number: int, **kw: Any) -> None:
    Submission.objects.create(
        task=task,
        student=student,
        offering=course,
        number=number,
        source_kind="keras",
        source=task.starter_source,
        spec={},
        queue=task.queue,
        **kw,
    )


class Small:
    """One lesson of two questions, one task; Ada did some work, Bob none."""

    def __init__(self) -> None:
        self.task = store_task("handout-keras")
        content = CourseFactory.create(slug="ann-handout")
        self.course = default_offering(content)
        Question.objects.filter(course=content).update(is_active=False)  # the task's gate
        self.lesson = LessonFactory.create(course=content, slug="basics", title="Basics")
        self.q1 = QuestionFactory.create(lesson=self.lesson, key="q-one")
        self.q2 = QuestionFactory.create(lesson=self.lesson, key="q-two")
        self.instructor = UserFactory.create()
        Membership.objects.create(user=self.instructor, offering=self.course, role="instructor")
        self.ada = StudentFactory.create(first_name="Ada", last_name="Lovelace")
        self.bob = StudentFactory.create(first_name="Bob", last_name="Zuse")
        for user, group in ((self.ada, "Lab A"), (self.bob, "Lab B")):
            Membership.objects.create(
                user=user, offering=self.course, role=Role.STUDENT, group=group
            )
        for number, score, late in ((1, 0.25, False), (2, 1.0, True)):
            AnswerFactory.create(
                student=self.ada,
                question=self.q1,
                offering=self.course,
                attempt_number=number,
                score=score,
                is_late=late,
            )
        _submission(self.task, self.ada, self.course, 1, status=Status.FAILED)
        _submission(self.task, self.ada, self.course, 2, status=Status.PASSED, is_late=True)
        _submission(self.task, self.bob, self.course, 1, status=Status.QUEUED)

    def json(self, **params: str) -> dict[str, Any]:
        url = reverse("gradebook:page", args=[self.course.slug])
        response = _client(self.instructor).get(url, {"format": "json", **params})
        assert response.status_code == 200, response.content
        return dict(response.json())

    def policy(self, **fields: Any) -> None:
        GradingPolicy.objects.update_or_create(offering=self.course, defaults=fields)


@pytest.fixture
def small() -> Small:
    return Small()


def _student(data: dict[str, Any], username: str) -> dict[str, Any]:
    return next(s for s in data["students"] if s["username"] == username)


def test_the_default_policy_counts_the_best_attempt_marks_late_work_and_keeps_missing_apart(
    small: Small,
) -> None:
    data = small.json()

    assert [c["key"] for c in data["columns"]] == ["q:q-one", "q:q-two", "t:handout-keras"]
    assert data["policy"] == {"attempt": "best", "late_factor": 1.0, "questions_percent": None}
    ada = _student(data, small.ada.username)
    assert ada["cells"]["q:q-one"] == {"score": 1.0, "raw": 1.0, "late": True, "attempts": 2}
    assert ada["cells"]["q:q-two"] is None  # missing, not a zero
    assert ada["cells"]["t:handout-keras"]["score"] == 1.0
    assert (ada["questions"], ada["tasks"], ada["total"]) == (50.0, 100.0, 66.67)
    assert (ada["late"], ada["missing"], ada["group"]) == (2, 1, "Lab A")
    bob = _student(data, small.bob.username)
    assert bob["cells"]["t:handout-keras"] == {
        "score": None,
        "raw": None,
        "late": False,
        "attempts": 1,
    }  # pending
    assert bob["total"] == 0.0 and bob["missing"] == 3


@pytest.mark.parametrize(
    ("fields", "q_one", "task", "total"),
    [
        ({"attempt": "first"}, 0.25, 0.0, 8.33),
        ({"attempt": "last"}, 1.0, 1.0, 66.67),
        ({"attempt": "last", "late_factor": 0.5}, 0.5, 0.5, 33.33),
        ({"attempt": "best", "late_factor": 0.0}, 0.25, 0.0, 8.33),
        ({"attempt": "best", "lesson_weights": {"basics": 2}}, 1.0, 1.0, 60.0),
        ({"attempt": "best", "task_weights": {"handout-keras": 0}}, 1.0, 1.0, 50.0),
        ({"attempt": "best", "questions_percent": 20}, 1.0, 1.0, 90.0),
    ],
)
def test_the_policy_decides_the_cells_and_totals(
    small: Small, fields: dict[str, Any], q_one: float, task: float, total: float
) -> None:
    small.policy(**fields)

    ada = _student(small.json(), small.ada.username)

    assert ada["cells"]["q:q-one"]["score"] == q_one
    assert ada["cells"]["t:handout-keras"]["score"] == task
    assert ada["total"] == total


def test_the_page_shows_late_pending_and_missing_cells_distinctly(small: Small) -> None:
    LessonDeadline.objects.create(
        offering=small.course, lesson=small.lesson, due_at=timezone.now() - timedelta(days=1)
    )
    response = _client(small.instructor).get(reverse("gradebook:page", args=[small.course.slug]))

    html = response.content.decode()
    assert response.status_code == 200
    assert '<td class="gb-late">1 <span class="gb-late-mark">late</span></td>' in html
    assert '<td class="gb-pending">pending</td>' in html
    assert '<span class="visually-hidden">missing</span>' in html
    assert "due " in html
    assert "66.67" in html


def test_the_group_filter_keeps_only_that_groups_students(small: Small) -> None:
    data = small.json(group="Lab B")

    assert [s["username"] for s in data["students"]] == [small.bob.username]
    assert data["filters"]["group"] == "Lab B"


def test_an_unknown_group_or_format_is_a_400_naming_it(small: Small) -> None:
    client = _client(small.instructor)
    url = reverse("gradebook:page", args=[small.course.slug])

    unknown = client.get(url, {"group": "Lab Z"})
    bad_format = client.get(url, {"format": "xml"})
    json_error = client.get(url, {"group": "Lab Z", "format": "json"})

    assert unknown.status_code == 400 and b"Group: this course has no group" in unknown.content
    assert (
        bad_format.status_code == 400 and b"Format: must be html, csv or json" in bad_format.content
    )
    assert json_error.status_code == 400 and json_error.json()["field"] == "group"


# --- the policy form -----------------------------------------------------------------------


def _policy_form(small: Small, **changes: str) -> dict[str, str]:
    form = {
        "attempt": "last",
        "late_factor": "0.5",
        "questions_percent": "",
        "lesson-basics": "2",
        "task-handout-keras": "1",
    }
    form.update(changes)
    return {k: v for k, v in form.items()}


def test_the_instructor_saves_a_policy_and_the_gradebook_follows_it(small: Small) -> None:
    client = _client(small.instructor)
    url = reverse("gradebook:policy", args=[small.course.slug])
    assert client.get(url).status_code == 200

    response = client.post(url, _policy_form(small))

    assert response.status_code == 302
    policy = GradingPolicy.objects.get(offering=small.course)
    assert (policy.attempt, policy.late_factor, policy.lesson_weights) == (
        "last",
        0.5,
        {"basics": 2.0},
    )
    assert _student(small.json(), small.ada.username)["cells"]["q:q-one"]["score"] == 0.5


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"late_factor": "2"}, "less than or equal to 1"),
        ({"late_factor": "nan"}, "Enter a number"),
        ({"attempt": "median"}, "Select a valid choice"),
        ({"questions_percent": "101"}, "less than or equal to 100"),
        ({"lesson-basics": "-1"}, "greater than or equal to 0"),
        ({"lesson-basics": "0", "task-handout-keras": "0"}, "give at least one lesson or task"),
    ],
)
def test_a_bad_policy_is_a_400_naming_the_field_and_nothing_is_saved(
    small: Small, changes: dict[str, str], message: str
) -> None:
    url = reverse("gradebook:policy", args=[small.course.slug])

    response = _client(small.instructor).post(url, _policy_form(small, **changes))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert "The policy is not saved" in response.content.decode()
    assert not GradingPolicy.objects.filter(offering=small.course).exists()


# --- the demo course -----------------------------------------------------------------------


@pytest.fixture
def demo() -> Offering:
    call_command("load_course", verbosity=0)
    call_command("load_tasks", verbosity=0)
    cache.clear()
    return demo_course_generate(
        content_slug="ann-handout", slug="demo-small", students=24, submissions=120, seed=3
    ).offering


@pytest.fixture
def demo_instructor(demo: Offering) -> User:
    user = UserFactory.create()
    Membership.objects.create(user=user, offering=demo, role=Role.INSTRUCTOR)
    return user


def _number(text: str) -> float | str | None:
    if text == "":
        return None
    try:
        return float(text)
    except ValueError:
        return text


def test_the_csv_and_the_page_hold_the_jsons_numbers(demo: Offering, demo_instructor: User) -> None:
    client = _client(demo_instructor)
    url = reverse("gradebook:page", args=[demo.slug])
    data = client.get(url, {"format": "json"}).json()
    rows = list(csv.reader(io.StringIO(client.get(url, {"format": "csv"}).content.decode())))
    page = client.get(url).content.decode()

    keys = [c["key"] for c in data["columns"]]
    assert rows[0] == [
        "Student",
        "Username",
        "Group",
        *keys,
        "Questions %",
        "Tasks %",
        "Total %",
        "Late",
        "Missing",
    ]
    assert len(rows) - 1 == len(data["students"]) == 24
    for row, student in zip(rows[1:], data["students"], strict=True):
        assert row[1] == student["username"] and row[2] == student["group"]
        for key, text in zip(keys, row[3 : 3 + len(keys)], strict=True):
            cell = student["cells"][key]
            expected = (
                None
                if cell is None
                else (cell["score"] if cell["score"] is not None else "pending")
            )
            assert _number(text) == expected
        assert [_number(t) for t in row[-5:-2]] == [
            student["questions"],
            student["tasks"],
            student["total"],
        ]
        late = [k for k in keys if student["cells"][k] and student["cells"][k]["late"]]
        assert row[-2].split() == late
        total = f"{student['total']:.4f}".rstrip("0").rstrip(".")
        assert f'<td class="gb-total">{total}</td>' in page


def test_the_gradebook_costs_a_bounded_number_of_queries(
    demo: Offering, demo_instructor: User, django_assert_max_num_queries: Any
) -> None:
    client = _client(demo_instructor)
    url = reverse("gradebook:page", args=[demo.slug])
    # Computing the rows costs 17 (3 of them the fingerprint of the course's work); the rows
    # kept in the cache, 15 (the JSON and CSV of the page's filters find them there).
    for params in ({}, {"format": "csv"}, {"format": "json"}, {"group": GROUPS[0]}):
        with django_assert_max_num_queries(17):
            response = client.get(url, params)
        assert response.status_code == 200


def test_the_demo_course_has_groups_deadlines_and_late_answers(demo: Offering) -> None:
    groups = Membership.objects.filter(offering=demo, role=Role.STUDENT).values_list(
        "group", flat=True
    )
    assert sorted(set(groups)) == list(GROUPS)
    deadlines = dict(
        LessonDeadline.objects.filter(offering=demo).values_list("lesson_id", "due_at")
    )
    assert set(deadlines) == set(
        Lesson.objects.filter(questions__answers__offering=demo).values_list("id", flat=True)
    )
    answers = list(
        Answer.objects.filter(offering=demo).values_list(
            "question__lesson_id", "created_at", "is_late"
        )
    )
    assert all(late == (at > deadlines[lesson]) for lesson, at, late in answers)
    assert any(late for _, _, late in answers) and not all(late for _, _, late in answers)
