"""A submitted solution read into its spec, whatever form it was written in."""

from __future__ import annotations

import json

from training.errors import SpecError
from training.keras_snippet import parse_keras_snippet
from training.spec import ModelSpec, parse_spec

__all__ = ["parse_solution"]


def parse_solution(kind: str, source: str) -> ModelSpec:
    """A solution's spec: ``"json"`` through ``parse_spec``, ``"keras"`` through
    ``parse_keras_snippet``, both with the task's own validation rows (``external_validation``).

    Raises ``SpecError`` naming the path (a JSON path, or ``line N`` of a snippet) and
    ``ValueError`` for an unknown kind.
    """
    if kind == "keras":
        return parse_keras_snippet(source, external_validation=True)
    if kind == "json":
        try:
            data = json.loads(source)
        except json.JSONDecodeError as error:
            raise SpecError(
                f"line {error.lineno}", f"not valid JSON: {error.msg} (column {error.colno})"
            ) from None
        return parse_spec(data, external_validation=True)
    raise ValueError(f"unknown solution kind {kind!r}: choose 'keras' or 'json'")
