"""Keyboard helpers for the browser tests: where the focus is, moving it with Tab, and whether
the focused element shows a visible focus indicator."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Page

#: The focus indicator's contrast with the colours around it (WCAG 2.2, 1.4.11 and 2.4.13).
MIN_FOCUS_CONTRAST = 3.0

# What the focused element is, and its focus indicator: the outline's or box-shadow's colour,
# and the colour behind the element (the first opaque background of it or an ancestor; the
# outline is drawn outside the element, so the parent's when there is an offset).
DESCRIBE_FOCUS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  const css = getComputedStyle(el);
  const parse = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  };
  const lum = (c) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const ratio = (a, b) => {
    const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  };
  let from = parseFloat(css.outlineOffset) > 0 ? el.parentElement : el;
  let background = {r: 255, g: 255, b: 255, a: 1};
  for (let node = from; node && node.nodeType === 1; node = node.parentElement) {
    const c = parse(getComputedStyle(node).backgroundColor);
    if (c && c.a > 0.5) { background = c; break; }
  }
  const outline = css.outlineStyle !== 'none' && parseFloat(css.outlineWidth) >= 2;
  const shadow = css.boxShadow && css.boxShadow !== 'none';
  const ring = outline ? parse(css.outlineColor) : (shadow ? parse(css.boxShadow) : null);
  const label = (el.getAttribute('aria-label') || el.innerText || el.value || el.name || '')
    .trim().slice(0, 40);
  return {
    tag: el.tagName.toLowerCase(),
    id: el.id,
    label: label,
    type: el.getAttribute('type'),
    inMain: !!el.closest('main'),
    indicator: outline ? 'outline' : (shadow ? 'box-shadow' : 'none'),
    contrast: ring ? ratio(ring, background) : 0,
    selector: el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
      (typeof el.className === 'string' && el.className.trim()
        ? '.' + el.className.trim().split(/\\s+/).join('.') : ''),
  };
}"""


def focused(page: Page) -> dict[str, Any] | None:
    result: dict[str, Any] | None = page.evaluate(DESCRIBE_FOCUS)
    return result


def focus_matches(page: Page, selector: str) -> bool:
    return bool(
        page.evaluate(
            "(s) => !!document.activeElement && document.activeElement.matches(s)", selector
        )
    )


def tab_to(page: Page, selector: str, *, key: str = "Tab", limit: int = 400) -> None:
    """Press Tab (or Shift+Tab) until the focused element matches ``selector``."""
    for _ in range(limit):
        page.keyboard.press(key)
        if focus_matches(page, selector):
            return
    raise AssertionError(f"{selector} never got the focus after {limit} presses of {key}")
