"""The one way an API input serializer refuses a body field it does not declare.

DRF ignores unknown fields; an input serializer built on ``ClosedInputSerializer`` refuses
them instead, with a 400 naming the first one (``{"error": {"field": "extra", "message":
"unknown field 'extra': the body may only have 'spec' and 'keras'"}}``), and its request body
in the OpenAPI schema says so (``additionalProperties: false``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import Direction
from rest_framework import serializers

from training.validation import KEY_CHARS, join_path, shorten


def _names(fields: list[str]) -> str:
    """``'a'``, ``'a' and 'b'``, ``'a', 'b' and 'c'``."""
    quoted = [repr(name) for name in fields]
    if len(quoted) <= 1:
        return "".join(quoted)
    return f"{', '.join(quoted[:-1])} and {quoted[-1]}"


class ClosedInputSerializer(serializers.Serializer[Any]):
    """An input serializer whose body may hold only its declared fields: any other top-level
    field is a ``ValidationError`` on that field (the API's 400 naming it, a long name
    shortened)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(str(name) for name in data if name not in self.fields)
            if unknown:
                allowed = _names(list(self.fields))
                name = shorten(unknown[0], KEY_CHARS)
                raise serializers.ValidationError(
                    {name: [f"unknown field {name!r}: the body may only have {allowed}"]}
                )
        return super().to_internal_value(data)


def _first_non_finite(value: Any, path: str = "") -> str | None:
    """The path (``layers[0].units``) of the first NaN or infinite number in JSON data."""
    stack: list[tuple[Any, str]] = [(value, path)]
    while stack:
        item, where = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return where
        if isinstance(item, Mapping):
            children = [(v, join_path(where, str(k))) for k, v in item.items()]
        elif isinstance(item, list):
            children = [(v, join_path(where, i)) for i, v in enumerate(item)]
        else:
            continue
        stack.extend(reversed(children))
    return None


class FiniteJSONField(serializers.JSONField):
    """A JSON value that holds no NaN and no infinite number: one is refused naming its path
    (``layers[0].units: is not a finite number ...``) rather than as "Value must be valid
    JSON" (``BoundedJSONParser`` reads ``NaN``, ``Infinity`` and ``1e999`` as floats)."""

    def to_internal_value(self, data: Any) -> Any:
        where = _first_non_finite(data)
        if where is not None:
            prefix = f"{where}: " if where else ""
            raise serializers.ValidationError(
                f"{prefix}is not a finite number (NaN, Infinity or too large); "
                "give an ordinary number"
            )
        return super().to_internal_value(data)


class ClosedInputSchema(OpenApiSerializerExtension):
    """The body of a ``ClosedInputSerializer`` in the schema: no other properties."""

    target_class = ClosedInputSerializer
    match_subclasses = True

    def map_serializer(self, auto_schema: AutoSchema, direction: Direction) -> Any:
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        return {**schema, "additionalProperties": False}
