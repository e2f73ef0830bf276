"""What a wrong attempt reveals, on the real course: hints that guide but never hold the answer.

Every question of fixtures/course has hints; none of them (nor a wrong option's feedback)
contains the key phrases of the question's answer (``courses.content.answer_phrases``), and
pasting all of a free-text question's hints as the answer, with the right choice, does not
pass. The key-phrase function itself is tested first, so that these checks can fail.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from annquiz.courses import grading
from annquiz.courses.content import CourseDef, QuestionDef, load_course
from annquiz.courses.content.answer_phrases import (
    AnswerPhrases,
    answer_phrases,
    content_clauses,
    find_giveaways,
    stem,
)

COURSE_DIR = Path(__file__).resolve().parents[3] / "fixtures" / "course"
_TAG_RE = re.compile(r"<[^>]+>")


@cache
def course() -> CourseDef:
    return load_course(COURSE_DIR)


def questions() -> list[QuestionDef]:
    return [question for lesson in course().lessons for question in lesson.questions]


def key_of(question: QuestionDef, *, with_explanation: bool = True) -> AnswerPhrases:
    return answer_phrases(
        kind=question.kind,
        prompt=question.prompt_html,
        model_answer=question.model_answer_html,
        explanation=question.explanation_html if with_explanation else "",
        config=question.config,
    )


def plain(html: str) -> str:
    return " ".join(_TAG_RE.sub(" ", html).split())


# --- the key-phrase function ------------------------------------------------------------------


def test_words_are_stemmed_so_that_a_reworded_copy_is_caught() -> None:
    assert stem("overfitting") == stem("overfits") == stem("overfit")
    assert stem("regularization") == stem("regularisation")
    assert stem("generalize") == stem("generalization") == stem("generalise")
    assert stem("rows") == stem("row") and stem("loss") == "loss"
    assert content_clauses("Non-linear relationships, (RNN)") == [
        ["nonlinear", "relationship"],
        ["rnn"],
    ]


def test_a_one_word_answer_is_a_key_phrase_in_any_form() -> None:
    key = answer_phrases(
        kind="free_text", prompt="What is happening?", model_answer="Overfitting. Use dropout."
    )
    assert find_giveaways("The model overfits the rows.", key) == ["overfit"]
    assert find_giveaways("It is OVER-fitting", key) == []  # split words are two words
    assert find_giveaways("Try drop-out layers", key) == []
    assert find_giveaways("Add dropout.", key) == ["dropout"]


def test_pairs_of_content_words_are_key_phrases_but_not_the_prompts_or_everyday_words() -> None:
    key = answer_phrases(
        kind="free_text",
        prompt="What happens when loss is high?",
        model_answer="The model is not learning correctly. High loss means poor predictions.",
    )
    assert find_giveaways("Its predictions are poor.", key) == []  # order matters
    assert find_giveaways("It makes poor predictions", key) == ["poor prediction"]
    assert find_giveaways("The loss is high and the model is training", key) == []


def test_the_right_options_text_and_the_explanations_answer_sentence_count() -> None:
    config = {
        "choices": [
            {"key": "a", "text": "Softmax", "correct": True},
            {"key": "b", "text": "Sigmoid"},
        ]
    }
    key = answer_phrases(
        kind="single_choice",
        prompt="Which activation for 10 classes?",
        model_answer="Softmax.",
        explanation="Sigmoid is for two classes. Softmax converts logits into probabilities.",
        config=config,
    )
    assert find_giveaways("Think of softmax", key) == ["softmax"]
    assert find_giveaways("It converts the logits", key) == ["convert logit"]
    assert find_giveaways("Sigmoid is for two classes", key) == []


def test_a_numeric_answer_is_caught_in_its_usual_roundings_and_nothing_else_is() -> None:
    key = answer_phrases(
        kind="numeric",
        prompt="Inputs 2 and 1, bias 0.5.",
        model_answer="$z = 0.5$, so $y \\approx 0.622$.",
        config={"answer": 0.6225, "tolerance": 0.001},
    )
    assert not key.phrases
    assert find_giveaways("It is about 0.62.", key) == ["0.62"]
    assert find_giveaways("y is 0.623", key) == ["0.623"]
    assert find_giveaways("z is 0.5, the bias is 0.5", key) == []


# --- the real course ----------------------------------------------------------------------------


@pytest.mark.parametrize("question", questions(), ids=lambda q: q.key)
def test_every_question_has_hints(question: QuestionDef) -> None:
    assert question.hints_html, f"{question.key} has no hints"
    assert all(plain(hint) for hint in question.hints_html)


@pytest.mark.parametrize("question", questions(), ids=lambda q: q.key)
def test_no_hint_holds_the_key_phrases_of_its_answer(question: QuestionDef) -> None:
    key = key_of(question)
    # A parametrized question's answer is each variant's number: tested below.
    assert key or question.kind == "parametrized", f"{question.key}: no key phrases found"
    for number, hint in enumerate(question.hints_html, start=1):
        assert find_giveaways(hint, key) == [], f"{question.key} hint {number}: {plain(hint)}"


@pytest.mark.parametrize(
    "question", [q for q in questions() if q.config.get("choices")], ids=lambda q: q.key
)
def test_no_wrong_options_feedback_holds_the_answer(question: QuestionDef) -> None:
    # A wrong option's feedback may say what is true of that option (the explanation says
    # so too); it must not name or argue the right one.
    key = key_of(question, with_explanation=False)
    for option in question.config["choices"]:
        if not option.get("correct") and option.get("feedback"):
            found = find_giveaways(option["feedback"], key)
            assert found == [], f"{question.key} option {option['key']}: {found}"


@pytest.mark.parametrize(
    "question", [q for q in questions() if q.kind == "free_text"], ids=lambda q: q.key
)
def test_pasting_the_hints_with_the_right_choice_does_not_pass(question: QuestionDef) -> None:
    response: dict[str, str] = {"text": " ".join(plain(hint) for hint in question.hints_html)}
    right = [
        option["key"] for option in question.config.get("choices", []) if option.get("correct")
    ]
    if right:
        response["choice"] = right[0]
    result = grading.grade(question.kind, question.config, response)
    assert result.verdict != "correct", f"{question.key}: {result.score}"


@pytest.mark.parametrize(
    "question", [q for q in questions() if q.kind == "parametrized"], ids=lambda q: q.key
)
def test_no_hint_of_a_parametrized_question_holds_a_variants_answer(question: QuestionDef) -> None:
    values: list[float] = []
    for student_id in range(1, 41):
        drawn = grading.draw_variant(
            question.config, seed=grading.variant_seed(student_id, question.key)
        )
        answer = drawn.answer
        values.extend(float(v) for v in (answer if isinstance(answer, list | tuple) else [answer]))
    key = answer_phrases(
        kind=question.kind,
        prompt=question.prompt_html,
        model_answer=question.model_answer_html,
        answer_values=values,
    )
    for hint in question.hints_html:
        assert find_giveaways(hint, key) == [], plain(hint)


def test_the_rainfall_prompt_does_not_name_the_choice_it_grades() -> None:
    question = next(q for q in questions() if q.key == "checkpoint-rainfall")
    right = next(o for o in question.config["choices"] if o.get("correct"))
    wrong = [o for o in question.config["choices"] if not o.get("correct")]
    prompt = plain(question.prompt_html).lower()
    assert "why might an ann be more suitable" not in prompt
    # Both options are named in the question, neither is presupposed.
    assert right["text"].lower().removeprefix("an ") in prompt
    assert all(o["text"].lower().removeprefix("simple ") in prompt for o in wrong)
