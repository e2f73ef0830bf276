"""Validating a mapping of untrusted data while naming the path of every problem.

The spec, the task definitions, the quiz grading configs and the catalogs all read nested
mappings written by hand and report a problem as ``<path>: <reason>`` (``layers[2].units:
must be ...``). The walking is the same everywhere and lives here; the wording of each reason
belongs to the caller, which passes it in along with ``fail``, the function that raises its
own error for a path and a reason.

Django-free, so that both ``training/`` and ``annquiz/`` may import it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, NoReturn, cast

__all__ = [
    "KEY_CHARS",
    "QUOTE_CHARS",
    "Fail",
    "as_mapping",
    "check_known_keys",
    "check_required_keys",
    "join_path",
    "shorten",
]

# A message quotes at most about this many characters of the input it refuses...
QUOTE_CHARS = 100
# ...and a key (a path segment, quoted again in the reason) at most this many.
KEY_CHARS = 40

# Raises the caller's error for (path, reason); never returns.
Fail = Callable[[str, str], NoReturn]


def shorten(text: str, limit: int = QUOTE_CHARS) -> str:
    """``text`` itself when it has at most ``limit`` characters, else its start, an ellipsis
    and its length (``'xxxxx… (18,000 characters)'``), about ``limit`` characters in all."""
    if len(text) <= limit:
        return text
    return f"{text[: max(1, limit - 25)]}… ({len(text):,} characters)"


def join_path(path: str, key: str | int) -> str:
    """The path of ``key`` inside ``path``: ``path.key``, ``path[i]`` for an index, and
    ``key`` alone at the root (``path`` empty). A key longer than ``KEY_CHARS`` is
    shortened (``shorten``)."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    key = shorten(key, KEY_CHARS)
    return f"{path}.{key}" if path else key


def as_mapping(
    value: object,
    path: str,
    *,
    fail: Fail,
    not_a_mapping: Callable[[object], str],
    key_not_text: Callable[[object], str],
    kind: type = Mapping,
) -> Mapping[str, Any]:
    """``value`` once it is a ``kind`` (a mapping, or ``dict`` for JSON data) whose keys are
    all text; else ``fail(path, not_a_mapping(value))`` or ``fail(path, key_not_text(key))``."""
    if not isinstance(value, kind):
        fail(path, not_a_mapping(value))
    mapping = cast(Mapping[object, Any], value)
    for key in mapping:
        if not isinstance(key, str):
            fail(path, key_not_text(key))
    return cast(Mapping[str, Any], mapping)


def check_known_keys(
    mapping: Mapping[str, Any],
    path: str,
    known: Iterable[str],
    *,
    fail: Fail,
    unknown: Callable[[str], str],
) -> None:
    """``fail(join_path(path, key), unknown(key))`` for the first key not in ``known``."""
    allowed = tuple(known)
    for key in mapping:
        if key not in allowed:
            fail(join_path(path, key), unknown(key))


def check_required_keys(
    mapping: Mapping[str, Any],
    path: str,
    required: Iterable[str],
    *,
    fail: Fail,
    missing: Callable[[str], str],
) -> None:
    """``fail(join_path(path, key), missing(key))`` for the first ``required`` key absent."""
    for key in required:
        if key not in mapping:
            fail(join_path(path, key), missing(key))
