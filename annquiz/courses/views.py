"""Student-facing HTML pages: courses, lessons with questions answered in place, progress.

Views only translate between HTTP and the selectors/services. Answering works without
JavaScript (a normal POST that redirects back to ``#question-KEY``, with any error kept in the
session and shown next to the form) and with it: ``static/courses/js/answer.js`` posts the
same form with ``fetch`` and the header ``X-Requested-With: fetch``, and gets back just the
question's re-rendered section, which it swaps into the page.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from annquiz.core.errors import ServiceError
from annquiz.core.page_errors import page_error
from annquiz.courses import grading, selectors, services
from annquiz.courses.lesson_cache import LessonPage, lesson_page_html
from annquiz.courses.models import Lesson, Question
from annquiz.enrolment import selectors as enrolment
from annquiz.enrolment.models import Offering

# Where a no-JavaScript answer's error and the submitted values wait for the next page view.
PENDING_SESSION_KEY = "courses.pending_answers"
FRAGMENT_HEADER = "fetch"
_VALUES_SPLIT_RE = re.compile(r"[\s,;]+")

FIELD_LABELS = {
    "choice": "Choice",
    "choices": "Choices",
    "value": "Your number",
    "values": "Your numbers",
    "text": "Your explanation",
    "variant": "Variant",
    "question": "This question",
    "response": "Your answer",
}


def _student(request: HttpRequest) -> AbstractBaseUser:
    user = request.user
    assert isinstance(user, AbstractBaseUser) and user.is_authenticated  # login_required
    return user


def _is_fragment_request(request: HttpRequest) -> bool:
    return request.headers.get("X-Requested-With", "").lower() == FRAGMENT_HEADER


# --- courses -------------------------------------------------------------------------------


@login_required
@require_GET
def course_list(request: HttpRequest) -> HttpResponse:
    """The user's courses with their progress in each; a user in no course is sent to the
    page where they join one."""
    student = _student(request)
    courses = list(selectors.course_list_for_user(user=student))
    if not courses and not enrolment.is_staff(student):
        return redirect("enrolment:join")
    progress = selectors.courses_progress_for_student(student=student, courses=courses)
    return render(request, "courses/course_list.html", {"progress": progress})


@login_required
@require_GET
def course_detail(request: HttpRequest, course_slug: str) -> HttpResponse:
    """The course's lessons in order, with answered/total and score per lesson and overall."""
    student = _student(request)
    course = selectors.course_get_for_user(user=student, slug=course_slug)
    progress = selectors.course_progress_for_student(student=student, course=course)
    teaches = enrolment.may_teach(user=student, offering_id=course.pk)
    return render(
        request,
        "courses/course_detail.html",
        {"course": course, "progress": progress, "teaches": teaches},
    )


@login_required
@require_GET
def progress_overview(request: HttpRequest) -> HttpResponse:
    """The student's progress in every course, lesson by lesson."""
    student = _student(request)
    courses = list(selectors.course_list_for_user(user=student))
    progress = selectors.courses_progress_for_student(student=student, courses=courses)
    return render(request, "courses/progress.html", {"progress": progress})


# --- lessons -------------------------------------------------------------------------------


def _pending_answers(request: HttpRequest) -> dict[str, Any]:
    """Errors (and the values sent) of no-JavaScript answers, read once."""
    pending = request.session.pop(PENDING_SESSION_KEY, None)
    return pending if isinstance(pending, dict) else {}


@login_required
@require_GET
def lesson_detail(request: HttpRequest, course_slug: str, lesson_slug: str) -> HttpResponse:
    """The lesson's blocks in order, each question as a form with the student's standing.

    The page is cached (``lesson_cache``): a cached page costs one query beyond the session
    and the user.
    """
    page = LessonPage(
        request=request,
        student=_student(request),
        course_slug=course_slug,
        lesson_slug=lesson_slug,
        pending=_pending_answers(request),
    )
    return HttpResponse(lesson_page_html(request, page))


@login_required
@require_GET
def lesson_progress(request: HttpRequest, course_slug: str, lesson_slug: str) -> HttpResponse:
    """Each question of the lesson: answered or not, attempts, best score, last answer time."""
    student = _student(request)
    course = selectors.course_get_for_user(user=student, slug=course_slug)
    lesson = selectors.lesson_get_in_course(course=course, lesson_slug=lesson_slug)
    progress = selectors.lesson_progress_for_student(student=student, lesson=lesson)
    return render(
        request,
        "courses/lesson_progress.html",
        {"lesson": lesson, "course": course, "progress": progress},
    )


# --- answering -----------------------------------------------------------------------------


def response_from_form(public_config: dict[str, Any], data: Any) -> dict[str, Any]:
    """The answer's ``response`` from the posted form, shaped by the question's public config.

    A field the student left out is sent empty, so that the grading engine names it
    ("is empty; choose one of a, b, c"). A vector answer is typed as numbers separated by
    commas, semicolons or spaces.
    """
    response: dict[str, Any] = {}
    for field in public_config["fields"]:
        if field == "choices":
            response[field] = [str(item) for item in data.getlist("choices")]
        elif field == "values":
            raw = str(data.get("values", "")).strip()
            response[field] = [item for item in _VALUES_SPLIT_RE.split(raw) if item] if raw else []
        else:
            response[field] = str(data.get(field, ""))
    return response


def _form_values(data: Any) -> dict[str, Any]:
    """What the student typed or chose, to put back into the form after an error."""
    return {
        "choice": str(data.get("choice", ""))[:100],
        "choices": [str(item)[:100] for item in data.getlist("choices")][:32],
        "value": str(data.get("value", ""))[:64],
        "values": str(data.get("values", ""))[:1000],
        "text": str(data.get("text", ""))[:5000],
    }


def _lesson_url(course: Offering, lesson: Lesson, question: Question | None = None) -> str:
    url = reverse(
        "courses:lesson",
        kwargs={"course_slug": course.slug, "lesson_slug": lesson.slug},
    )
    return f"{url}#question-{question.key}" if question is not None else url


def _question_for_lesson(lesson: Lesson, key: str) -> Question | None:
    return next((q for q in selectors.lesson_questions(lesson) if q.key == key), None)


@login_required
@require_POST
def answer_create(
    request: HttpRequest, course_slug: str, lesson_slug: str, key: str
) -> HttpResponse:
    """Grade and store an answer to the lesson's question ``key``.

    Without ``X-Requested-With: fetch``: redirect back to the question on the lesson page
    (an error is shown there, next to the form). With it: the question's section alone,
    status 200 when stored, 400/403/409 with the error inside the section when not.
    """
    student = _student(request)
    course = selectors.course_get_for_user(user=student, slug=course_slug)
    lesson = selectors.lesson_get_in_course(course=course, lesson_slug=lesson_slug)
    question = _question_for_lesson(lesson, key)
    if question is None:
        if _is_fragment_request(request):
            return HttpResponse(f"No question {key!r} in this lesson.", status=404)
        raise Http404(f"No question {key!r} in this lesson.")
    question.lesson = lesson

    error: str | None = None
    status = 200
    public = grading.public_config(question.kind, question.config)
    try:
        services.answer_submit(
            student=student,
            question=question,
            response=response_from_form(public, request.POST),
            place=enrolment.work_place_in(offering=course, lesson_id=question.lesson_id),
        )
    except ServiceError as exc:
        refused = page_error(exc, field_labels=FIELD_LABELS)
        error, status = refused.message, refused.status

    if not _is_fragment_request(request):
        if error is not None:
            pending = request.session.get(PENDING_SESSION_KEY)
            pending = pending if isinstance(pending, dict) else {}
            pending[question.key] = {"error": error, "values": _form_values(request.POST)}
            request.session[PENDING_SESSION_KEY] = pending
        return redirect(_lesson_url(course, lesson, question))

    variant = services.variants_get_or_create(student=student, questions=[question]).get(
        question.pk
    )
    block = selectors.question_view_for_student(student=student, question=question, variant=variant)
    context = {
        "block": block,
        "lesson": lesson,
        "course": course,
        "error": error,
        "values": _form_values(request.POST) if error is not None else None,
    }
    return render(request, "courses/_question.html", context, status=status)
