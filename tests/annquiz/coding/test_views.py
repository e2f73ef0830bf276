"""The HTML pages of coding tasks: task list, task page, submission page, compare page.

Every page is requested by its owner (alice), another student (bob), an instructor and an
anonymous visitor. The verdicts shown are real ones: ``training.judging.judge`` run on the
handout's network (and two variants) for a small task, stored on Submission rows in every
status a submission can have.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from annquiz.coding.architecture import architecture_diagram
from annquiz.coding.catalog_sync import lesson_pages_refresh, task_catalog_load
from annquiz.coding.models import Backend, CodingTask, SourceKind, Submission
from annquiz.coding.selectors import task_offering
from annquiz.coding.statuses import Status
from annquiz.courses.models import Course, Lesson
from tests.annquiz.coding.conftest import catalog_task
from tests.annquiz.courses.factories import CourseFactory, LessonFactory
from tests.factories import InstructorFactory, StudentFactory
from training.judging import judge, parse_task_definition
from training.keras_snippet import parse_keras_snippet
from training.spec import ModelSpec, parse_spec, spec_to_dict

pytestmark = pytest.mark.django_db

HANDOUT_SNIPPET = """\
from tensorflow.keras.models import Sequential
from tensorflow.keras.layers import Dense

model = Sequential([
    Dense(16, input_dim=8, activation='relu'),
    Dense(8, activation='relu'),
    Dense(1, activation='sigmoid')
])
model.compile(optimizer='adam', loss='binary_crossentropy', metrics=['accuracy'])
model.fit(X_train, y_train, epochs=50, batch_size=10)
"""
REFERENCE_SECRET = "# REFERENCE-SOLUTION-SECRET"
BROKEN_SECRET = "# BROKEN-SOLUTION-SECRET"

DEFINITION: dict[str, Any] = {
    "dataset": "pima-like",
    "backend": "numpy",
    "seeds": [0, 1, 2],
    "required_passes": 2,
    "checks": [
        {
            "kind": "metric_at_least",
            "label": "Validation accuracy",
            "section": "basics#reading-the-loss",
            "params": {"metric": "accuracy", "threshold": 0.7},
        },
        {"kind": "no_overfitting", "label": "No overfitting", "section": "basics#overfitting"},
    ],
    "limits": {"max_epochs": 60},
}


def handout_spec(**changes: Any) -> ModelSpec:
    data = spec_to_dict(parse_keras_snippet(HANDOUT_SNIPPET))
    return parse_spec({**data, **changes})


@pytest.fixture(scope="module")
def verdicts() -> dict[str, dict[str, Any]]:
    """Real judgements of the tiny task: the handout's network overfits in 50 epochs (failed),
    stops before that in 8 (passed), and diverges with a huge SGD learning rate."""
    task = parse_task_definition(DEFINITION)
    out = {
        "failed": judge(task, handout_spec()).to_dict(),
        "passed": judge(task, handout_spec(epochs=8)).to_dict(),
        "diverged": judge(
            task,
            parse_spec(
                {
                    "layers": [
                        {"type": "dense", "units": 64, "activation": "linear", "input_dim": 8},
                        {"type": "dense", "units": 64, "activation": "linear"},
                        {"type": "dense", "units": 1, "activation": "sigmoid"},
                    ],
                    "optimizer": {"name": "sgd", "learning_rate": 100.0},
                    "loss": "binary_crossentropy",
                    "metrics": ["accuracy"],
                    "epochs": 10,
                }
            ),
        ).to_dict(),
    }
    assert {name: v["verdict"] for name, v in out.items()} == {
        "failed": "failed",
        "passed": "passed",
        "diverged": "diverged",
    }
    return out


def make_task(*, course: Course | None, lesson: Lesson | None, **fields: Any) -> CodingTask:
    values: dict[str, Any] = {
        "slug": "tiny-handout",
        "title": "TINY-TASK-TITLE",
        "summary": "TINY-TASK-SUMMARY",
        "order": 1,
        "course": course,
        "lesson": lesson,
        "statement_markdown": "STATEMENT-TEXT",
        "statement_html": "<p>STATEMENT-TEXT</p>",
        "definition": DEFINITION,
        "backend": Backend.NUMPY,
        "starter_kind": SourceKind.KERAS,
        "starter_source": HANDOUT_SNIPPET,
        "reference_kind": SourceKind.KERAS,
        "reference_source": HANDOUT_SNIPPET + REFERENCE_SECRET,
        "broken_kind": SourceKind.KERAS,
        "broken_source": HANDOUT_SNIPPET + BROKEN_SECRET,
        "max_attempts": 10,
        **fields,
    }
    task: CodingTask = CodingTask.objects.create(**values)
    return task


def make_submission(
    *,
    task: CodingTask,
    student: User,
    status: Status,
    result: dict[str, Any] | None = None,
    progress: dict[str, Any] | None = None,
    message: str = "",
    source: str = HANDOUT_SNIPPET,
    spec: ModelSpec | None = None,
) -> Submission:
    spec = spec or handout_spec()
    submission: Submission = Submission.objects.create(
        task=task,
        student=student,
        number=Submission.objects.filter(task=task, student=student).count() + 1,
        offering=task_offering(user=student, task=task),
        source_kind=SourceKind.KERAS,
        source=source,
        spec=spec_to_dict(spec),
        architecture=architecture_diagram(spec),
        status=status,
        result=result,
        progress=progress or {},
        message=message or (result["summary"] if result else ""),
        queue=task.queue,
    )
    return submission


@pytest.fixture
def course() -> Course:
    course: Course = CourseFactory.create(slug="ann", title="ANN course")
    return course


@pytest.fixture
def lesson(course: Course) -> Lesson:
    lesson: Lesson = LessonFactory.create(course=course, slug="basics", title="Basics", order=1)
    return lesson


@pytest.fixture
def task(course: Course, lesson: Lesson) -> CodingTask:
    return make_task(course=course, lesson=lesson)


@pytest.fixture
def alice() -> User:
    user: User = StudentFactory.create(username="alice")
    return user


@pytest.fixture
def bob() -> User:
    user: User = StudentFactory.create(username="bob")
    return user


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def failed(task: CodingTask, alice: User, verdicts: dict[str, Any]) -> Submission:
    return make_submission(
        task=task, student=alice, status=Status.FAILED, result=verdicts["failed"]
    )


@pytest.fixture
def passed(task: CodingTask, alice: User, verdicts: dict[str, Any]) -> Submission:
    return make_submission(
        task=task,
        student=alice,
        status=Status.PASSED,
        result=verdicts["passed"],
        spec=handout_spec(epochs=8),
    )


def text_of(html: str) -> str:
    """The page's text with tags dropped and whitespace collapsed, for phrase assertions."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def page_urls(task: CodingTask, submission: Submission) -> list[str]:
    return [
        reverse("coding:tasks"),
        reverse("coding:task", args=[task.slug]),
        reverse("coding:submission", args=[task.slug, submission.pk]),
        reverse("coding:compare", args=[task.slug]) + f"?id={submission.pk}&id={submission.pk}",
    ]


# --------------------------------------------------------------------------- everyone


def test_anonymous_visitor_is_sent_to_log_in_from_every_page(
    task: CodingTask, failed: Submission
) -> None:
    client = client_for(None)
    for url in page_urls(task, failed):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login") + "?next="), url


def test_pages_refuse_a_post(alice: User, task: CodingTask, failed: Submission) -> None:
    client = client_for(alice)
    for url in page_urls(task, failed):
        assert client.post(url).status_code == 405, url


def test_navigation_links_to_the_tasks(alice: User) -> None:
    response = client_for(alice).get(reverse("coding:tasks"))
    assert f'<a href="{reverse("coding:tasks")}">Tasks</a>' in response.content.decode()


# --------------------------------------------------------------------------- task list


def test_task_list_shows_each_students_own_attempts_and_pass(
    task: CodingTask, alice: User, bob: User, failed: Submission, passed: Submission
) -> None:
    make_submission(task=task, student=alice, status=Status.ERROR, message="lost")
    make_task(course=None, lesson=None, slug="gone", title="GONE-TASK", is_active=False)

    mine = client_for(alice).get(reverse("coding:tasks"))
    assert mine.status_code == 200
    text = text_of(mine.content.decode())
    assert "TINY-TASK-TITLE" in text and "TINY-TASK-SUMMARY" in text
    assert "Attempts: 2 / 10" in text  # the service error does not count
    assert "Passed" in text
    assert "Backend: NumPy" in text
    assert "GONE-TASK" not in text
    assert f'href="{reverse("coding:task", args=[task.slug])}"' in mine.content.decode()

    theirs = text_of(client_for(bob).get(reverse("coding:tasks")).content.decode())
    assert "Attempts: 0 / 10" in theirs
    assert "Not started" in theirs and "Passed" not in theirs


def test_task_list_marks_a_closed_task(course: Course, lesson: Lesson, alice: User) -> None:
    make_task(course=course, lesson=lesson, is_open=False)
    text = text_of(client_for(alice).get(reverse("coding:tasks")).content.decode())
    assert "Closed : no new submissions" in text


# --------------------------------------------------------------------------- task page


def test_task_page_shows_statement_dataset_rules_and_the_starter(
    task: CodingTask, alice: User
) -> None:
    response = client_for(alice).get(reverse("coding:task", args=[task.slug]))
    assert response.status_code == 200
    html = response.content.decode()
    text = text_of(html)
    assert "<p>STATEMENT-TEXT</p>" in html
    assert "Diabetes screening (8 measurements)" in text
    assert "461 training, 154 validation, 153 test" in text
    assert "<code>(None, 8)</code>" in html
    assert "<code>glucose</code>" in html
    assert "each check must pass on at least 2 of 3 training seeds" in text
    assert "Validation accuracy : validation accuracy ≥ 70.0 %" in text
    assert "No overfitting : rise of the validation loss above its lowest &lt; 5.0 %" in text
    assert 'href="/courses/ann/lessons/basics/#overfitting"' in html
    assert "Read: Overfitting (Basics)" in text
    assert "parameters and 60 epochs" in text
    # The editor: the starter in the Keras box, the API urls, a CSRF token, submit enabled by JS.
    assert "Dense(16, input_dim=8, activation=&#x27;relu&#x27;)" in html
    assert f'data-validate-url="{reverse("api:task-validate", args=[task.slug])}"' in html
    assert f'data-submissions-url="{reverse("api:task-submissions", args=[task.slug])}"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert re.search(r'<input type="radio" name="mode" value="keras" checked>', html)
    assert re.search(r"<button type=\"submit\" data-submit disabled data-enabled>", html)
    assert '<label for="spec-json">' in html and '<label for="spec-keras">' in html
    assert 'aria-live="polite"' in html
    assert f'href="{reverse("courses:lesson", args=["ann", "basics"])}"' in html


def test_task_page_never_shows_the_reference_or_broken_solution(
    task: CodingTask, alice: User, failed: Submission
) -> None:
    html = client_for(alice).get(reverse("coding:task", args=[task.slug])).content.decode()
    assert REFERENCE_SECRET not in html
    assert BROKEN_SECRET not in html


def test_task_page_lists_only_the_students_own_submissions(
    task: CodingTask, alice: User, bob: User, failed: Submission, passed: Submission
) -> None:
    timed_out = make_submission(
        task=task, student=alice, status=Status.TIMED_OUT, message="Ran past its time budget."
    )
    bobs = make_submission(task=task, student=bob, status=Status.QUEUED)

    html = client_for(alice).get(reverse("coding:task", args=[task.slug])).content.decode()
    text = text_of(html)
    for mine in (failed, passed, timed_out):
        assert f'name="id" value="{mine.pk}"' in html
        assert f'href="{reverse("coding:submission", args=[task.slug, mine.pk])}"' in html
    assert f'value="{bobs.pk}"' not in html
    assert failed.result is not None
    main = failed.result["checks"][0]
    # The main figure of each verdict, in words with its unit and the direction that passes.
    assert f"validation accuracy {main['measured'] * 100:.1f} % (needs ≥ 70.0 %)" in text
    assert "Timed out" in text and "this did not use an attempt" in text
    assert f'action="{reverse("coding:compare", args=[task.slug])}"' in html

    bobs_page = client_for(bob).get(reverse("coding:task", args=[task.slug])).content.decode()
    assert f'value="{bobs.pk}"' in bobs_page
    assert f'value="{failed.pk}"' not in bobs_page


def test_task_page_without_submissions_says_so(task: CodingTask, bob: User) -> None:
    text = text_of(client_for(bob).get(reverse("coding:task", args=[task.slug])).content.decode())
    assert "You have not submitted a network for this task yet." in text


def test_submit_stays_disabled_once_the_attempts_are_used(
    course: Course, lesson: Lesson, alice: User, verdicts: dict[str, Any]
) -> None:
    task = make_task(course=course, lesson=lesson, max_attempts=1)
    make_submission(task=task, student=alice, status=Status.FAILED, result=verdicts["failed"])
    html = client_for(alice).get(reverse("coding:task", args=[task.slug])).content.decode()
    assert "data-enabled" not in html
    assert "You have used all 1 attempts of this task." in text_of(html)


def test_submit_stays_disabled_on_a_closed_task(
    course: Course, lesson: Lesson, alice: User
) -> None:
    task = make_task(course=course, lesson=lesson, is_open=False)
    html = client_for(alice).get(reverse("coding:task", args=[task.slug])).content.decode()
    assert "data-enabled" not in html
    assert "This task is closed" in text_of(html)


def test_a_json_starter_opens_the_json_editor(course: Course, alice: User) -> None:
    starter = json.dumps(spec_to_dict(handout_spec()), indent=2)
    task = make_task(
        course=course, lesson=None, starter_kind=SourceKind.JSON, starter_source=starter
    )
    html = client_for(alice).get(reverse("coding:task", args=[task.slug])).content.decode()
    assert re.search(r'<input type="radio" name="mode" value="json" checked>', html)
    assert "&quot;units&quot;: 16" in html
    assert 'data-panel="keras" hidden' in html


def test_unknown_or_retired_task_is_404(course: Course, alice: User) -> None:
    make_task(course=course, lesson=None, slug="retired", is_active=False)
    client = client_for(alice)
    assert client.get(reverse("coding:task", args=["no-such-task"])).status_code == 404
    assert client.get(reverse("coding:task", args=["retired"])).status_code == 404


# --------------------------------------------------------------------------- submission page


def test_owner_reads_the_whole_verdict_without_javascript(
    task: CodingTask, alice: User, failed: Submission
) -> None:
    url = reverse("coding:submission", args=[task.slug, failed.pk])
    response = client_for(alice).get(url)
    assert response.status_code == 200
    html = response.content.decode()
    text = text_of(html)
    result = failed.result
    assert result is not None
    assert "verdict-incorrect" in html
    assert result["summary"] in html.replace("&#x27;", "'")
    no_overfitting = result["checks"][1]
    assert no_overfitting["passed"] is False
    assert "✗" in html and "No overfitting : failed" in text
    assert f"passed on {no_overfitting['seeds_passed']} of 3 seeds" in text
    # Each failed check links to its handout section.
    assert '<p class="check-read"><a href="/courses/ann/lessons/basics/#overfitting">' in html
    assert "Read: Overfitting (Basics)" in text
    # Diagnostics with their messages.
    assert "Dead ReLUs" in text and "Vanishing gradients" in text and "Learning rate" in text
    for diagnostic in result["diagnostics"]:
        assert diagnostic["message"] in html.replace("&#x27;", "'")
    # Curves: the facts in text, the plot areas for the script, the result as JSON data.
    seed = result["seeds"][result["representative"]]
    assert f"overfitting from epoch {seed['overfitting_onset']}" in text
    assert 'data-plot="loss"' in html and 'data-plot="metric"' in html
    data = json.loads(re.search(r'id="submission-data"[^>]*>(.*?)</script>', html, re.S)[1])  # type: ignore[index]
    assert data["finished"] is True
    assert data["result"]["seeds"][0]["history"]["val_loss"] == seed["history"]["val_loss"]
    # The architecture diagram.
    assert text.count("arch-layer") == 0  # classes are not text
    assert html.count('class="arch-box arch-layer arch-dense"') == 3
    assert "(None, 16)" in text and "144 params" in text and "289" in text
    assert "adam, learning rate 0.001" in text
    # No polling note once finished.
    assert "follows it by itself" not in text


def test_passed_submission_says_so(task: CodingTask, alice: User, passed: Submission) -> None:
    html = client_for(alice).get(reverse("coding:submission", args=[task.slug, passed.pk]))
    page = html.content.decode()
    assert "verdict-correct" in page
    assert "Passed: all 2 checks held on at least 2 of the 3 training seeds." in page
    assert "Validation accuracy : passed" in text_of(page)


def test_diverged_submission_explains_the_divergence(
    task: CodingTask, alice: User, verdicts: dict[str, Any]
) -> None:
    diverged = make_submission(
        task=task, student=alice, status=Status.DIVERGED, result=verdicts["diverged"]
    )
    page = client_for(alice).get(reverse("coding:submission", args=[task.slug, diverged.pk]))
    text = text_of(page.content.decode())
    assert "Diverged" in text
    assert "Training diverged on" in text
    assert "training diverged." in text


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (Status.TIMED_OUT, "Grading ran past its time budget of 90 s."),
        (Status.ERROR, "Grading failed on our side (RuntimeError)."),
    ],
)
def test_service_failure_says_it_did_not_use_an_attempt(
    task: CodingTask, alice: User, status: Status, message: str
) -> None:
    submission = make_submission(task=task, student=alice, status=status, message=message)
    page = client_for(alice).get(reverse("coding:submission", args=[task.slug, submission.pk]))
    text = text_of(page.content.decode())
    assert "this submission was not graded, and it did not use up one of your attempts" in text
    assert message in text
    assert Status(status).label in text
    assert "Checks" not in text


def test_queued_submission_shows_its_place_in_the_queue(
    task: CodingTask, alice: User, bob: User
) -> None:
    make_submission(task=task, student=bob, status=Status.QUEUED)
    mine = make_submission(task=task, student=alice, status=Status.QUEUED)
    page = client_for(alice).get(reverse("coding:submission", args=[task.slug, mine.pk]))
    html = page.content.decode()
    assert "Queued: number 2 in the queue." in html
    assert 'data-status-text role="status" aria-live="polite"' in html
    assert "follows it by itself" in text_of(html)
    assert "verdict-" not in html


def test_running_submission_shows_its_progress(task: CodingTask, alice: User) -> None:
    running = make_submission(
        task=task,
        student=alice,
        status=Status.RUNNING,
        progress={"seed_index": 1, "n_seeds": 3, "epoch": 31, "epochs": 50, "loss": 0.52},
    )
    page = client_for(alice).get(reverse("coding:submission", args=[task.slug, running.pk]))
    html = page.content.decode()
    assert "seed 2 of 3, epoch 31/50" in html
    assert "<progress" in html
    assert "Training and grading your network" in html


def test_another_student_cannot_read_a_submission(
    task: CodingTask, bob: User, failed: Submission
) -> None:
    url = reverse("coding:submission", args=[task.slug, failed.pk])
    assert client_for(bob).get(url).status_code == 404


def test_an_instructor_can_read_a_students_submission(task: CodingTask, failed: Submission) -> None:
    instructor = InstructorFactory.create()
    url = reverse("coding:submission", args=[task.slug, failed.pk])
    assert client_for(instructor).get(url).status_code == 200


def test_submission_under_another_tasks_slug_or_unknown_is_404(
    course: Course, task: CodingTask, alice: User, failed: Submission
) -> None:
    other = make_task(course=course, lesson=None, slug="other-task")
    client = client_for(alice)
    assert client.get(reverse("coding:submission", args=[other.slug, failed.pk])).status_code == 404
    assert client.get(reverse("coding:submission", args=[task.slug, 999_999])).status_code == 404


def test_submitted_source_is_escaped(task: CodingTask, alice: User) -> None:
    hostile = HANDOUT_SNIPPET + "# </script><script>alert('x')</script>"
    submission = make_submission(task=task, student=alice, status=Status.QUEUED, source=hostile)
    html = client_for(alice).get(reverse("coding:submission", args=[task.slug, submission.pk]))
    page = html.content.decode()
    assert "<script>alert" not in page
    # Shown as text in the source block.
    assert "<pre><code>from tensorflow.keras.models import Sequential" in page
    assert "# &lt;/script&gt;&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;</code></pre>" in page


# --------------------------------------------------------------------------- compare page


def compare_url(task: CodingTask, *ids: object) -> str:
    query = "&".join(f"id={i}" for i in ids)
    return reverse("coding:compare", args=[task.slug]) + (f"?{query}" if query else "")


def test_owner_compares_submissions_side_by_side(
    task: CodingTask, alice: User, failed: Submission, passed: Submission
) -> None:
    queued = make_submission(task=task, student=alice, status=Status.QUEUED)
    response = client_for(alice).get(compare_url(task, failed.pk, passed.pk, queued.pk))
    assert response.status_code == 200
    html = response.content.decode()
    text = text_of(html)
    for submission in (failed, passed, queued):
        assert f'data-compare-column="{submission.pk}"' in html
    assert html.index(f'"{failed.pk}"') < html.index(f'"{passed.pk}"')  # in the order asked
    assert "Optimizer adam" in text and "Learning rate 0.001" in text
    assert "Epochs 50" in text and "Epochs 8" in text
    assert "Parameters 289" in text
    assert "Dense 16 units → Dense 8 units → Dense 1 unit" in text
    assert "No overfitting" in text and "(needs ≥ 70.0 %)" in text
    assert "(needs &lt; 5.0 %)" in text  # "<", escaped
    assert html.count('data-plot="loss"') == 2  # no plot before a verdict
    assert html.count('data-plot="metric"') == 2  # accuracy too, where the verdict has it
    assert "Not graded yet" in text
    data = json.loads(re.search(r'id="submissions-data"[^>]*>(.*?)</script>', html, re.S)[1])  # type: ignore[index]
    assert [s["id"] for s in data] == [failed.pk, passed.pk, queued.pk]


def test_comparing_needs_two_to_four_distinct_numbers(
    task: CodingTask, alice: User, failed: Submission, passed: Submission
) -> None:
    client = client_for(alice)
    cases = {
        compare_url(task): "0 were chosen",
        compare_url(task, failed.pk): "1 was chosen",
        compare_url(task, failed.pk, failed.pk): "1 was chosen",
        compare_url(task, failed.pk, passed.pk, 1001, 1002, 1003): "5 were chosen",
        compare_url(task, failed.pk, "x1"): "'x1' is not a submission number",
        compare_url(task, failed.pk, "²"): "'²' is not a submission number",
    }
    for url, reason in cases.items():
        response = client.get(url)
        assert response.status_code == 400, url
        assert reason in response.content.decode().replace("&#x27;", "'"), url
        assert "Choose 2 to 4" in response.content.decode() or "not a submission" in reason


def test_another_students_submission_cannot_be_compared(
    task: CodingTask, alice: User, bob: User, failed: Submission
) -> None:
    bobs = make_submission(task=task, student=bob, status=Status.QUEUED)
    assert client_for(alice).get(compare_url(task, failed.pk, bobs.pk)).status_code == 404
    assert client_for(bob).get(compare_url(task, failed.pk, bobs.pk)).status_code == 404


def test_a_submission_of_another_task_cannot_be_compared(
    course: Course, task: CodingTask, alice: User, failed: Submission
) -> None:
    other = make_task(course=course, lesson=None, slug="other-task")
    elsewhere = make_submission(task=other, student=alice, status=Status.QUEUED)
    assert client_for(alice).get(compare_url(task, failed.pk, elsewhere.pk)).status_code == 404
    assert client_for(alice).get(compare_url(other, failed.pk, elsewhere.pk)).status_code == 404


def test_compare_under_an_unknown_task_is_404(alice: User, failed: Submission) -> None:
    url = reverse("coding:compare", args=["no-such-task"]) + f"?id={failed.pk}&id={failed.pk}"
    assert client_for(alice).get(url).status_code == 404


# --------------------------------------------------------------------------- the editor's diagram


def diagram_url(task: CodingTask) -> str:
    return reverse("coding:diagram", args=[task.slug])


def test_the_editor_gets_the_diagram_of_a_valid_network_as_the_server_renders_it(
    task: CodingTask, alice: User
) -> None:
    body = json.dumps({"keras": HANDOUT_SNIPPET})
    response = client_for(alice).post(diagram_url(task), body, content_type="application/json")
    assert response.status_code == 200
    html = response.content.decode()
    text = text_of(html)
    assert 'data-total-params="289"' in html
    assert "Your network: 289 parameters in 3 layers." in text
    assert html.count('class="arch-box arch-layer arch-dense"') == 3
    assert "(None, 16)" in text and "144 params" in text
    assert "adam, learning rate 0.001" in text
    assert "<html" not in html


def test_the_diagram_of_a_json_spec_is_the_same_as_of_its_snippet(
    task: CodingTask, alice: User
) -> None:
    client = client_for(alice)
    as_json = json.dumps({"spec": spec_to_dict(handout_spec())})
    as_keras = json.dumps({"keras": HANDOUT_SNIPPET})
    first = client.post(diagram_url(task), as_json, content_type="application/json")
    second = client.post(diagram_url(task), as_keras, content_type="application/json")
    assert first.status_code == second.status_code == 200
    assert first.content == second.content


@pytest.mark.parametrize(
    "body",
    [
        json.dumps({"keras": "import subprocess"}),
        json.dumps({"spec": {"layers": [{"type": "dense", "units": 0}]}}),
        json.dumps({"spec": [1, 2]}),
        json.dumps({}),
        "{not json",
    ],
)
def test_an_invalid_network_has_no_diagram(task: CodingTask, alice: User, body: str) -> None:
    response = client_for(alice).post(diagram_url(task), body, content_type="application/json")
    assert response.status_code == 400
    assert response.content == b""


def test_a_network_sent_with_an_unknown_field_has_no_diagram(task: CodingTask, alice: User) -> None:
    body = json.dumps({"keras": HANDOUT_SNIPPET, "extra": 1})
    response = client_for(alice).post(diagram_url(task), body, content_type="application/json")
    assert response.status_code == 400
    assert response.content == b""


def test_the_diagram_needs_a_login_a_post_a_csrf_token_and_a_known_task(
    task: CodingTask, alice: User
) -> None:
    body = json.dumps({"keras": HANDOUT_SNIPPET})
    anonymous = client_for(None).post(diagram_url(task), body, content_type="application/json")
    assert anonymous.status_code == 302
    assert client_for(alice).get(diagram_url(task)).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(alice)
    assert strict.post(diagram_url(task), body, content_type="application/json").status_code == 403
    unknown = reverse("coding:diagram", args=["no-such-task"])
    assert client_for(alice).post(unknown, body, content_type="application/json").status_code == 404


def test_a_run_without_early_stopping_shows_the_best_epoch_its_verdict_carries(
    task: CodingTask, alice: User, failed: Submission, verdicts: dict[str, Any]
) -> None:
    result = verdicts["failed"]
    seed = result["seeds"][result["representative"]]
    assert not seed["stopped_early"] and seed["best_epoch"]
    html = client_for(alice).get(reverse("coding:submission", args=[task.slug, failed.pk]))
    assert f"best epoch {seed['best_epoch']};" in text_of(html.content.decode())


# --------------------------------------------------------------------------- the status panel


def status_url(task: CodingTask, submission: Submission) -> str:
    return reverse("coding:submission-status", args=[task.slug, submission.pk])


def test_the_status_panel_of_a_running_submission_shows_its_progress_with_the_loss(
    task: CodingTask, alice: User
) -> None:
    running = make_submission(
        task=task,
        student=alice,
        status=Status.RUNNING,
        progress={
            "seed_index": 1,
            "n_seeds": 3,
            "epoch": 31,
            "epochs": 50,
            "together": False,
            "fraction": 0.54,
            "loss": 0.523456,
        },
    )
    response = client_for(alice).get(status_url(task, running))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert 'data-finished="false"' in html
    assert "Training and grading your network" in html
    assert "seed 2 of 3, epoch 31/50 · loss 0.5235" in html
    assert 'value="0.54"' in html
    detail = client_for(alice).get(reverse("coding:submission", args=[task.slug, running.pk]))
    assert html.strip() in detail.content.decode()


def test_the_status_panel_of_a_graded_submission_says_it_is_finished(
    task: CodingTask, alice: User, passed: Submission
) -> None:
    html = client_for(alice).get(status_url(task, passed)).content.decode()
    assert 'data-finished="true"' in html and 'data-counts-as-attempt="true"' in html
    assert 'data-status-label="Passed"' in html
    assert "<div data-progress hidden>" in html


def test_only_the_owner_follows_a_submissions_status(
    course: Course, task: CodingTask, alice: User, bob: User, failed: Submission
) -> None:
    url = status_url(task, failed)
    assert client_for(bob).get(url).status_code == 404
    anonymous = client_for(None).get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("login") + "?next=")
    assert client_for(alice).post(url).status_code == 405
    other = make_task(course=course, lesson=None, slug="other-task")
    assert client_for(alice).get(status_url(other, failed)).status_code == 404


# --------------------------------------------------------------------------- the lessons' side


def test_progress_page_shows_each_tasks_best_verdict_and_attempts(
    task: CodingTask, alice: User, bob: User, verdicts: dict[str, Any]
) -> None:
    make_submission(task=task, student=alice, status=Status.FAILED, result=verdicts["failed"])
    make_submission(
        task=task,
        student=alice,
        status=Status.PASSED,
        result=verdicts["passed"],
        spec=handout_spec(epochs=8),
    )
    make_submission(task=task, student=alice, status=Status.DIVERGED, result=verdicts["diverged"])
    make_submission(task=task, student=alice, status=Status.ERROR, message="lost")
    other = make_task(
        course=task.course, lesson=None, slug="other", title="OTHER-TASK", max_attempts=5
    )
    make_submission(task=other, student=bob, status=Status.FAILED, result=verdicts["failed"])
    make_submission(task=other, student=alice, status=Status.QUEUED)

    html = client_for(alice).get(reverse("courses:progress")).content.decode()
    row = html.split('id="progress-task-tiny-handout"', 1)[1].split("</tr>", 1)[0]
    assert f'href="{reverse("coding:task", args=[task.slug])}"' in row
    assert "TINY-TASK-TITLE" in row and "Passed" in text_of(row)
    assert "3&nbsp;/&nbsp;10" in row  # the service error does not count
    other_row = html.split('id="progress-task-other"', 1)[1].split("</tr>", 1)[0]
    assert "Being graded" in other_row and "1&nbsp;/&nbsp;5" in other_row

    bobs = client_for(bob).get(reverse("courses:progress")).content.decode()
    bobs_row = bobs.split('id="progress-task-tiny-handout"', 1)[1].split("</tr>", 1)[0]
    assert "Not started" in bobs_row and "0&nbsp;/&nbsp;10" in bobs_row
    other_row = bobs.split('id="progress-task-other"', 1)[1].split("</tr>", 1)[0]
    assert "Failed" in text_of(other_row) and "1&nbsp;/&nbsp;5" in other_row


def test_a_lesson_links_to_the_tasks_that_name_its_sections(
    course: Course, lesson: Lesson, alice: User
) -> None:
    lesson.blocks = [
        {"type": "html", "html": '<h2 id="overfitting">When the model memorises</h2><p>…</p>'}
    ]
    lesson.save(update_fields=["blocks"])
    # Named by the checks' sections, though attached to no lesson.
    make_task(course=course, lesson=None)
    elsewhere = LessonFactory.create(course=course, slug="elsewhere", order=2)
    make_task(
        course=course,
        lesson=elsewhere,
        slug="unrelated",
        title="UNRELATED-TASK",
        definition={**DEFINITION, "checks": [{"kind": "not_diverged", "label": "Stable"}]},
    )

    html = client_for(alice).get(reverse("courses:lesson", args=["ann", "basics"])).content.decode()
    tasks = html.split('id="lesson-tasks-heading"', 1)[1].split("</aside>", 1)[0]
    assert f'href="{reverse("coding:task", args=["tiny-handout"])}">TINY-TASK-TITLE</a>' in tasks
    assert '<a href="#overfitting">When the model memorises</a>' in tasks
    assert '<a href="#reading-the-loss">Reading the loss</a>' in tasks
    assert "UNRELATED-TASK" not in tasks

    other = client_for(alice).get(reverse("courses:lesson", args=["ann", "elsewhere"]))
    assert "UNRELATED-TASK" in other.content.decode()  # the task's own lesson


def test_a_cached_lesson_page_shows_a_task_added_after_it_was_cached(
    course: Course, lesson: Lesson, alice: User
) -> None:
    client = client_for(alice)
    url = reverse("courses:lesson", args=["ann", "basics"])
    assert "TINY-TASK-TITLE" not in client.get(url).content.decode()  # now cached
    make_task(course=course, lesson=lesson)
    lesson_pages_refresh()  # what loading the catalog or saving a task in the admin does
    assert "TINY-TASK-TITLE" in client.get(url).content.decode()


def test_loading_a_changed_catalog_touches_the_courses_and_an_unchanged_one_does_not(
    course: Course,
) -> None:
    task_catalog_load(catalog=[catalog_task("handout-keras")])
    touched = Course.objects.get(pk=course.pk).updated_at
    task_catalog_load(catalog=[catalog_task("handout-keras")])
    assert Course.objects.get(pk=course.pk).updated_at == touched
    changed = dataclasses.replace(catalog_task("handout-keras"), title="A new title")
    task_catalog_load(catalog=[changed])
    assert Course.objects.get(pk=course.pk).updated_at > touched


def test_task_page_links_each_section_it_names(task: CodingTask, alice: User) -> None:
    html = client_for(alice).get(reverse("coding:task", args=[task.slug])).content.decode()
    sections = html.split('class="task-sections"', 1)[1].split("</nav>", 1)[0]
    assert '<a href="/courses/ann/lessons/basics/#reading-the-loss">' in sections
    assert '<a href="/courses/ann/lessons/basics/#overfitting">' in sections


def test_course_list_leads_to_the_coding_tasks(task: CodingTask, alice: User) -> None:
    html = client_for(alice).get(reverse("courses:course-list")).content.decode()
    assert f'href="{reverse("coding:tasks")}">The 1 coding task</a>' in html
