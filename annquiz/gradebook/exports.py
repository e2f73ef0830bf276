"""The gradebook as JSON and as a CSV table: the same numbers as its page. The JSON shape is
documented in docs/dashboards.md ("Gradebook")."""

from __future__ import annotations

from typing import Any

from annquiz.dashboards.filters import Filters
from annquiz.dashboards.tables import Cell as TableCell
from annquiz.dashboards.tables import Table
from annquiz.enrolment.models import Offering
from annquiz.gradebook.scoring import Cell
from annquiz.gradebook.selectors import Gradebook


def _cell_json(cell: Cell) -> dict[str, Any] | None:
    if cell.attempts == 0:
        return None
    return {"score": cell.score, "raw": cell.raw, "late": cell.late, "attempts": cell.attempts}


def gradebook_json(book: Gradebook, *, offering: Offering, filters: Filters) -> dict[str, Any]:
    policy = book.policy
    columns = book.columns
    return {
        "course": offering.slug,
        "policy": {
            "attempt": policy.attempt,
            "late_factor": policy.late_factor,
            "questions_percent": policy.questions_percent,
        },
        "filters": {
            "group": filters.group,
            "from": filters.since.isoformat() if filters.since else None,
            "to": filters.until.isoformat() if filters.until else None,
        },
        "columns": [
            {
                "key": c.key,
                "kind": c.kind,
                "label": c.label,
                "lesson": c.lesson,
                "weight": c.weight,
                "due_at": c.due_at.isoformat() if c.due_at else None,
            }
            for c in columns
        ],
        "students": [
            {
                "id": row.id,
                "username": row.username,
                "name": row.name,
                "group": row.group,
                "cells": {
                    c.key: _cell_json(cell) for c, cell in zip(columns, row.cells, strict=True)
                },
                "questions": row.totals.questions,
                "tasks": row.totals.tasks,
                "total": row.totals.total,
                "late": row.totals.late,
                "missing": row.totals.missing,
            }
            for row in book.rows
        ],
    }


def gradebook_table(book: Gradebook) -> Table:
    """One row per student: each item's counted score (empty: missing; "pending": tried, not
    graded yet), the totals in percent, and the keys of the items whose counted attempt was
    late."""
    columns = book.columns
    headers = [
        "Student",
        "Username",
        "Group",
        *(c.key for c in columns),
        "Questions %",
        "Tasks %",
        "Total %",
        "Late",
        "Missing",
    ]
    rows: list[list[TableCell]] = []
    for row in book.rows:
        cells: list[TableCell] = ["pending" if cell.pending else cell.score for cell in row.cells]
        late = [c.key for c, cell in zip(columns, row.cells, strict=True) if cell.late]
        rows.append(
            [
                row.name,
                row.username,
                row.group,
                *cells,
                row.totals.questions,
                row.totals.tasks,
                row.totals.total,
                " ".join(late),
                row.totals.missing,
            ]
        )
    return Table("gradebook", "Gradebook", headers, rows, empty="No students.")
