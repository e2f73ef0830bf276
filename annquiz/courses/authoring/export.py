"""Writing the questions edited on the web back to the course files, so that the edit can be
committed and ``load_course`` finds the files equal to the database again.

Each such question's entry in its lesson's front matter is replaced by its stored content
(the other fields of the entry, ``key``, ``kind``, ``handout_section``, ``max_attempts`` and
``points``, are kept as written; comments inside the entry are not), and its answer table,
``answer_tables/<key>.yaml``, is written anew below the table's leading comment lines. The
rest of every file is left byte for byte as it was.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from annquiz.courses.content.answer_tables import CASE_FIELDS, TABLES_DIRECTORY
from annquiz.courses.models import Course, Question

_PLAIN = re.compile(r"[a-z][a-z0-9_-]*")
_YAML_WORDS = frozenset({"yes", "no", "on", "off", "true", "false", "null", "y", "n"})


@dataclass
class ExportSummary:
    written: list[str] = field(default_factory=list)  # "key -> path" lines
    missing: list[str] = field(default_factory=list)  # keys found in no lesson file


class _Dumper(yaml.SafeDumper):
    """YAML as the course files write it: lists indented under their key, multi-line text as
    literal blocks (``|``), lists of short phrases on one line (``["a", "b"]``)."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.SequenceNode:
    short = all(isinstance(item, str) and len(item) <= 60 and "\n" not in item for item in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=short)


_Dumper.add_representer(str, _text)
_Dumper.add_representer(list, _list)


def _dump(value: Any) -> str:
    return yaml.dump(
        value, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100, indent=2
    )


def _split(text: str) -> tuple[list[str], int]:
    """The file's lines and the index of the line closing its front matter."""
    lines = text.split("\n")
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            return lines, index
    raise ValueError("the front matter is never closed")


def _items(front: str) -> dict[str, MappingNode]:
    root = yaml.compose(front, Loader=yaml.SafeLoader)
    if not isinstance(root, MappingNode):
        return {}
    for key_node, value in root.value:
        if isinstance(key_node, ScalarNode) and key_node.value == "questions":
            if not isinstance(value, SequenceNode):
                return {}
            found: dict[str, MappingNode] = {}
            for item in value.value:
                if not isinstance(item, MappingNode):
                    continue
                for name, node in item.value:
                    if isinstance(node, ScalarNode) and name.value == "key":
                        found[str(node.value)] = item
            return found
    return {}


def _last_line(node: Node) -> int:
    """The last line holding ``node``'s text (a block collection's own end mark lies at the
    next token, so its deepest last child is asked instead)."""
    while isinstance(node, MappingNode | SequenceNode) and node.value and not node.flow_style:
        last = node.value[-1]
        node = last[1] if isinstance(node, MappingNode) else last
    end = node.end_mark
    return int(end.line) if end.column > 0 else int(end.line) - 1


def _entry(original: dict[str, Any], question: Question) -> dict[str, Any]:
    markdown = question.markdown
    entry = dict(original)
    entry["prompt"] = markdown.get("prompt", "")
    hints = list(markdown.get("hints", []))
    if hints:
        entry["hints"] = hints
    else:
        entry.pop("hints", None)
    for name in ("explanation", "model_answer"):
        if markdown.get(name, "").strip():
            entry[name] = markdown[name]
        else:
            entry.pop(name, None)
    entry["config"] = question.config
    return entry


def _replace_entries(path: Path, questions: dict[str, Question]) -> list[str]:
    """Rewrite the entries of ``questions`` found in the lesson file; return their keys."""
    lines, closing = _split(path.read_text(encoding="utf-8"))
    front = "\n".join(lines[1:closing])
    items = _items(front)
    data = yaml.safe_load(front) or {}
    originals = {str(q.get("key")): q for q in data.get("questions") or [] if isinstance(q, dict)}
    done = []
    # From the bottom up, so the line numbers of the entries above stay right.
    for key, item in sorted(items.items(), key=lambda pair: -pair[1].start_mark.line):
        if key not in questions:
            continue
        start = item.start_mark.line + 1  # +1: the front matter starts on the file's 2nd line
        last = _last_line(item)
        column = item.start_mark.column
        dumped = _dump(_entry(originals[key], questions[key])).rstrip("\n").split("\n")
        block = [" " * (column - 2) + "- " + dumped[0]] + [
            (" " * column + line) if line else "" for line in dumped[1:]
        ]
        lines[start : last + 2] = block
        done.append(key)
    path.write_text("\n".join(lines), encoding="utf-8")
    return done


def _scalar(value: str) -> str:
    if _PLAIN.fullmatch(value) and value not in _YAML_WORDS:
        return value
    return json.dumps(value, ensure_ascii=False)


def table_text(key: str, cases: list[dict[str, Any]], header: list[str]) -> str:
    """An answer table file: ``header`` comment lines, then one case per line."""
    lines = [*header, f"question: {key}", "cases:" if cases else "cases: []"]
    for case in cases:
        parts = [
            f"{name}: {json.dumps(case[name], ensure_ascii=False) if name in ('text', 'why', 'known') else _scalar(str(case[name]))}"  # noqa: E501
            for name in CASE_FIELDS
            if name in case
        ]
        lines.append("- {" + ", ".join(parts) + "}")
    return "\n".join(lines) + "\n"


def _write_table(directory: Path, question: Question) -> None:
    path = directory / TABLES_DIRECTORY / f"{question.key}.yaml"
    header: list[str] = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").split("\n"):
            if not line.startswith("#"):
                break
            header.append(line)
    elif not question.test_answers:
        return
    path.parent.mkdir(exist_ok=True)
    path.write_text(table_text(question.key, list(question.test_answers), header), "utf-8")


def course_export(*, course: Course, directory: Path) -> ExportSummary:
    """Write every question of ``course`` edited on the web since its last load into the
    course files under ``directory``."""
    edited = {
        q.key: q
        for q in Question.objects.filter(
            course=course, is_active=True, edited_on_web_at__isnull=False
        )
    }
    summary = ExportSummary()
    remaining = dict(edited)
    for path in sorted((directory / "lessons").glob("*.md")):
        if not remaining:
            break
        for key in _replace_entries(path, remaining):
            summary.written.append(f"{key} -> {path.relative_to(directory)}")
            if remaining[key].kind == "free_text":
                _write_table(directory, remaining[key])
            del remaining[key]
    summary.missing = sorted(remaining)
    return summary
