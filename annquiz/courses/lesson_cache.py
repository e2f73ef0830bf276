"""The lesson page's content, cached with Django's template fragment cache.

``courses/lesson_detail.html`` is rendered like any other page: the site layout (the
student's name, the log-out form, any messages) around the lesson's content. The content
(the lesson's blocks, the student's progress line and each question's form with the
student's attempts, feedback and variant) is a ``{% cache %}`` fragment in the
``lesson_pages`` cache of ``settings.CACHES``, keyed on everything it shows:

- the lesson and its content version, a hash of the course's, the course's lessons' (the
  previous/next links) and the lesson's questions' update times: saving any of them, as
  loading the course content does, gives a new key;
- the student and their latest answer in the lesson: each stored answer gives a new key;
- the browser's CSRF secret, since the forms carry tokens made from it (Django's per-view
  cache varies on the cookie for the same reason).

The version comes from one query (``selectors.lesson_page_version_for_user``); the lesson,
its questions and the student's standing are read only when the fragment is rendered, so a
cached page costs that query beyond the session and the user. The cache is local to each
process and every process reads the version, so several gunicorn workers never serve a stale
page. A page showing the error of a no-JavaScript answer is rendered afresh and not cached.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest
from django.middleware.csrf import get_token

from annquiz.courses import selectors, services
from annquiz.courses.models import Lesson

# The alias in settings.CACHES; courses/lesson_detail.html names it in its {% cache %} tag.
LESSON_PAGES_CACHE = "lesson_pages"


@dataclass(frozen=True)
class LessonBlock:
    """One block of the lesson on the page; for a question, the error of a no-JavaScript
    answer and the values the student sent, if one waits."""

    view: selectors.HtmlBlockView | selectors.QuestionBlockView
    error: str | None = None
    values: dict[str, Any] | None = None


class LessonPage:
    """What ``courses/lesson_detail.html`` shows: the cache key's parts at once, the
    content's data only when the cached fragment is missing."""

    def __init__(
        self,
        *,
        request: HttpRequest,
        student: AbstractBaseUser,
        course_slug: str,
        lesson_slug: str,
        pending: dict[str, Any],
    ) -> None:
        self.version = selectors.lesson_page_version_for_user(
            user=student, course_slug=course_slug, lesson_slug=lesson_slug
        )
        self.student = student
        self.course_slug = course_slug
        self.lesson_slug = lesson_slug
        self.pending = pending
        if "CSRF_COOKIE" not in request.META:
            get_token(request)  # a first visit: the browser's secret is made now
        # The secret behind this browser's CSRF tokens (CsrfViewMiddleware reads it from the
        # cookie into META; every token on the page is made from it).
        self.csrf_secret = str(request.META["CSRF_COOKIE"])

    @property
    def title(self) -> str:
        return self.version.title

    @property
    def cached(self) -> bool:
        """Whether the content may come from, and go to, the cache."""
        return not self.pending

    @cached_property
    def lesson(self) -> Lesson:
        return selectors.lesson_get_by_slug_for_user(
            user=self.student, course_slug=self.course_slug, lesson_slug=self.lesson_slug
        )

    @cached_property
    def view(self) -> selectors.LessonView:
        """The lesson's blocks and the student's standing (drawing their variants, the first
        time they see the lesson)."""
        variants = services.variants_get_or_create(
            student=self.student, questions=selectors.lesson_questions(self.lesson)
        )
        return selectors.lesson_view_for_student(
            student=self.student, lesson=self.lesson, variants=variants
        )

    @cached_property
    def blocks(self) -> list[LessonBlock]:
        blocks = []
        for block in self.view.blocks:
            waiting = (
                self.pending.get(block.question.key) or {}
                if isinstance(block, selectors.QuestionBlockView)
                else {}
            )
            blocks.append(
                LessonBlock(view=block, error=waiting.get("error"), values=waiting.get("values"))
            )
        return blocks

    @cached_property
    def neighbours(self) -> tuple[Lesson | None, Lesson | None]:
        """The previous and the next lesson of the course."""
        return selectors.lesson_neighbours(lesson=self.lesson)
