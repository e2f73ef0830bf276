"""Course files read as YAML that remembers lines: every error names ``path:line``.

The field checks here (``text_field``, ``int_field``, ...) report on the node of the field
they check, so a content author is sent to the exact line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from annquiz.core.markdown_rendering import RenderError, render_markdown
from annquiz.courses.content.definitions import ContentError

_CONFIG_PATH_RE = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def read_text(path: Path) -> str:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ContentError(path, line, "file is not valid UTF-8 text") from exc
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


@dataclass(frozen=True)
class YamlDocument:
    """A parsed YAML document: its node tree (for lines) and its data."""

    path: Path
    node: Node
    data: Any
    first_line: int  # the file line of the document's first line

    def line(self, node: Node) -> int:
        return int(node.start_mark.line) + self.first_line

    def error(self, node: Node, message: str) -> ContentError:
        return ContentError(self.path, self.line(node), message)


def parse_yaml(text: str, path: Path, first_line: int) -> YamlDocument:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return YamlDocument(path, ScalarNode("tag:yaml.org,2002:null", ""), None, first_line)
        _check_duplicate_keys(node, path, first_line)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = int(mark.line) + first_line if mark is not None else first_line
        problem = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        raise ContentError(path, line, f"YAML syntax error: {problem}") from exc
    except yaml.YAMLError as exc:
        raise ContentError(path, first_line, f"YAML error: {exc}") from exc
    finally:
        loader.dispose()
    return YamlDocument(path, node, data, first_line)


def _check_duplicate_keys(node: Node, path: Path, first_line: int) -> None:
    if isinstance(node, MappingNode):
        seen: dict[object, int] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode):
                line = int(key_node.start_mark.line) + first_line
                if key_node.value in seen:
                    raise ContentError(
                        path,
                        line,
                        f"duplicate field {key_node.value!r} "
                        f"(already given on line {seen[key_node.value]})",
                    )
                seen[key_node.value] = line
            _check_duplicate_keys(value_node, path, first_line)
    elif isinstance(node, SequenceNode):
        for item in node.value:
            _check_duplicate_keys(item, path, first_line)


def key_node(node: Node, key: str) -> Node | None:
    if isinstance(node, MappingNode):
        for key_node, _ in node.value:
            if isinstance(key_node, ScalarNode) and key_node.value == key:
                return key_node
    return None


def _value_node(node: Node, key: str) -> Node | None:
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.value == key:
                found: Node = value_node
                return found
    return None


def node_at(node: Node, config_path: str) -> Node:
    """The deepest node along a path like ``rubric.concepts[2].weight`` below ``node``."""
    current = node
    for name, index in _CONFIG_PATH_RE.findall(config_path):
        child: Node | None
        if index and isinstance(current, SequenceNode):
            position = int(index)
            child = current.value[position] if position < len(current.value) else None
        else:
            child = _value_node(current, name) or key_node(current, name)
        if child is None:
            break
        current = child
    return current


def check_fields(
    doc: YamlDocument, node: Node, data: Mapping[Any, Any], allowed: frozenset[str]
) -> None:
    for key in data:
        if key not in allowed:
            where = key_node(node, str(key)) or node
            raise doc.error(where, f"unknown field {key!r} (allowed: {', '.join(sorted(allowed))})")


def field_node(node: Node, key: str) -> Node:
    return _value_node(node, key) or node


def text_field(
    doc: YamlDocument, node: Node, data: Mapping[str, Any], key: str, *, required: bool, what: str
) -> str:
    value = data.get(key)
    if value is None:
        if required:
            raise doc.error(node, f"{what} has no {key!r}")
        return ""
    if not isinstance(value, str):
        raise doc.error(
            field_node(node, key), f"{what}: {key!r} must be text, not {type(value).__name__}"
        )
    if required and not value.strip():
        raise doc.error(field_node(node, key), f"{what}: {key!r} is empty")
    return value


def int_field(
    doc: YamlDocument,
    node: Node,
    data: Mapping[str, Any],
    key: str,
    *,
    default: int | None,
    what: str,
) -> int:
    value = data.get(key, default)
    if value is None:
        raise doc.error(node, f"{what} has no {key!r}")
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise doc.error(
            field_node(node, key), f"{what}: {key!r} must be a whole number ≥ 1, not {value!r}"
        )
    return value


def render_field(
    doc: YamlDocument, node: Node, data: Mapping[str, Any], key: str, text: str, static_prefix: str
) -> str:
    try:
        return render_markdown(text, static_prefix=static_prefix)
    except RenderError as exc:
        value_node = field_node(node, key)
        line = doc.line(value_node)
        if isinstance(value_node, ScalarNode) and value_node.style in ("|", ">"):
            line += exc.line or 1  # block scalars start on the line after the indicator
        elif exc.line:
            line += exc.line - 1
        raise ContentError(doc.path, line, f"{key}: {exc.message}") from exc
