"""Who may open what: every named URL of the site, for every kind of user.

``URLS`` holds one row per URL name: the method, how to build its arguments from the
``World`` and who may reach it. ``test_every_url_has_a_row`` walks the URL resolver, so a new
URL without a row fails. The readers:

- ``owner``: a student of course A who made the answer and the submission;
- ``classmate``: another student of course A;
- ``outsider``: a student of course B only;
- ``instructor``: the instructor of course A; ``other_instructor``: of course B only;
- ``staff``: ``is_staff``, a member of nothing; ``anonymous``.

Audiences: ``PUBLIC`` (anyone), ``ANY_USER`` (anyone logged in), ``MEMBER`` (course A's
members and staff), ``OWNER`` (the owner, course A's instructor and staff), ``SELF`` (the
owner alone: disputing one's own grade), ``TEACHER`` (course A's instructor and staff). A
reader outside the audience gets a 404 exactly like the one for a missing object (the same
body, once the path is left out), an anonymous reader the log-in page (pages) or 401/403
(API).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from annquiz.coding.models import CodingTask, RegradeRun, Submission
from annquiz.courses.models import Answer, Lesson, Question
from annquiz.enrolment.models import Invitation, Membership, Offering, Role
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

PUBLIC, ANY_USER, MEMBER, OWNER, TEACHER = "public", "any user", "member", "owner", "teacher"
SELF = "self"
READERS = ("owner", "classmate", "outsider", "instructor", "other_instructor", "staff")
MISSING = 987654
CSRF_TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"')


@dataclass
class World:
    course: Offering
    other_course: Offering
    lesson: Lesson
    question: Question
    task: CodingTask
    submission: Submission
    answer: Answer
    invitation: Invitation
    users: dict[str, User]


def _member(user: User, offering: Offering, role: Role) -> User:
    Membership.objects.create(user=user, offering=offering, role=role)
    return user


@pytest.fixture
def world() -> World:
    content = CourseFactory.create(slug="ann-handout")
    course = default_offering(content)
    other_course = default_offering(CourseFactory.create(slug="other-content"))
    lesson = LessonFactory.create(course=content, slug="first-lesson")
    question = QuestionFactory.create(lesson=lesson, key="pick")
    task = store_task("handout-keras")
    users = {
        "owner": _member(StudentFactory.create(), course, Role.STUDENT),
        "classmate": _member(StudentFactory.create(), course, Role.STUDENT),
        "outsider": _member(StudentFactory.create(), other_course, Role.STUDENT),
        "instructor": _member(UserFactory.create(), course, Role.INSTRUCTOR),
        "other_instructor": _member(UserFactory.create(), other_course, Role.INSTRUCTOR),
        "staff": UserFactory.create(is_staff=True),
    }
    owner = users["owner"]
    submission = Submission.objects.create(
        task=task,
        student=owner,
        offering=course,
        number=1,
        source_kind="keras",
        source=task.starter_source,
        spec={},
        queue=task.queue,
    )
    answer = AnswerFactory.create(student=owner, question=question, offering=course)
    invitation = Invitation.objects.create(offering=course)
    return World(
        course, other_course, lesson, question, task, submission, answer, invitation, users
    )


Args = Callable[[World], list[Any]]


@dataclass(frozen=True)
class Row:
    audience: str
    args: Args = lambda w: []
    missing: Args | None = None  # the same URL naming something that does not exist
    method: str = "get"


def _course(w: World) -> list[Any]:
    return [w.course.slug]


def _lesson(w: World) -> list[Any]:
    return [w.course.slug, w.lesson.slug]


def _task(w: World) -> list[Any]:
    return [w.task.slug]


def _submission(w: World) -> list[Any]:
    return [w.task.slug, w.submission.pk]


def _regrade_run(w: World) -> int:
    """A regrade run of the task in course A, still judging (applying it is a 409)."""
    run = RegradeRun.objects.create(
        task=w.task, offering=w.course, scope="all", code_version="test", definition_hash="0"
    )
    return run.pk


URLS: dict[str, Row] = {
    "home": Row(PUBLIC),
    "healthz": Row(PUBLIC),
    "login": Row(PUBLIC),
    "signup": Row(PUBLIC),
    "logout": Row(PUBLIC, method="post"),
    "password_change": Row(ANY_USER),
    "password_change_done": Row(ANY_USER),
    "api:schema": Row(PUBLIC),
    "api:docs": Row(PUBLIC),
    "api:auth-token": Row(PUBLIC, method="post"),
    "enrolment:join": Row(ANY_USER),
    "enrolment:invitation": Row(ANY_USER, lambda w: [w.invitation.token]),
    "api:memberships": Row(ANY_USER),
    # courses: pages
    "courses:course-list": Row(ANY_USER),
    "courses:progress": Row(ANY_USER),
    "courses:course": Row(MEMBER, _course, lambda w: ["no-such-course"]),
    "courses:lesson": Row(MEMBER, _lesson, lambda w: [w.course.slug, "no-such-lesson"]),
    "courses:lesson-progress": Row(MEMBER, _lesson, lambda w: [w.course.slug, "no-such-lesson"]),
    "courses:answer": Row(
        MEMBER,
        lambda w: [*_lesson(w), w.question.key],
        lambda w: ["no-such-course", w.lesson.slug, w.question.key],
        method="post",
    ),
    # courses: API
    "api:course-list": Row(ANY_USER),
    "api:my-progress": Row(ANY_USER),
    "api:course-detail": Row(MEMBER, _course, lambda w: ["no-such-course"]),
    "api:course-lesson-list": Row(MEMBER, _course, lambda w: ["no-such-course"]),
    "api:lesson-detail": Row(MEMBER, lambda w: [w.lesson.pk], lambda w: [MISSING]),
    "api:question-detail": Row(MEMBER, lambda w: [w.question.pk], lambda w: [MISSING]),
    "api:question-answers": Row(MEMBER, lambda w: [w.question.pk], lambda w: [MISSING]),
    # coding: pages
    "coding:tasks": Row(ANY_USER),
    "coding:task": Row(MEMBER, _task, lambda w: ["no-such-task"]),
    "coding:diagram": Row(MEMBER, _task, lambda w: ["no-such-task"], method="post"),
    "coding:compare": Row(MEMBER, _task, lambda w: ["no-such-task"]),
    "coding:submission": Row(OWNER, _submission, lambda w: [w.task.slug, MISSING]),
    "coding:submission-status": Row(OWNER, _submission, lambda w: [w.task.slug, MISSING]),
    # coding: API
    "api:task-list": Row(ANY_USER),
    "api:task-detail": Row(MEMBER, _task, lambda w: ["no-such-task"]),
    "api:task-validate": Row(MEMBER, _task, lambda w: ["no-such-task"], method="post"),
    "api:task-submissions": Row(MEMBER, _task, lambda w: ["no-such-task"]),
    "api:submission-detail": Row(OWNER, lambda w: [w.submission.pk], lambda w: [MISSING]),
    # dashboards: instructors of the course and staff
    "dashboards:overview": Row(TEACHER, _course, lambda w: ["no-such-course"]),
    "dashboards:questions": Row(TEACHER, _course, lambda w: ["no-such-course"]),
    "dashboards:question": Row(
        TEACHER, lambda w: [*_course(w), w.question.key], lambda w: ["no-such-course", "pick"]
    ),
    "dashboards:question-edit": Row(
        TEACHER, lambda w: [*_course(w), w.question.key], lambda w: ["no-such-course", "pick"]
    ),
    "dashboards:queue": Row(TEACHER, _course, lambda w: ["no-such-course"]),
    "dashboards:student": Row(
        TEACHER,
        lambda w: [*_course(w), w.users["owner"].pk],
        lambda w: ["no-such-course", MISSING],
    ),
    "dashboards:task": Row(
        TEACHER, lambda w: [*_course(w), w.task.slug], lambda w: ["no-such-course", w.task.slug]
    ),
    "dashboards:regrade": Row(
        TEACHER, lambda w: [*_course(w), w.task.slug], lambda w: ["no-such-course", w.task.slug]
    ),
    "dashboards:regrade-run": Row(
        TEACHER,
        lambda w: [*_course(w), w.task.slug, _regrade_run(w)],
        lambda w: [*_course(w), w.task.slug, MISSING],
    ),
    "dashboards:regrade-apply": Row(
        TEACHER,
        lambda w: [*_course(w), w.task.slug, _regrade_run(w)],
        lambda w: [*_course(w), w.task.slug, MISSING],
        method="post",
    ),
    # review: instructors decide on grades; a student disputes their own
    "review:queue": Row(TEACHER, _course, lambda w: ["no-such-course"]),
    "review:audit": Row(TEACHER, _course, lambda w: ["no-such-course"]),
    "review:answer": Row(
        TEACHER, lambda w: [*_course(w), w.answer.pk], lambda w: ["no-such-course", w.answer.pk]
    ),
    "review:submission": Row(
        TEACHER,
        lambda w: [*_course(w), w.submission.pk],
        lambda w: ["no-such-course", w.submission.pk],
    ),
    "grades:answer": Row(
        SELF, lambda w: [*_course(w), w.answer.pk], lambda w: [*_course(w), MISSING]
    ),
    "grades:submission": Row(
        SELF, lambda w: [*_course(w), w.submission.pk], lambda w: [*_course(w), MISSING]
    ),
    "api:answer-disputes": Row(SELF, lambda w: [w.answer.pk], lambda w: [MISSING], method="post"),
    "api:submission-disputes": Row(
        SELF, lambda w: [w.submission.pk], lambda w: [MISSING], method="post"
    ),
    "dashboards:groups": Row(TEACHER, _course, lambda w: ["no-such-course"]),
    # gradebook: instructors of the course and staff
    "gradebook:page": Row(TEACHER, _course, lambda w: ["no-such-course"]),
    "gradebook:policy": Row(TEACHER, _course, lambda w: ["no-such-course"]),
}
# The same endpoints' writes, which must refuse outsiders before reading the body.
WRITES: dict[str, Row] = {
    "dashboards:question-edit": Row(
        TEACHER,
        lambda w: [*_course(w), w.question.key],
        lambda w: ["no-such-course", "pick"],
        method="post",
    ),
    "dashboards:regrade": Row(
        TEACHER,
        lambda w: [*_course(w), w.task.slug],
        lambda w: ["no-such-course", w.task.slug],
        method="post",
    ),
    "api:task-submissions": Row(MEMBER, _task, lambda w: ["no-such-task"], method="post"),
    "api:question-answers": Row(
        MEMBER, lambda w: [w.question.pk], lambda w: [MISSING], method="post"
    ),
    "review:answer": Row(
        TEACHER,
        lambda w: [*_course(w), w.answer.pk],
        lambda w: ["no-such-course", w.answer.pk],
        method="post",
    ),
    "review:submission": Row(
        TEACHER,
        lambda w: [*_course(w), w.submission.pk],
        lambda w: ["no-such-course", w.submission.pk],
        method="post",
    ),
    "grades:answer": Row(
        SELF, lambda w: [*_course(w), w.answer.pk], lambda w: [*_course(w), MISSING], method="post"
    ),
    "grades:submission": Row(
        SELF,
        lambda w: [*_course(w), w.submission.pk],
        lambda w: [*_course(w), MISSING],
        method="post",
    ),
    "dashboards:groups": Row(TEACHER, _course, lambda w: ["no-such-course"], method="post"),
    "gradebook:policy": Row(TEACHER, _course, lambda w: ["no-such-course"], method="post"),
}


def _names(patterns: list[Any], namespace: str = "") -> Iterator[str]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _names(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}"


def test_every_url_has_a_row() -> None:
    names = {name for name in _names(get_resolver().url_patterns) if not name.startswith("admin:")}
    assert names - set(URLS) == set(), "add the new URLs to URLS with who may open them"
    assert set(URLS) - names == set(), "URLS names a URL that is gone"


def _allowed(audience: str, reader: str) -> bool:
    if audience in (PUBLIC, ANY_USER):
        return True
    if audience == MEMBER:
        return reader in ("owner", "classmate", "instructor", "staff")
    if audience == TEACHER:
        return reader in ("instructor", "staff")
    if audience == SELF:
        return reader == "owner"
    return reader in ("owner", "instructor", "staff")


def _client(world: World, reader: str) -> Client:
    client = Client()
    if reader != "anonymous":
        client.force_login(world.users[reader])
    return client


def _request(client: Client, name: str, row: Row, args: list[Any]) -> Any:
    url = reverse(name, args=args)
    if row.method == "post":
        # An empty JSON body: allowed readers get a 4xx about the body, never a 404.
        return client.post(url, data="{}", content_type="application/json")
    return client.get(url)


def _normalised(response: Any, args: list[Any], api: bool) -> bytes:
    """The body with the URL's path (pages) or its arguments (the API's short JSON message,
    "no course 'x'") left out: what differs between two URLs, not between two readers."""
    body = bytes(response.content).replace(response.wsgi_request.path.encode(), b"<path>")
    body = CSRF_TOKEN.sub(b"<csrf>", body)  # a new one on each page
    if api:
        for index, arg in sorted(enumerate(args), key=lambda item: -len(str(item[1]))):
            body = body.replace(str(arg).encode(), f"<{index}>".encode())
    return body


CASES = [
    (name, row, reader)
    for table in (URLS, WRITES)
    for name, row in table.items()
    for reader in (*READERS, "anonymous")
]


@pytest.mark.parametrize(
    ("name", "row", "reader"),
    CASES,
    ids=[f"{row.method}-{name}-{reader}" for name, row, reader in CASES],
)
def test_who_may_open_each_url(world: World, name: str, row: Row, reader: str) -> None:
    client = _client(world, reader)
    response = _request(client, name, row, row.args(world))
    api = name.startswith("api:")
    if reader == "anonymous" and row.audience != PUBLIC:
        if api:
            assert response.status_code in (401, 403), response.content
        else:
            assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        return
    if _allowed(row.audience, reader):
        # Allowed: anything but a refusal or a crash (a write with an empty body is a 400,
        # comparing no submissions a 400, /healthz may say 503).
        assert response.status_code not in (401, 403, 404, 500), (name, response.status_code)
        return
    assert response.status_code == 404, (name, reader, response.status_code)
    assert row.missing is not None
    missing_args = row.missing(world)
    missing = _request(client, name, row, missing_args)
    assert missing.status_code == 404
    assert _normalised(response, row.args(world), api) == _normalised(missing, missing_args, api), (
        "someone else's object must read exactly like a missing one"
    )
