"""The review's API bodies: a dispute in, a dispute out."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from annquiz.review.models import Dispute


class DisputeInputSerializer(serializers.Serializer[Any]):
    # Blank or too long is refused by the service, naming "reason", like the form.
    reason = serializers.CharField(allow_blank=True, trim_whitespace=False)


class DisputeSerializer(serializers.ModelSerializer[Dispute]):
    class Meta:
        model = Dispute
        fields = ("id", "answer", "submission", "reason", "status", "created_at")
        read_only_fields = fields
