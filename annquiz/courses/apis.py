"""REST API (``/api/v1/``): thin views over the courses selectors and services.

Every error is ``{"error": {"field": <name or null>, "message": <text>}}`` with a 4xx status:
400 bad input (the field names what is wrong), 401 not logged in, 403 a variant of another
student, 404 unknown or inactive lesson/question (or no such URL under ``/api/``), 409 Conflict
when every attempt at the question is used, 413 a request body over the limit, 415 a body that
is not JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers, status
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView, exception_handler

from annquiz.core.errors import ServiceError
from annquiz.courses import selectors, services
from annquiz.courses.models import Course, Lesson
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

# An answer is a few kilobytes at most (free text is capped at 5,000 characters); a larger
# body is refused before it is read or parsed.
MAX_ANSWER_BODY_BYTES: int = getattr(settings, "ANNQUIZ_MAX_ANSWER_BODY_BYTES", 64 * 1024)


class BoundedJSONParser(JSONParser):
    """JSON, with absurdly deep nesting refused as a parse error rather than a crash."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("the JSON is nested too deeply") from None


AnswerJSONParser = BoundedJSONParser


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "the request body is too large"
    default_code = "request_too_large"


def _error(field: str | None, message: str, code: int) -> Response:
    return Response({"error": {"field": field, "message": message}}, status=code)


def _first_problem(detail: Any, field: str | None = None) -> tuple[str | None, str]:
    """The first (field, message) in a DRF error detail, nested fields joined with dots."""
    if isinstance(detail, dict) and detail:
        name, value = next(iter(detail.items()))
        if name in ("non_field_errors", "detail"):
            return _first_problem(value, field)
        return _first_problem(value, f"{field}.{name}" if field else str(name))
    if isinstance(detail, list) and detail:
        return _first_problem(detail[0], field)
    return field, str(detail)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every error in one shape: ``{"error": {"field": ..., "message": ...}}``."""
    if isinstance(exc, ServiceError):
        refused = _error(exc.request_field, exc.message, exc.status_code)
        for name, value in exc.headers.items():
            refused[name] = value
        return refused
    if isinstance(exc, Http404):
        return _error(None, str(exc) or "not found", status.HTTP_404_NOT_FOUND)
    if isinstance(exc, PermissionDenied):
        return _error(None, str(exc) or "permission denied", status.HTTP_403_FORBIDDEN)
    if isinstance(exc, RequestDataTooBig):
        # Django's own limit on a body it reads (e.g. one sent without Content-Length).
        return _error(
            "body", "the request body is too large", status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
        )
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        return _error("body", str(exc) or "too many fields", status.HTTP_400_BAD_REQUEST)
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ParseError):
        field, message = "body", f"malformed JSON: {exc.detail}"
    elif isinstance(exc, RequestTooLarge | exceptions.UnsupportedMediaType):
        field, message = "body", str(exc.detail)
    elif isinstance(exc, exceptions.ValidationError):
        field, message = _first_problem(exc.detail)
    else:
        field, message = None, str(getattr(exc, "detail", exc))
    response.data = {"error": {"field": field, "message": message}}
    return response


def _is_page_number(raw: str) -> bool:
    # Digits and not all zeros; a number past the last page is left to the paginator (404).
    return raw.isascii() and raw.isdigit() and raw.strip("0") != ""


class StrictPageNumberPagination(PageNumberPagination):
    """Page numbers, with a ``page`` that is not a positive integer refused as bad input (400)
    rather than taken for a page that does not exist (404, as a page past the last one is)."""

    def paginate_queryset(
        self, queryset: Any, request: Request, view: APIView | None = None
    ) -> list[Any] | None:
        raw = request.query_params.get(self.page_query_param)
        if raw is not None and raw not in self.last_page_strings and not _is_page_number(raw):
            raise exceptions.ValidationError(
                {self.page_query_param: [f"{raw[:40]!r} is not a page number (1, 2, ...)"]}
            )
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {**parameter["schema"], "minimum": 1}
        return parameters


class ApiMixin:
    """Use ``api_exception_handler`` whatever the project-wide DRF settings are; refuse a body
    over ``max_body_bytes`` (by its Content-Length) before it is read or parsed."""

    max_body_bytes: int = MAX_ANSWER_BODY_BYTES

    def get_exception_handler(self) -> Callable[[Exception, dict[str, Any]], Response | None]:
        return api_exception_handler

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        _check_body_size(request, limit=self.max_body_bytes)


@csrf_exempt
def not_found(request: HttpRequest) -> JsonResponse:
    """Any URL under ``/api/`` that names no endpoint, in the API's error shape (any method)."""
    return JsonResponse(
        {"error": {"field": None, "message": f"no API endpoint at {request.path!r}"}},
        status=status.HTTP_404_NOT_FOUND,
    )


def student_of(request: Request) -> AbstractBaseUser:
    user = request.user
    if not isinstance(user, AbstractBaseUser) or not user.is_authenticated:
        raise exceptions.NotAuthenticated()
    return user


ERROR_SCHEMA = inline_serializer(
    name="Error",
    fields={
        "error": inline_serializer(
            name="ErrorDetail",
            fields={
                "field": serializers.CharField(allow_null=True),
                "message": serializers.CharField(),
            },
        )
    },
)


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    descriptions = {
        400: "bad input; `field` names what is wrong (for a list: a `page` that is not a number)",
        401: "not logged in",
        403: "a variant of another student",
        404: "unknown or inactive (for a list: a page past the last one)",
        409: "Conflict: every attempt is used (or an Idempotency-Key reused for another body)",
        413: "request body too large",
        415: "the body is not JSON",
        429: "too many submissions: wait the seconds in the Retry-After header",
    }
    return {code: OpenApiResponse(ERROR_SCHEMA, description=descriptions[code]) for code in codes}


@extend_schema(
    request=inline_serializer(
        name="TokenRequest",
        fields={
            "username": serializers.CharField(min_length=1, max_length=150),
            "password": serializers.CharField(min_length=1, max_length=4096),
        },
    ),
    responses={
        200: inline_serializer(name="Token", fields={"token": serializers.CharField()}),
        **error_responses(400, 413, 415),
    },
)
class AuthTokenApi(ApiMixin, ObtainAuthToken):
    """``POST {"username", "password"}`` → ``{"token": ...}`` for ``Authorization: Token ...``."""

    parser_classes = (FormParser, MultiPartParser, BoundedJSONParser)
    max_body_bytes = 16 * 1024


@extend_schema(responses={200: CourseSerializer(many=True), **error_responses(400, 401, 404)})
class CourseListApi(ApiMixin, ListAPIView[Course]):
    pagination_class = StrictPageNumberPagination
    serializer_class = CourseSerializer

    def get_queryset(self) -> QuerySet[Course]:
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
        question = selectors.question_get_for_user(user=student, question_id=question_id)
        payload = AnswerInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        submitted = services.answer_submit_with_progress(
            student=student,
            question=question,
            response=payload.validated_data["response"],
            variant_id=payload.validated_data.get("variant"),
        )
        feedback = selectors.feedback_for_answer(
            answer=submitted.answer, progress=submitted.progress
        )
        return Response(FeedbackSerializer(feedback).data, status=status.HTTP_201_CREATED)


def _check_body_size(request: Request, *, limit: int) -> None:
    raw = request.META.get("CONTENT_LENGTH") or "0"
    try:
        length = int(raw)
    except ValueError:
        raise exceptions.ParseError(f"Content-Length {raw!r} is not a number") from None
    if length > limit:
        raise RequestTooLarge(
            f"the request body is {length} bytes; this endpoint takes at most {limit} bytes"
        )


class MyProgressApi(ApiMixin, APIView):
    @extend_schema(responses={200: CourseProgressSerializer(many=True), **error_responses(401)})
    def get(self, request: Request) -> Response:
        student = student_of(request)
        courses = list(selectors.course_list_for_user(user=student))
        progress = selectors.courses_progress_for_student(student=student, courses=courses)
        return Response(CourseProgressSerializer(progress, many=True).data)
