"""Diagnostics on hand-made models and loss curves."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pytest

from training import diagnostics
from training.backends import get_backend
from training.datasets import load_dataset
from training.errors import DataError
from training.fitting import FitData, FitResult
from training.spec import Activation, Dense, Dropout, ModelSpec, parse_spec


@dataclass
class FakeModel:
    """A TrainedModel stand-in with fixed layer outputs and gradient norms."""

    outputs: list[np.ndarray] = field(default_factory=list)
    norms: list[float] = field(default_factory=list)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.zeros((x.shape[0], 1))

    def evaluate(self, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
        return {"loss": 0.0}

    def get_weights(self) -> list[np.ndarray]:
        return []

    def layer_outputs(self, x: np.ndarray) -> list[np.ndarray]:
        return self.outputs

    def gradient_norms(self, x: np.ndarray, y: np.ndarray) -> list[float]:
        return self.norms


def relu_spec() -> ModelSpec:
    return ModelSpec(
        input_shape=(4,),
        layers=(
            Dense(4, Activation("relu")),
            Dropout(0.2),
            Dense(2, Activation("tanh")),
            Dense(1, Activation("sigmoid")),
        ),
    )


X = np.ones((3, 4))


def test_dead_relu_fraction_counts_units_zero_on_every_sample() -> None:
    relu_out = np.array(
        [
            [0.0, 1.0, 0.0, 0.0],
            [0.0, 0.0, 2.0, 0.0],
            [0.0, 0.5, 0.0, 0.0],
        ]
    )  # units 0 and 3 are dead; unit 2 is alive on one sample only
    model = FakeModel(outputs=[relu_out, -np.ones((3, 2)), np.full((3, 1), 0.5)])
    result = diagnostics.dead_relu_fraction(model, relu_spec(), X, max_fraction=0.25)
    assert result.measured == pytest.approx(0.5)
    assert not result.passed and result.details["detected"] is True
    assert result.details["layers"] == [{"layer": "layers[0] (dense)", "dead": 2, "units": 4}]
    assert "2 of 4 ReLU units" in result.message and "dying ReLU" in result.message
    assert "Leaky ReLU" in result.message
    lenient = diagnostics.dead_relu_fraction(model, relu_spec(), X, max_fraction=0.5)
    assert lenient.passed


def test_negative_tanh_outputs_are_not_counted_as_dead_relus() -> None:
    model = FakeModel(outputs=[np.ones((3, 4)), np.zeros((3, 2)), np.zeros((3, 1))])
    result = diagnostics.dead_relu_fraction(model, relu_spec(), X)
    assert result.passed and result.measured == 0.0


def test_dead_relu_on_conv_outputs_uses_channels_as_units() -> None:
    from training.spec import Conv2D, Flatten

    spec = ModelSpec(
        input_shape=(4, 4, 1),
        layers=(
            Conv2D(filters=2, kernel_size=(3, 3), activation=Activation("relu")),
            Flatten(),
            Dense(1, Activation("sigmoid")),
        ),
    )
    conv = np.zeros((3, 2, 2, 2))
    conv[1, 0, 1, 0] = 0.3  # channel 0 fires once, channel 1 never
    model = FakeModel(outputs=[conv, np.zeros((3, 1))])
    result = diagnostics.dead_relu_fraction(model, spec, np.ones((3, 4, 4, 1)))
    assert result.measured == pytest.approx(0.5)


def test_network_without_relu_passes_dead_relu_without_a_figure() -> None:
    spec = ModelSpec(input_shape=(4,), layers=(Dense(1, Activation("sigmoid")),))
    result = diagnostics.dead_relu_fraction(FakeModel(outputs=[np.zeros((3, 1))]), spec, X)
    assert result.passed and result.measured is None


def test_dead_relu_rejects_mismatched_model_and_spec() -> None:
    with pytest.raises(DataError, match="3 layers with weights"):
        diagnostics.dead_relu_fraction(FakeModel(outputs=[np.ones((3, 4))]), relu_spec(), X)


def test_vanishing_gradients_flags_tiny_first_layer_gradient() -> None:
    model = FakeModel(norms=[1e-5, 1e-3, 0.5])
    result = diagnostics.vanishing_gradients(model, X, np.ones((3, 1)), spec=relu_spec())
    assert not result.passed
    assert result.measured == pytest.approx(2e-5)
    assert result.details["norms"] == [1e-5, 1e-3, 0.5]
    assert result.details["layers"] == [
        "layers[0] (dense)",
        "layers[2] (dense)",
        "layers[3] (dense)",
    ]
    assert "ReLU" in result.message and "vanish" in result.message


def test_healthy_gradients_pass() -> None:
    result = diagnostics.vanishing_gradients(FakeModel(norms=[0.2, 0.4]), X, np.ones((3, 1)))
    assert result.passed and result.measured == pytest.approx(0.5)


def test_vanishing_gradients_edge_cases() -> None:
    y = np.ones((3, 1))
    exploded = diagnostics.vanishing_gradients(FakeModel(norms=[math.nan, 1.0]), X, y)
    assert not exploded.passed and "exploded" in exploded.message
    flat = diagnostics.vanishing_gradients(FakeModel(norms=[0.0, 0.0]), X, y)
    assert flat.passed and flat.measured is None
    with pytest.raises(DataError, match="no layers with weights"):
        diagnostics.vanishing_gradients(FakeModel(norms=[]), X, y)
    with pytest.raises(DataError, match="min_ratio"):
        diagnostics.vanishing_gradients(FakeModel(norms=[1.0, 1.0]), X, y, min_ratio=0.0)


def test_learning_rate_fine_on_a_steady_decrease() -> None:
    history = {"loss": list(0.2 + 0.8 * np.exp(-0.2 * np.arange(30)))}
    result = diagnostics.learning_rate_diagnosis(history, learning_rate=0.001)
    assert result.passed and result.details["verdict"] == "ok"
    # It states its evidence, the figures and their thresholds, and never that the rate is
    # right: a curve cannot tell.
    assert "learning rate (0.001) is too high or too low" in result.message
    assert "the loss fell by 79.8 % over 30 epochs (less than 10 % means" in result.message
    assert "in 0 of 29 epochs (more than 20 % of them means it oscillates)" in result.message
    assert "looks right" not in result.message


def test_a_loss_that_fell_by_two_percent_barely_falls() -> None:
    """The image-cnn report: a loss that fell by 2.3 % was called a learning rate that
    "looks right" beside a check that said a barely falling loss means it is too small."""
    history = {"loss": list(1.386 * (1 - 0.023 * np.arange(4) / 3))}
    result = diagnostics.learning_rate_diagnosis(history, learning_rate=0.001)
    assert not result.passed and result.details["verdict"] == "too_low"
    assert "fell by only 2.3 % over 4 epochs (less than 10 %" in result.message
    assert "(0.001) is likely too low" in result.message


def test_a_diagnostic_stated_as_evidence_only_keeps_its_figures_and_drops_its_conclusion() -> None:
    history = {"loss": list(0.2 + 0.8 * np.exp(-0.2 * np.arange(30)))}
    result = diagnostics.evidence_only(diagnostics.learning_rate_diagnosis(history))
    assert result.details["conclusive"] is False
    assert result.message.startswith("About the learning rate: the loss fell by 79.8 %")
    assert "No sign" not in result.message and "does not rule it out" in result.message


def test_causes_named_reads_what_an_explanation_blames() -> None:
    assert diagnostics.causes_named("If the loss barely falls, the learning rate is too small") == {
        "learning_rate"
    }
    assert diagnostics.causes_named("the gradients vanish on their way back") == {
        "vanishing_gradients"
    }
    assert diagnostics.causes_named("use Leaky ReLU") == {"dead_relu"}
    assert diagnostics.causes_named("Give it more epochs.") == set()


def test_learning_rate_too_high_when_loss_blows_up() -> None:
    result = diagnostics.learning_rate_diagnosis({"loss": [0.7, 3.0, math.inf]})
    assert not result.passed and result.details["verdict"] == "too_high"
    assert result.details["nonfinite_epoch"] == 3


def test_learning_rate_too_high_when_loss_oscillates() -> None:
    bouncing = [1.0, 0.6, 0.9, 0.5, 0.85, 0.45, 0.8, 0.45, 0.75, 0.4]
    result = diagnostics.learning_rate_diagnosis({"loss": bouncing})
    assert result.details["verdict"] == "too_high"
    assert "oscillates" in result.message


def test_learning_rate_too_high_when_loss_ends_above_start() -> None:
    result = diagnostics.learning_rate_diagnosis({"loss": [0.7, 0.6, 0.8, 0.9]})
    assert result.details["verdict"] == "too_high"


def test_learning_rate_too_low_when_loss_barely_moves() -> None:
    history = {"loss": list(0.693 - 1e-5 * np.arange(50))}
    result = diagnostics.learning_rate_diagnosis(history)
    assert not result.passed and result.details["verdict"] == "too_low"
    assert result.measured is not None and result.measured < 0.01
    assert "too low" in result.message


def test_learning_rate_needs_two_epochs() -> None:
    with pytest.raises(DataError, match="at least 2 epochs"):
        diagnostics.learning_rate_diagnosis({"loss": [0.5]})


# --------------------------------------------------------------------------- real models


def _train_numpy(
    spec_data: dict[str, object],
    x: np.ndarray,
    y: np.ndarray,
    initial_weights: list[np.ndarray] | None = None,
) -> tuple[ModelSpec, FitResult]:
    spec = parse_spec(spec_data)
    data = FitData(x_train=x, y_train=y)
    (result,) = get_backend("numpy").fit(spec, data, initial_weights=initial_weights)
    return spec, result


def _deep(activation: str, depth: int) -> dict[str, object]:
    hidden = [{"type": "dense", "units": 16, "activation": activation} for _ in range(depth)]
    hidden[0]["input_dim"] = 8
    return {
        "layers": [*hidden, {"type": "dense", "units": 1, "activation": "sigmoid"}],
        "optimizer": "sgd",
        "loss": "binary_crossentropy",
        "epochs": 1,
        "batch_size": 32,
    }


def test_deep_sigmoid_network_has_vanishing_gradients_and_relu_does_not() -> None:
    ds = load_dataset("pima-like")
    spec, sigmoid = _train_numpy(_deep("sigmoid", 8), ds.x_train, ds.y_train)
    vanished = diagnostics.vanishing_gradients(sigmoid.model, ds.x_val, ds.y_val, spec=spec)
    assert not vanished.passed
    norms = vanished.details["norms"]
    assert len(norms) == 9 and norms[0] < norms[-1]
    spec, relu = _train_numpy(_deep("relu", 3), ds.x_train, ds.y_train)
    assert diagnostics.vanishing_gradients(relu.model, ds.x_val, ds.y_val, spec=spec).passed


def test_relu_units_pushed_far_negative_are_dead_in_a_real_model() -> None:
    ds = load_dataset("pima-like")
    spec_data = _deep("relu", 1)
    spec_data["optimizer"] = {"name": "sgd", "learning_rate": 1e-6}
    rng = np.random.default_rng(0)
    bias = np.zeros(16)
    bias[:12] = -100.0  # 12 of 16 units can never be positive on standardised data
    weights = [rng.normal(0, 0.1, (8, 16)), bias, rng.normal(0, 0.1, (16, 1)), np.zeros(1)]
    spec, result = _train_numpy(spec_data, ds.x_train, ds.y_train, initial_weights=weights)
    dead = diagnostics.dead_relu_fraction(result.model, spec, ds.x_val)
    assert dead.measured == pytest.approx(12 / 16)
    assert not dead.passed
