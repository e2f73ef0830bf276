"""How a dashboard table's cell is shown: a link, a number to three decimals, or a dash."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from annquiz.dashboards.tables import Cell, Link

register = template.Library()


@register.filter
def cell(value: Cell) -> str | SafeString:
    if value is None or value == "":
        return format_html('<span aria-label="none">{}</span>', "\u2013")
    if isinstance(value, Link):
        return format_html('<a href="{}">{}</a>', value.href, value.text)
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:.0f}"
    return str(value)


@register.simple_tag(takes_context=True)
def csv_url(context: template.Context, key: str) -> str:
    """This page's URL with ``format=csv&table=<key>`` (the other parameters kept)."""
    params = context["request"].GET.copy()
    params["format"] = "csv"
    params["table"] = key
    return "?" + params.urlencode()
