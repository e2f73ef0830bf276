"""The pages a visitor or a student can reach, each in the states that matter, for the
accessibility and keyboard tests: ``STATES[name](page)`` sets up the data, logs in when needed
and leaves the page open in that state."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import User
from django.core.management import call_command

from annquiz.coding.models import CodingTask
from annquiz.coding.statuses import Status
from tests.annquiz.coding.test_views import DEFINITION, handout_spec, make_submission, make_task
from tests.annquiz.courses.factories import CourseFactory
from tests.factories import DEFAULT_PASSWORD, StudentFactory
from training.judging import judge, parse_task_definition

if TYPE_CHECKING:
    from playwright.sync_api import Page

COURSE = "/courses/ann-handout"
BASICS = f"{COURSE}/lessons/understanding-the-basics/"  # numeric, parametrized (one number)
# free text, multiple choice, single choice (2 attempts), parametrized (several numbers)
ARCHITECTURE = f"{COURSE}/lessons/ann-architecture/"
STUDENT = "erin"
TASK = "/tasks/handout-keras/"


def load_catalog() -> None:
    call_command("load_course", verbosity=0)
    call_command("load_tasks", verbosity=0)


def log_in(page: Page, username: str = STUDENT) -> User:
    user: User = StudentFactory.create(username=username)
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_url(re.compile(r"/courses/$"))
    return user


@functools.cache
def graded_result() -> dict[str, Any]:
    """A real judgement (NumPy, three seeds) of the handout's network on the tiny task."""
    return judge(parse_task_definition(DEFINITION), handout_spec()).to_dict()


def answer(page: Page, question: str, *, choices: tuple[str, ...] = (), text: str = "") -> None:
    """Answer with the mouse (the keyboard tests do it with the keyboard) and wait for the
    feedback of this attempt."""
    section = page.locator(f"#question-{question}")
    before = section.locator("[data-attempts]").inner_text()
    for key in choices:
        section.locator(f"input[value='{key}']").check()
    if text:
        section.locator("textarea, input[type=text], input[type=number]").first.fill(text)
    section.locator("button[type=submit]").click()
    page.wait_for_function(
        "([key, before]) => document.querySelector(`#question-${key} [data-attempts]`)"
        ".textContent !== before",
        arg=[question, before],
    )


def visitor(url: str) -> Callable[[Page], None]:
    def open_page(page: Page) -> None:
        load_catalog()
        page.goto(url)

    return open_page


def student(url: str) -> Callable[[Page], None]:
    def open_page(page: Page) -> None:
        load_catalog()
        log_in(page)
        page.goto(url)

    return open_page


def login_refused(page: Page) -> None:
    StudentFactory.create(username=STUDENT)
    page.goto("/accounts/login/")
    page.fill("input[name=username]", STUDENT)
    page.fill("input[name=password]", "not-the-password")
    page.click("form.form button[type=submit]")
    page.wait_for_selector(".form-errors")


def signup_refused(page: Page) -> None:
    page.goto("/accounts/signup/")
    page.fill("input[name=username]", "dora")
    page.fill("input[name=password1]", "a-long-unusual-passphrase")
    page.fill("input[name=password2]", "another-long-passphrase")
    page.click("form.form button[type=submit]")
    page.wait_for_selector(".field-error")


def lesson_after_a_wrong_answer(page: Page) -> None:
    student(ARCHITECTURE)(page)
    answer(page, "output-activation-multiclass", choices=("b",))
    page.wait_for_selector("#question-output-activation-multiclass [data-verdict=incorrect]")


def lesson_after_solving(page: Page) -> None:
    student(ARCHITECTURE)(page)
    answer(page, "hyperparameters-pick", choices=("a", "b", "c", "d", "e"))
    page.wait_for_selector("#question-hyperparameters-pick .answer-closed")


def lesson_out_of_attempts(page: Page) -> None:
    student(ARCHITECTURE)(page)
    for _ in range(2):
        answer(page, "output-activation-multiclass", choices=("c",))
    page.wait_for_selector("#question-output-activation-multiclass [data-model-answer]")


def lesson_refused_answer(page: Page) -> None:
    student(BASICS)(page)
    answer(page, "neuron-output-variant", text="")
    page.wait_for_selector("#question-neuron-output-variant [data-answer-error] .error")


def editor_with_an_invalid_snippet(page: Page) -> None:
    student(TASK)(page)
    page.wait_for_function(
        "document.querySelector('[data-editor-feedback]').textContent.includes('Valid')"
    )
    page.fill("#spec-keras", "from tensorflow.keras.layers import Dense\nmodel = Conv9D(3)\n")
    page.wait_for_selector("[data-editor-feedback] .error")


def task_in_a_course() -> CodingTask:
    """A small task of its own course (a task is reached through an offering of its content),
    made before the student logs in, so that they are enrolled in it."""
    task: CodingTask = make_task(course=CourseFactory.create(slug="ann-handout"), lesson=None)
    return task


def graded_submission(page: Page) -> None:
    task = task_in_a_course()
    user = log_in(page)
    submission = make_submission(
        task=task, student=user, status=Status.FAILED, result=graded_result()
    )
    page.goto(f"/tasks/{task.slug}/submissions/{submission.pk}/")
    page.wait_for_selector("[data-plot=metric] svg .marker-onset text")


def queued_submission(page: Page) -> None:
    task = task_in_a_course()
    user = log_in(page)
    submission = make_submission(task=task, student=user, status=Status.QUEUED)
    page.goto(f"/tasks/{task.slug}/submissions/{submission.pk}/")
    page.wait_for_selector("[data-status-text]")


def compared_submissions(page: Page) -> None:
    task = task_in_a_course()
    user = log_in(page)
    ids = [
        make_submission(task=task, student=user, status=Status.FAILED, result=graded_result()).pk
        for _ in range(2)
    ]
    page.goto(f"/tasks/{task.slug}/compare/?id={ids[0]}&id={ids[1]}")
    page.wait_for_selector("[data-compare-column] [data-plot=loss] svg path.series")


def task_with_submissions(page: Page) -> None:
    task = task_in_a_course()
    user = log_in(page)
    make_submission(task=task, student=user, status=Status.FAILED, result=graded_result())
    page.goto(f"/tasks/{task.slug}/")
    page.wait_for_selector("[data-diagram] .arch")


LESSONS = [
    "introduction-to-ann",
    "understanding-the-basics",
    "ann-architecture",
    "types-of-neural-networks",
    "code-example-using-keras",
    "how-ann-learns",
    "optimizers",
    "loss-convergence-and-epochs",
    "challenges-and-solutions",
    "ann-vs-traditional-algorithms",
]

STATES: dict[str, Callable[[Page], None]] = {
    "home-visitor": visitor("/"),
    "login": visitor("/accounts/login/"),
    "login-refused": login_refused,
    "signup": visitor("/accounts/signup/"),
    "signup-refused": signup_refused,
    "not-found": visitor("/courses/no-such-course/"),
    "api-docs": visitor("/api/docs/"),
    "home-student": student("/"),
    "course-list": student("/courses/"),
    "course": student(f"{COURSE}/"),
    **{f"lesson-{slug}": student(f"{COURSE}/lessons/{slug}/") for slug in LESSONS},
    "lesson-after-a-wrong-answer": lesson_after_a_wrong_answer,
    "lesson-after-solving": lesson_after_solving,
    "lesson-out-of-attempts": lesson_out_of_attempts,
    "lesson-refused-answer": lesson_refused_answer,
    "lesson-progress": student(f"{ARCHITECTURE}progress/"),
    "progress": student("/courses/progress/"),
    "task-list": student("/tasks/"),
    "task-editor": student(TASK),
    "task-editor-invalid-snippet": editor_with_an_invalid_snippet,
    "task-with-submissions": task_with_submissions,
    "submission-queued": queued_submission,
    "submission-graded": graded_submission,
    "compare": compared_submissions,
}
