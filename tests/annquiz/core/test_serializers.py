"""ClosedInputSerializer: a body field the serializer does not declare is refused, named."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework import serializers

from annquiz.core.serializers import ClosedInputSerializer


class OneField(ClosedInputSerializer):
    name = serializers.CharField()


class TwoFields(OneField):
    size = serializers.IntegerField(required=False)


class ThreeFields(TwoFields):
    tags = serializers.ListField(child=serializers.CharField(), required=False)


@pytest.mark.parametrize(
    ("serializer", "data", "errors"),
    [
        (
            OneField,
            {"name": "a", "x": 1},
            {"x": ["unknown field 'x': the body may only have 'name'"]},
        ),
        (
            TwoFields,
            {"name": "a", "z": 1, "b": 2},
            {"b": ["unknown field 'b': the body may only have 'name' and 'size'"]},
        ),
        (
            ThreeFields,
            {"": 1},
            {"": ["unknown field '': the body may only have 'name', 'size' and 'tags'"]},
        ),
    ],
)
def test_an_unknown_field_is_refused_naming_it_and_the_fields_allowed(
    serializer: type[ClosedInputSerializer], data: Any, errors: dict[str, list[str]]
) -> None:
    checked = serializer(data=data)
    assert not checked.is_valid()
    assert checked.errors == errors


@pytest.mark.parametrize(
    ("serializer", "data", "valid"),
    [
        (OneField, {"name": "a"}, {"name": "a"}),
        (TwoFields, {"name": "a", "size": "3"}, {"name": "a", "size": 3}),
        (ThreeFields, {"name": "a", "tags": ["t"]}, {"name": "a", "tags": ["t"]}),
    ],
)
def test_declared_fields_only_are_accepted_as_before(
    serializer: type[ClosedInputSerializer], data: Any, valid: dict[str, Any]
) -> None:
    checked = serializer(data=data)
    assert checked.is_valid(), checked.errors
    assert checked.validated_data == valid


def test_a_body_that_is_not_an_object_is_refused_by_drf_as_before() -> None:
    checked = OneField(data=["name"])
    assert not checked.is_valid()
    assert "non_field_errors" in checked.errors
