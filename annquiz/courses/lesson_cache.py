"""The lesson page, cached whole in the ``lesson_pages`` cache of ``settings.CACHES``.

``courses/lesson_detail.html`` renders the page like any other (the site layout with the
student's name and log-out form around the lesson's blocks, the student's progress line and
each question's form with their attempts, feedback and variant). The rendered page is kept
under a key made of everything it shows:

- the lesson, the course (offering) it is read in and the content version, a hash of the
  offering's title, the content's, its lessons' (the previous/next links) and the lesson's
  questions' update times: saving any of them, as loading the course content does, gives a
  new key;
- the student (their name is in the layout), their latest answer in the lesson and the
  grades of their answers in it: each stored answer, and an instructor's override of a
  grade, gives a new key;
- the browser's CSRF secret, since the forms carry tokens made from it (Django's per-view
  cache varies on the cookie for the same reason).

The version comes from one query (``selectors.lesson_page_version_for_user``); the rest is
read only when the page is rendered, so a cached page costs that query beyond the session
and the user, and no template work. What every student's page shares, the lesson with its
course and questions and the lessons before and after it, is kept in the same cache under
the content version, so rendering a page reads only the student's own standing. A page
that shows something for this response only (a message, the error of a no-JavaScript
answer) is rendered afresh and not kept. The cache is local to each process and every
process reads the version, so several gunicorn workers never serve a stale page.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.messages import get_messages
from django.core.cache import caches
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import render_to_string

from annquiz.courses import selectors, services
from annquiz.courses.models import Lesson
from annquiz.enrolment.models import Offering

# The alias in settings.CACHES.
LESSON_PAGES_CACHE = "lesson_pages"
TEMPLATE = "courses/lesson_detail.html"


@dataclass(frozen=True)
class LessonBlock:
    """One block of the lesson on the page; for a question, the error of a no-JavaScript
    answer and the values the student sent, if one waits."""

    view: selectors.HtmlBlockView | selectors.QuestionBlockView
    error: str | None = None
    values: dict[str, Any] | None = None


class LessonPage:
    """What ``courses/lesson_detail.html`` shows: the cache key at once (one query), the
    content's data only when the page is rendered."""

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
        # Every token on the page is made from the browser's CSRF secret (CsrfViewMiddleware
        # reads it from the cookie; on a first visit it is made here).
        get_token(request)
        secret = str(request.META["CSRF_COOKIE"])
        browser = hashlib.blake2b(
            f"{student.get_username()}\n{secret}".encode(), digest_size=16
        ).hexdigest()
        version = self.version
        self.cache_key = (
            f"lesson-page:{version.lesson_id}:{version.course.pk}:{version.content}"
            f":student:{student.pk}:{version.student}:{browser}"
        )

    @cached_property
    def _lesson_and_neighbours(self) -> tuple[Lesson, Lesson | None, Lesson | None]:
        """The lesson (with its course and questions) and the lessons before and after it:
        the same for every student, so kept in the cache under the content version."""

        cache = caches[LESSON_PAGES_CACHE]
        key = f"lesson:{self.version.lesson_id}:{self.version.content}"
        shared: tuple[Lesson, Lesson | None, Lesson | None] | None = cache.get(key)
        if shared is None:
            lesson = selectors.lesson_get_in_course(
                course=self.course, lesson_slug=self.lesson_slug
            )
            shared = (lesson, *selectors.lesson_neighbours(lesson=lesson))
            cache.set(key, shared)
        return shared

    @property
    def lesson(self) -> Lesson:
        return self._lesson_and_neighbours[0]

    @property
    def course(self) -> Offering:
        """The course (offering) the page is read in: its title and slug are on the page.
        The version's query checked that the student is in it and read them."""
        return self.version.course

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

    @property
    def neighbours(self) -> tuple[Lesson | None, Lesson | None]:
        """The previous and the next lesson of the course."""
        return self._lesson_and_neighbours[1:]


def lesson_page_html(request: HttpRequest, page: LessonPage) -> str:
    """The lesson page for this request: from the cache unless it shows a message or a
    no-JavaScript answer's error, rendered (and kept) when not there."""
    if page.pending or get_messages(request):
        return render_to_string(TEMPLATE, {"page": page}, request)
    cache = caches[LESSON_PAGES_CACHE]
    html: str | None = cache.get(page.cache_key)
    if html is None:
        html = render_to_string(TEMPLATE, {"page": page}, request)
        cache.set(page.cache_key, html)
    return html
