"""A student works on the catalog's first coding task in real headless Chromium: the editor
checks the network while it is typed, and the handout's code, submitted from the Keras box, is
graded by a real Celery worker while the submission page follows it without reloading."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

import pytest
from django.contrib.auth.models import User

from annquiz.coding.models import Submission
from annquiz.coding.statuses import Status
from tests.factories import DEFAULT_PASSWORD, StudentFactory

if TYPE_CHECKING:
    from playwright.sync_api import Page

    from tests.worker import CeleryStack

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TASK = "/tasks/handout-keras/"
GRADING_TIMEOUT_MS = 120_000

GOOD_SPEC = {
    "layers": [
        {"type": "dense", "units": 16, "activation": "relu", "input_dim": 8},
        {"type": "dense", "units": 8, "activation": "relu"},
        {"type": "dense", "units": 1, "activation": "sigmoid"},
    ],
    "optimizer": {"name": "adam", "learning_rate": 0.001},
    "loss": "binary_crossentropy",
    "metrics": ["accuracy"],
    "epochs": 50,
    "batch_size": 10,
}


def log_in_as_new_student(page: Page) -> None:
    StudentFactory.create(username="erin")
    page.goto("/accounts/login/")
    page.fill("input[name=username]", "erin")
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(re.compile(r"/courses/$"))


def feedback_text(page: Page) -> str:
    return page.locator("[data-editor-feedback]").inner_text()


def no_sideways_scroll(page: Page) -> None:
    sizes = page.evaluate(
        "({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
    )
    assert sizes["scroll"] <= sizes["inner"], sizes


def test_editor_shows_json_and_spec_errors_inline_and_draws_a_valid_network(
    page: Page, catalog: None, screenshot: Any
) -> None:
    log_in_as_new_student(page)
    page.click("nav >> text=Tasks")
    page.wait_for_url(re.compile(r"/tasks/$"))
    page.click("text=The handout's first Keras model")
    page.wait_for_url(re.compile(re.escape(TASK) + "$"))

    # The starter (the handout's code) is checked as soon as the page opens.
    page.wait_for_selector("[data-diagram] .arch")
    assert "Valid for this task: 289 parameters" in feedback_text(page)
    assert page.locator("[data-diagram] .arch-layer").count() == 3
    assert page.locator("[data-submit]").is_enabled()
    screenshot(page, "coding-task-desktop")

    page.check("input[name=mode][value=json]")
    editor = page.locator("#spec-json")
    assert editor.is_visible() and not page.locator("#spec-keras").is_visible()

    # A JSON syntax error, found by the browser: line and column, the line itself.
    editor.fill('{\n  "layers": [\n    {"type": "dense" "units": 16}\n  ]\n}')
    page.wait_for_function(
        "document.querySelector('[data-editor-feedback]').textContent.includes('JSON syntax')"
    )
    message = feedback_text(page)
    assert re.search(r"JSON syntax error at line 3, column \d+", message), message
    assert '{"type": "dense" "units": 16}' in message
    assert editor.get_attribute("aria-invalid") == "true"
    page.locator("[data-submit]").scroll_into_view_if_needed()
    screenshot(page, "coding-editor-json-error", full_page=False)

    # Valid JSON, a bad layer: the server's error names the path.
    bad = json.loads(json.dumps(GOOD_SPEC))
    bad["layers"][1]["units"] = -8
    editor.fill(json.dumps(bad, indent=2))
    page.wait_for_function(
        "document.querySelector('[data-editor-feedback]').textContent.includes('layers[1]')"
    )
    message = feedback_text(page)
    assert message.startswith("layers[1].units"), message
    assert "JSON syntax" not in message
    assert editor.get_attribute("aria-invalid") == "true"
    # The last valid diagram stays, marked as out of date.
    assert "last valid version" in page.locator("[data-diagram-note]").inner_text()

    # A valid spec: the diagram of the new network.
    good = json.loads(json.dumps(GOOD_SPEC))
    good["layers"][0]["units"] = 32
    editor.fill(json.dumps(good, indent=2))
    page.wait_for_function(
        "document.querySelector('[data-editor-feedback]').textContent.includes('Valid')"
    )
    assert editor.get_attribute("aria-invalid") is None
    boxes = page.locator("[data-diagram] .arch-box").all_inner_texts()
    assert "Input" in boxes[0] and "(None, 8)" in boxes[0]
    assert "Dense" in boxes[1] and "32 units" in boxes[1] and "relu" in boxes[1]
    assert "(None, 32)" in boxes[1] and "288 params" in boxes[1]
    assert "sigmoid" in boxes[3] and "(None, 1)" in boxes[3]
    summary = page.locator("[data-diagram] .arch-summary").inner_text()
    assert "adam, learning rate 0.001" in summary and "binary_crossentropy" in summary

    # The Keras box: an error names the line of the snippet.
    page.check("input[name=mode][value=keras]")
    page.fill(
        "#spec-keras",
        "from tensorflow.keras.models import Sequential\n"
        "from tensorflow.keras.layers import Dense\n"
        "model = Sequential([\n    Dense(16, input_dim=8),\n    Conv9D(3)\n])",
    )
    page.wait_for_function(
        "document.querySelector('[data-editor-feedback]').textContent.includes('line 5')"
    )
    message = feedback_text(page)
    assert "the name Conv9D is not allowed here" in message
    assert "  5 |     Conv9D(3)" in message  # the line itself, under the message
    assert page.locator("#spec-keras").get_attribute("aria-invalid") == "true"

    # On a phone: nothing wider than the screen, the diagram still readable.
    page.click("[data-reset]")
    page.wait_for_function(
        "document.querySelector('[data-editor-feedback]').textContent.includes('Valid')"
    )
    page.set_viewport_size({"width": 375, "height": 812})
    no_sideways_scroll(page)
    box = page.locator("[data-diagram] .arch-layer").first.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
    screenshot(page, "coding-task-phone")


def test_handout_code_is_graded_by_a_real_worker_while_the_page_follows_it(
    page: Page, catalog: None, celery_stack: CeleryStack, screenshot: Any
) -> None:
    log_in_as_new_student(page)
    page.goto(TASK)
    page.wait_for_selector("[data-diagram] .arch")
    assert "Keras snippet" in page.locator("label[for=spec-keras]").inner_text()

    # No worker runs yet: the submission waits in the queue.
    page.click("[data-submit]")
    page.wait_for_url(re.compile(r"/tasks/handout-keras/submissions/\d+/$"))
    submission = Submission.objects.get()
    assert submission.status == Status.QUEUED
    assert submission.source_kind == "keras"
    assert "Dense(16, input_dim=8, activation='relu')" in submission.source
    assert submission.idempotency_key
    status = page.locator("[data-status-text]")
    assert "Queued: number 1 in the queue." in status.inner_text()
    assert status.get_attribute("aria-live") == "polite"
    screenshot(page, "coding-submission-queued", full_page=False)

    # The page is not reloaded from here on: the marker would be lost.
    page.evaluate("window.__sameDocument = true")
    worker = celery_stack.start_worker()

    page.wait_for_selector(
        "[data-submission-body] .verdict-correct, [data-submission-body] .verdict-incorrect",
        timeout=GRADING_TIMEOUT_MS,
    )
    assert page.evaluate("window.__sameDocument") is True
    graded = worker.wait_for(submission.pk, {Status.PASSED, Status.FAILED}, timeout=5)
    assert graded.status == Status.PASSED, graded.message
    assert page.locator("[data-status-badge]").inner_text() == "Passed"
    assert status.inner_text() == "Graded: Passed. The verdict is below."
    assert graded.message in page.locator(".verdict-summary").inner_text()

    checks = page.locator("[data-submission-body] .check-list").first.locator(".check")
    assert checks.count() == 2
    assert "Validation accuracy" in checks.first.inner_text()

    # The curves: one SVG for the loss, one for the accuracy, each with both lines.
    page.wait_for_selector("[data-plot=loss] svg path.series-val")
    for plot in ("loss", "metric"):
        paths = page.locator(f"[data-plot={plot}] svg path.series")
        assert paths.count() == 2, plot
        assert len(paths.first.get_attribute("d") or "") > 100
    assert "Accuracy" in page.locator("figure:has([data-plot=metric]) figcaption").inner_text()
    assert page.locator("[data-plot=loss] .marker-best").count() == 1
    assert "best epoch" in (page.locator("[data-plot=loss] .marker-best text").text_content() or "")
    assert "Dead ReLUs" in page.locator("[data-submission-body]").inner_text()
    screenshot(page, "coding-submission-graded-desktop")

    page.set_viewport_size({"width": 375, "height": 812})
    page.wait_for_timeout(400)  # the plots are redrawn to the new width
    no_sideways_scroll(page)
    svg_box = page.locator("[data-plot=loss] svg").bounding_box()
    assert svg_box is not None and svg_box["width"] <= 375
    screenshot(page, "coding-submission-graded-phone")
    page.locator("[data-plot=loss]").scroll_into_view_if_needed()
    screenshot(page, "coding-submission-plots-phone", full_page=False)
    page.set_viewport_size({"width": 1280, "height": 900})

    # A second network, then both side by side.
    page.goto(TASK)
    page.check("input[name=mode][value=json]")
    spec = dict(GOOD_SPEC, epochs=8)
    page.fill("#spec-json", json.dumps(spec, indent=2))
    page.wait_for_function(
        "document.querySelector('[data-editor-feedback]').textContent.includes('Valid')"
    )
    page.click("[data-submit]")
    page.wait_for_url(re.compile(r"/submissions/\d+/$"))
    page.wait_for_selector(
        "[data-submission-body] .verdict-correct, [data-submission-body] .verdict-incorrect",
        timeout=GRADING_TIMEOUT_MS,
    )
    page.goto(TASK)
    compare = page.locator("[data-compare-form] button[type=submit]")
    boxes = page.locator("[data-compare-form] input[name=id]")
    assert boxes.count() == 2
    boxes.nth(0).check()
    assert compare.is_disabled()
    boxes.nth(1).check()
    assert compare.is_enabled()
    compare.click()
    page.wait_for_url(re.compile(r"/compare/\?id=\d+&id=\d+$"))
    page.wait_for_selector("[data-compare-column] [data-plot=loss] svg path.series")
    assert page.locator("[data-compare-column]").count() == 2
    for plot in ("loss", "metric"):  # a loss and an accuracy plot per column
        assert (
            page.locator(f"[data-compare-column] [data-plot={plot}] svg path.series").count() == 4
        )
    screenshot(page, "coding-compare-desktop")
    page.set_viewport_size({"width": 375, "height": 812})
    page.wait_for_timeout(400)
    no_sideways_scroll(page)
    screenshot(page, "coding-compare-phone")


def test_progress_and_verdict_appear_in_place_as_the_row_changes(
    page: Page, catalog: None, screenshot: Any
) -> None:
    """The submission row moves the way a worker moves it (claim, progress, one result);
    the open page shows each step without reloading."""
    from annquiz.coding.architecture import architecture_diagram
    from annquiz.coding.models import CodingTask
    from annquiz.coding.selectors import task_definition
    from training.judging import judge, training_progress
    from training.keras_snippet import parse_keras_snippet
    from training.spec import spec_to_dict

    log_in_as_new_student(page)
    task = CodingTask.objects.get(slug="handout-keras")
    spec = parse_keras_snippet(task.starter_source)
    submission = Submission.objects.create(
        task=task,
        student=User.objects.get(username="erin"),
        number=1,
        source_kind="keras",
        source=task.starter_source,
        spec=spec_to_dict(spec),
        architecture=architecture_diagram(spec),
        status=Status.RUNNING,
        # As the TensorFlow backend reports it: one seed after another.
        progress={
            **training_progress({0: 50, 1: 31}, n_seeds=3, epochs=50, backend="tensorflow"),
            "loss": 0.52,
        },
        queue=task.queue,
    )
    page.goto(f"{TASK}submissions/{submission.pk}/")
    page.evaluate("window.__sameDocument = true")
    assert "seed 2 of 3, epoch 31/50" in page.locator("[data-progress-text]").inner_text()
    page.wait_for_function(
        "document.querySelector('[data-progress] progress').value > 0.5"
    )  # (1 * 50 + 31) / 150 of the work
    screenshot(page, "coding-submission-running", full_page=False)

    # As the NumPy backend reports it: every seed in one pass.
    Submission.objects.filter(pk=submission.pk).update(
        progress={
            **training_progress({0: 10, 1: 10, 2: 10}, n_seeds=3, epochs=50, backend="numpy"),
            "loss": 0.41,
        }
    )
    page.wait_for_function(
        "document.querySelector('[data-progress-text]').textContent.includes('3 seeds together')"
    )
    assert "epoch 10/50 · loss 0.41" in page.locator("[data-progress-text]").inner_text()
    assert page.evaluate("document.querySelector('[data-progress] progress').value") == 0.2

    judgement = judge(task_definition(task), spec)
    Submission.objects.filter(pk=submission.pk).update(
        status=judgement.verdict, result=judgement.to_dict(), message=judgement.summary
    )
    page.wait_for_selector("[data-submission-body] .check-list")
    assert page.evaluate("window.__sameDocument") is True
    assert page.locator("[data-progress]").is_hidden()
    assert page.locator("[data-plot=loss] svg path.series").count() == 2
    assert judgement.summary in page.locator(".verdict-summary").inner_text()
