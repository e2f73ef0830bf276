"""The answer tables of free-text questions: ``answer_tables/<question key>.yaml``.

A table lists answers and the verdict each must get from the question's rubric::

    # comments about the question
    question: q2-bias
    cases:
    - {kind: paraphrase, expect: correct, text: "It shifts the output.", why: "the claim"}
    - {kind: negation, expect: incorrect, text: "It does not shift anything.", why: "denied"}

``choice`` names the option sent with the text when the question has a choice part;
``known: <reason>`` marks an answer the grader is known to get wrong (it is reported, never
required, but it must still not be graded correct when it must not be). The
tables are optional for the loader (a course without the directory has none); the course's
own tests require one for every free-text question.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from yaml.nodes import SequenceNode

from annquiz.courses.content.definitions import ContentError
from annquiz.courses.content.yaml_source import field_node, parse_yaml, read_text

TABLES_DIRECTORY = "answer_tables"
CASE_FIELDS = ("kind", "expect", "choice", "text", "why", "known")
VERDICTS = ("correct", "partial", "incorrect")


def read_answer_tables(directory: Path) -> dict[str, tuple[dict[str, Any], ...]]:
    """Every table under ``directory/answer_tables`` by question key, each case checked for
    its shape (``ContentError`` naming the file and line otherwise); no tables: ``{}``."""
    tables_dir = directory / TABLES_DIRECTORY
    if not tables_dir.is_dir():
        return {}
    tables: dict[str, tuple[dict[str, Any], ...]] = {}
    for path in sorted(tables_dir.glob("*.yaml")):
        key, cases = _read_table(path)
        tables[key] = cases
    return tables


def _read_table(path: Path) -> tuple[str, tuple[dict[str, Any], ...]]:
    doc = parse_yaml(read_text(path), path, 1)
    if not isinstance(doc.data, dict) or set(doc.data) != {"question", "cases"}:
        raise doc.error(doc.node, "an answer table is a mapping of 'question' and 'cases'")
    key = doc.data["question"]
    if key != path.stem:
        raise doc.error(
            field_node(doc.node, "question"), f"the table of {key!r} must be named {key}.yaml"
        )
    cases_node = field_node(doc.node, "cases")
    if not isinstance(doc.data["cases"], list) or not isinstance(cases_node, SequenceNode):
        raise doc.error(cases_node, "'cases' must be a list")
    cases = []
    for entry, node in zip(doc.data["cases"], cases_node.value, strict=True):
        if not isinstance(entry, dict):
            raise doc.error(node, "a case is a mapping: kind, expect, text, why (and choice)")
        unknown = sorted(set(entry) - set(CASE_FIELDS))
        if unknown:
            raise doc.error(node, f"unknown field(s) {unknown} (allowed: {', '.join(CASE_FIELDS)})")
        for name in ("kind", "expect", "text", "why"):
            if not isinstance(entry.get(name), str) or not entry[name].strip():
                raise doc.error(node, f"a case needs '{name}' as non-empty text")
        if entry["expect"] not in VERDICTS:
            raise doc.error(node, f"'expect' must be one of {', '.join(VERDICTS)}")
        for name in ("choice", "known"):
            if name in entry and not isinstance(entry[name], str):
                raise doc.error(node, f"'{name}' must be text")
        cases.append({name: entry[name] for name in CASE_FIELDS if name in entry})
    return str(key), tuple(cases)


def check_table_questions(
    tables: dict[str, tuple[dict[str, Any], ...]], kinds: dict[str, str], directory: Path
) -> None:
    """Each table names a free-text question of the course (``kinds``: key -> kind)."""
    for key in tables:
        path = directory / TABLES_DIRECTORY / f"{key}.yaml"
        if key not in kinds:
            raise ContentError(path, 1, f"answer table of {key!r}: the course has no such question")
        if kinds[key] != "free_text":
            raise ContentError(
                path, 1, f"answer table of {key!r}: only free-text questions have tables"
            )
