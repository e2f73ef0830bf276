"""The one way an API input serializer refuses a body field it does not declare.

DRF ignores unknown fields; an input serializer built on ``ClosedInputSerializer`` refuses
them instead, with a 400 naming the first one (``{"error": {"field": "extra", "message":
"unknown field 'extra': the body may only have 'spec' and 'keras'"}}``), and its request body
in the OpenAPI schema says so (``additionalProperties: false``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import Direction
from rest_framework import serializers


def _names(fields: list[str]) -> str:
    """``'a'``, ``'a' and 'b'``, ``'a', 'b' and 'c'``."""
    quoted = [repr(name) for name in fields]
    if len(quoted) <= 1:
        return "".join(quoted)
    return f"{', '.join(quoted[:-1])} and {quoted[-1]}"


class ClosedInputSerializer(serializers.Serializer[Any]):
    """An input serializer whose body may hold only its declared fields: any other top-level
    field is a ``ValidationError`` on that field (the API's 400 naming it)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(str(name) for name in data if name not in self.fields)
            if unknown:
                allowed = _names(list(self.fields))
                raise serializers.ValidationError(
                    {
                        unknown[0]: [
                            f"unknown field {unknown[0]!r}: the body may only have {allowed}"
                        ]
                    }
                )
        return super().to_internal_value(data)


class ClosedInputSchema(OpenApiSerializerExtension):
    """The body of a ``ClosedInputSerializer`` in the schema: no other properties."""

    target_class = ClosedInputSerializer
    match_subclasses = True

    def map_serializer(self, auto_schema: AutoSchema, direction: Direction) -> Any:
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        return {**schema, "additionalProperties": False}
