"""grade(): every kind right, partially right and wrong; scores, verdicts and feedback."""

from __future__ import annotations

from typing import Any

import pytest

from annquiz.courses.grading import Grade, Variant, grade

SINGLE: dict[str, Any] = {
    "choices": [
        {"key": "a", "text": "Sigmoid", "feedback": "Sigmoid saturates for large inputs."},
        {"key": "b", "text": "ReLU", "correct": True, "feedback": "ReLU does not saturate."},
        {"key": "c", "text": "Tanh"},
    ]
}
MULTIPLE: dict[str, Any] = {
    "choices": [
        {"key": "a", "text": "Early stopping", "correct": True},
        {"key": "b", "text": "Dropout", "correct": True},
        {"key": "c", "text": "L2 regularization", "correct": True},
        {"key": "d", "text": "More epochs", "feedback": "More epochs make overfitting worse."},
    ]
}
NUMERIC: dict[str, Any] = {"answer": 0.731, "tolerance": 0.001, "unit": ""}
FREE_TEXT: dict[str, Any] = {
    "rubric": {
        "concepts": [
            {
                "key": "overfitting",
                "label": "overfitting",
                "weight": 1,
                "claims": [
                    {"term": ["@overfitting"]},
                    {"subject": ["@model"], "predicate": ["@overfitting"]},
                ],
            },
            {
                "key": "remedy",
                "label": "a remedy",
                "weight": 1,
                "claims": [{"term": ["dropout", "early stop"], "as": "action"}],
                "missing": "a remedy such as dropout or early stopping",
            },
        ],
        "contradictions": [
            {
                "key": "underfitting",
                "label": "underfitting",
                "penalty": 0.3,
                "claims": [
                    {"term": ["@underfitting"]},
                    {"subject": ["@model"], "predicate": ["@underfitting"]},
                ],
                "feedback": "Underfitting is poor on the training data too.",
            },
            {
                "key": "cnn",
                "label": "a CNN",
                "penalty": 0.8,
                "claims": [{"term": ["cnn"]}, {"term": ["cnn"], "as": "action"}],
                "feedback": "A CNN is for images.",
            },
        ],
        "pass_threshold": 0.7,
    }
}


def sentences(text: str) -> int:
    return sum(text.count(mark) for mark in ".!?")


# --- single choice ----------------------------------------------------------------------------


def test_single_choice_right_answer_scores_one_with_its_feedback() -> None:
    result = grade("single_choice", SINGLE, {"choice": "b"})
    assert result == Grade(
        1.0,
        "correct",
        "ReLU does not saturate.",
        {"choice": "b", "choice_correct": True, "expected": "b"},
    )


def test_single_choice_wrong_answer_scores_zero_and_hides_the_right_key() -> None:
    result = grade("single_choice", SINGLE, {"choice": "a"})
    assert (result.score, result.verdict) == (0.0, "incorrect")
    assert result.feedback == "Sigmoid saturates for large inputs."
    assert "b" not in result.details.values()


def test_single_choice_without_feedback_says_right_or_wrong() -> None:
    assert grade("single_choice", SINGLE, {"choice": "c"}).feedback == (
        "That is not the right answer."
    )


# --- multiple choice --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("choices", "score", "verdict"),
    [
        (["a", "b", "c"], 1.0, "correct"),
        (["c", "a", "b"], 1.0, "correct"),
        (["a", "b"], 0.6667, "partial"),
        (["a", "b", "d"], 0.3333, "partial"),  # (2 right - 1 wrong) / 3
        (["a", "b", "c", "d"], 0.6667, "partial"),
        (["a", "d"], 0.0, "incorrect"),  # max(0, (1 - 1) / 3)
        (["d"], 0.0, "incorrect"),
    ],
)
def test_multiple_choice_partial_credit_is_right_minus_wrong_over_correct(
    choices: list[str], score: float, verdict: str
) -> None:
    result = grade("multiple_choice", MULTIPLE, {"choices": choices})
    assert (result.score, result.verdict) == (score, verdict)


def test_multiple_choice_feedback_counts_picks_and_explains_wrong_ones() -> None:
    result = grade("multiple_choice", MULTIPLE, {"choices": ["a", "d"]})
    assert result.feedback == (
        "You picked 1 of the 3 right options and 1 wrong one. More epochs make overfitting worse."
    )
    assert result.details["wrong"] == ["d"]
    assert result.details["missed_count"] == 2


# --- numeric ----------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0.731, 0.7305, 0.732, "0.7301", " 7.31e-1 "])
def test_numeric_within_tolerance_is_correct(value: object) -> None:
    result = grade("numeric", NUMERIC, {"value": value})
    assert (result.score, result.verdict) == (1.0, "correct")
    assert result.details["expected"] == 0.731


@pytest.mark.parametrize(("value", "direction"), [(0.74, "high"), (0.7298, "low"), (-2.0, "low")])
def test_numeric_outside_tolerance_is_incorrect_and_says_which_way(
    value: float, direction: str
) -> None:
    result = grade("numeric", NUMERIC, {"value": value})
    assert (result.score, result.verdict) == (0.0, "incorrect")
    assert result.details["direction"] == direction
    assert f"too {direction}" in result.feedback
    assert "0.731" not in result.feedback


def test_numeric_answer_with_the_wrong_sign_is_pointed_out() -> None:
    result = grade("numeric", NUMERIC, {"value": -0.731})
    assert result.verdict == "incorrect"
    assert result.feedback == "-0.731 has the wrong sign."


def test_numeric_near_miss_earns_partial_credit_when_configured() -> None:
    config = {**NUMERIC, "partial_tolerance": 0.01, "partial_score": 0.4}
    near = grade("numeric", config, {"value": 0.735})
    assert (near.score, near.verdict) == (0.4, "partial")
    assert "rounding" in near.feedback
    assert grade("numeric", config, {"value": 0.75}).verdict == "incorrect"


def test_numeric_relative_tolerance_scales_with_the_answer() -> None:
    config = {"answer": 2000.0, "tolerance": 0.01, "relative": True, "unit": "ms"}
    assert grade("numeric", config, {"value": 2019}).verdict == "correct"
    assert grade("numeric", config, {"value": 2021}).verdict == "incorrect"
    assert "ms" in grade("numeric", config, {"value": 2019}).feedback


def test_numeric_relative_tolerance_falls_back_to_absolute_at_zero() -> None:
    config = {"answer": 0, "tolerance": 0.01, "relative": True}
    assert grade("numeric", config, {"value": 0.005}).verdict == "correct"
    assert grade("numeric", config, {"value": 0.02}).verdict == "incorrect"


# --- free text --------------------------------------------------------------------------------


def test_free_text_with_every_concept_is_correct_in_one_sentence() -> None:
    result = grade("free_text", FREE_TEXT, {"text": "It is overfitting; add dropout."})
    assert (result.score, result.verdict) == (1.0, "correct")
    assert result.feedback == "You stated overfitting and a remedy."
    assert result.details["found"] == ["overfitting", "a remedy"]
    assert result.details["missing"] == []
    assert result.details["choice_correct"] is None
    assert result.details["claims"] == [
        {"claim": "overfitting", "evidence": "overfitting"},
        {"claim": "a remedy", "evidence": "add dropout"},
    ]
    assert result.confidence == 1.0


def test_free_text_with_half_the_concepts_is_partial_and_names_what_is_missing() -> None:
    result = grade("free_text", FREE_TEXT, {"text": "The model overfits."})
    assert (result.score, result.verdict) == (0.5, "partial")
    assert result.feedback == (
        "You stated overfitting. Missing: a remedy such as dropout or early stopping."
    )


def test_free_text_with_nothing_relevant_is_incorrect() -> None:
    result = grade("free_text", FREE_TEXT, {"text": "The learning rate is wrong."})
    assert (result.score, result.verdict) == (0.0, "incorrect")
    assert result.details["missing"] == ["overfitting", "a remedy"]
    assert result.feedback.startswith("Your answer does not state any of the key claims")


def test_a_list_of_the_rubric_words_states_nothing() -> None:
    result = grade("free_text", FREE_TEXT, {"text": "overfitting dropout early stopping"})
    assert (result.score, result.verdict) == (0.0, "incorrect")
    assert result.confidence < 1.0


def test_a_remedy_merely_named_is_not_proposed() -> None:
    named = grade("free_text", FREE_TEXT, {"text": "Overfitting. Dropout."})
    assert (named.score, named.verdict) == (0.5, "partial")
    proposed = grade("free_text", FREE_TEXT, {"text": "Overfitting. Dropout would help."})
    assert (proposed.score, proposed.verdict) == (1.0, "correct")


def test_an_asserted_contradiction_subtracts_its_penalty_and_is_never_correct() -> None:
    result = grade("free_text", FREE_TEXT, {"text": "Overfitting or underfitting, use dropout"})
    assert result.score == pytest.approx(0.7)
    assert result.verdict == "partial"  # 0.7 reaches the pass threshold, the contradiction not
    assert result.details["contradictions"] == ["underfitting"]
    assert result.feedback.endswith("Underfitting is poor on the training data too.")
    assert result.details["penalty"] == 0.3
    assert result.confidence < 1.0  # a concept next to a contradiction


def test_a_negated_contradiction_costs_nothing() -> None:
    result = grade("free_text", FREE_TEXT, {"text": "Overfitting, not underfitting; use dropout"})
    assert result.score == 1.0
    assert result.details["contradictions"] == []
    also = grade("free_text", FREE_TEXT, {"text": "overfitting. It is not a CNN. Use dropout."})
    assert also.score == 1.0


def test_a_term_contradiction_counts_only_when_stated_as_the_answer() -> None:
    mentioned = grade(
        "free_text", FREE_TEXT, {"text": "CNNs are for images. Overfitting: use dropout."}
    )
    assert mentioned.details["contradictions"] == []
    stated = grade("free_text", FREE_TEXT, {"text": "A CNN. Overfitting: use dropout."})
    assert stated.details["contradictions"] == ["a CNN"]
    assert stated.score == pytest.approx(0.2)


def test_a_denied_concept_costs_its_share_and_says_so() -> None:
    result = grade("free_text", FREE_TEXT, {"text": "It is not overfitting; add dropout."})
    assert result.details["denied"] == ["overfitting"]
    assert (result.score, result.verdict) == (0.0, "incorrect")
    assert result.feedback.endswith("Careful: your answer denies overfitting.")


def test_penalties_never_push_the_score_below_zero() -> None:
    result = grade("free_text", FREE_TEXT, {"text": "underfitting, so use a CNN"})
    assert (result.score, result.verdict) == (0.0, "incorrect")
    assert sorted(result.details["contradictions"]) == ["a CNN", "underfitting"]
    # Only the costliest contradiction is explained, keeping feedback to three sentences.
    assert result.feedback.endswith("A CNN is for images.")
    assert sentences(result.feedback) <= 3


def test_concept_weights_are_relative() -> None:
    config = {
        "rubric": {
            "concepts": [
                {"key": "a", "label": "A", "weight": 3, "claims": [{"term": ["alpha"]}]},
                {"key": "b", "label": "B", "weight": 1, "claims": [{"term": ["beta"]}]},
            ]
        }
    }
    assert grade("free_text", config, {"text": "alpha"}).score == 0.75
    assert grade("free_text", config, {"text": "beta"}).score == 0.25


def test_the_choice_part_of_free_text_adds_its_weight() -> None:
    config = {
        **FREE_TEXT,
        "choices": [
            {"key": "over", "text": "Overfitting", "correct": True},
            {"key": "under", "text": "Underfitting", "feedback": "Training accuracy is high."},
        ],
        "choice_weight": 0.4,
    }
    right = grade("free_text", config, {"choice": "over", "text": "it overfits"})
    assert right.score == pytest.approx(0.4 + 0.6 * 0.5)
    assert right.details["choice_correct"] is True
    assert right.feedback.startswith("Your choice is right and you stated overfitting.")
    wrong = grade("free_text", config, {"choice": "under", "text": "it overfits; use dropout"})
    assert wrong.score == pytest.approx(0.6)
    assert wrong.verdict == "partial"
    assert wrong.details["choice_correct"] is False
    assert wrong.details["choice_feedback"] == "Training accuracy is high."
    assert wrong.feedback.startswith("Your choice is not the best one")
    choice_only = grade("free_text", config, {"choice": "over", "text": "no idea"})
    assert choice_only.score == pytest.approx(0.4)


CHOICE_AND_TEXT: dict[str, Any] = {
    **FREE_TEXT,
    "choices": [
        {"key": "over", "text": "Overfitting", "correct": True},
        {"key": "under", "text": "Underfitting", "feedback": "Training accuracy is high."},
    ],
    "choice_weight": 0.3,
}


def test_a_wrong_choice_with_a_full_explanation_is_only_partial() -> None:
    # The text part alone is 0.7, which meets the 0.7 threshold; the wrong choice caps it.
    result = grade(
        "free_text", CHOICE_AND_TEXT, {"choice": "under", "text": "Overfitting: add dropout."}
    )
    assert result.score == pytest.approx(0.7)
    assert result.verdict == "partial"
    assert result.details["choice_correct"] is False
    assert result.feedback.startswith("Your choice is not the best one")
    assert "right" not in result.feedback.split(".")[0]


@pytest.mark.parametrize("threshold", [0.3, 0.5, 0.7])
def test_no_threshold_lets_a_wrong_choice_be_correct(threshold: float) -> None:
    config = {**CHOICE_AND_TEXT, "rubric": {**FREE_TEXT["rubric"], "pass_threshold": threshold}}
    wrong = grade("free_text", config, {"choice": "under", "text": "overfit; add dropout"})
    assert wrong.verdict == "partial"
    right = grade("free_text", config, {"choice": "over", "text": "overfit; add dropout"})
    assert right.verdict == "correct"


def test_a_wrong_choice_with_no_explanation_is_incorrect() -> None:
    result = grade("free_text", CHOICE_AND_TEXT, {"choice": "under", "text": "no idea"})
    assert (result.score, result.verdict) == (0.0, "incorrect")


def test_free_text_feedback_is_at_most_three_sentences() -> None:
    for text in ["nothing", "overfit", "underfit cnn", "overfit dropout underfit", "cnn"]:
        assert 1 <= sentences(grade("free_text", FREE_TEXT, {"text": text}).feedback) <= 3


def test_grading_accepts_raw_input_and_validates_it_first() -> None:
    result = grade("free_text", FREE_TEXT, {"text": "  It overfits!  "})
    assert result.verdict == "partial"


def test_every_other_kind_is_graded_with_full_confidence() -> None:
    assert grade("numeric", NUMERIC, {"value": 0.731}).confidence == 1.0
    assert grade("single_choice", SINGLE, {"choice": "b"}).confidence == 1.0


# --- parametrized -----------------------------------------------------------------------------

SGD = {"template": "sgd_step", "tolerance": 0.001}
SOFTMAX = {"template": "softmax", "tolerance": 0.01}


def test_parametrized_scalar_right_and_wrong() -> None:
    variant = Variant(params={"w": 0.5, "g": -0.3, "lr": 0.1}, prompt_text="", answer=0.53,
                      tolerance=0.001)  # fmt: skip
    right = grade("parametrized", SGD, {"value": "0.5304"}, variant=variant)
    assert (right.score, right.verdict) == (1.0, "correct")
    assert right.details["expected"] == 0.53
    wrong = grade("parametrized", SGD, {"value": 0.47}, variant=variant)
    assert (wrong.score, wrong.verdict) == (0.0, "incorrect")
    assert "w <- w - lr * g" in wrong.feedback  # the rule from the handout, as a hint
    assert "expected" not in wrong.details


def test_parametrized_relative_tolerance() -> None:
    config = {**SGD, "tolerance": 0.01, "relative": True}
    variant = Variant(params={}, prompt_text="", answer=200.0, tolerance=0.01)
    assert grade("parametrized", config, {"value": 201.9}, variant=variant).verdict == "correct"
    assert grade("parametrized", config, {"value": 202.1}, variant=variant).verdict == "incorrect"


def test_parametrized_vector_gets_credit_per_component() -> None:
    variant = Variant(params={}, prompt_text="", answer=[0.09, 0.24, 0.67], tolerance=0.01)
    right = grade("parametrized", SOFTMAX, {"values": [0.09, 0.245, 0.665]}, variant=variant)
    assert (right.score, right.verdict) == (1.0, "correct")
    partial = grade("parametrized", SOFTMAX, {"values": [0.09, 0.24, 0.5]}, variant=variant)
    assert (partial.score, partial.verdict) == (0.6667, "partial")
    assert partial.details["within_tolerance"] == [True, True, False]
    assert "sum to 0.83" in partial.feedback
    wrong = grade("parametrized", SOFTMAX, {"values": [0.5, 0.5, 0.0]}, variant=variant)
    assert (wrong.score, wrong.verdict) == (0.0, "incorrect")


def test_parametrized_needs_the_variant_and_other_kinds_refuse_one() -> None:
    with pytest.raises(ValueError, match="variant"):
        grade("parametrized", SGD, {"value": 1})
    variant = Variant(params={}, prompt_text="", answer=1.0, tolerance=0.1)
    with pytest.raises(ValueError, match="no variants"):
        grade("numeric", NUMERIC, {"value": 1}, variant=variant)
