"""Course Markdown → HTML: math, tables, code, figures, and what must never get through."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from annquiz.core.markdown_rendering import (
    FIGURES_DIR,
    RenderError,
    code_css,
    contrast_ratio,
    render_markdown,
)

CODE_CSS = Path(__file__).resolve().parents[3] / "annquiz" / "static" / "css" / "code.css"


def render(text: str) -> str:
    return render_markdown(text, static_prefix="/static/")


def test_inline_math_becomes_mathml_inside_the_paragraph() -> None:
    html = render(r"The sigmoid $\sigma(x) = \frac{1}{1 + e^{-x}}$ squashes its input.")
    assert html.startswith("<p>The sigmoid <math ")
    assert 'display="inline"' in html
    assert "<mfrac>" in html
    assert "$" not in html


def test_display_math_becomes_a_block_of_its_own() -> None:
    html = render("Softmax:\n\n$$P(y_i) = \\frac{e^{z_i}}{\\sum_j e^{z_j}}$$\n\nDone.")
    assert '<div class="math-display"><math ' in html
    assert 'display="block"' in html
    assert "<p>Done.</p>" in html


def test_markdown_does_not_touch_underscores_stars_or_pipes_inside_math() -> None:
    html = render("| a | b |\n|---|---|\n| $|x_1 * y_2|$ | $a_1 * b_2$ |")
    assert "<em>" not in html
    assert html.count("<td ") == 2  # the pipes inside the formula did not split the cell
    assert html.count("<msub>") == 4


def test_a_dollar_sign_in_code_is_not_math() -> None:
    html = render('Costs `$5`.\n\n```python\nprice = "$1 and $2"\n```')
    assert "<math" not in html
    assert "$5" in html
    assert "$1 and $2" in html


def test_an_escaped_dollar_is_a_literal_dollar() -> None:
    html = render(r"It costs \$5.")
    assert "<math" not in html
    assert "&#36;5" in html


def test_an_unclosed_dollar_is_an_error_with_its_line() -> None:
    with pytest.raises(RenderError) as error:
        render("Fine.\n\nIt costs $5 today.")
    assert error.value.line == 3


def test_an_unknown_latex_command_is_an_error() -> None:
    with pytest.raises(RenderError, match=r"unknown LaTeX command \\frobnicate"):
        render("One\n$\\frobnicate x$")


def test_html_cannot_be_smuggled_through_a_formula() -> None:
    with pytest.raises(RenderError) as error:
        render("x\n\ny\n\n$\\text{<script>alert(1)</script>}$")
    assert error.value.line == 5


def test_tables_are_real_tables_in_a_scroll_wrapper() -> None:
    html = render("| Optimizer | Type |\n|---|---|\n| SGD | Basic |\n| Adam | Adaptive |")
    assert '<div class="table-scroll"><table>' in html
    assert "<th>Optimizer</th>" in html
    assert html.count("<tr>") == 3


def test_table_cells_carry_their_column_heading_for_the_phone_layout() -> None:
    html = render("| Optimizer | Step $w$ |\n|---|---|\n| SGD | $w - \\eta g$ |")
    assert '<td data-label="Optimizer">SGD</td>' in html
    assert '<td data-label="Step w"><math' in html


def test_fenced_code_is_highlighted_with_css_classes() -> None:
    html = render("```python\nmodel = Sequential([Dense(1)])\n```")
    assert '<div class="codehilite">' in html
    assert '<span class="n">Sequential</span>' in html
    assert "style=" not in html


def test_headings_get_ids() -> None:
    html = render("## Why are optimizers important?\n\n## Q&A — Overfitting")
    assert '<h2 id="why-are-optimizers-important">' in html
    assert '<h2 id="qa-overfitting">' in html


def test_a_formula_in_a_heading_gives_a_readable_id() -> None:
    html = render("## The $\\alpha$ of ELU")
    assert '<h2 id="the-alpha-of-elu">' in html


def test_raw_html_is_escaped() -> None:
    html = render('<script>alert("x")</script>\n\nText <b onclick="x()">bold</b>')
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "<b " not in html


def test_a_course_figure_is_rewritten_to_the_static_prefix() -> None:
    figure = sorted(FIGURES_DIR.glob("*.svg"))[0].name
    html = render_markdown(f"![A figure](figures/{figure})", static_prefix="/assets/")
    assert f'src="/assets/courses/figures/{figure}"' in html
    assert 'alt="A figure"' in html


def test_a_missing_figure_is_an_error() -> None:
    with pytest.raises(RenderError, match="does not exist") as error:
        render("Intro\n\n![Nothing](figures/no-such-figure.svg)")
    assert error.value.line == 3


@pytest.mark.parametrize(
    "source",
    [
        "![Remote](https://example.com/x.svg)",
        "![Local png](figures/x.png)",
        "![Traversal](figures/../secret.svg)",
    ],
)
def test_only_course_figures_may_be_images(source: str) -> None:
    with pytest.raises(RenderError, match="not a course figure"):
        render(source)


@pytest.mark.parametrize(
    "href", ["javascript:alert(1)", "java\tscript:alert(1)", "data:text/html,x"]
)
def test_unsafe_link_schemes_are_refused(href: str) -> None:
    with pytest.raises(RenderError, match="scheme"):
        render(f"[click]({href})")


def test_safe_links_are_kept() -> None:
    html = render("[a](https://example.com) [b](#structure) [c](mailto:x@example.com)")
    assert html.count("<a href=") == 3


def test_a_link_out_of_the_site_is_marked_external() -> None:
    html = render("[a](https://example.com) and [b](#structure)")
    assert (
        '<a href="https://example.com" rel="external noopener noreferrer">'
        'a<span class="visually-hidden"> (external link)</span></a>'
    ) in html
    assert '<a href="#structure">b</a>' in html


def test_a_hat_on_one_letter_is_a_combining_circumflex_on_the_italic_letter() -> None:
    html = render("$\\hat\\eta_t$, $\\hat{x}$ and $\\hat{xy}$")
    assert "<msub><mi>\U0001d702\u0302</mi><mi>t</mi></msub>" in html  # italic eta, hat
    assert "<mi>\U0001d465\u0302</mi>" in html  # italic x, hat
    assert html.count("<mover") == 1  # a hat over two letters stays an accent above them


def test_the_stylesheet_on_disk_is_the_generated_one() -> None:
    assert CODE_CSS.read_text() == code_css()
    assert ".codehilite .k " in code_css()
    assert not any(line.startswith("pre ") for line in code_css().splitlines())


def test_every_highlighted_colour_reads_at_aa_contrast_on_the_code_background() -> None:
    css = code_css()
    background = re.search(r"\.codehilite \{ background: (#[0-9a-fA-F]{3,6}); \}", css)
    assert background is not None
    colours = re.findall(r"(?<![-\w])color: (#[0-9a-fA-F]{3,6})", css)
    assert len(colours) > 40
    low = {c for c in colours if contrast_ratio(c, background.group(1)) < 4.5}
    assert not low, low
    # The lesson page draws code blocks on the site's lighter surface: darker text is fine.
    assert all(contrast_ratio(c, "#f6f8fa") >= 4.5 for c in colours)


def test_contrast_ratio_follows_wcag() -> None:
    assert contrast_ratio("#000", "#fff") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert contrast_ratio("#fff", "#fff") == 1.0


def test_a_code_block_is_focusable_so_the_keyboard_can_scroll_it() -> None:
    html = render("```python\nmodel.fit(X_train, y_train, epochs=50, batch_size=10)\n```\n")
    assert html.startswith('<div class="codehilite"><pre tabindex="0">')
