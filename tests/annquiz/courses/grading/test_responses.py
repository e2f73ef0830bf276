"""validate_response(): normal forms, and an AnswerError naming the field for bad input."""

from __future__ import annotations

from typing import Any

import pytest

from annquiz.courses.grading import AnswerError, ConfigError, Variant, validate_response
from tests.annquiz.courses.grading.test_grade import FREE_TEXT, MULTIPLE, NUMERIC, SINGLE

WITH_CHOICES: dict[str, Any] = {
    **FREE_TEXT,
    "choices": [
        {"key": "rnn", "text": "RNN", "correct": True},
        {"key": "cnn", "text": "CNN"},
    ],
}
SOFTMAX_VECTOR = {"template": "softmax", "tolerance": 0.01}
SOFTMAX_CLASS = {"template": "softmax", "tolerance": 0.01, "output": "class"}


def test_valid_responses_come_back_normalised() -> None:
    assert validate_response("single_choice", SINGLE, {"choice": " b "}) == {"choice": "b"}
    assert validate_response("multiple_choice", MULTIPLE, {"choices": ["c", "a"]}) == {
        "choices": ["c", "a"]
    }
    assert validate_response("numeric", NUMERIC, {"value": "  -7.31E-1 "}) == {"value": -0.731}
    assert validate_response("numeric", NUMERIC, {"value": 3}) == {"value": 3.0}
    assert validate_response("free_text", FREE_TEXT, {"text": "  a\r\nb\tc  "}) == {
        "text": "a\nb\tc"
    }
    assert validate_response("free_text", WITH_CHOICES, {"choice": "rnn", "text": "x"}) == {
        "choice": "rnn",
        "text": "x",
    }
    assert validate_response("parametrized", SOFTMAX_VECTOR, {"values": [0.1, "0.2", 1]}) == {
        "values": [0.1, 0.2, 1.0]
    }
    assert validate_response("parametrized", SOFTMAX_CLASS, {"value": ".5"}) == {"value": 0.5}


def test_text_of_exactly_five_thousand_characters_is_accepted() -> None:
    assert len(validate_response("free_text", FREE_TEXT, {"text": "a" * 5000})["text"]) == 5000


BAD: list[tuple[str, dict[str, Any], object, str, str]] = [
    # kind, config, response, field, words in the message
    ("free_text", FREE_TEXT, {"text": ""}, "text", "empty"),
    ("free_text", FREE_TEXT, {"text": "   \n\t "}, "text", "empty"),
    ("free_text", FREE_TEXT, {"text": "a" * 5001}, "text", "5,001 characters"),
    ("free_text", FREE_TEXT, {"text": "x" * 1_000_000}, "text", "limit is 5,000"),
    ("free_text", FREE_TEXT, {"text": "over\x00fit"}, "text", "U+0000"),
    ("free_text", FREE_TEXT, {"text": "bell \x07"}, "text", "U+0007"),
    ("free_text", FREE_TEXT, {"text": "esc \x1b[31m"}, "text", "U+001B"),
    ("free_text", FREE_TEXT, {"text": "c1 \x85"}, "text", "U+0085"),
    ("free_text", FREE_TEXT, {"text": "surrogate \ud800"}, "text", "U+D800"),
    ("free_text", FREE_TEXT, {"text": "nonchar \uffff"}, "text", "U+FFFF"),
    ("free_text", FREE_TEXT, {"text": 42}, "text", "must be text, got a number"),
    ("free_text", FREE_TEXT, {"text": ["a"]}, "text", "got a list"),
    ("free_text", FREE_TEXT, {}, "text", "required"),
    ("free_text", FREE_TEXT, {"text": "ok", "choice": "a"}, "choice", "not a field"),
    ("free_text", WITH_CHOICES, {"text": "ok"}, "choice", "required"),
    ("free_text", WITH_CHOICES, {"choice": "lstm", "text": "ok"}, "choice", "valid: rnn, cnn"),
    ("single_choice", SINGLE, {"choice": "z"}, "choice", "'z' is not a choice"),
    ("single_choice", SINGLE, {"choice": "z"}, "choice", "valid: a, b, c"),
    ("single_choice", SINGLE, {"choice": ""}, "choice", "empty"),
    ("single_choice", SINGLE, {"choice": 1}, "choice", "got a number"),
    ("single_choice", SINGLE, {"choice": None}, "choice", "got null"),
    ("single_choice", SINGLE, {"choice": "b", "extra": 1}, "extra", "not a field"),
    ("single_choice", SINGLE, {"choices": ["b"]}, "choices", "not a field"),
    ("single_choice", SINGLE, {}, "choice", "required"),
    ("single_choice", SINGLE, ["b"], "response", "JSON object"),
    ("single_choice", SINGLE, "b", "response", "JSON object"),
    ("single_choice", SINGLE, None, "response", "JSON object"),
    ("multiple_choice", MULTIPLE, {"choices": []}, "choices", "at least one"),
    ("multiple_choice", MULTIPLE, {"choices": ["a", "a"]}, "choices[1]", "chosen twice"),
    ("multiple_choice", MULTIPLE, {"choices": ["a", ""]}, "choices[1]", "empty"),
    ("multiple_choice", MULTIPLE, {"choices": ["a", "x"]}, "choices[1]", "valid: a, b, c, d"),
    ("multiple_choice", MULTIPLE, {"choices": "a"}, "choices", "must be a list"),
    ("multiple_choice", MULTIPLE, {"choices": ["a"] * 9}, "choices", "only 4 choices"),
    ("multiple_choice", MULTIPLE, {"choices": [["a"]]}, "choices[0]", "got a list"),
    ("numeric", NUMERIC, {"value": float("nan")}, "value", "finite"),
    ("numeric", NUMERIC, {"value": float("inf")}, "value", "finite"),
    ("numeric", NUMERIC, {"value": "nan"}, "value", "not a number"),
    ("numeric", NUMERIC, {"value": "inf"}, "value", "not a number"),
    ("numeric", NUMERIC, {"value": "1e999"}, "value", "finite"),
    ("numeric", NUMERIC, {"value": True}, "value", "boolean"),
    ("numeric", NUMERIC, {"value": "0,73"}, "value", "not a number"),
    ("numeric", NUMERIC, {"value": "0x1f"}, "value", "not a number"),
    ("numeric", NUMERIC, {"value": ""}, "value", "empty"),
    ("numeric", NUMERIC, {"value": "1" * 100}, "value", "not a number"),
    ("numeric", NUMERIC, {"value": None}, "value", "got null"),
    ("numeric", NUMERIC, {"value": [1]}, "value", "got a list"),
    ("numeric", NUMERIC, {"val": 1}, "val", "not a field"),
    ("parametrized", SOFTMAX_VECTOR, {"value": 0.5}, "value", "not a field"),
    ("parametrized", SOFTMAX_VECTOR, {"values": []}, "values", "empty"),
    ("parametrized", SOFTMAX_VECTOR, {"values": [0.5, "x"]}, "values[1]", "not a number"),
    ("parametrized", SOFTMAX_VECTOR, {"values": [0.5, False]}, "values[1]", "boolean"),
    ("parametrized", SOFTMAX_VECTOR, {"values": [0.1] * 33}, "values", "more than 32"),
    ("parametrized", SOFTMAX_VECTOR, {"values": 0.5}, "values", "must be a list"),
    ("parametrized", SOFTMAX_CLASS, {"values": [0.5]}, "values", "not a field"),
    ("parametrized", SOFTMAX_CLASS, {}, "value", "required"),
]


@pytest.mark.parametrize(
    ("kind", "config", "response", "field", "words"),
    BAD,
    ids=[f"{case[0]}-{case[3]}-{index}" for index, case in enumerate(BAD)],
)
def test_bad_responses_raise_an_answer_error_naming_the_field(
    kind: str, config: dict[str, Any], response: object, field: str, words: str
) -> None:
    with pytest.raises(AnswerError) as caught:
        validate_response(kind, config, response)
    assert caught.value.field == field
    assert words in caught.value.message
    assert isinstance(caught.value, ValueError)
    assert str(caught.value) == f"{field}: {caught.value.message}"


def test_the_error_message_never_echoes_a_huge_input() -> None:
    with pytest.raises(AnswerError) as caught:
        validate_response("single_choice", SINGLE, {"choice": "x" * 10_000})
    assert len(caught.value.message) < 200


def test_a_wrong_vector_length_is_an_answer_error_at_grading_time() -> None:
    from annquiz.courses.grading import Variant, grade

    variant = Variant(params={}, prompt_text="", answer=[0.2, 0.3, 0.5], tolerance=0.01)
    with pytest.raises(AnswerError) as caught:
        grade("parametrized", SOFTMAX_VECTOR, {"values": [0.2, 0.8]}, variant=variant)
    assert caught.value.field == "values"
    assert "exactly 3 numbers" in caught.value.message


def test_a_broken_config_is_a_config_error_not_an_answer_error() -> None:
    with pytest.raises(ConfigError):
        validate_response("single_choice", {"choices": []}, {"choice": "a"})


THREE_CLASSES = Variant(params={}, prompt_text="", answer=[0.2, 0.3, 0.5], tolerance=0.01)

VARIANT_MISFITS = [
    ([0.2, 0.8], "expected exactly 3 numbers, one per class in order; got 2"),
    ([1.0], "expected exactly 3 numbers, one per class in order; got 1"),
    ([0.1, 0.2, 0.3, 0.4], "expected exactly 3 numbers, one per class in order; got 4"),
    (["0.1"] * 32, "expected exactly 3 numbers, one per class in order; got 32"),
]


@pytest.mark.parametrize(("values", "message"), VARIANT_MISFITS)
def test_a_vector_that_does_not_fit_the_students_variant_is_refused_before_grading(
    values: list[Any], message: str
) -> None:
    with pytest.raises(AnswerError) as caught:
        validate_response("parametrized", SOFTMAX_VECTOR, {"values": values}, variant=THREE_CLASSES)
    assert (caught.value.field, caught.value.message) == ("values", message)


def test_a_vector_that_fits_the_students_variant_comes_back_normalised() -> None:
    response = {"values": [0.2, "0.3", 1]}
    cleaned = validate_response("parametrized", SOFTMAX_VECTOR, response, variant=THREE_CLASSES)
    assert cleaned == {"values": [0.2, 0.3, 1.0]}


@pytest.mark.parametrize(
    ("kind", "config", "response", "field"),
    [
        ("numeric", NUMERIC, {"value": 10**400}, "value"),
        ("numeric", NUMERIC, {"value": -(10**400)}, "value"),
        ("parametrized", SOFTMAX_VECTOR, {"values": [0.5, 10**400]}, "values[1]"),
        ("parametrized", SOFTMAX_CLASS, {"value": 10**309}, "value"),
    ],
)
def test_an_integer_too_large_for_a_float_is_an_answer_error(
    kind: str, config: dict[str, Any], response: object, field: str
) -> None:
    with pytest.raises(AnswerError) as caught:
        validate_response(kind, config, response)
    assert caught.value.field == field
    assert caught.value.message == "is not a finite number (it overflows a float)"
