"""A submitted solution read into its spec, whatever form it was written in, and the admitted
spec as it is stored for judging.

A solution is parsed once, when it is submitted, in the judging context: the task supplies
the validation rows (``external_validation``), so ``val_*`` values exist whatever the
spec's ``validation_split``. ``admitted_spec_record`` turns the admitted spec into the JSON
record stored with the submission; ``admitted_spec_load`` reads that record back in the very
context it was admitted in, so a submission that was accepted can always be judged.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from training.errors import SpecError
from training.keras_snippet import parse_keras_snippet
from training.spec import ModelSpec, parse_spec, spec_to_dict

__all__ = [
    "ADMITTED_SPEC_FORMAT",
    "admitted_spec_load",
    "admitted_spec_record",
    "canonical_spec_record",
    "parse_solution",
]

# The version of the stored record (``admitted_spec_record``).
ADMITTED_SPEC_FORMAT = 1
# Every task validates on its dataset's own validation rows (docs/judging.md).
_EXTERNAL_VALIDATION = True


def parse_solution(kind: str, source: str) -> ModelSpec:
    """A solution's spec: ``"json"`` through ``parse_spec``, ``"keras"`` through
    ``parse_keras_snippet``, both with the task's own validation rows (``external_validation``).

    Raises ``SpecError`` naming the path (a JSON path, or ``line N`` of a snippet) and
    ``ValueError`` for an unknown kind.
    """
    if kind == "keras":
        return parse_keras_snippet(source, external_validation=_EXTERNAL_VALIDATION)
    if kind == "json":
        try:
            # NaN, Infinity and 1e999 are read as floats, for parse_spec to name their field.
            data = json.loads(source)
        except json.JSONDecodeError as error:
            raise SpecError(
                f"line {error.lineno}", f"not valid JSON: {error.msg} (column {error.colno})"
            ) from None
        return parse_spec(data, external_validation=_EXTERNAL_VALIDATION)
    raise ValueError(f"unknown solution kind {kind!r}: choose 'keras' or 'json'")


def admitted_spec_record(spec: ModelSpec) -> dict[str, Any]:
    """The JSON record of an admitted spec: its canonical form and the context it was parsed
    in (``{"format": 1, "external_validation": true, "spec": {...}}``)."""
    return canonical_spec_record(spec_to_dict(spec))


def canonical_spec_record(canonical: Mapping[str, Any]) -> dict[str, Any]:
    """The record of a spec already in canonical form (``spec_to_dict``) that was parsed by
    ``parse_solution``, as every submission is."""
    return {
        "format": ADMITTED_SPEC_FORMAT,
        "external_validation": _EXTERNAL_VALIDATION,
        "spec": dict(canonical),
    }


def admitted_spec_load(record: Mapping[str, Any]) -> ModelSpec:
    """The spec ``admitted_spec_record`` stored, read in the context it was admitted in.

    Raises ``SpecError`` for a record of an unknown format (the spec itself was valid when it
    was stored, and ``parse_spec`` of a canonical form gives the same spec back).
    """
    if record.get("format") != ADMITTED_SPEC_FORMAT or "spec" not in record:
        raise SpecError("admitted_spec", f"unknown record format {record.get('format')!r}")
    return parse_spec(
        record["spec"], external_validation=bool(record.get("external_validation", False))
    )
