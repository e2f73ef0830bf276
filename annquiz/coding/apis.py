"""REST API of coding tasks (``/api/v1/``): thin views over selectors and submitting.

Errors have the shape of the whole API (``annquiz.core.api_errors``): 400 bad input naming the
field, path or line; 404 no such task or submission; 409 attempts used up, a task still locked
until a lesson's checkpoint is answered (``annquiz.coding.gating``) or an Idempotency-Key
reused for another body; 429 too many submissions, with ``Retry-After``.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annquiz.coding import gating, selectors, submitting
from annquiz.coding.architecture import architecture_diagram
from annquiz.coding.serializers import (
    SubmissionInputSerializer,
    SubmissionSerializer,
    TaskDetailSerializer,
    TaskSummarySerializer,
)
from annquiz.core.api import ApiMixin, BoundedJSONParser, StrictPageNumberPagination, student_of
from annquiz.core.api_errors import error_responses

MAX_SUBMISSION_BODY_BYTES = 128 * 1024

IDEMPOTENCY_KEY = OpenApiParameter(
    name="Idempotency-Key",
    location=OpenApiParameter.HEADER,
    required=False,
    description="Repeat a POST with the same key to get the first submission back, never a "
    "second grading.",
)


class TaskListApi(ApiMixin, APIView):
    @extend_schema(responses={200: TaskSummarySerializer(many=True), **error_responses(401)})
    def get(self, request: Request) -> Response:
        tasks = selectors.task_list_for_user(user=request.user)
        return Response(TaskSummarySerializer(tasks, many=True).data)


class TaskDetailApi(ApiMixin, APIView):
    @extend_schema(responses={200: TaskDetailSerializer, **error_responses(401, 404)})
    def get(self, request: Request, slug: str) -> Response:
        task = selectors.task_get_for_user(user=request.user, slug=slug)
        data = selectors.task_detail_view(task=task, student=request.user)
        return Response(TaskDetailSerializer(data).data)


class TaskValidateApi(ApiMixin, APIView):
    """Check a network against the task without submitting it: its diagram, or the error."""

    parser_classes = [BoundedJSONParser]
    max_body_bytes = MAX_SUBMISSION_BODY_BYTES

    @extend_schema(
        request=SubmissionInputSerializer,
        responses={
            200: inline_serializer(
                name="ValidSubmission",
                fields={
                    "valid": serializers.BooleanField(),
                    "architecture": serializers.JSONField(),
                },
            ),
            **error_responses(400, 401, 404, 409, 413, 415),
        },
    )
    def post(self, request: Request, slug: str) -> Response:
        task = selectors.task_get_for_user(user=request.user, slug=slug)
        # Its error messages would tell a locked task's rules.
        gating.task_require_unlocked(user=request.user, task=task)
        serializer = SubmissionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        kind, source = serializer.kind_and_text()
        spec = submitting.submission_spec_parse(task=task, source_kind=kind, source=source)
        return Response({"valid": True, "architecture": architecture_diagram(spec)})


class TaskSubmissionsApi(ApiMixin, GenericAPIView[Any]):
    """The student's own submissions to a task: list them, or submit a network (202)."""

    parser_classes = [BoundedJSONParser]
    pagination_class = StrictPageNumberPagination
    serializer_class = SubmissionSerializer
    max_body_bytes = MAX_SUBMISSION_BODY_BYTES

    @extend_schema(
        responses={200: SubmissionSerializer(many=True), **error_responses(400, 401, 404)}
    )
    def get(self, request: Request, slug: str) -> Response:
        task = selectors.task_get_for_user(user=request.user, slug=slug)
        submissions = selectors.submission_list_for_student(student=request.user, task=task)
        page = self.paginate_queryset(submissions)
        shown = list(page) if page is not None else list(submissions)
        views = selectors.submission_views(task=task, submissions=shown)
        data = SubmissionSerializer(views, many=True).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    @extend_schema(
        request=SubmissionInputSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            202: SubmissionSerializer,
            200: OpenApiResponse(
                SubmissionSerializer,
                description="The same network was submitted before: that submission, with its "
                "verdict once judged. No attempt is used and nothing is stored.",
            ),
            **error_responses(400, 401, 404, 409, 413, 415, 429),
        },
    )
    def post(self, request: Request, slug: str) -> Response:
        task = selectors.task_get_for_user(user=request.user, slug=slug)
        serializer = SubmissionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        kind, source = serializer.kind_and_text()
        outcome = submitting.submission_create(
            student=student_of(request),
            task=task,
            source_kind=kind,
            source=source,
            idempotency_key=request.headers.get("Idempotency-Key", ""),
        )
        data = SubmissionSerializer(selectors.submission_view(submission=outcome.submission)).data
        answered = status.HTTP_200_OK if outcome.identical else status.HTTP_202_ACCEPTED
        response = Response(data, status=answered)
        response["Location"] = data["url"]
        if not outcome.created and not outcome.identical:
            response["Idempotent-Replayed"] = "true"
        return response


class SubmissionDetailApi(ApiMixin, APIView):
    @extend_schema(responses={200: SubmissionSerializer, **error_responses(401, 404)})
    def get(self, request: Request, submission_id: int) -> Response:
        submission = selectors.submission_get_for_user(
            user=request.user, submission_id=submission_id
        )
        return Response(SubmissionSerializer(selectors.submission_view(submission=submission)).data)
