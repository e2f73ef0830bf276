"""Plots as inline SVG, drawn on the server: no script, no CDN. Plain Python, no Django.

Each plot is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` (its text
alternative: what it shows and its figures); the pages also give the same numbers as a table.
The SVG scales to its container (``viewBox``); text is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 40
# Distinct, dark enough on white for lines (WCAG 1.4.11, 3:1 against the background).
PALETTE = ("#1f5fa8", "#b3401a", "#2a7a2a", "#7a3fa0", "#8a6d00", "#005f6b", "#a0225a")


def _frame(svg_id: str, title: str, desc: str, body: str) -> str:
    return (
        f'<svg class="plot" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{svg_id}-title {svg_id}-desc" preserveAspectRatio="xMidYMid meet">'
        f'<title id="{svg_id}-title">{escape(title)}</title>'
        f'<desc id="{svg_id}-desc">{escape(desc)}</desc>{body}</svg>'
    )


def _axis(y_max: float, y_label: str) -> str:
    plot_h = HEIGHT - TOP - BOTTOM
    parts = [
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}" stroke="#444"/>',
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" '
        f'y2="{HEIGHT - BOTTOM}" stroke="#444"/>',
    ]
    for fraction in (0.0, 0.5, 1.0):
        y = TOP + plot_h * (1 - fraction)
        parts.append(
            f'<text x="{LEFT - 4}" y="{y + 4:.1f}" text-anchor="end" font-size="11" '
            f'fill="#333">{_short(y_max * fraction)}</text>'
        )
    parts.append(
        f'<text x="12" y="{TOP + plot_h / 2:.1f}" font-size="11" fill="#333" '
        f'transform="rotate(-90 12 {TOP + plot_h / 2:.1f})" text-anchor="middle">'
        f"{escape(y_label)}</text>"
    )
    return "".join(parts)


def _short(value: float) -> str:
    if value == int(value) and abs(value) < 1e6:
        return str(int(value))
    return f"{value:.3g}"


def bar_chart(
    svg_id: str,
    *,
    title: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    y_label: str,
    y_max: float | None = None,
) -> str:
    """Vertical bars, one per label; a None value is drawn as no bar and said as "no data"."""
    present = [v for v in values if v is not None]
    top = y_max if y_max is not None else max(present, default=0.0)
    top = top if top > 0 else 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(1, len(labels))
    bars = []
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = LEFT + index * slot
        if value is not None:
            h = plot_h * min(1.0, value / top)
            bars.append(
                f'<rect x="{x + slot * 0.1:.1f}" y="{TOP + plot_h - h:.1f}" '
                f'width="{slot * 0.8:.1f}" height="{h:.1f}" fill="{PALETTE[0]}"/>'
            )
        if len(labels) <= 12 or index % max(1, len(labels) // 12) == 0:
            bars.append(
                f'<text x="{x + slot / 2:.1f}" y="{HEIGHT - BOTTOM + 14}" font-size="11" '
                f'text-anchor="middle" fill="#333">{escape(label)}</text>'
            )
    said = "; ".join(
        f"{label}: {'no data' if value is None else _short(value)}"
        for label, value in zip(labels, values, strict=True)
    )
    return _frame(svg_id, title, f"{y_label} by bar. {said}.", _axis(top, y_label) + "".join(bars))


def line_chart(
    svg_id: str,
    *,
    title: str,
    series: Sequence[tuple[str, Sequence[float]]],
    x_label: str,
    y_label: str,
) -> str:
    """One line per series over x = 1, 2, …; the description names each series' first, last
    and lowest value. Non-finite values end a line (drawn up to there)."""
    finite = [[v for v in values if v == v and abs(v) != float("inf")] for _, values in series]
    everything = [v for values in finite for v in values]
    top = max(everything, default=1.0) or 1.0
    longest = max((len(values) for _, values in series), default=1)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    lines = []
    described = []
    for index, ((name, _), values) in enumerate(zip(series, finite, strict=True)):
        if not values:
            described.append(f"{name}: no values")
            continue
        points = " ".join(
            f"{LEFT + plot_w * (i / max(1, longest - 1)):.1f},"
            f"{TOP + plot_h * (1 - max(0.0, min(1.0, v / top))):.1f}"
            for i, v in enumerate(values)
        )
        colour = PALETTE[index % len(PALETTE)]
        lines.append(
            f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="1.5">'
            f"<title>{escape(name)}</title></polyline>"
        )
        described.append(
            f"{name}: {len(values)} points, first {_short(values[0])}, last "
            f"{_short(values[-1])}, lowest {_short(min(values))}"
        )
    x_axis = (
        f'<text x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 8}" font-size="11" '
        f'text-anchor="middle" fill="#333">{escape(x_label)} (1 to {longest})</text>'
    )
    desc = f"{y_label} against {x_label}. " + "; ".join(described) + "."
    return _frame(svg_id, title, desc, _axis(top, y_label) + x_axis + "".join(lines))
