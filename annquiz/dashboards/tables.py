"""A dashboard's tables as data: drawn by ``templates/dashboards/_table.html`` and downloaded
as CSV (``?format=csv&table=<key>``) from the same rows. Plain Python, no Django."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Link:
    """A cell that links somewhere; the CSV holds its text."""

    text: str
    href: str

    def __str__(self) -> str:
        return self.text


Cell = str | int | float | Link | None


@dataclass(frozen=True)
class Table:
    key: str
    caption: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Cell]] = field(default_factory=list)
    empty: str = "Nothing yet."


def _csv_value(cell: Cell) -> str | int | float:
    if cell is None:
        return ""
    if isinstance(cell, Link):
        return cell.text
    if isinstance(cell, float):
        return round(cell, 6)
    return cell


def table_csv(table: Table) -> str:
    """The table as CSV: a header row, then every row; empty cells for missing values.
    A text cell starting with ``=``, ``+``, ``-`` or ``@`` gets a leading apostrophe, so a
    spreadsheet never reads a student's answer as a formula."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(table.headers)
    for row in table.rows:
        values = [_csv_value(cell) for cell in row]
        writer.writerow(
            [f"'{v}" if isinstance(v, str) and v[:1] in ("=", "+", "-", "@") else v for v in values]
        )
    return out.getvalue()
