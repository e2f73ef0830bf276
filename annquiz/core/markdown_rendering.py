"""Markdown to HTML for course content and task statements: tables, highlighted code,
MathML, local SVG figures.

The renderer is pure (no Django, no database) and safe for instructor-written text:

- Math in ``$...$`` (inline) and ``$$...$$`` (display) is cut out of the text before Markdown
  sees it, converted to MathML with ``latex2mathml`` and put back afterwards, so Markdown never
  mangles ``_``, ``*``, ``\\`` or ``|`` inside a formula. Browsers render MathML natively: no
  script, no CDN. A literal dollar sign is written ``\\$``.
- Raw HTML in the Markdown is escaped, never passed through. The only images allowed are the
  course's own SVG figures, written ``![description](figures/name.svg)``; their address is
  rewritten to ``<static_prefix>courses/figures/name.svg``.
- Links may only be relative, ``#fragment``, ``http(s):`` or ``mailto:``; an ``http(s):`` link
  leaves the site and is marked so (``rel="external"``, an arrow drawn by CSS, and the words
  "(external link)" for screen readers).
- Fenced code is highlighted by Pygments with CSS classes (see :func:`code_css`, whose colours
  are darkened where needed to a 4.5:1 contrast with the block's background); a code block is
  focusable, so that it can be scrolled sideways with the keyboard. Headings get ``id``
  attributes, and tables are wrapped in ``<div class="table-scroll">``; each body cell
  carries its column's heading as ``data-label``, so that a phone can show a row as a card.

Problems in the text raise :class:`RenderError` with the 1-based line of the text where they
were found, so that the content loader can point at the file and line.
"""

from __future__ import annotations

import html
import re
import secrets
import xml.etree.ElementTree as etree  # nosec B405  # see _clean_mathml
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import markdown
from latex2mathml.converter import convert as latex_to_mathml
from markdown.extensions import Extension
from markdown.extensions.codehilite import CodeHiliteExtension
from markdown.extensions.fenced_code import FencedCodeExtension
from markdown.extensions.tables import TableExtension
from markdown.extensions.toc import TocExtension, slugify
from markdown.treeprocessors import Treeprocessor
from pygments.formatters import HtmlFormatter
from pygments.style import Style
from pygments.styles import get_style_by_name

__all__ = [
    "CODE_CSS_CLASS",
    "CODE_STYLE",
    "FIGURES_DIR",
    "FIGURE_URL_PATH",
    "RenderError",
    "code_css",
    "contrast_ratio",
    "figure_url",
    "render_markdown",
]

#: Where the course's SVG figures live in the source tree (served as static files).
FIGURES_DIR = Path(__file__).resolve().parent.parent / "static" / "courses" / "figures"
#: The figures' path below the static URL prefix.
FIGURE_URL_PATH = "courses/figures/"
#: The CSS class on highlighted code blocks and the Pygments style of ``css/code.css``.
CODE_CSS_CLASS = "codehilite"
CODE_STYLE = "friendly"
#: The contrast (WCAG 2) each highlighted colour keeps with the code block's background: AA for
#: normal text is 4.5:1; a little above it, so that rounding never takes a colour under.
CODE_MIN_CONTRAST = 4.6

_FIGURE_SRC_RE = re.compile(r"figures/(?P<name>[A-Za-z0-9][A-Za-z0-9_-]*\.svg)")
_SAFE_SCHEMES = ("http", "https", "mailto")
_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_URL_IGNORED_RE = re.compile(r"[\x00-\x20\x7f]")  # browsers drop these when parsing a URL

# Code regions whose dollar signs are not math: fenced blocks and inline code spans.
# A highlighted block's <pre> scrolls sideways: focusable, so that the keyboard can scroll it.
_CODE_BLOCK_RE = re.compile(rf'(<div class="{CODE_CSS_CLASS}"><pre)>')
_FENCE_RE = re.compile(
    r"^(?P<indent>[ \t]{0,3})(?P<fence>`{3,}|~{3,})[^\n]*\n.*?^[ \t]{0,3}(?P=fence)[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
_CODE_SPAN_RE = re.compile(
    r"(?<!`)(?P<ticks>`+)(?!`)(?:(?!\n[ \t]*\n).)+?(?<!`)(?P=ticks)(?!`)", re.DOTALL
)
_DISPLAY_MATH_RE = re.compile(r"(?<!\\)\$\$(?P<tex>.+?)\$\$", re.DOTALL)
_INLINE_MATH_RE = re.compile(r"(?<![\\$])\$(?![\s$])(?P<tex>(?:\\.|[^\\$\n])+?)(?<!\s)\$(?![\d$])")
_MATHML_NS = "http://www.w3.org/1998/Math/MathML"
_MATHML_ELEMENTS = frozenset(
    [
        "math",
        "mrow",
        "mi",
        "mn",
        "mo",
        "ms",
        "mtext",
        "mspace",
        "msub",
        "msup",
        "msubsup",
        "mfrac",
        "msqrt",
        "mroot",
        "mover",
        "munder",
        "munderover",
        "mtable",
        "mtr",
        "mtd",
        "mlabeledtr",
        "mstyle",
        "mpadded",
        "mphantom",
        "menclose",
        "merror",
        "mfenced",
        "mmultiscripts",
        "mprescripts",
        "none",
        "semantics",
        "annotation",
    ]
)
_UNSAFE_ATTRIBUTES = frozenset({"href", "src", "style", "xlink:href", "background", "action"})


class RenderError(ValueError):
    """Course Markdown that cannot be rendered: bad math, a foreign image, an unsafe link.

    ``line`` is the 1-based line of the rendered text where the problem is, or ``None`` when
    the position is not known.
    """

    def __init__(self, message: str, *, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def figure_url(name: str, *, static_prefix: str) -> str:
    """The URL of the figure ``figures/<name>`` below ``static_prefix``."""
    prefix = static_prefix if static_prefix.endswith("/") else static_prefix + "/"
    return f"{prefix}{FIGURE_URL_PATH}{name}"


def _relative_luminance(colour: str) -> float:
    """WCAG 2's relative luminance of a ``#rgb`` or ``#rrggbb`` colour."""
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2's contrast ratio of two colours: (L_light + 0.05) / (L_dark + 0.05)."""
    light, dark = sorted((_relative_luminance(first), _relative_luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _darkened(colour: str, background: str) -> str:
    """``colour`` scaled towards black, keeping its hue, until it reaches CODE_MIN_CONTRAST."""
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    rgb = [int(digits[i : i + 2], 16) for i in (0, 2, 4)]
    result = f"#{digits.lower()}"
    factor = 1.0
    while contrast_ratio(result, background) < CODE_MIN_CONTRAST and factor > 0:
        factor -= 0.02
        result = "#" + "".join(f"{round(c * factor):02x}" for c in rgb)
    return result


_STYLE_COLOUR_RE = re.compile(r"(?<![\w:])#[0-9a-fA-F]{6}\b|(?<![\w:])#[0-9a-fA-F]{3}\b")


def _readable_code_style() -> type[Style]:
    """The Pygments style CODE_STYLE with each text colour darkened to CODE_MIN_CONTRAST against
    its background (background colours, ``bg:…``, are kept)."""
    base = get_style_by_name(CODE_STYLE)
    background = base.background_color or "#ffffff"

    def readable(definition: str) -> str:
        return " ".join(
            _STYLE_COLOUR_RE.sub(lambda m: _darkened(m.group(0), background), part)
            if part.startswith("#")
            else part
            for part in definition.split()
        )

    styles = {token: readable(definition) for token, definition in base.styles.items()}
    return type("ReadableCodeStyle", (base,), {"styles": styles})


def code_css() -> str:
    """The stylesheet for highlighted code, as stored in ``annquiz/static/css/code.css``."""
    formatter = HtmlFormatter(style=_readable_code_style())
    header = (
        f"/* Highlighting for code blocks rendered from course Markdown.\n"
        f"   Generated from the Pygments style '{CODE_STYLE}', each colour darkened to a\n"
        f"   {CODE_MIN_CONTRAST}:1 contrast with the background, by\n"
        f"   annquiz.core.markdown_rendering.code_css(); regenerate it. */\n"
    )
    # Only the rules scoped to code blocks: Pygments also emits global `pre` and line-number
    # rules, which would restyle the rest of the site.
    scoped = [
        rule
        for rule in str(formatter.get_style_defs(f".{CODE_CSS_CLASS}")).splitlines()
        if rule.startswith(f".{CODE_CSS_CLASS}")
    ]
    rules = "\n".join(scoped)
    layout = (
        f".{CODE_CSS_CLASS} {{ overflow-x: auto; border-radius: 4px; }}\n"
        f".{CODE_CSS_CLASS} pre {{ margin: 0; padding: 0.75em 1em; line-height: 1.45; }}\n"
    )
    return header + rules + "\n" + layout


def render_markdown(text: str, *, static_prefix: str) -> str:
    """Render course Markdown ``text`` to safe HTML (see the module docstring for the rules).

    Raises :class:`RenderError` for invalid math, an image that is not a course figure (or a
    figure file that does not exist) and links with a scheme other than http, https or mailto.
    """
    if not isinstance(text, str):
        raise RenderError(f"expected Markdown text, got {type(text).__name__}")
    token = f"MATHX{secrets.token_hex(6)}X"
    protected, formulas = _protect_math(text, token)
    md = markdown.Markdown(
        extensions=[
            TableExtension(),
            FencedCodeExtension(),
            CodeHiliteExtension(css_class=CODE_CSS_CLASS, guess_lang=False),
            TocExtension(permalink=False, slugify=_heading_slugify(token, formulas)),
            _CourseSafety(source=text, static_prefix=static_prefix),
        ],
        output_format="html",
    )
    rendered = _CODE_BLOCK_RE.sub(r'\1 tabindex="0">', md.convert(protected))
    return _restore_math(rendered, token, formulas)


# --- math ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Formula:
    tex: str
    display: bool
    mathml: str


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _code_regions(text: str) -> list[tuple[int, int]]:
    """Spans of ``text`` that are code (fenced blocks, then inline code spans between them)."""
    regions: list[tuple[int, int]] = []
    position = 0
    for fence in _FENCE_RE.finditer(text):
        regions.extend(_code_spans(text, position, fence.start()))
        regions.append((fence.start(), fence.end()))
        position = fence.end()
    regions.extend(_code_spans(text, position, len(text)))
    return regions


def _code_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _CODE_SPAN_RE.finditer(text, start, end)]


def _convert_tex(tex: str, *, display: bool, line: int) -> str:
    source = tex.strip()
    if not source:
        raise RenderError("empty formula", line=line)
    try:
        mathml = latex_to_mathml(source, display="block" if display else "inline")
    except Exception as exc:  # latex2mathml raises assorted exception types for bad input
        detail = str(exc) or type(exc).__name__
        raise RenderError(f"cannot render the formula ${source}$: {detail}", line=line) from exc
    return _clean_mathml(mathml, source=source, line=line)


def _clean_mathml(mathml: str, *, source: str, line: int) -> str:
    """Check ``latex2mathml``'s output and serialise it again with every text escaped.

    ``latex2mathml`` copies ``\\text{...}`` and unsupported syntax into its output verbatim, so
    its output is parsed as XML, limited to MathML elements and safe attributes, and written
    out anew: nothing in a formula can smuggle HTML into the page.
    """
    try:
        # Bandit B314/B405 (XML attacks): this parses only latex2mathml's output for formulas in
        # instructor-written lessons; expat resolves no external entity and caps expansion.
        root = etree.fromstring(mathml)  # nosec B314
    except etree.ParseError as exc:
        raise RenderError(
            f"cannot render the formula ${source}$: it contains '<', '>' or '&' where LaTeX "
            "does not allow them ('&' only inside cases, array or matrix environments)",
            line=line,
        ) from exc
    for element in root.iter():
        name = _local_name(element.tag)
        if name not in _MATHML_ELEMENTS:
            raise RenderError(f"the formula ${source}$ contains markup <{name}>", line=line)
        text = (element.text or "").strip()
        if name in ("mi", "mo") and text.startswith("\\"):
            raise RenderError(f"unknown LaTeX command {text} in the formula ${source}$", line=line)
        for attribute in element.attrib:
            attribute_name = _local_name(attribute).lower()
            if attribute_name.startswith("on") or attribute_name in _UNSAFE_ATTRIBUTES:
                raise RenderError(
                    f"the formula ${source}$ produced the attribute {attribute_name!r}", line=line
                )
    _hats_onto_letters(root)
    return _serialise(root, top=True)


_HAT_CHARACTERS = frozenset({"^", "\u02c6", "\u0302"})
_COMBINING_CIRCUMFLEX = "\u0302"


def _math_italic(letter: str) -> str | None:
    """The Mathematical Italic form of a Latin or Greek letter (as MathML draws a lone ``<mi>``),
    or None for anything else."""
    code = ord(letter)
    if letter == "h":
        return "\u210e"  # the italic h lives in Letterlike Symbols
    if "a" <= letter <= "z":
        return chr(0x1D44E + code - ord("a"))
    if "A" <= letter <= "Z":
        return chr(0x1D434 + code - ord("A"))
    if 0x3B1 <= code <= 0x3C9:  # alpha to omega, final sigma included
        return chr(0x1D6FC + code - 0x3B1)
    if 0x391 <= code <= 0x3A9 and code != 0x3A2:
        return chr(0x1D6E2 + code - 0x391)
    return None


def _hats_onto_letters(root: etree.Element) -> None:
    """``\\hat`` on one letter becomes that letter with a combining circumflex.

    latex2mathml writes ``\\hat\\eta`` as ``<mover accent="true"><mi>η</mi><mo>^</mo></mover>``;
    browsers stack the ASCII caret over the letter's box, too high and off to the left of a
    slanted letter. The font places a combining circumflex on the glyph itself, so ``η̂`` is
    written ``<mi>𝜂̂</mi>`` (the italic letter, as a lone ``<mi>`` would be drawn).
    """
    for parent in root.iter():
        for index, child in enumerate(list(parent)):
            if _local_name(child.tag) != "mover" or len(child) != 2:
                continue
            base, accent = child[0], child[1]
            if _local_name(accent.tag) != "mo" or (accent.text or "") not in _HAT_CHARACTERS:
                continue
            if _local_name(base.tag) == "mrow" and len(base) == 1 and not (base.text or "").strip():
                base = base[0]
            letter = (base.text or "").strip()
            if _local_name(base.tag) != "mi" or len(letter) != 1 or len(base) or base.attrib:
                continue
            italic = _math_italic(letter)
            if italic is None:
                continue
            hatted = etree.Element(base.tag)
            hatted.text = italic + _COMBINING_CIRCUMFLEX
            hatted.tail = child.tail
            parent.remove(child)
            parent.insert(index, hatted)


def _local_name(tag: str) -> str:
    return tag.rpartition("}")[2]


def _serialise(element: etree.Element, *, top: bool = False) -> str:
    name = _local_name(element.tag)
    attributes = {_local_name(key): value for key, value in element.attrib.items()}
    if top:
        attributes = {"xmlns": _MATHML_NS, **attributes}
    opening = "".join(
        f' {key}="{html.escape(value, quote=True)}"' for key, value in attributes.items()
    )
    inner = html.escape(element.text or "", quote=False)
    inner += "".join(_serialise(child) for child in element)
    tail = "" if top else html.escape(element.tail or "", quote=False)
    return f"<{name}{opening}>{inner}</{name}>{tail}"


def _protect_math(text: str, token: str) -> tuple[str, list[_Formula]]:
    """Replace every formula outside code with ``<token><n>E`` and convert it to MathML."""
    formulas: list[_Formula] = []
    pieces: list[str] = []
    position = 0
    for start, end in _code_regions(text):
        pieces.append(_protect_prose(text, position, start, token, formulas))
        pieces.append(text[start:end])
        position = end
    pieces.append(_protect_prose(text, position, len(text), token, formulas))
    return "".join(pieces), formulas


def _protect_prose(text: str, start: int, end: int, token: str, formulas: list[_Formula]) -> str:
    first_line = _line_of(text, start)

    def line_of(match: re.Match[str]) -> int:
        return first_line + match.string.count("\n", 0, match.start())

    def display(match: re.Match[str]) -> str:
        line = line_of(match)
        mathml = _convert_tex(match.group("tex"), display=True, line=line)
        formulas.append(_Formula(match.group("tex"), True, mathml))
        # Keep the line count, so that later errors still point at the right line.
        newlines = "\n" * match.group(0).count("\n")
        return f"{token}{len(formulas) - 1}E{newlines}"

    def inline(match: re.Match[str]) -> str:
        line = line_of(match)
        mathml = _convert_tex(match.group("tex"), display=False, line=line)
        formulas.append(_Formula(match.group("tex"), False, mathml))
        return f"{token}{len(formulas) - 1}E"

    prose = text[start:end]
    # Display math first, so that "$$" is never read as two inline delimiters. The display pass
    # keeps every newline, so the inline pass still counts lines right.
    prose = _DISPLAY_MATH_RE.sub(display, prose)
    prose = _INLINE_MATH_RE.sub(inline, prose)
    unmatched = re.search(r"(?<!\\)\$", prose)
    if unmatched:
        line = first_line + prose.count("\n", 0, unmatched.start())
        raise RenderError(
            "a '$' opens a formula that is never closed (write \\$ for a dollar sign)", line=line
        )
    return prose.replace("\\$", "&#36;")


def _heading_slugify(token: str, formulas: list[_Formula]) -> Callable[[str, str], str]:
    """Heading ids from the heading's text, with each formula's LaTeX source in its place."""
    placeholder = re.compile(re.escape(token) + r"(\d+)E")

    def heading_id(value: str, separator: str) -> str:
        plain = placeholder.sub(lambda m: formulas[int(m.group(1))].tex, value)
        return slugify(plain, separator)

    return heading_id


def _restore_math(rendered: str, token: str, formulas: list[_Formula]) -> str:
    placeholder = re.compile(re.escape(token) + r"(\d+)E")

    def in_tag(tag: re.Match[str]) -> str:
        # A formula inside an attribute (an image's alt text, a link title) stays LaTeX source.
        return placeholder.sub(lambda m: html.escape(formulas[int(m.group(1))].tex), tag.group(0))

    rendered = re.sub(r"<[^<>]*>", in_tag, rendered)

    def block(match: re.Match[str]) -> str:
        formula = formulas[int(match.group(1))]
        if not formula.display:
            return match.group(0)
        return f'<div class="math-display">{formula.mathml}</div>'

    rendered = re.sub(r"<p>" + placeholder.pattern + r"</p>", block, rendered)
    return placeholder.sub(lambda m: formulas[int(m.group(1))].mathml, rendered)


# --- safety: raw HTML, images, links -----------------------------------------------------


class _CourseSafety(Extension):
    """Escape raw HTML, allow only course figures as images, allow only safe link schemes."""

    def __init__(self, *, source: str, static_prefix: str) -> None:
        super().__init__()
        self.source = source
        self.static_prefix = static_prefix

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.treeprocessors.register(
            _LinksAndFigures(md, source=self.source, static_prefix=self.static_prefix),
            "annquiz_links_and_figures",
            1,
        )


def _label_cells(table: etree.Element) -> None:
    """Give each body cell its column's heading as ``data-label``, so that on a narrow screen
    the stylesheet can show a row as a card of labelled fields."""
    head = table.find("thead")
    body = table.find("tbody")
    if head is None or body is None:
        return
    heading_row = head.find("tr")
    if heading_row is None:
        return
    labels = [" ".join("".join(cell.itertext()).split()) for cell in heading_row]
    for row in body.iter("tr"):
        for cell, label in zip(row, labels, strict=False):
            if label:
                cell.set("data-label", label)


class _LinksAndFigures(Treeprocessor):
    def __init__(self, md: markdown.Markdown, *, source: str, static_prefix: str) -> None:
        super().__init__(md)
        self.source = source
        self.static_prefix = static_prefix

    def run(self, root: etree.Element) -> None:
        for parent in list(root.iter()):
            for index, child in enumerate(list(parent)):
                if child.tag == "img":
                    self._figure(child)
                elif child.tag == "a":
                    self._link(child)
                elif child.tag == "table":
                    _label_cells(child)
                    wrapper = etree.Element("div", {"class": "table-scroll"})
                    wrapper.tail, child.tail = child.tail, None
                    parent.remove(child)
                    wrapper.append(child)
                    parent.insert(index, wrapper)

    def _line_mentioning(self, needle: str) -> int | None:
        offset = self.source.find(needle) if needle else -1
        return _line_of(self.source, offset) if offset >= 0 else None

    def _figure(self, img: etree.Element) -> None:
        src = img.get("src", "")
        match = _FIGURE_SRC_RE.fullmatch(src)
        if match is None:
            raise RenderError(
                f"image {src!r} is not a course figure: images must be written as "
                "![description](figures/<name>.svg)",
                line=self._line_mentioning(src),
            )
        name = match.group("name")
        if not (FIGURES_DIR / name).is_file():
            raise RenderError(
                f"figure {src!r} does not exist in {FIGURES_DIR}", line=self._line_mentioning(src)
            )
        if not img.get("alt", "").strip():
            raise RenderError(
                f"figure {src!r} needs a description: ![description]({src})",
                line=self._line_mentioning(src),
            )
        img.set("src", figure_url(name, static_prefix=self.static_prefix))
        img.set("class", "figure")
        img.set("loading", "lazy")

    def _link(self, anchor: etree.Element) -> None:
        href = anchor.get("href", "")
        scheme = _SCHEME_RE.match(_URL_IGNORED_RE.sub("", href))
        if scheme is not None and scheme.group(1).lower() not in _SAFE_SCHEMES:
            raise RenderError(
                f"link {href!r} uses the scheme {scheme.group(1)!r}; only relative links, "
                "#fragments, http(s): and mailto: are allowed",
                line=self._line_mentioning(href),
            )
        if scheme is not None and scheme.group(1).lower() in ("http", "https"):
            # A link out of the site: marked, so that the reader knows before following it.
            anchor.set("rel", "external noopener noreferrer")
            marker = etree.SubElement(anchor, "span", {"class": "visually-hidden"})
            marker.text = " (external link)"
