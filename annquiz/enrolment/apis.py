"""``/api/v1/memberships/``: the user's courses with their role, and joining one by code."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from annquiz.core.api import ApiMixin, BoundedJSONParser, student_of
from annquiz.core.api_errors import error_responses
from annquiz.core.serializers import ClosedInputSerializer
from annquiz.enrolment import services
from annquiz.enrolment.models import Membership


class JoinInputSerializer(ClosedInputSerializer):
    code = serializers.CharField(max_length=64, help_text="The course code from the instructor.")


class MembershipSerializer(serializers.Serializer[Any]):
    course = serializers.SlugField(source="offering.slug")
    title = serializers.CharField(source="offering.title")
    role = serializers.CharField()


class MembershipsApi(ApiMixin, APIView):
    parser_classes = [BoundedJSONParser]

    @extend_schema(responses={200: MembershipSerializer(many=True), **error_responses(401)})
    def get(self, request: Request) -> Response:
        mine = Membership.objects.filter(user_id=student_of(request).pk).select_related("offering")
        return Response(MembershipSerializer(mine.order_by("offering__title"), many=True).data)

    @extend_schema(
        request=JoinInputSerializer,
        responses={
            201: MembershipSerializer,
            200: MembershipSerializer,
            **error_responses(400, 401, 403, 409, 413, 415),
        },
        description="Join a course as a student with its code (200 if already a member).",
    )
    def post(self, request: Request) -> Response:
        payload = JoinInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        joined = services.offering_join_by_code(
            user=student_of(request), code=payload.validated_data["code"]
        )
        answered = status.HTTP_201_CREATED if joined.created else status.HTTP_200_OK
        return Response(MembershipSerializer(joined.membership).data, status=answered)
