"""The course in fixtures/course: it loads, it holds the whole handout, broken copies fail well."""

from __future__ import annotations

import html as html_module
import re
import shutil
from pathlib import Path

import pytest

from annquiz.courses.content import (
    ContentError,
    CourseDef,
    HtmlBlock,
    LessonDef,
    QuestionBlock,
    QuestionDef,
    load_course,
)

COURSE_DIR = Path(__file__).resolve().parents[3] / "fixtures" / "course"

HANDOUT_QA = [f"q{n}-" for n in range(1, 12)]
CHECKPOINTS = [
    "checkpoint-rainfall",
    "checkpoint-stock-prices",
    "checkpoint-input-dim",
    "checkpoint-loss-rises",
    "checkpoint-train-98-test-60",
    "checkpoint-500-samples",
    "checkpoint-20-epochs",
]


@pytest.fixture(scope="module")
def course() -> CourseDef:
    return load_course(COURSE_DIR)


def questions(course: CourseDef) -> dict[str, QuestionDef]:
    return {q.key: q for lesson in course.lessons for q in lesson.questions}


def lesson_html(lesson: LessonDef) -> str:
    return "\n".join(b.html for b in lesson.blocks if isinstance(b, HtmlBlock))


def lesson(course: CourseDef, slug: str) -> LessonDef:
    return next(item for item in course.lessons if item.slug == slug)


# --- the real course ----------------------------------------------------------------------


def test_the_course_loads_with_its_slug_and_description(course: CourseDef) -> None:
    assert course.slug == "ann-handout"
    assert course.title
    assert course.description_html.startswith("<p>")


def test_ten_lessons_follow_the_handout_in_order(course: CourseDef) -> None:
    assert [item.order for item in course.lessons] == list(range(1, 11))
    assert [item.slug for item in course.lessons] == [
        "introduction-to-ann",
        "understanding-the-basics",
        "ann-architecture",
        "types-of-neural-networks",
        "code-example-using-keras",
        "how-ann-learns",
        "optimizers",
        "loss-convergence-and-epochs",
        "challenges-and-solutions",
        "ann-vs-traditional-algorithms",
    ]
    for item in course.lessons:
        assert item.title and item.summary
        assert item.source.path == f"lessons/{item.order:02d}-{item.slug}.md"


def test_every_handout_question_and_checkpoint_is_there(course: CourseDef) -> None:
    keys = questions(course)
    for prefix in HANDOUT_QA:
        assert sum(key.startswith(prefix) for key in keys) == 1, prefix
    for key in CHECKPOINTS:
        assert keys[key].kind == "free_text"
        assert keys[key].config["rubric"]["concepts"]
        assert keys[key].model_answer_html
        assert keys[key].explanation_html


def test_handout_questions_sit_in_the_lessons_of_their_sections(course: CourseDef) -> None:
    def keys_of(slug: str) -> list[str]:
        return [q.key for q in lesson(course, slug).questions]

    assert "checkpoint-rainfall" in keys_of("introduction-to-ann")
    assert {"q1-weights", "q2-bias"} <= set(keys_of("ann-architecture"))
    assert "checkpoint-stock-prices" in keys_of("types-of-neural-networks")
    assert "checkpoint-input-dim" in keys_of("code-example-using-keras")
    assert {"q3-sgd-slow", "q4-adam-preferred", "q5-one-optimizer"} <= set(keys_of("optimizers"))
    assert {"checkpoint-loss-rises", "q6-high-loss", "q7-low-loss", "q8-converging"} <= set(
        keys_of("loss-convergence-and-epochs")
    )
    assert {
        "q10-detect-overfitting",
        "q11-high-accuracy",
        "checkpoint-train-98-test-60",
        "checkpoint-20-epochs",
    } <= set(keys_of("challenges-and-solutions"))
    assert "checkpoint-500-samples" in keys_of("ann-vs-traditional-algorithms")


def test_parametrized_questions_cover_every_template(course: CourseDef) -> None:
    templates = {
        q.config["template"]: lesson.slug
        for lesson in course.lessons
        for q in lesson.questions
        if q.kind == "parametrized"
    }
    assert templates == {
        "neuron_output": "understanding-the-basics",
        "softmax": "ann-architecture",
        "param_count": "code-example-using-keras",
        "sgd_step": "optimizers",
        "momentum_step": "optimizers",
        "adam_step": "optimizers",
    }


def test_all_question_kinds_are_used(course: CourseDef) -> None:
    kinds = {q.kind for q in questions(course).values()}
    assert kinds == {"single_choice", "multiple_choice", "numeric", "free_text", "parametrized"}


def test_each_question_is_placed_once_in_its_lesson_in_marker_order(course: CourseDef) -> None:
    for item in course.lessons:
        placed = [b.key for b in item.blocks if isinstance(b, QuestionBlock)]
        assert placed == [q.key for q in item.questions]
        assert [q.order for q in item.questions] == list(range(1, len(placed) + 1))
        assert isinstance(item.blocks[0], HtmlBlock)


def test_questions_have_defaults_and_point_at_a_heading_of_the_course(course: CourseDef) -> None:
    headings = {
        item.slug: set(re.findall(r'<h[1-6] id="([^"]+)"', lesson_html(item)))
        for item in course.lessons
    }
    for q in questions(course).values():
        assert q.max_attempts >= 1
        assert q.points == 1.0
        assert q.prompt_html
        slug, _, anchor = q.handout_section.partition("#")
        assert anchor in headings[slug], q.key
    assert questions(course)["q1-weights"].max_attempts == 3


def test_the_three_tables_are_real_tables(course: CourseDef) -> None:
    architecture = lesson_html(lesson(course, "ann-architecture"))
    assert architecture.count("<table>") == 1
    assert "<th>Activation function</th>" in architecture
    assert architecture.count("<tr>") == 7  # header + sigmoid, tanh, ReLU, leaky ReLU, ELU, softmax
    assert "Source of the table: AIML.com Research" in architecture

    optimizers = lesson_html(lesson(course, "optimizers"))
    assert "<th>Optimizer</th>" in optimizers
    assert optimizers.count('<td data-label="Optimizer">Adadelta</td>') == 1

    comparison = lesson_html(lesson(course, "ann-vs-traditional-algorithms"))
    assert "<th>Traditional algorithms</th>" in comparison
    assert comparison.count("<tr>") == 5


def test_formulas_are_mathml(course: CourseDef) -> None:
    architecture = lesson_html(lesson(course, "ann-architecture"))
    assert architecture.count("<math ") >= 10
    assert "$" not in architecture
    assert "<mtable>" in architecture  # ELU's cases
    basics = lesson_html(lesson(course, "understanding-the-basics"))
    assert '<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">' in basics


def test_the_keras_example_is_highlighted_code_with_one_statement_per_line(
    course: CourseDef,
) -> None:
    html = lesson_html(lesson(course, "code-example-using-keras"))
    assert '<div class="codehilite">' in html
    code = re.sub(r"<[^>]+>", "", html.split('<div class="codehilite">')[1].split("</pre>")[0])
    assert code.splitlines() == [
        "from tensorflow.keras.models import Sequential",
        "from tensorflow.keras.layers import Dense",
        "",
        "model = Sequential([",
        "    Dense(16, input_dim=8, activation='relu'),",
        "    Dense(8, activation='relu'),",
        "    Dense(1, activation='sigmoid')",
        "])",
        "model.compile(optimizer='adam', loss='binary_crossentropy', metrics=['accuracy'])",
        "model.fit(X_train, y_train, epochs=50, batch_size=10)",
    ]


def test_the_figures_are_shown_from_the_static_prefix() -> None:
    course = load_course(COURSE_DIR, static_prefix="/s/")
    html = "\n".join(lesson_html(item) for item in course.lessons)
    for name in ("biological-vs-artificial-neuron", "neuron-model", "ann-architecture"):
        assert f'src="/s/courses/figures/{name}.svg"' in html


def test_the_handouts_slips_are_fixed(course: CourseDef) -> None:
    q11 = questions(course)["q11-high-accuracy"]
    assert "A11." in q11.model_answer_html
    assert "A8" not in q11.model_answer_html
    assert "A8." in questions(course)["q8-converging"].model_answer_html
    optimizers = lesson_html(lesson(course, "optimizers"))
    assert "<th>Type</th>" in optimizers
    everything = "\n".join(path.read_text() for path in COURSE_DIR.rglob("*.md"))
    assert "\u0422\u0443\u0440\u0435" not in everything  # "Type" spelled in Cyrillic
    assert "·" not in everything
    assert (
        '<a href="https://medium.com/@tm.nidheesh95/optimizers-in-deep-learning-b12ef0cd4d8a" '
        'rel="external noopener noreferrer">' in optimizers
    )  # the further reading is a link, marked as leaving the site


def test_every_free_text_model_answer_earns_full_marks_under_its_own_rubric(
    course: CourseDef,
) -> None:
    grading = pytest.importorskip("annquiz.courses.grading")
    for q in questions(course).values():
        if q.kind != "free_text":
            continue
        text = html_module.unescape(re.sub(r"<[^>]+>", " ", q.model_answer_html))
        response: dict[str, str] = {"text": text}
        blank: dict[str, str] = {"text": "I am not sure."}
        if q.config.get("choices"):
            right = next(c["key"] for c in q.config["choices"] if c["correct"])
            response["choice"] = blank["choice"] = right
        assert grading.grade(q.kind, q.config, response).verdict == "correct", q.key
        assert grading.grade(q.kind, q.config, blank).verdict != "correct", q.key


@pytest.mark.parametrize(
    ("key", "choice", "text"),
    [
        ("checkpoint-stock-prices", "b", "A CNN, because it finds patterns in the prices."),
        ("checkpoint-train-98-test-60", "b", "It is underfitting, so train it for longer."),
        ("checkpoint-500-samples", "a", "I would use an ANN because it is more powerful."),
        ("checkpoint-20-epochs", None, "The model is not overfitting, it converged."),
    ],
)
def test_wrong_checkpoint_answers_are_not_accepted(
    course: CourseDef, key: str, choice: str | None, text: str
) -> None:
    grading = pytest.importorskip("annquiz.courses.grading")
    q = questions(course)[key]
    response = {"text": text} if choice is None else {"text": text, "choice": choice}
    assert grading.grade(q.kind, q.config, response).verdict == "incorrect"


# --- broken copies ---------------------------------------------------------------------------


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    target = tmp_path / "course"
    shutil.copytree(COURSE_DIR, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def load_error(directory: Path) -> ContentError:
    with pytest.raises(ContentError) as error:
        load_course(directory)
    return error.value


def assert_points_at(error: ContentError, path: Path, line: int, message: str) -> None:
    assert error.path == str(path)
    assert error.line == line
    assert re.search(message, error.message), error.message
    assert str(error) == f"{path}:{line}: {error.message}"


def test_yaml_syntax_error_names_the_line(copy: Path) -> None:
    path = copy / "lessons" / "04-types-of-neural-networks.md"
    edit(path, "title: Types of neural networks", "title: [Types of neural networks")
    error = load_error(copy)
    assert error.path == str(path)
    assert error.line > line_of(path, "title: [Types")
    assert "YAML syntax error" in error.message


def test_yaml_syntax_error_in_course_file(copy: Path) -> None:
    path = copy / "course.yaml"
    edit(path, "slug: ann-handout", "slug: ann-handout\n  bad: : indent")
    error = load_error(copy)
    assert error.path == str(path)
    assert error.line == line_of(path, "bad: : indent")


@pytest.mark.parametrize("field", ["kind", "prompt"])
def test_question_without_a_required_field(copy: Path, field: str) -> None:
    path = copy / "lessons" / "06-how-ann-learns.md"
    text = path.read_text()
    if field == "kind":
        edit(path, "    kind: single_choice\n", "")
    else:
        edit(
            path,
            "    prompt: Which step of training adjusts the weights based on the error?\n",
            "",
        )
    assert text != path.read_text()
    error = load_error(copy)
    assert_points_at(
        error, path, line_of(path, "- key: learning-step-backpropagation"), f"no '{field}'"
    )


def test_question_without_a_key(copy: Path) -> None:
    path = copy / "lessons" / "06-how-ann-learns.md"
    edit(path, "  - key: learning-step-backpropagation\n    kind:", "  - kind:")
    error = load_error(copy)
    assert_points_at(error, path, line_of(path, "  - kind: single_choice"), "no 'key'")


def test_duplicate_key_across_lessons(copy: Path) -> None:
    path = copy / "lessons" / "06-how-ann-learns.md"
    edit(path, "key: learning-step-backpropagation", "key: q1-weights")
    edit(path, "[[question:learning-step-backpropagation]]", "[[question:q1-weights]]")
    error = load_error(copy)
    assert_points_at(
        error,
        path,
        line_of(path, "- key: q1-weights"),
        r"duplicate question key 'q1-weights' "
        r"\(first defined in lessons/03-ann-architecture.md:\d+\)",
    )


def test_duplicate_key_within_a_lesson(copy: Path) -> None:
    path = copy / "lessons" / "03-ann-architecture.md"
    edit(path, "  - key: q2-bias", "  - key: q1-weights")
    error = load_error(copy)
    assert error.path == str(path)
    assert "duplicate question key 'q1-weights'" in error.message
    assert (
        error.line
        == [
            number
            for number, line in enumerate(path.read_text().splitlines(), start=1)
            if line == "  - key: q1-weights"
        ][1]
    )


def test_unknown_kind(copy: Path) -> None:
    path = copy / "lessons" / "06-how-ann-learns.md"
    edit(path, "kind: single_choice", "kind: essay")
    error = load_error(copy)
    assert_points_at(error, path, line_of(path, "kind: essay"), "unknown kind 'essay'")


def test_marker_naming_no_question(copy: Path) -> None:
    path = copy / "lessons" / "06-how-ann-learns.md"
    edit(
        path, "The model learns better", "[[question:no-such-question]]\n\nThe model learns better"
    )
    error = load_error(copy)
    assert_points_at(
        error, path, line_of(path, "[[question:no-such-question]]"), "names no question"
    )


def test_question_never_placed(copy: Path) -> None:
    path = copy / "lessons" / "06-how-ann-learns.md"
    edit(path, "[[question:learning-step-backpropagation]]\n", "")
    error = load_error(copy)
    assert_points_at(
        error, path, line_of(path, "- key: learning-step-backpropagation"), "never placed"
    )


def test_question_placed_twice(copy: Path) -> None:
    path = copy / "lessons" / "06-how-ann-learns.md"
    edit(
        path,
        "## The training loop",
        "[[question:learning-step-backpropagation]]\n\n## The training loop",
    )
    text = path.read_text().splitlines()
    second = [n for n, line in enumerate(text, 1) if "[[question:learning-step" in line][1]
    error = load_error(copy)
    assert_points_at(error, path, second, "already placed")


def test_malformed_marker(copy: Path) -> None:
    path = copy / "lessons" / "06-how-ann-learns.md"
    edit(path, "The model learns better", "See [[question:x]] here.\n\nThe model learns better")
    error = load_error(copy)
    assert_points_at(error, path, line_of(path, "See [[question:x]]"), "stands alone")


def test_unknown_front_matter_field_of_a_lesson(copy: Path) -> None:
    path = copy / "lessons" / "06-how-ann-learns.md"
    edit(path, "order: 6\n", "order: 6\nauthor: someone\n")
    error = load_error(copy)
    assert_points_at(error, path, line_of(path, "author: someone"), "unknown field 'author'")


def test_unknown_field_of_a_question(copy: Path) -> None:
    path = copy / "lessons" / "06-how-ann-learns.md"
    edit(path, "    max_attempts: 2\n", "    max_attempts: 2\n    hint: think\n")
    error = load_error(copy)
    assert_points_at(error, path, line_of(path, "hint: think"), "unknown field 'hint'")


def test_unknown_field_of_the_course(copy: Path) -> None:
    path = copy / "course.yaml"
    edit(path, "slug: ann-handout", "slug: ann-handout\nlanguage: en")
    error = load_error(copy)
    assert_points_at(error, path, line_of(path, "language: en"), "unknown field 'language'")


def test_bad_config_points_at_the_offending_entry(copy: Path) -> None:
    path = copy / "lessons" / "04-types-of-neural-networks.md"
    edit(
        path,
        '            weight: 0.4\n            claims:\n              - {subject: ["@prices"]',
        '            weight: -1\n            claims:\n              - {subject: ["@prices"]',
    )
    error = load_error(copy)
    assert_points_at(
        error,
        path,
        line_of(path, "weight: -1"),
        r"question 'checkpoint-stock-prices': bad config\.rubric\.concepts\[1\]\.weight",
    )


def test_bad_choice_config(copy: Path) -> None:
    path = copy / "lessons" / "06-how-ann-learns.md"
    edit(
        path,
        '{key: c, text: "Backpropagation", correct: true,',
        '{key: c, text: "Backpropagation", correct: false,',
    )
    error = load_error(copy)
    assert error.path == str(path)
    assert "bad config" in error.message
    assert line_of(path, "  - key: learning-step") < error.line < line_of(path, "## The training")


def test_handout_section_must_name_a_heading(copy: Path) -> None:
    path = copy / "lessons" / "06-how-ann-learns.md"
    edit(
        path,
        "handout_section: how-ann-learns#the-training-loop",
        "handout_section: how-ann-learns#nowhere",
    )
    error = load_error(copy)
    assert_points_at(
        error, path, line_of(path, "how-ann-learns#nowhere"), "has no heading with the id 'nowhere'"
    )


def test_lesson_slug_must_match_its_file_name(copy: Path) -> None:
    path = copy / "lessons" / "06-how-ann-learns.md"
    edit(path, "slug: how-ann-learns", "slug: how-anns-learn")
    error = load_error(copy)
    assert_points_at(error, path, line_of(path, "slug: how-anns-learn"), "does not match")


def test_bad_math_in_the_body_names_its_line(copy: Path) -> None:
    path = copy / "lessons" / "06-how-ann-learns.md"
    edit(path, "The model learns better", "Cost: $\\nosuchcommand$.\n\nThe model learns better")
    error = load_error(copy)
    assert_points_at(error, path, line_of(path, "nosuchcommand"), "unknown LaTeX command")


def test_bad_math_in_a_prompt_names_its_line(copy: Path) -> None:
    path = copy / "lessons" / "02-understanding-the-basics.md"
    edit(path, "      What is its output $y$?", "      What is its output $\\nosuchcommand$?")
    error = load_error(copy)
    assert_points_at(error, path, line_of(path, "nosuchcommand"), "prompt: unknown LaTeX command")


def test_front_matter_that_is_never_closed(copy: Path) -> None:
    path = copy / "lessons" / "10-ann-vs-traditional-algorithms.md"
    path.write_text(path.read_text().replace("\n---\n## Comparison", "\n## Comparison"))
    error = load_error(copy)
    assert error.path == str(path)
    assert "never closed" in error.message or "YAML" in error.message


def test_a_lesson_file_with_a_bad_name(copy: Path) -> None:
    shutil.copy(copy / "lessons" / "06-how-ann-learns.md", copy / "lessons" / "extra.md")
    error = load_error(copy)
    assert_points_at(error, copy / "lessons" / "extra.md", 1, "NN-<slug>.md")


def test_a_custom_config_validator_is_used(copy: Path) -> None:
    seen: list[str] = []

    def validator(kind: str, config: object) -> None:
        seen.append(kind)
        if kind == "numeric":
            raise ValueError("numeric questions are switched off")

    with pytest.raises(ContentError, match="numeric questions are switched off") as error:
        load_course(copy, validate_config=validator)
    assert error.value.path.endswith("02-understanding-the-basics.md")
    assert "free_text" in seen
