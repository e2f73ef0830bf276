"""REST API of courses (``/api/v1/``): thin views over the courses selectors and services.

Errors have the shape of the whole API (``annquiz.core.api_errors``): 400 bad input naming
the field, 401 not logged in, 403 a variant of another student, 404 unknown or inactive
lesson/question, 409 Conflict when every attempt at the question is used, 413 a request body
over the limit, 415 a body that is not JSON.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annquiz.core.api import ApiMixin, BoundedJSONParser, StrictPageNumberPagination, student_of
from annquiz.core.api_errors import error_responses
from annquiz.courses import selectors, services
from annquiz.courses.models import Lesson
from annquiz.courses.serializers import (
    AnswerInputSerializer,
    CourseDetailSerializer,
    CourseProgressSerializer,
    CourseSerializer,
    FeedbackSerializer,
    LessonDetailSerializer,
    LessonSummarySerializer,
    QuestionPublicSerializer,
)
from annquiz.enrolment.models import Offering


@extend_schema(responses={200: CourseSerializer(many=True), **error_responses(400, 401, 404)})
class CourseListApi(ApiMixin, ListAPIView[Offering]):
    pagination_class = StrictPageNumberPagination
    serializer_class = CourseSerializer

    def get_queryset(self) -> QuerySet[Offering]:
        return selectors.course_list_for_user(user=self.request.user)


class CourseDetailApi(ApiMixin, APIView):
    @extend_schema(responses={200: CourseDetailSerializer, **error_responses(401, 404)})
    def get(self, request: Request, slug: str) -> Response:
        student = student_of(request)
        course = selectors.course_get_for_user(user=student, slug=slug)
        lessons = list(selectors.lesson_list_for_course(user=student, course=course))
        progress = selectors.course_progress_for_student(student=student, course=course)
        data = {
            "id": course.pk,
            "slug": course.slug,
            "title": course.title,
            "description_html": course.description_html,
            "lesson_count": len(lessons),
            "lessons": lessons,
            "progress": progress,
        }
        return Response(CourseDetailSerializer(data).data)


@extend_schema(
    responses={200: LessonSummarySerializer(many=True), **error_responses(400, 401, 404)}
)
class CourseLessonListApi(ApiMixin, ListAPIView[Lesson]):
    pagination_class = StrictPageNumberPagination
    serializer_class = LessonSummarySerializer

    def get_queryset(self) -> QuerySet[Lesson]:
        student = student_of(self.request)
        course = selectors.course_get_for_user(user=student, slug=self.kwargs["slug"])
        return selectors.lesson_list_for_course(user=student, course=course)


class LessonDetailApi(ApiMixin, APIView):
    @extend_schema(responses={200: LessonDetailSerializer, **error_responses(401, 404)})
    def get(self, request: Request, lesson_id: int) -> Response:
        student = student_of(request)
        lesson = selectors.lesson_get_for_user(user=student, lesson_id=lesson_id)
        variants = services.variants_get_or_create(
            student=student, questions=selectors.lesson_questions(lesson)
        )
        view = selectors.lesson_view_for_student(student=student, lesson=lesson, variants=variants)
        return Response(LessonDetailSerializer(view).data)


class QuestionDetailApi(ApiMixin, APIView):
    @extend_schema(responses={200: QuestionPublicSerializer, **error_responses(401, 404)})
    def get(self, request: Request, question_id: int) -> Response:
        student = student_of(request)
        question = selectors.question_get_for_user(user=student, question_id=question_id)
        variant = services.variants_get_or_create(student=student, questions=[question]).get(
            question.pk
        )
        view = selectors.question_view_for_student(
            student=student, question=question, variant=variant
        )
        return Response(QuestionPublicSerializer(view).data)


class QuestionAnswersApi(ApiMixin, GenericAPIView[Any]):
    """The student's own answers to a question: list them, or answer once more."""

    parser_classes = [BoundedJSONParser]
    pagination_class = StrictPageNumberPagination
    serializer_class = FeedbackSerializer

    @extend_schema(responses={200: FeedbackSerializer(many=True), **error_responses(400, 401, 404)})
    def get(self, request: Request, question_id: int) -> Response:
        student = student_of(request)
        question = selectors.question_get_for_user(user=student, question_id=question_id)
        answers = selectors.answer_list_for_user(user=student, question=question)
        page = self.paginate_queryset(answers)
        shown = list(page) if page is not None else list(answers)
        feedback = selectors.feedback_for_answers(student=student, answers=shown)
        data = FeedbackSerializer(feedback, many=True).data
        if page is not None:
            return self.get_paginated_response(data)
        return Response(data)

    @extend_schema(
        request=AnswerInputSerializer,
        responses={
            201: FeedbackSerializer,
            **error_responses(400, 401, 403, 404, 409, 413, 415),
        },
        description=(
            "Grade an answer and store it as the next attempt. The model answer is in the "
            "reply only once earned (solved, or every attempt used). When every attempt is "
            "used the reply is 409 Conflict and nothing is stored."
        ),
    )
    def post(self, request: Request, question_id: int) -> Response:
        student = student_of(request)
        to_answer = selectors.question_get_to_answer(user=student, question_id=question_id)
        payload = AnswerInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        submitted = services.answer_submit_with_progress(
            student=student,
            question=to_answer.question,
            response=payload.validated_data["response"],
            variant_id=payload.validated_data.get("variant"),
            place=to_answer.place,
        )
        feedback = selectors.feedback_for_answer(
            answer=submitted.answer, progress=submitted.progress
        )
        return Response(FeedbackSerializer(feedback).data, status=status.HTTP_201_CREATED)


class MyProgressApi(ApiMixin, APIView):
    @extend_schema(responses={200: CourseProgressSerializer(many=True), **error_responses(401)})
    def get(self, request: Request) -> Response:
        student = student_of(request)
        courses = list(selectors.course_list_for_user(user=student))
        progress = selectors.courses_progress_for_student(student=student, courses=courses)
        return Response(CourseProgressSerializer(progress, many=True).data)
