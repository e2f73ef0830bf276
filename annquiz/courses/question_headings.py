"""A lesson heading that stands right before a question becomes that question's heading.

The handout puts each checkpoint under a heading of its own ("Checkpoint: forecasting
rainfall") and the question card has a title too: stacked, they read as two headings for one
thing. When an HTML block ends with a heading and a question follows, the heading moves into
the question's card (keeping its id, so links to the section still land on it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["SectionHeading", "split_trailing_heading"]

_TRAILING_HEADING_RE = re.compile(
    r"<h(?P<level>[2-4]) id=\"(?P<id>[^\"]+)\">(?P<html>(?:(?!</h[2-4]>).)*)</h(?P=level)>\s*\Z",
    re.DOTALL,
)


@dataclass(frozen=True)
class SectionHeading:
    """A heading of the lesson's text: its level (2 to 4), its id and its inner HTML."""

    level: int
    id: str
    html: str


def split_trailing_heading(html: str) -> tuple[str, SectionHeading | None]:
    """``html`` without the heading that ends it, and that heading; or ``html`` and None."""
    match = _TRAILING_HEADING_RE.search(html)
    if match is None:
        return html, None
    heading = SectionHeading(int(match.group("level")), match.group("id"), match.group("html"))
    return html[: match.start()].rstrip(), heading
