"""The regrade pages of a task and a regraded submission's page, checked by axe-core at a
desktop's and a phone's width (no serious or critical violation, no sideways scrolling); and
the run page following a judging run by itself until its proposed changes appear."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from annquiz.coding.models import RegradeRun, RegradeRunStatus
from annquiz.coding.regrading import regrade_run_apply
from annquiz.coding.statuses import Status
from annquiz.enrolment.models import Membership, Role
from tests.annquiz.coding.conftest import store_task
from tests.annquiz.coding.regrade_helpers import judged_run, judged_submission
from tests.annquiz.courses.factories import default_offering
from tests.browser.axe import assert_no_serious_violations, require_axe, save_artifact
from tests.browser.pages import log_in
from tests.factories import StudentFactory

if TYPE_CHECKING:
    from playwright.sync_api import Page, ViewportSize

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS: dict[str, ViewportSize] = {
    "1280": {"width": 1280, "height": 900},
    "375": {"width": 375, "height": 812},
}


def test_the_regrade_pages_have_no_serious_accessibility_violation(page: Page) -> None:
    require_axe()
    task = store_task("handout-keras")
    assert task.course is not None
    offering = default_offering(task.course)
    teacher = log_in(page, "tessa")
    # Every test user is a student of every course (tests/enrolment.py): make this one teach.
    Membership.objects.update_or_create(
        user=teacher, offering=offering, defaults={"role": Role.INSTRUCTOR}
    )
    students = [StudentFactory.create(username=f"student-with-a-long-name-{n}") for n in range(3)]
    submissions = [
        judged_submission(task, student, offering, status=status)
        for student, status in zip(
            students, (Status.PASSED, Status.FAILED, Status.DIVERGED), strict=True
        )
    ]
    proposals = dict(zip(submissions, (Status.FAILED, Status.PASSED, Status.DIVERGED), strict=True))
    applied = judged_run(task, offering, proposals, started_by=teacher)
    regrade_run_apply(run_id=applied.pk, applied_by=teacher)
    ready = judged_run(task, offering, proposals, started_by=teacher)
    judging = judged_run(task, offering, proposals, status=RegradeRunStatus.JUDGING)
    base = f"/courses/{offering.slug}/dashboard/tasks/{task.slug}/regrade/"
    urls = {
        "start": base,
        "judging": f"{base}{judging.pk}/",
        "ready": f"{base}{ready.pk}/",
        "applied": f"{base}{applied.pk}/",
        "history": f"/tasks/{task.slug}/submissions/{submissions[0].pk}/",
    }
    failures = []
    for name, url in urls.items():
        response = page.goto(url)
        assert response is not None and response.status == 200, (name, url)
        for width, viewport in WIDTHS.items():
            page.set_viewport_size(viewport)
            page.wait_for_timeout(200)
            save_artifact(page, f"regrade-{name}-{width}")
            sizes = page.evaluate(
                "({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
            )
            if sizes["scroll"] > sizes["inner"]:
                failures.append(f"regrade {name} at {width} px scrolls sideways: {sizes}")
            try:
                assert_no_serious_violations(page, f"regrade {name} at {width} px")
            except AssertionError as error:
                failures.append(str(error))
    assert not failures, "\n\n".join(failures)


def test_the_run_page_follows_the_judging_until_the_proposed_changes_appear(
    page: Page,
) -> None:
    task = store_task("handout-keras")
    assert task.course is not None
    offering = default_offering(task.course)
    teacher = log_in(page, "tessa")
    Membership.objects.update_or_create(
        user=teacher, offering=offering, defaults={"role": Role.INSTRUCTOR}
    )
    submission = judged_submission(task, StudentFactory.create(), offering, status=Status.PASSED)
    run = judged_run(task, offering, {submission: Status.FAILED}, status=RegradeRunStatus.JUDGING)
    page.goto(f"/courses/{offering.slug}/dashboard/tasks/{task.slug}/regrade/{run.pk}/")
    assert page.get_by_text("No grade has changed").is_visible()

    RegradeRun.objects.filter(pk=run.pk).update(status=RegradeRunStatus.READY)

    page.get_by_role("button", name="Apply 1 grade change").wait_for(timeout=10_000)
    assert page.get_by_text("1 of 1 submissions judged again").is_visible()
