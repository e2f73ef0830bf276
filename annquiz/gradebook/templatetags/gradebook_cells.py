"""How a gradebook cell is drawn: a score, a score marked late, "pending" or missing (never
shown as a zero). The number is the one the CSV and the JSON hold."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from annquiz.gradebook.scoring import Cell

register = template.Library()


def number(value: float | None) -> str:
    """A score or a percentage as the CSV writes it (no trailing zeros)."""
    if value is None:
        return ""
    return f"{value:.4f}".rstrip("0").rstrip(".")


@register.filter
def percent(value: float | None) -> str | SafeString:
    if value is None:
        return format_html('<span class="gb-none">{}</span>', "no weight")
    return number(value)


@register.simple_tag
def grade_cell(cell: Cell) -> SafeString:
    if cell.attempts == 0:
        return format_html(
            '<td class="gb-missing"><span aria-hidden="true">{}</span>'
            '<span class="visually-hidden">missing</span></td>',
            "\u2013",
        )
    if cell.score is None:
        return format_html('<td class="gb-pending">{}</td>', "pending")
    if cell.late:
        return format_html(
            '<td class="gb-late">{} <span class="gb-late-mark">late</span></td>',
            number(cell.score),
        )
    return format_html("<td>{}</td>", number(cell.score))
