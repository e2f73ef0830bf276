"""Rubrics for the handout's 7 checkpoint scenarios, in the config shape of docs/questions.md.

They are realistic test data: the question fixtures in ``fixtures/`` use the same shapes.
"""

from __future__ import annotations

from typing import Any

OVERFITTING_PATTERNS = ["overfit", "over fit", "over fitting", "overtrain"]
GENERALIZATION_PATTERNS = [
    "memoriz",
    "memoris",
    "not generaliz",
    "fails to generaliz",
    "failing to generaliz",
    "poor generaliz",
    "generaliz * poor",
    "generaliz * bad",
    "stop * generaliz",
    "too well",
    "unseen data",
    "new data",
    "learns the noise",
    "learning the noise",
    "high variance",
]
REMEDY_PATTERNS = [
    "early stop",
    "stop early",
    "stop * earlier",
    "stop training",
    "stop at",
    "dropout",
    "drop out",
    "regulariz",
    "l1",
    "l2",
    "weight decay",
    "more data",
    "more * data",
    "data augment",
    "augment",
    "simpler model",
    "smaller model",
    "reduce * complexity",
    "fewer layers",
    "fewer neurons",
    "fewer epochs",
    "less epochs",
    "restore * best weights",
    "patience",
]
UNDERFITTING = {
    "key": "underfitting",
    "label": "underfitting",
    "penalty": 0.4,
    "patterns": ["underfit", "under fit", "under fitting"],
    "feedback": "Underfitting means poor results on the training data too; here the model does "
    "well on what it trained on and badly on new data, which is overfitting.",
}


def _overfitting_concept(weight: float) -> dict[str, Any]:
    return {
        "key": "overfitting",
        "label": "overfitting",
        "weight": weight,
        "patterns": OVERFITTING_PATTERNS,
    }


def _remedy_concept(weight: float) -> dict[str, Any]:
    return {
        "key": "remedy",
        "label": "a remedy",
        "weight": weight,
        "patterns": REMEDY_PATTERNS,
        "missing": "a remedy such as early stopping, dropout, L2 regularization or more "
        "training data",
    }


# 1. Weather app: why an ANN rather than if-else rules?
WEATHER: dict[str, Any] = {
    "rubric": {
        "concepts": [
            {
                "key": "nonlinear",
                "label": "complex, non-linear relationships",
                "weight": 0.4,
                "patterns": [
                    "non linear",
                    "complex relation",
                    "complex pattern",
                    "complex interaction",
                    "complex dependenc",
                    "complicated relation",
                    "complicated pattern",
                    "interactions between",
                    "interact",
                    "interplay",
                    "curved",
                ],
                "missing": "that the relationships between temperature, humidity and pressure "
                "are complex and non-linear",
            },
            {
                "key": "learns",
                "label": "learning the relationship from data",
                "weight": 0.3,
                "patterns": [
                    "learn",
                    "trained on",
                    "training data",
                    "from data",
                    "from examples",
                    "from past",
                    "historical data",
                    "data driven",
                ],
                "missing": "that an ANN learns the relationship from examples instead of having "
                "it written by hand",
            },
            {
                "key": "rules_fall_short",
                "label": "why fixed rules fall short",
                "weight": 0.3,
                "patterns": [
                    "generaliz",
                    "generalis",
                    "adapt",
                    "fixed rules",
                    "static rule",
                    "rules are fixed",
                    "rules are static",
                    "rules are rigid",
                    "rigid",
                    "hard coded",
                    "hand written",
                    "manual",
                    "every combination",
                    "all * combinations",
                    "edge case",
                    "thresholds",
                    "too many rules",
                    "not flexible",
                    "inflexible",
                    "unseen",
                ],
                "missing": "why fixed if-else rules fall short: hand-written thresholds cannot "
                "cover every combination, while an ANN adapts and generalizes",
            },
        ],
        "contradictions": [
            {
                "key": "rules_better",
                "label": "preferring the if-else rules",
                "penalty": 0.4,
                "patterns": [
                    "rules are better",
                    "rules would be better",
                    "rules * more accurate",
                    "if else is better",
                    "if else * better",
                    "use * if else",
                ],
                "feedback": "Fixed if-else rules cannot capture how temperature, humidity and "
                "pressure interact; a learned model can.",
            }
        ],
        "pass_threshold": 0.7,
    }
}

# 2. Stock prices: which network and why?
STOCKS: dict[str, Any] = {
    "choices": [
        {
            "key": "cnn",
            "text": "A convolutional neural network (CNN)",
            "feedback": "CNNs look for spatial patterns in images.",
        },
        {
            "key": "rnn",
            "text": "A recurrent neural network (RNN)",
            "correct": True,
            "feedback": "RNNs process sequences step by step.",
        },
        {
            "key": "mlp",
            "text": "A plain feedforward network (MLP)",
            "feedback": "An MLP sees a fixed set of inputs and has no notion of order in time.",
        },
    ],
    "choice_weight": 0.3,
    "rubric": {
        "concepts": [
            {
                "key": "sequential",
                "label": "that prices are sequential (time-series) data",
                "weight": 0.7,
                "patterns": [
                    "sequen",
                    "time series",
                    "timeseries",
                    "temporal",
                    "over time",
                    "in time",
                    "order of",
                    "ordered",
                    "series",
                    "time steps",
                    "timestep",
                ],
                "missing": "that stock prices are sequential data: a time series whose order "
                "matters",
            },
            {
                "key": "memory",
                "label": "that an RNN remembers earlier steps",
                "weight": 0.3,
                "patterns": [
                    "memory",
                    "remember",
                    "past",
                    "previous",
                    "earlier",
                    "history",
                    "historical",
                    "hidden state",
                    "lstm",
                    "long short term",
                    "gru",
                    "depend",
                    "trend",
                    "context",
                    "feedback loop",
                    "loops back",
                ],
                "missing": "that an RNN carries information from earlier prices forward in its "
                "hidden state (its memory)",
            },
        ],
        "contradictions": [
            {
                "key": "cnn",
                "label": "a CNN",
                "penalty": 0.3,
                "patterns": ["cnn", "convolution"],
                "unless": ["image", "picture", "photo", "spatial", "pixel", "vision"],
                "feedback": "A CNN is for images; stock prices are sequential data.",
            }
        ],
    },
}

# 3. "input_dim not specified": where and why?
INPUT_DIM: dict[str, Any] = {
    "choices": [
        {"key": "first", "text": "In the first Dense layer", "correct": True},
        {
            "key": "last",
            "text": "In the last (output) Dense layer",
            "feedback": "The output layer's size is set by the task, not by the input.",
        },
        {
            "key": "compile",
            "text": "In model.compile()",
            "feedback": "compile() sets the optimizer, loss and metrics, not the input shape.",
        },
        {
            "key": "fit",
            "text": "In model.fit()",
            "feedback": "fit() receives the data, but the layers are built before it.",
        },
    ],
    "choice_weight": 0.3,
    "rubric": {
        "concepts": [
            {
                "key": "first_layer",
                "label": "the first layer",
                "weight": 0.5,
                "patterns": [
                    "first layer",
                    "first * layer",
                    "input layer",
                    "1st layer",
                    "1st * layer",
                    "layer 1",
                    "first dense",
                    "beginning of the model",
                ],
                "missing": "that input_dim belongs in the first (input) Dense layer",
            },
            {
                "key": "n_features",
                "label": "the number of input features",
                "weight": 0.5,
                "patterns": [
                    "features",
                    "columns",
                    "number of input",
                    "number of variables",
                    "how many input",
                    "how many variables",
                    "attributes",
                    "input shape",
                    "shape of the input",
                    "shape of * data",
                    "size of the input",
                ],
                "missing": "that it tells the model how many input features (columns) each "
                "sample has",
            },
        ],
        "contradictions": [
            {
                "key": "wrong_place",
                "label": "compile(), fit() or the output layer",
                "penalty": 0.3,
                "patterns": [
                    "in * compile",
                    "in * fit",
                    "in * last * layer",
                    "in * output layer",
                    "in * final * layer",
                ],
                "feedback": "compile() and fit() come after the layers are built, and the "
                "output layer's size is set by the task; the input size goes on the first "
                "layer.",
            }
        ],
    },
}

# 4. Loss falls for 5 epochs, then rises.
LOSS_RISES: dict[str, Any] = {
    "rubric": {
        "concepts": [_overfitting_concept(0.5), _remedy_concept(0.5)],
        "contradictions": [
            UNDERFITTING,
            {
                "key": "train_longer",
                "label": "training for more epochs",
                "penalty": 0.2,
                "patterns": [
                    "more epochs",
                    "train longer",
                    "train for longer",
                    "longer training",
                    "increase * epochs",
                    "increase * number of epochs",
                    "keep training",
                ],
                "feedback": "More epochs make overfitting worse; stop earlier instead.",
            },
        ],
    }
}

# 5. 98 % accurate on training, 60 % on test.
TRAIN_TEST_GAP: dict[str, Any] = {
    "rubric": {
        "concepts": [_overfitting_concept(0.5), _remedy_concept(0.5)],
        "contradictions": [
            UNDERFITTING,
            {
                "key": "bigger_model",
                "label": "a bigger model or longer training",
                "penalty": 0.2,
                "patterns": [
                    "more layers",
                    "more neurons",
                    "more units",
                    "bigger model",
                    "larger model",
                    "deeper",
                    "more complex model",
                    "increase * complexity",
                    "more epochs",
                    "train longer",
                ],
                "feedback": "A bigger model or longer training makes overfitting worse.",
            },
        ],
    }
}

# 6. 500 samples: ANN or logistic regression?
SMALL_DATA: dict[str, Any] = {
    "choices": [
        {"key": "logreg", "text": "Logistic regression", "correct": True},
        {
            "key": "ann",
            "text": "An artificial neural network (ANN)",
            "feedback": "An ANN has many parameters to fit from only 500 rows.",
        },
    ],
    "choice_weight": 0.3,
    "rubric": {
        "concepts": [
            {
                "key": "small_data",
                "label": "that 500 samples is little data for an ANN",
                "weight": 0.5,
                "patterns": [
                    "small data",
                    "small dataset",
                    "small sample",
                    "dataset is small",
                    "data is small",
                    "few samples",
                    "few rows",
                    "few examples",
                    "little data",
                    "limited data",
                    "not enough data",
                    "not enough samples",
                    "insufficient",
                    "only 500",
                    "lot of data",
                    "lots of data",
                    "large data",
                    "large amount",
                    "big data",
                    "much data",
                    "more data",
                    "data hungry",
                    "need * data",
                    "require * data",
                    "too small",
                    "small amount",
                ],
                "missing": "that 500 rows is little data for an ANN, which needs large datasets",
            },
            {
                "key": "overfit",
                "label": "that an ANN would overfit",
                "weight": 0.3,
                "patterns": [*OVERFITTING_PATTERNS, "memoriz", "memoris", "high variance"],
                "missing": "that an ANN would likely overfit so few samples",
            },
            {
                "key": "simpler",
                "label": "that logistic regression is simpler and more interpretable",
                "weight": 0.2,
                "patterns": [
                    "simple",
                    "simplicity",
                    "interpret",
                    "explain",
                    "faster",
                    "fewer parameters",
                    "less parameters",
                    "less complex",
                    "transparent",
                    "easier",
                    "baseline",
                    "efficient",
                ],
                "missing": "that logistic regression is simpler, faster and easier to interpret",
            },
        ],
        "contradictions": [
            {
                "key": "ann_choice",
                "label": "choosing an ANN",
                "penalty": 0.4,
                "patterns": [
                    "use * ann",
                    "choose * ann",
                    "prefer * ann",
                    "pick * ann",
                    "go with * ann",
                    "ann is better",
                    "ann would be better",
                    "ann * more accurate",
                    "use * neural network",
                    "choose * neural network",
                    "ann because",
                    "ann since",
                    "neural network * better",
                ],
                "unless": [
                    "overfit",
                    "need",
                    "require",
                    "large",
                    "lot of data",
                    "lots of data",
                    "more data",
                    "small",
                    "only 500",
                    "if",
                ],
                "feedback": "With only 500 samples an ANN is likely to overfit; logistic "
                "regression is the better choice.",
            }
        ],
    },
}

# 7. Training loss keeps falling after epoch 10 while validation loss rises.
VALIDATION_RISES: dict[str, Any] = {
    "rubric": {
        "concepts": [
            _overfitting_concept(0.6),
            {
                "key": "generalization",
                "label": "that it memorizes the training data instead of generalizing",
                "weight": 0.4,
                "patterns": GENERALIZATION_PATTERNS,
                "missing": "that the model learns the training data too well (memorizes it) "
                "and fails to generalize to new data",
            },
        ],
        "contradictions": [
            UNDERFITTING,
            {
                "key": "train_longer",
                "label": "training for more epochs",
                "penalty": 0.2,
                "patterns": ["more epochs", "train longer", "keep training", "continue training"],
                "feedback": "Training longer makes overfitting worse; stop near epoch 10.",
            },
        ],
    }
}

CHECKPOINTS: dict[str, tuple[str, dict[str, Any]]] = {
    "weather": ("free_text", WEATHER),
    "stocks": ("free_text", STOCKS),
    "input_dim": ("free_text", INPUT_DIM),
    "loss_rises": ("free_text", LOSS_RISES),
    "train_test_gap": ("free_text", TRAIN_TEST_GAP),
    "small_data": ("free_text", SMALL_DATA),
    "validation_rises": ("free_text", VALIDATION_RISES),
}
