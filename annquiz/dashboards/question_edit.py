"""Editing a question on the web: ``/courses/<offering>/dashboard/questions/<key>/edit/``.

GET shows the form with a preview of the question as stored. POST with ``action=preview``
re-renders the page (or, asked by the page's script with ``X-Preview: fragment``, only the
preview) from the typed content without saving; ``action=save`` stores it through
``question_edit``, which runs the question's answer table first: a refused edit is shown
again (400 for a bad field, 422 with each failing test answer), nothing written.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from annquiz.core.page_errors import page_error
from annquiz.courses.authoring.content import content_of, markdown_recorded
from annquiz.courses.authoring.forms import QuestionForms, question_forms
from annquiz.courses.authoring.preview import Preview, question_preview
from annquiz.courses.authoring.selectors import offerings_sharing, question_versions
from annquiz.courses.authoring.services import question_base, question_edit
from annquiz.courses.errors import QuestionEditConflict, QuestionEditInvalid, TableTestFailed
from annquiz.courses.models import Question
from annquiz.dashboards import selectors
from annquiz.enrolment.models import Offering

FIELD_LABELS = {
    "prompt": "Prompt",
    "hints": "Hint",
    "explanation": "Explanation",
    "model_answer": "Model answer",
}


def _page(
    request: HttpRequest,
    offering: Offering,
    question: Question,
    forms: QuestionForms,
    preview: Preview,
    *,
    status: int = 200,
    error: str = "",
    failures: list[Any] | None = None,
) -> HttpResponse:
    return render(
        request,
        "dashboards/question_edit.html",
        {
            "course": offering,
            "question": question,
            "lesson": question.lesson,
            "forms": forms,
            "preview": preview,
            "error": error,
            "failures": failures or [],
            "versions": question_versions(question=question),
            "offerings": offerings_sharing(question=question),
            "markdown_recorded": markdown_recorded(question),
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def question_edit_page(request: HttpRequest, course_slug: str, key: str) -> HttpResponse:
    """The question's prompt, options, hints, rubric and test answers in a form, with a
    preview; saving runs the answer table and records a version."""
    offering = selectors.offering_get_for_teacher(user=request.user, slug=course_slug)
    question = selectors.question_get_in_offering(offering=offering, key=key)
    stored = content_of(question)
    user = request.user
    assert isinstance(user, AbstractBaseUser) and user.pk is not None  # login_required
    viewer_id = int(user.pk)
    if request.method == "GET":
        forms = question_forms(question.kind, stored, base=question_base(question))
        preview = question_preview(question=question, content=stored, viewer_id=viewer_id)
        return _page(request, offering, question, forms, preview)

    forms = question_forms(question.kind, stored, request.POST)
    fragment = request.headers.get("X-Preview") == "fragment"
    if not forms.is_valid():
        preview = Preview(None, None, "Correct the fields marked in the form to see the preview.")
        if fragment:
            return _fragment(request, offering, question, preview, status=400)
        return _page(
            request,
            offering,
            question,
            forms,
            preview,
            status=400,
            error="Some fields need correcting: see the messages next to them.",
        )
    content = forms.content(stored.test_answers)
    preview = question_preview(question=question, content=content, viewer_id=viewer_id)
    if fragment:
        return _fragment(request, offering, question, preview)
    if request.POST.get("action") != "save":
        # A fresh form from the previewed content: its new rows are kept, blank ones added.
        return _page(
            request,
            offering,
            question,
            question_forms(question.kind, content, base=forms.base),
            preview,
        )
    try:
        version = question_edit(question=question, content=content, author=user, base=forms.base)
    except TableTestFailed as exc:
        return _page(
            request,
            offering,
            question,
            forms,
            preview,
            status=exc.status_code,
            error=exc.message,
            failures=exc.failures,
        )
    except QuestionEditConflict as exc:
        # The same typed content, now based on the current state: saving again replaces it.
        data = request.POST.copy()
        data["question-base"] = exc.current
        again = question_forms(question.kind, stored, data)
        again.is_valid()
        error = page_error(exc, field_labels=FIELD_LABELS)
        return _page(request, offering, question, again, preview, status=409, error=error.message)
    except QuestionEditInvalid as exc:
        error = page_error(exc, field_labels=FIELD_LABELS)
        return _page(
            request, offering, question, forms, preview, status=error.status, error=error.message
        )
    messages.success(
        request,
        f"Saved as version {version.number}: every test answer got its expected verdict.",
    )
    return redirect("dashboards:question-edit", offering.slug, question.key)


def _fragment(
    request: HttpRequest,
    offering: Offering,
    question: Question,
    preview: Preview,
    *,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "dashboards/_question_preview.html",
        {"course": offering, "lesson": question.lesson, "preview": preview},
        status=status,
    )
