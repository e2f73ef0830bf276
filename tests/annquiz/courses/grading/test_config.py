"""validate_config(): every broken config names its path; public_config() never leaks."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from annquiz.courses.grading import QUESTION_KINDS, ConfigError, public_config, validate_config
from tests.annquiz.courses.grading.checkpoints import CHECKPOINTS
from tests.annquiz.courses.grading.test_grade import FREE_TEXT, MULTIPLE, NUMERIC, SINGLE

PARAMETRIZED: dict[str, Any] = {"template": "neuron_output", "tolerance": 0.001}
VALID: dict[str, dict[str, Any]] = {
    "single_choice": SINGLE,
    "multiple_choice": MULTIPLE,
    "numeric": NUMERIC,
    "free_text": FREE_TEXT,
    "parametrized": PARAMETRIZED,
}


def changed(config: dict[str, Any], path: str, value: object) -> dict[str, Any]:
    """A deep copy of ``config`` with ``path`` (``a.b[2].c``) set to ``value`` (or deleted)."""
    result = copy.deepcopy(config)
    parts = path.replace("[", ".").replace("]", "").split(".")
    target: Any = result
    for part in parts[:-1]:
        target = target[int(part)] if part.isdigit() else target[part]
    last: Any = int(parts[-1]) if parts[-1].isdigit() else parts[-1]
    if value is DELETE:
        del target[last]
    else:
        target[last] = value
    return result


DELETE = object()


@pytest.mark.parametrize("kind", QUESTION_KINDS)
def test_the_example_configs_are_valid(kind: str) -> None:
    validate_config(kind, VALID[kind])


BROKEN: list[tuple[str, dict[str, Any], str, str]] = [
    # kind, config, path, words in the message
    ("single_choice", changed(SINGLE, "choices", []), "choices", "at least 2"),
    ("single_choice", changed(SINGLE, "choices", "a"), "choices", "must be a list"),
    ("single_choice", changed(SINGLE, "choices", DELETE), "choices", "required"),
    ("single_choice", changed(SINGLE, "choices[1].correct", False), "choices", "exactly one"),
    ("single_choice", changed(SINGLE, "choices[0].correct", True), "choices", "correct: a, b"),
    ("single_choice", changed(SINGLE, "choices[1].correct", "yes"), "choices[1].correct", "true"),
    ("single_choice", changed(SINGLE, "choices[2].key", "a"), "choices[2].key", "duplicate"),
    ("single_choice", changed(SINGLE, "choices[2].key", ""), "choices[2].key", "short key"),
    ("single_choice", changed(SINGLE, "choices[2].key", 3), "choices[2].key", "short key"),
    ("single_choice", changed(SINGLE, "choices[2].key", "a b"), "choices[2].key", "short key"),
    ("single_choice", changed(SINGLE, "choices[0].text", " "), "choices[0].text", "empty"),
    ("single_choice", changed(SINGLE, "choices[0].text", DELETE), "choices[0].text", "required"),
    ("single_choice", changed(SINGLE, "choices[0].feedback", 5), "choices[0].feedback", "text"),
    ("single_choice", changed(SINGLE, "choices[0].colour", "red"), "choices[0].colour", "unknown"),
    ("single_choice", changed(SINGLE, "choices[0]", "a"), "choices[0]", "mapping"),
    ("single_choice", changed(SINGLE, "answer", "b"), "answer", "unknown key"),
    ("multiple_choice", changed(MULTIPLE, "choices[0].correct", False)
     | {"choices": [{"key": "a", "text": "A"}, {"key": "b", "text": "B"}]}, "choices",
     "at least one choice must be correct"),
    ("numeric", changed(NUMERIC, "answer", DELETE), "answer", "required"),
    ("numeric", changed(NUMERIC, "answer", "0.7"), "answer", "must be a number"),
    ("numeric", changed(NUMERIC, "answer", True), "answer", "must be a number"),
    ("numeric", changed(NUMERIC, "answer", float("nan")), "answer", "finite"),
    ("numeric", changed(NUMERIC, "tolerance", -0.1), "tolerance", "[0, inf]"),
    ("numeric", changed(NUMERIC, "tolerance", DELETE), "tolerance", "required"),
    ("numeric", changed(NUMERIC, "relative", 1), "relative", "true or false"),
    ("numeric", NUMERIC | {"relative": True, "tolerance": 2}, "tolerance", "below 1"),
    ("numeric", changed(NUMERIC, "unit", 3), "unit", "text"),
    ("numeric", changed(NUMERIC, "tolerence", 0.1), "tolerence", "unknown key"),
    ("numeric", NUMERIC | {"partial_tolerance": 0.0005}, "partial_tolerance", "larger than"),
    ("numeric", NUMERIC | {"partial_score": 0.5}, "partial_score", "needs partial_tolerance"),
    ("numeric", NUMERIC | {"partial_tolerance": 0.1, "partial_score": 1}, "partial_score",
     "(0, 1)"),
    ("free_text", changed(FREE_TEXT, "rubric", DELETE), "rubric", "required"),
    ("free_text", changed(FREE_TEXT, "rubric", []), "rubric", "mapping"),
    ("free_text", changed(FREE_TEXT, "rubric.concepts", []), "rubric.concepts", "at least 1"),
    ("free_text", changed(FREE_TEXT, "rubric.concepts[1].weight", 0),
     "rubric.concepts[1].weight", "(0, inf]"),
    ("free_text", changed(FREE_TEXT, "rubric.concepts[1].weight", "1"),
     "rubric.concepts[1].weight", "number"),
    ("free_text", changed(FREE_TEXT, "rubric.concepts[0].claims", []),
     "rubric.concepts[0].claims", "at least 1"),
    ("free_text", changed(FREE_TEXT, "rubric.concepts[0].claims", [{"term": ["x"]}] * 41),
     "rubric.concepts[0].claims", "more than 40"),
    ("free_text", changed(FREE_TEXT, "rubric.concepts[0].claims[0]", "overfit"),
     "rubric.concepts[0].claims[0]", "mapping"),
    ("free_text", changed(FREE_TEXT, "rubric.concepts[0].claims[0]", {}),
     "rubric.concepts[0].claims[0].subject", "required"),
    ("free_text", changed(FREE_TEXT, "rubric.concepts[0].claims[1].predicate", DELETE),
     "rubric.concepts[0].claims[1].predicate", "required"),
    ("free_text", changed(FREE_TEXT, "rubric.concepts[0].claims[1].object", ["x"]),
     "rubric.concepts[0].claims[1].object", "unknown key"),
    ("free_text", changed(FREE_TEXT, "rubric.concepts[0].claims[0].as", "noun"),
     "rubric.concepts[0].claims[0].as", "answer, action, mention"),
    ("free_text", changed(FREE_TEXT, "rubric.concepts[0].claims[1].polarity", "no"),
     "rubric.concepts[0].claims[1].polarity", "positive or negative"),
    ("free_text", changed(FREE_TEXT, "rubric.concepts[0].claims[0].term", []),
     "rubric.concepts[0].claims[0].term", "at least 1"),
    ("free_text", changed(FREE_TEXT, "rubric.concepts[0].claims[0].term", ["ok", "_ _"]),
     "rubric.concepts[0].claims[0].term[1]", "no letters"),
    ("free_text", changed(FREE_TEXT, "rubric.concepts[0].claims[0].term", ["a, b"]),
     "rubric.concepts[0].claims[0].term[0]", "punctuation"),
    ("free_text", changed(FREE_TEXT, "rubric.concepts[0].claims[0].term", ["x but y"]),
     "rubric.concepts[0].claims[0].term[0]", "clause-breaking"),
    ("free_text", changed(FREE_TEXT, "rubric.concepts[0].claims[0].term", ["* x"]),
     "rubric.concepts[0].claims[0].term[0]", "wildcard"),
    ("free_text", changed(FREE_TEXT, "rubric.concepts[0].claims[0].term", ["x" * 201]),
     "rubric.concepts[0].claims[0].term[0]", "longer than 200"),
    ("free_text", changed(FREE_TEXT, "rubric.concepts[0].claims[0].term", ["a"] * 201),
     "rubric.concepts[0].claims[0].term", "more than 200"),
    ("free_text", changed(FREE_TEXT, "rubric.concepts[0].claims[1].subject", ["@modle"]),
     "rubric.concepts[0].claims[1].subject[0]", "unknown term @modle"),
    ("free_text", changed(FREE_TEXT, "rubric.terms", {"a": ["@b"], "b": ["@a"]}),
     "rubric.terms.a", "refers to itself"),
    ("free_text", changed(FREE_TEXT, "rubric.terms", {"Big": ["x"]}),
     "rubric.terms.Big", "lower-case"),
    ("free_text", changed(FREE_TEXT, "rubric.terms", {"a": "x"}),
     "rubric.terms.a", "must be a list"),
    ("free_text", changed(FREE_TEXT, "rubric.terms", ["x"]), "rubric.terms", "mapping"),
    ("free_text", changed(FREE_TEXT, "rubric.topic", "the model"), "rubric.topic",
     "must be a list"),
    ("free_text", changed(FREE_TEXT, "rubric.concepts[0].label", ""),
     "rubric.concepts[0].label", "empty"),
    ("free_text", changed(FREE_TEXT, "rubric.concepts[1].key", "overfitting"),
     "rubric.concepts[1].key", "duplicate"),
    ("free_text", changed(FREE_TEXT, "rubric.contradictions[0].key", "remedy"),
     "rubric.contradictions[0].key", "duplicate"),
    ("free_text", changed(FREE_TEXT, "rubric.concepts[0].synonyms", ["x"]),
     "rubric.concepts[0].synonyms", "unknown key"),
    ("free_text", changed(FREE_TEXT, "rubric.contradictions[1].penalty", 1.5),
     "rubric.contradictions[1].penalty", "(0, 1]"),
    ("free_text", changed(FREE_TEXT, "rubric.contradictions[1].penalty", DELETE),
     "rubric.contradictions[1].penalty", "required"),
    ("free_text", changed(FREE_TEXT, "rubric.contradictions[1].unless", ["x"]),
     "rubric.contradictions[1].unless", "unknown key"),
    ("free_text", changed(FREE_TEXT, "rubric.contradictions[1].claims", DELETE),
     "rubric.contradictions[1].claims", "required"),
    ("free_text", changed(FREE_TEXT, "rubric.contradictions", {}),
     "rubric.contradictions", "must be a list"),
    ("free_text", changed(FREE_TEXT, "rubric.pass_threshold", 0), "rubric.pass_threshold",
     "(0, 1]"),
    ("free_text", changed(FREE_TEXT, "rubric.pass_threshold", 1.2), "rubric.pass_threshold",
     "(0, 1]"),
    ("free_text", FREE_TEXT | {"choice_weight": 0.3}, "choice_weight", "only used together"),
    ("free_text", CHECKPOINTS["stocks"][1] | {"choice_weight": 1}, "choice_weight", "[0, 1)"),
    ("free_text", changed(CHECKPOINTS["stocks"][1], "choices[0].correct", True), "choices",
     "exactly one"),
    ("parametrized", {"tolerance": 0.1}, "template", "required"),
    ("parametrized", {"template": "lstm_step", "tolerance": 0.1}, "template", "unknown template"),
    ("parametrized", {"template": "sgd_step"}, "tolerance", "required"),
    ("parametrized", {"template": "sgd_step", "tolerance": 0}, "tolerance", "above 0"),
    ("parametrized", PARAMETRIZED | {"decimals": 3}, "decimals", "1 or 2"),
    ("parametrized", PARAMETRIZED | {"output": "class"}, "output", "not used"),
    ("parametrized", {"template": "softmax", "tolerance": 0.1, "output": "argmax"}, "output",
     "vector, class"),
    ("parametrized", PARAMETRIZED | {"answer": 1}, "answer", "unknown key"),
    ("parametrized", PARAMETRIZED | {"ranges": []}, "ranges", "mapping"),
    ("parametrized", PARAMETRIZED | {"ranges": {"z": [0, 1]}}, "ranges.z", "unknown parameter"),
    ("parametrized", PARAMETRIZED | {"ranges": {"x": [1, 0]}}, "ranges.x", "above high"),
    ("parametrized", PARAMETRIZED | {"ranges": {"x": [0, 100]}}, "ranges.x", "within"),
    ("parametrized", PARAMETRIZED | {"ranges": {"x": [0]}}, "ranges.x", "[low, high]"),
    ("parametrized", PARAMETRIZED | {"ranges": {"x": [0, "1"]}}, "ranges.x[1]", "finite number"),
    ("parametrized", PARAMETRIZED | {"ranges": {"n_inputs": [1.5, 3]}}, "ranges.n_inputs[0]",
     "whole number"),
    ("parametrized", PARAMETRIZED | {"ranges": {"n_inputs": [2, 9]}}, "ranges.n_inputs",
     "within [1, 6]"),
    ("parametrized", PARAMETRIZED | {"ranges": {"activation": ["swish"]}},
     "ranges.activation[0]", "unknown activation"),
    ("parametrized", PARAMETRIZED | {"ranges": {"activation": []}}, "ranges.activation",
     "non-empty list"),
    ("parametrized", PARAMETRIZED | {"ranges": {"b": {"one_of": []}}}, "ranges.b.one_of",
     "non-empty"),
    ("parametrized", PARAMETRIZED | {"ranges": {"b": {"values": [1]}}}, "ranges.b", "one_of"),
    ("parametrized", {"template": "sgd_step", "tolerance": 0.1, "ranges": {"lr": [0, 0.04]}},
     "ranges.lr", "above 0"),
    ("parametrized", {"template": "sgd_step", "tolerance": 0.1, "ranges": {"g": [0, 0]}},
     "ranges.g", "must not be 0"),
    ("parametrized", {"template": "sgd_step", "tolerance": 0.1,
                      "ranges": {"lr": {"one_of": [0.1, -0.1]}}}, "ranges.lr.one_of[1]",
     "out of bounds"),
    ("parametrized", {"template": "momentum_step", "tolerance": 0.1,
                      "ranges": {"momentum": {"one_of": [1.0]}}}, "ranges.momentum.one_of[0]",
     "[0, 1)"),
    ("parametrized", {"template": "adam_step", "tolerance": 0.1, "ranges": {"v": [-1, 1]}},
     "ranges.v", "within [0, 10]"),
    ("parametrized", PARAMETRIZED | {"prompt": "Compute {{y}}"}, "prompt", "unknown placeholder"),
    ("parametrized", PARAMETRIZED | {"prompt": ""}, "prompt", "non-empty"),
    ("parametrized", PARAMETRIZED | {"relative": True, "tolerance": 1}, "tolerance", "below 1"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "config", "path", "words"),
    BROKEN,
    ids=[f"{case[0]}-{case[2]}-{index}" for index, case in enumerate(BROKEN)],
)
def test_broken_configs_raise_a_config_error_with_its_path(
    kind: str, config: dict[str, Any], path: str, words: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        validate_config(kind, config)
    assert caught.value.path == path, caught.value
    assert words in caught.value.message
    assert str(caught.value).startswith(f"{path}: ")


def test_a_prompt_placeholder_can_never_reach_an_attribute() -> None:
    # "{{x.__class__}}" is not a placeholder at all: it is left as literal text, never evaluated.
    from annquiz.courses.grading import draw_variant

    config = PARAMETRIZED | {"prompt": "Inputs {{x}}; literal {{x.__class__}}; {x.__class__}"}
    text = draw_variant(config, seed=1).prompt_text
    assert "{{x.__class__}}" in text
    assert "{x.__class__}" in text
    assert "class 'list'" not in text


@pytest.mark.parametrize(
    ("kind", "config"),
    [("essay", {}), (None, {}), ("single_choice", "choices"), ("numeric", None)],
)
def test_an_unknown_kind_or_a_config_that_is_not_a_mapping_is_refused(
    kind: Any, config: Any
) -> None:
    with pytest.raises(ConfigError):
        validate_config(kind, config)


# --- public_config ----------------------------------------------------------------------------

SECRETS = ("correct", "feedback", "rubric", "answer", "tolerance", "claims", "ranges")


@pytest.mark.parametrize(
    ("kind", "config"),
    [*VALID.items(), *CHECKPOINTS.values(), ("numeric", NUMERIC | {"unit": "ms"})],
)
def test_public_config_never_leaks_the_answer(kind: str, config: dict[str, Any]) -> None:
    shown = public_config(kind, config)
    dumped = json.dumps(shown)
    for secret in SECRETS:
        assert f'"{secret}"' not in dumped
    if kind == "numeric":
        assert str(config["answer"]) not in dumped
    if kind == "free_text":
        for concept in config["rubric"]["concepts"]:
            assert concept["label"] not in dumped
            for claim in concept["claims"]:
                phrases = [p for part in claim.values() if isinstance(part, list) for p in part]
                assert all(phrase not in dumped for phrase in phrases if len(phrase) > 4)
    for choice in shown["choices"]:
        assert set(choice) == {"key", "text"}


def test_public_config_describes_what_to_send() -> None:
    assert public_config("single_choice", SINGLE) == {
        "kind": "single_choice",
        "choices": [
            {"key": "a", "text": "Sigmoid"},
            {"key": "b", "text": "ReLU"},
            {"key": "c", "text": "Tanh"},
        ],
        "multiple": False,
        "has_choice": True,
        "has_text": False,
        "has_value": False,
        "vector": False,
        "unit": "",
        "fields": ["choice"],
    }
    assert public_config("multiple_choice", MULTIPLE)["fields"] == ["choices"]
    assert public_config("multiple_choice", MULTIPLE)["multiple"] is True
    assert public_config("numeric", NUMERIC | {"unit": "ms"})["unit"] == "ms"
    stocks = public_config(*CHECKPOINTS["stocks"])
    assert (stocks["has_choice"], stocks["has_text"], stocks["fields"]) == (
        True,
        True,
        ["choice", "text"],
    )
    assert public_config("free_text", FREE_TEXT)["fields"] == ["text"]
    softmax = public_config("parametrized", {"template": "softmax", "tolerance": 0.01})
    assert (softmax["vector"], softmax["fields"]) == (True, ["values"])
    assert public_config("parametrized", PARAMETRIZED)["fields"] == ["value"]


def test_public_config_refuses_a_broken_config() -> None:
    with pytest.raises(ConfigError):
        public_config("single_choice", {"choices": []})
