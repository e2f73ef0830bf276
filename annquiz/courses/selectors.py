"""Reads about courses, lessons, questions, answers and progress, with the access checks.

Every ``*_for_user`` getter raises ``Http404`` for what does not exist, is inactive or is
outside the user's courses (the same 404 for each, see ``annquiz.enrolment.selectors``) and
``PermissionDenied`` for anonymous users, so a view that fetches through them is safe by
construction. Progress is computed with a fixed number of queries, never one per question.

A *course* here is an offering (``enrolment.Offering``): the ``<course_slug>`` of the URLs is
an offering's slug, and its lessons and questions are those of its content
(``courses.Course``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from annquiz.courses import grading
from annquiz.courses.choice_order import public_config_for_student
from annquiz.courses.grading.base import SCORE_EPSILON
from annquiz.courses.models import (
    Answer,
    Course,
    Lesson,
    Question,
    QuestionProgress,
    QuestionVariant,
    Verdict,
)
from annquiz.courses.question_headings import SectionHeading, split_trailing_heading
from annquiz.enrolment import selectors as enrolment
from annquiz.enrolment.models import Membership, Offering

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    AnyUser = AbstractBaseUser | AnonymousUser

# Grade details a student may see before the model answer is earned; everything else in
# ``Answer.details`` (such as the expected value) waits until it is.
PUBLIC_DETAIL_KEYS = frozenset({"found", "missing", "contradictions", "denied", "choice_correct"})


# What only authoring reads (the texts' Markdown sources, the test answers): never loaded
# to show or answer a question.
AUTHORING_FIELDS = ("markdown", "test_answers")


def _require_user(user: AnyUser) -> None:
    if not user.is_authenticated:
        raise PermissionDenied("log in to read the course")


# --- courses, lessons, questions -----------------------------------------------------------


def course_list_for_user(*, user: AnyUser) -> QuerySet[Offering]:
    """The user's courses (offerings; every one for staff) with their content and
    ``lesson_count`` (active lessons) annotated; none for anonymous."""
    return enrolment.offering_list_for_user(user=user).annotate(
        lesson_count=Count("course__lessons", filter=Q(course__lessons__is_active=True))
    )


def course_get_for_user(*, user: AnyUser, slug: str) -> Offering:
    """The course (offering) ``slug`` if the user is in it (or staff); else 404."""
    _require_user(user)
    return enrolment.offering_get_for_user(user=user, slug=slug)


def _readable(lessons_or_questions: QuerySet[Any], user: AnyUser) -> QuerySet[Any]:
    """Only rows of contents the user reads through one of their courses."""
    course_ids = enrolment.readable_course_ids(user=user)
    if course_ids is None:
        return lessons_or_questions
    return lessons_or_questions.filter(course_id__in=course_ids)


def lesson_list_for_course(*, user: AnyUser, course: Offering) -> QuerySet[Lesson]:
    """The course's active lessons in order, with ``question_count`` (active questions)."""
    _require_user(user)
    return (
        Lesson.objects.active()
        .filter(course_id=course.course_id)
        .annotate(question_count=Count("questions", filter=Q(questions__is_active=True)))
        .order_by("order", "id")
    )


def _lessons_with_questions() -> QuerySet[Lesson]:
    return (
        Lesson.objects.active()
        .select_related("course")
        .prefetch_related(
            Prefetch(
                "questions",
                queryset=Question.objects.filter(is_active=True)
                .defer(*AUTHORING_FIELDS)
                .order_by("order", "id"),
                to_attr="active_questions",
            )
        )
    )


def lesson_get_for_user(*, user: AnyUser, lesson_id: int) -> Lesson:
    """An active lesson with ``course`` and ``active_questions`` (in order) loaded."""
    _require_user(user)
    lesson = _readable(_lessons_with_questions(), user).filter(pk=lesson_id).first()
    if lesson is None:
        raise Http404(f"no lesson {lesson_id}")
    return lesson


def lesson_get_in_course(*, course: Offering, lesson_slug: str) -> Lesson:
    """The active lesson ``lesson_slug`` of a course the caller got from
    ``course_get_for_user`` (so already checked), like ``lesson_get_for_user``."""
    lesson = _lessons_with_questions().filter(course_id=course.course_id, slug=lesson_slug).first()
    if lesson is None:
        raise Http404(f"no lesson {lesson_slug!r} in course {course.slug!r}")
    return lesson


def lesson_get_by_slug_for_user(*, user: AnyUser, course_slug: str, lesson_slug: str) -> Lesson:
    """Like ``lesson_get_for_user``, found by the course's (offering's) and the lesson's
    slugs."""
    course = course_get_for_user(user=user, slug=course_slug)
    return lesson_get_in_course(course=course, lesson_slug=lesson_slug)


def lesson_neighbours(*, lesson: Lesson) -> tuple[Lesson | None, Lesson | None]:
    """The previous and next active lessons of the same course (one query)."""
    siblings = list(
        Lesson.objects.active().filter(course_id=lesson.course_id).order_by("order", "id")
    )
    index = next(i for i, item in enumerate(siblings) if item.pk == lesson.pk)
    previous = siblings[index - 1] if index > 0 else None
    following = siblings[index + 1] if index + 1 < len(siblings) else None
    return previous, following


@dataclass(frozen=True)
class LessonPageVersion:
    """What a cached rendering of a lesson page for one student depends on.

    ``content`` changes when the course (the offering's title or the content), any of its
    lessons (the previous/next links) or any of this lesson's questions is saved;
    ``student`` changes with each answer the student stores in this lesson (the latest id)
    and when an instructor overrides the grade of one of them (a hash of their scores and
    verdicts).
    """

    lesson_id: int
    #: The course (offering) it is read in, with its content's id: what the page shows of it.
    course: Offering
    content: str  # a short hash of the content's timestamps
    student: str


_PAGE_VERSION_SQL = """
SELECT l.id,
       o.id,
       o.title,
       c.id,
       c.updated_at,
       (SELECT MAX(l2.updated_at) FROM {lesson} l2 WHERE l2.course_id = l.course_id),
       (SELECT MAX(q.updated_at) FROM {question} q WHERE q.lesson_id = l.id),
       (SELECT MAX(a.id)::text || ':' || md5(string_agg(a.score::text || a.verdict, ','
                                                       ORDER BY a.id))
          FROM {answer} a JOIN {question} q2 ON q2.id = a.question_id
         WHERE a.student_id = %s AND q2.lesson_id = l.id)
  FROM {lesson} l JOIN {course} c ON c.id = l.course_id JOIN {offering} o ON o.course_id = c.id
 WHERE o.slug = %s AND l.slug = %s AND l.is_active
   AND (%s OR EXISTS (SELECT 1 FROM {membership} m WHERE m.offering_id = o.id AND m.user_id = %s))
"""


def lesson_page_version_for_user(
    *, user: AnyUser, course_slug: str, lesson_slug: str
) -> LessonPageVersion:
    """The version of an active lesson's page for ``user``, in one query; else 404 (the
    same for a course the user is not in).

    Written in SQL rather than built with the ORM: it runs on every lesson page view, and
    compiling the three subqueries cost more than running them.
    """
    _require_user(user)
    sql = _PAGE_VERSION_SQL.format(
        lesson=Lesson._meta.db_table,
        question=Question._meta.db_table,
        answer=Answer._meta.db_table,
        course=Course._meta.db_table,
        offering=Offering._meta.db_table,
        membership=Membership._meta.db_table,
    )
    params = [user.pk, course_slug, lesson_slug, enrolment.is_staff(user), user.pk]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        raise Http404(f"no lesson {lesson_slug!r} in course {course_slug!r}")
    pk, offering_id, title, course_id, course_changed, lessons_at, questions_at, answer_id = row
    stamps = "/".join(str(stamp) for stamp in (title, course_changed, lessons_at, questions_at))
    content = hashlib.blake2b(stamps.encode(), digest_size=12).hexdigest()
    return LessonPageVersion(
        lesson_id=int(pk),
        course=Offering(pk=offering_id, slug=course_slug, title=title, course_id=course_id),
        content=content,
        student=str(answer_id or 0),
    )


def question_get_for_user(*, user: AnyUser, question_id: int) -> Question:
    """An active question in an active lesson, with ``lesson`` and ``course``; else 404."""
    _require_user(user)
    question = (
        _readable(Question.objects.active(), user)
        .select_related("lesson", "course")
        # A lesson's blocks are its whole rendered page: never needed to answer one question.
        .defer(*AUTHORING_FIELDS, "lesson__blocks", "course__description_html")
        .filter(pk=question_id)
        .first()
    )
    if question is None:
        raise Http404(f"no question {question_id}")
    return question


@dataclass(frozen=True)
class QuestionToAnswer:
    """A question and where the user's answer to it belongs (None: to be looked up)."""

    question: Question
    place: enrolment.WorkPlace | None


def question_get_to_answer(*, user: AnyUser, question_id: int) -> QuestionToAnswer:
    """``question_get_for_user`` and, for a member, in the same query, the offering the
    answer belongs to with its deadline of the question's lesson: an answer's hottest read.

    Being a member of an offering of the question's content is what makes it readable, so
    the membership subquery is the permission check too. Staff read every content through
    no membership: for them the place is left to ``services`` to find.
    """
    _require_user(user)
    if enrolment.is_staff(user) or user.pk is None:
        return QuestionToAnswer(question_get_for_user(user=user, question_id=question_id), None)
    question = (
        Question.objects.active()
        .select_related("lesson", "course")
        .defer(*AUTHORING_FIELDS, "lesson__blocks", "course__description_html")
        .annotate(
            work_offering_id=enrolment.member_offering_id(
                user_id=user.pk, course_id=OuterRef("course_id")
            ),
            work_lesson_due_at=enrolment.lesson_due_at_subquery(
                offering_id=OuterRef("work_offering_id"), lesson_id=OuterRef("lesson_id")
            ),
        )
        .filter(pk=question_id, work_offering_id__isnull=False)
        .first()
    )
    if question is None:
        raise Http404(f"no question {question_id}")
    offering = Offering(pk=question.work_offering_id, course_id=question.course_id)
    return QuestionToAnswer(question, enrolment.WorkPlace(offering, question.work_lesson_due_at))


def answer_list_for_user(*, user: AnyUser, question: Question) -> QuerySet[Answer]:
    """The user's own answers to ``question``, oldest first."""
    _require_user(user)
    return (
        Answer.objects.of_student(user)
        .filter(question=question)
        .select_related("question")
        .order_by("attempt_number")
    )


# --- progress ------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionStatus:
    """One student's standing on one question."""

    question: Question
    attempts_used: int
    attempts_left: int
    best_score: float
    solved: bool
    last_answered_at: datetime | None

    @property
    def answered(self) -> bool:
        return self.attempts_used > 0

    @property
    def model_answer_earned(self) -> bool:
        return self.solved or self.attempts_left == 0

    @property
    def points_earned(self) -> float:
        return self.best_score * self.question.points


@dataclass(frozen=True)
class LessonProgress:
    lesson: Lesson
    questions: tuple[QuestionStatus, ...]

    @property
    def total(self) -> int:
        return len(self.questions)

    @property
    def answered(self) -> int:
        return sum(1 for status in self.questions if status.answered)

    @property
    def solved(self) -> int:
        return sum(1 for status in self.questions if status.solved)

    @property
    def attempts(self) -> int:
        return sum(status.attempts_used for status in self.questions)

    @property
    def points(self) -> float:
        return sum(status.points_earned for status in self.questions)

    @property
    def max_points(self) -> float:
        return sum(status.question.points for status in self.questions)

    @property
    def score_percent(self) -> float:
        """Best scores weighted by points, as a percentage of the lesson's points."""
        return _percent(self.points, self.max_points)

    @property
    def answered_percent(self) -> float:
        return _percent(self.answered, self.total)


@dataclass(frozen=True)
class CourseProgress:
    course: Offering
    lessons: tuple[LessonProgress, ...]

    @property
    def total(self) -> int:
        return sum(lesson.total for lesson in self.lessons)

    @property
    def answered(self) -> int:
        return sum(lesson.answered for lesson in self.lessons)

    @property
    def solved(self) -> int:
        return sum(lesson.solved for lesson in self.lessons)

    @property
    def points(self) -> float:
        return sum(lesson.points for lesson in self.lessons)

    @property
    def max_points(self) -> float:
        return sum(lesson.max_points for lesson in self.lessons)

    @property
    def score_percent(self) -> float:
        return _percent(self.points, self.max_points)

    @property
    def answered_percent(self) -> float:
        return _percent(self.answered, self.total)


def _percent(part: float, whole: float) -> float:
    return round(100.0 * part / whole, 1) if whole else 0.0


def _status(question: Question, progress: QuestionProgress | None) -> QuestionStatus:
    used = progress.attempts_used if progress is not None else 0
    return QuestionStatus(
        question=question,
        attempts_used=used,
        attempts_left=max(0, question.max_attempts - used),
        best_score=progress.best_score if progress is not None else 0.0,
        solved=progress.solved if progress is not None else False,
        last_answered_at=progress.last_answered_at if progress is not None else None,
    )


def question_statuses_for_student(
    *, student: AnyUser, questions: Iterable[Question]
) -> dict[int, QuestionStatus]:
    """``{question_id: status}`` for the given questions, in one query."""
    questions = list(questions)
    rows = QuestionProgress.objects.of_student(student).by_question_id(q.pk for q in questions)
    return {q.pk: _status(q, rows.get(q.pk)) for q in questions}


def lesson_questions(lesson: Lesson) -> list[Question]:
    """The lesson's active questions in order (prefetched by ``lesson_get_for_user``)."""
    prefetched: list[Question] | None = getattr(lesson, "active_questions", None)
    if prefetched is not None:
        return prefetched
    return list(Question.objects.filter(lesson=lesson, is_active=True).order_by("order", "id"))


def lesson_progress_for_student(*, student: AnyUser, lesson: Lesson) -> LessonProgress:
    """Answered, attempts and best score per active question of the lesson (≤ 2 queries)."""
    questions = lesson_questions(lesson)
    statuses = question_statuses_for_student(student=student, questions=questions)
    return LessonProgress(lesson=lesson, questions=tuple(statuses[q.pk] for q in questions))


def courses_progress_for_student(
    *, student: AnyUser, courses: Sequence[Offering]
) -> list[CourseProgress]:
    """Progress in each of ``courses`` (3 queries whatever the number of courses)."""
    course_ids = [course.course_id for course in courses]
    lessons = list(Lesson.objects.active().filter(course_id__in=course_ids).order_by("order", "id"))
    questions = list(
        Question.objects.active().filter(course_id__in=course_ids).order_by("order", "id")
    )
    statuses = question_statuses_for_student(student=student, questions=questions)
    by_lesson: dict[int, list[QuestionStatus]] = {lesson.pk: [] for lesson in lessons}
    for question in questions:
        by_lesson[question.lesson_id].append(statuses[question.pk])
    by_course: dict[int, list[LessonProgress]] = {course_id: [] for course_id in course_ids}
    for lesson in lessons:
        by_course[lesson.course_id].append(
            LessonProgress(lesson=lesson, questions=tuple(by_lesson[lesson.pk]))
        )
    return [
        CourseProgress(course=course, lessons=tuple(by_course[course.course_id]))
        for course in courses
    ]


def course_progress_for_student(*, student: AnyUser, course: Offering) -> CourseProgress:
    """Per-lesson progress (answered, attempts, best score per question, percentages)."""
    return courses_progress_for_student(student=student, courses=[course])[0]


# --- feedback ------------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerFeedback:
    """What a student may see about one of their answers.

    ``explanation_html`` and ``model_answer_html`` are None until earned: the question is
    solved or every attempt is used. Until then the student gets ``hints_html``, the
    question's hints revealed so far (one more after each attempt), which never give the
    answer away; ``details`` hides what would give it away too.
    """

    answer: Answer
    verdict: str
    score: float
    feedback: str
    details: dict[str, Any]
    hints_html: tuple[str, ...]
    explanation_html: str | None
    model_answer_html: str | None
    attempt_number: int
    attempts_used: int
    attempts_left: int
    max_attempts: int

    @property
    def model_answer_earned(self) -> bool:
        return self.model_answer_html is not None

    @property
    def verdict_label(self) -> str:
        """The verdict in words, honest about the score: the grading engine calls an answer
        ``correct`` once it reaches the question's pass threshold, which a free-text answer may
        do below full marks; such an answer passes, but it is not called "Correct"."""
        if self.verdict == Verdict.CORRECT:
            full_marks = self.score >= 1.0 - SCORE_EPSILON
            return "Correct" if full_marks else "Passed, partially correct"
        if self.verdict == Verdict.PARTIAL:
            return "Partially correct"
        return "Incorrect"


def hints_revealed(question: Question, attempts_used: int) -> tuple[str, ...]:
    """The hints a student has earned: the first ``attempts_used`` of the question's."""
    hints: list[str] = question.hints_html or []
    return tuple(str(hint) for hint in hints[: max(0, attempts_used)])


def _feedback(answer: Answer, status: QuestionStatus) -> AnswerFeedback:
    question = answer.question
    earned = status.model_answer_earned
    details = (
        dict(answer.details)
        if earned
        else {key: value for key, value in answer.details.items() if key in PUBLIC_DETAIL_KEYS}
    )
    return AnswerFeedback(
        answer=answer,
        verdict=answer.verdict,
        score=answer.score,
        feedback=answer.feedback,
        details=details,
        hints_html=hints_revealed(question, status.attempts_used),
        explanation_html=question.explanation_html if earned else None,
        model_answer_html=question.model_answer_html if earned else None,
        attempt_number=answer.attempt_number,
        attempts_used=status.attempts_used,
        attempts_left=status.attempts_left,
        max_attempts=question.max_attempts,
    )


def feedback_for_answer(
    *, answer: Answer, progress: QuestionProgress | None = None
) -> AnswerFeedback:
    """The feedback on one answer, judged by the student's progress now.

    ``progress`` is the student's current progress row on the answer's question when the
    caller has it (as ``services.answer_submit_with_progress`` returns it): no query then;
    otherwise it is read (one query).
    """
    if progress is None:
        progress = QuestionProgress.objects.filter(
            student_id=answer.student_id, question_id=answer.question_id
        ).first()
    elif (progress.student_id, progress.question_id) != (answer.student_id, answer.question_id):
        raise ValueError(
            f"progress {progress.pk} is not student {answer.student_id}'s on question "
            f"{answer.question_id}"
        )
    return _feedback(answer, _status(answer.question, progress))


def feedback_for_answers(*, student: AnyUser, answers: Sequence[Answer]) -> list[AnswerFeedback]:
    """Feedback on several of the student's answers (``question`` loaded), in one query."""
    statuses = question_statuses_for_student(
        student=student, questions={a.question_id: a.question for a in answers}.values()
    )
    return [_feedback(answer, statuses[answer.question_id]) for answer in answers]


def _latest_feedback(
    *, student: AnyUser, questions: Sequence[Question], statuses: Mapping[int, QuestionStatus]
) -> dict[int, AnswerFeedback]:
    ids = [q.pk for q in questions]
    by_id = {q.pk: q for q in questions}
    latest: dict[int, Answer] = {}
    for answer in Answer.objects.of_student(student).filter(question_id__in=ids):
        current = latest.get(answer.question_id)
        if current is None or answer.attempt_number > current.attempt_number:
            latest[answer.question_id] = answer
    for answer in latest.values():
        answer.question = by_id[answer.question_id]
    return {qid: _feedback(answer, statuses[qid]) for qid, answer in latest.items()}


# --- a lesson as a student sees it ---------------------------------------------------------


@dataclass(frozen=True)
class HtmlBlockView:
    html: str
    type: str = "html"


@dataclass(frozen=True)
class QuestionBlockView:
    """A question as placed in a lesson: only its public part (its choices in the student's
    own order), and the student's standing."""

    question: Question
    status: QuestionStatus
    public_config: dict[str, Any]
    variant: QuestionVariant | None
    last_feedback: AnswerFeedback | None
    type: str = "question"
    #: The lesson's heading right above the question, shown as the card's title instead.
    heading: SectionHeading | None = None

    @property
    def prompt_html(self) -> str:
        """The prompt to show: the student's own variant's for a parametrized question."""
        return self.variant.prompt_html if self.variant is not None else self.question.prompt_html


@dataclass(frozen=True)
class LessonView:
    lesson: Lesson
    blocks: tuple[HtmlBlockView | QuestionBlockView, ...]
    progress: LessonProgress


def question_block_for_student(
    *,
    student: AnyUser,
    question: Question,
    status: QuestionStatus,
    variant: QuestionVariant | None,
    last_feedback: AnswerFeedback | None = None,
) -> QuestionBlockView:
    if student.pk is None:
        raise PermissionDenied("log in to read the course")
    return QuestionBlockView(
        question=question,
        status=status,
        public_config=public_config_for_student(
            grading.public_config(question.kind, question.config),
            student_id=int(student.pk),
            question_key=question.key,
        ),
        variant=variant,
        last_feedback=last_feedback,
    )


def lesson_view_for_student(
    *,
    student: AnyUser,
    lesson: Lesson,
    variants: Mapping[int, QuestionVariant],
) -> LessonView:
    """The lesson's blocks in order, each question with its public part, the student's
    attempts and latest feedback. ``lesson`` comes from ``lesson_get_for_user``;
    ``variants`` from ``services.variants_get_or_create`` (parametrized questions).
    Blocks naming an inactive question are left out. 2 queries.
    """
    questions = lesson_questions(lesson)
    by_key = {q.key: q for q in questions}
    progress = lesson_progress_for_student(student=student, lesson=lesson)
    statuses = {status.question.pk: status for status in progress.questions}
    feedback = _latest_feedback(student=student, questions=questions, statuses=statuses)
    blocks: list[HtmlBlockView | QuestionBlockView] = []
    for block in lesson.blocks:
        if block.get("type") == "html":
            blocks.append(HtmlBlockView(html=str(block["html"])))
            continue
        question = by_key.get(str(block.get("key")))
        if question is None:
            continue
        blocks.append(
            question_block_for_student(
                student=student,
                question=question,
                status=statuses[question.pk],
                variant=variants.get(question.pk),
                last_feedback=feedback.get(question.pk),
            )
        )
    return LessonView(lesson=lesson, blocks=_headings_onto_questions(blocks), progress=progress)


def _headings_onto_questions(
    blocks: Sequence[HtmlBlockView | QuestionBlockView],
) -> tuple[HtmlBlockView | QuestionBlockView, ...]:
    """A heading that ends an HTML block and heads one question alone (the next block is not
    a question too) becomes that question's title: one heading, not a heading over a card
    with a title of its own. A heading over several questions stays in the text."""
    merged: list[HtmlBlockView | QuestionBlockView] = []
    for index, block in enumerate(blocks):
        previous = merged[-1] if merged else None
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        if (
            isinstance(block, QuestionBlockView)
            and isinstance(previous, HtmlBlockView)
            and not isinstance(following, QuestionBlockView)
        ):
            text, heading = split_trailing_heading(previous.html)
            if heading is not None:
                merged.pop()
                if text:
                    merged.append(HtmlBlockView(html=text))
                block = replace(block, heading=heading)
        merged.append(block)
    return tuple(merged)


def question_view_for_student(
    *, student: AnyUser, question: Question, variant: QuestionVariant | None
) -> QuestionBlockView:
    """One question's public part, the student's standing and latest feedback (2 queries)."""
    statuses = question_statuses_for_student(student=student, questions=[question])
    feedback = _latest_feedback(student=student, questions=[question], statuses=statuses)
    return question_block_for_student(
        student=student,
        question=question,
        status=statuses[question.pk],
        variant=variant,
        last_feedback=feedback.get(question.pk),
    )
