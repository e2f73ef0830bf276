"""REST API of the review (``/api/v1/``): a student disputes the grade of their own answer
or submission. 201 with the dispute; 400 a blank or overlong reason; 401 not logged in; 404
someone else's answer or submission, the same as a missing one; 409 already disputed (or
the submission is still being graded)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annquiz.core.api import ApiMixin, BoundedJSONParser, student_of
from annquiz.core.api_errors import error_responses
from annquiz.review import selectors, services
from annquiz.review.serializers import DisputeInputSerializer, DisputeSerializer

_SCHEMA = extend_schema(
    request=DisputeInputSerializer,
    responses={201: DisputeSerializer, **error_responses(400, 401, 404, 409, 413, 415)},
)


def _reason(request: Request) -> str:
    payload = DisputeInputSerializer(data=request.data)
    payload.is_valid(raise_exception=True)
    return str(payload.validated_data["reason"])


class AnswerDisputesApi(ApiMixin, APIView):
    parser_classes = [BoundedJSONParser]

    @_SCHEMA
    def post(self, request: Request, answer_id: int) -> Response:
        student = student_of(request)
        answer = selectors.answer_get_for_owner(user=student, answer_id=answer_id, course_slug=None)
        dispute = services.answer_dispute(student=student, answer=answer, reason=_reason(request))
        return Response(DisputeSerializer(dispute).data, status=status.HTTP_201_CREATED)


class SubmissionDisputesApi(ApiMixin, APIView):
    parser_classes = [BoundedJSONParser]

    @_SCHEMA
    def post(self, request: Request, submission_id: int) -> Response:
        student = student_of(request)
        submission = selectors.submission_get_for_owner(
            user=student, submission_id=submission_id, course_slug=None
        )
        dispute = services.submission_dispute(
            student=student, submission=submission, reason=_reason(request)
        )
        return Response(DisputeSerializer(dispute).data, status=status.HTTP_201_CREATED)
