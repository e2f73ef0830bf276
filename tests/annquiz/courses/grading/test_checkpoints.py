"""All 7 handout checkpoint scenarios, graded with realistic student answers."""

from __future__ import annotations

from typing import Any

import pytest

from annquiz.courses.grading import grade, public_config, validate_config
from tests.annquiz.courses.grading.checkpoints import CHECKPOINTS, response


@pytest.mark.parametrize("name", sorted(CHECKPOINTS))
def test_every_checkpoint_rubric_is_a_valid_free_text_config(name: str) -> None:
    kind, config = CHECKPOINTS[name]
    validate_config(kind, config)
    shown = public_config(kind, config)
    assert shown["has_text"] is True
    assert "rubric" not in repr(shown)


# (scenario, response with its choice by meaning, verdict, labels found, contradictions)
Case = tuple[str, dict[str, Any], str, list[str], list[str]]

CASES: list[Case] = [
    (
        "weather",
        {
            "text": "Because ANN can learn complex, non-linear relationships between temperature, "
            "humidity, and pressure that are hard to capture using fixed rules. It adapts "
            "and generalizes better than static rule-based systems."
        },
        "correct",
        [
            "that the readings relate to rainfall in a complex, non-linear way",
            "that an ANN learns the relationship from examples",
            "why fixed rules fall short while an ANN adapts and generalizes",
        ],
        [],
    ),
    (
        "weather",
        {
            "text": "Rain depends on how temperature, humidity and pressure interact in nonlinear "
            "ways. Writing if-else rules for every combination is impossible, a neural net "
            "learns it from historical data."
        },
        "correct",
        [
            "that the readings relate to rainfall in a complex, non-linear way",
            "that an ANN learns the relationship from examples",
            "why fixed rules fall short while an ANN adapts and generalizes",
        ],
        [],
    ),
    (
        "weather",
        {"text": "Because weather is nonlinaer and the ANN finds the pattern."},
        "correct",
        [
            "that the readings relate to rainfall in a complex, non-linear way",
            "that an ANN learns the relationship from examples",
        ],
        [],
    ),
    (
        "weather",
        {"text": "If-else rules are better because they are easier to understand."},
        "incorrect",
        [],
        ["if-else rules are not the better tool here"],
    ),
    (
        "stocks",
        {
            "choice": "rnn",
            "text": "Recurrent Neural Network (RNN) because it can handle sequential data "
            "and learn from patterns over time.",
        },
        "correct",
        [
            "a recurrent neural network (RNN)",
            "that stock prices are sequential data, a time series",
            "that an RNN keeps a memory of earlier steps, so it learns patterns over time",
        ],
        [],
    ),
    (
        "stocks",
        {
            "choice": "rnn",
            "text": "An LSTM, since stock prices are a time series and the network has to remember "
            "previous prices.",
        },
        "correct",
        [
            "a recurrent neural network (RNN)",
            "that stock prices are sequential data, a time series",
            "that an RNN keeps a memory of earlier steps, so it learns patterns over time",
        ],
        [],
    ),
    (
        "stocks",
        {
            "choice": "rnn",
            "text": "RNN, not a CNN: CNNs are for images while prices are sequential.",
        },
        "correct",
        [
            "a recurrent neural network (RNN)",
            "that stock prices are sequential data, a time series",
        ],
        [],
    ),
    (
        "stocks",
        {"choice": "cnn", "text": "A CNN because it detects patterns in the price chart."},
        "incorrect",
        [],
        ["a CNN is for images, not sequences over time"],
    ),
    ("stocks", {"choice": "rnn", "text": "because it works well"}, "partial", [], []),
    (
        "input_dim",
        {
            "choice": "first",
            "text": "In the first Dense layer. It defines how many input features (columns) the "
            "model expects.",
        },
        "correct",
        [
            "the first Dense layer as the place for input_dim",
            "that it tells the model how many input features (columns) each sample has",
        ],
        [],
    ),
    (
        "input_dim",
        {
            "choice": "first",
            "text": "Put input_dim=8 on the first layer so Keras knows the shape of the input data "
            "(8 columns).",
        },
        "correct",
        [
            "the first Dense layer as the place for input_dim",
            "that it tells the model how many input features (columns) each sample has",
        ],
        [],
    ),
    (
        "input_dim",
        {
            "choice": "first",
            "text": "not in the output layer but in the first hidden layer, since the model needs "
            "the input shape",
        },
        "correct",
        [
            "the first Dense layer as the place for input_dim",
            "that it tells the model how many input features (columns) each sample has",
        ],
        [],
    ),
    (
        "input_dim",
        {"choice": "compile", "text": "You set it in model.compile() with the number of features."},
        "incorrect",
        ["that it tells the model how many input features (columns) each sample has"],
        ["compile() and fit() come after the layers are built"],
    ),
    (
        "input_dim",
        {"choice": "last", "text": "in the last layer"},
        "incorrect",
        [],
        ["the last (output) layer never sees the input features"],
    ),
    (
        "loss_rises",
        {"text": "Overfitting. You can apply early stopping, dropout, or get more training data."},
        "correct",
        ["overfitting", "a remedy such as early stopping, dropout or more training data"],
        [],
    ),
    (
        "loss_rises",
        {
            "text": "The model starts to overfit after epoch 5; I'd use early stopping with "
            "patience and restore the best weights."
        },
        "correct",
        ["overfitting", "a remedy such as early stopping, dropout or more training data"],
        [],
    ),
    ("loss_rises", {"text": "It's overfiting."}, "partial", ["overfitting"], []),
    (
        "loss_rises",
        {"text": "The model is underfitting, train for more epochs."},
        "incorrect",
        [],
        ["this is not underfitting", "more epochs or a bigger model make the overfitting worse"],
    ),
    (
        "loss_rises",
        {"text": "Overfitting is not the problem, underfitting is. Add more layers."},
        "incorrect",
        [],
        ["this is not underfitting", "more epochs or a bigger model make the overfitting worse"],
    ),
    (
        "train_test_gap",
        {"text": "Overfitting. Try adding dropout layers, regularization, or early stopping."},
        "correct",
        ["overfitting", "a remedy such as dropout, regularization or early stopping"],
        [],
    ),
    (
        "train_test_gap",
        {
            "text": "The model memorizes the training set, it overfits. Add L2 regularisation and "
            "data augmentation."
        },
        "correct",
        ["overfitting", "a remedy such as dropout, regularization or early stopping"],
        [],
    ),
    (
        "train_test_gap",
        {"text": "Over-fitting; use drop-out."},
        "correct",
        ["overfitting", "a remedy such as dropout, regularization or early stopping"],
        [],
    ),
    (
        "train_test_gap",
        {"text": "Overfitting, so make the model bigger with more layers."},
        "partial",
        ["overfitting"],
        ["more epochs or a bigger model make the overfitting worse"],
    ),
    (
        "train_test_gap",
        {"text": "It is not overfitting, it is underfitting - add more neurons"},
        "incorrect",
        [],
        ["this is not underfitting", "more epochs or a bigger model make the overfitting worse"],
    ),
    (
        "small_data",
        {
            "choice": "logreg",
            "text": "Logistic regression. ANN needs large datasets and may overfit with only 500 "
            "rows.",
        },
        "correct",
        [
            "that the dataset is small (only 500 samples)",
            "an ANN's need for large datasets",
            "the risk that an ANN overfits so few rows",
        ],
        [],
    ),
    (
        "small_data",
        {
            "choice": "logreg",
            "text": "Logistic regression: 500 samples is a small dataset, an ANN has too many "
            "parameters and would overfit, and LR is simpler to interpret.",
        },
        "correct",
        [
            "that the dataset is small (only 500 samples)",
            "an ANN's need for large datasets",
            "the risk that an ANN overfits so few rows",
        ],
        [],
    ),
    (
        "small_data",
        {
            "choice": "logreg",
            "text": "Logistic regression rather than an ANN, since there isn't enough data.",
        },
        "partial",
        ["that the dataset is small (only 500 samples)"],
        [],
    ),
    (
        "small_data",
        {"choice": "ann", "text": "I would use an ANN because it is more accurate."},
        "incorrect",
        [],
        ["an ANN is the wrong choice for 500 samples"],
    ),
    (
        "small_data",
        {"choice": "ann", "text": "ANN because neural networks are always better"},
        "incorrect",
        [],
        ["an ANN is the wrong choice for 500 samples"],
    ),
    (
        "validation_rises",
        {
            "text": "The model is overfitting. It's learning training data too well and failing to "
            "generalize."
        },
        "correct",
        [
            "overfitting (the model memorizing the training data)",
            "that it fails to generalize to data it has not seen",
        ],
        [],
    ),
    (
        "validation_rises",
        {
            "text": "After epoch 10 the network overfits: it memorises the training data and "
            "doesn't generalise to the validation set. Stop at epoch 10."
        },
        "correct",
        [
            "overfitting (the model memorizing the training data)",
            "that it fails to generalize to data it has not seen",
        ],
        [],
    ),
    (
        "validation_rises",
        {"text": "overfitting"},
        "partial",
        ["overfitting (the model memorizing the training data)"],
        [],
    ),
    (
        "validation_rises",
        {"text": "The model doesn't generalize well to new data"},
        "partial",
        ["that it fails to generalize to data it has not seen"],
        [],
    ),
    (
        "validation_rises",
        {"text": "Underfitting, so keep training."},
        "incorrect",
        [],
        [
            "this is not underfitting, since the training loss keeps improving",
            "training longer makes the overfitting worse",
        ],
    ),
    ("validation_rises", {"text": "It's fine, there is no overfitting"}, "incorrect", [], []),
]


@pytest.mark.parametrize(
    ("name", "sent", "verdict", "found", "contradictions"),
    CASES,
    ids=[f"{case[0]}-{index}" for index, case in enumerate(CASES)],
)
def test_realistic_answers_get_the_expected_verdict(
    name: str,
    sent: dict[str, Any],
    verdict: str,
    found: list[str],
    contradictions: list[str],
) -> None:
    kind, config = CHECKPOINTS[name]
    result = grade(kind, config, response(name, sent["text"], sent.get("choice")))
    assert result.verdict == verdict, (result.score, result.feedback)
    assert set(found) <= set(result.details["found"])
    assert sorted(result.details["contradictions"]) == sorted(contradictions)
    for label in found:
        assert label in result.feedback
    assert 0.0 <= result.score <= 1.0


def test_every_scenario_has_several_realistic_answers() -> None:
    counts = {name: sum(1 for case in CASES if case[0] == name) for name in CHECKPOINTS}
    assert min(counts.values()) >= 4, counts


def test_the_handout_answers_to_all_seven_checkpoints_are_correct() -> None:
    model_answers = {
        "weather": {"text": "Because ANN can learn complex, non-linear relationships."},
        "stocks": {"choice": "rnn", "text": "it can handle sequential data over time"},
        "input_dim": {"choice": "first", "text": "the first Dense layer: number of features"},
        "loss_rises": {
            "text": "Overfitting. You can apply early stopping, dropout, or get more training data."
        },
        "train_test_gap": {"text": "Overfitting. Try dropout, regularization, early stopping."},
        "small_data": {"choice": "logreg", "text": "ANN needs large datasets and may overfit."},
        "validation_rises": {
            "text": "The model is overfitting. It's learning training data too well and "
            "failing to generalize."
        },
    }
    for name, sent in model_answers.items():
        kind, config = CHECKPOINTS[name]
        result = grade(kind, config, response(name, sent["text"], sent.get("choice")))
        assert result.score >= 0.7, (name, result)
