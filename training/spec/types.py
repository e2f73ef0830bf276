"""The architecture spec's typed form: the vocabulary it speaks and its dataclasses.

`ModelSpec` is the validated form of the JSON document described in docs/spec.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, TypeAlias

ACTIVATIONS: tuple[str, ...] = (
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "prelu",
    "elu",
    "softmax",
    "linear",
)
LOSSES: tuple[str, ...] = (
    "binary_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "mse",
    "mae",
)
METRICS: tuple[str, ...] = ("accuracy", "balanced_accuracy", "mse", "mae")
OPTIMIZERS: tuple[str, ...] = ("sgd", "adagrad", "rmsprop", "adam", "adadelta")

# Default alpha per activation: the handout's leaky ReLU slope, Keras' ELU alpha, and
# Keras' PReLU initial alpha (zeros).
DEFAULT_ALPHA: dict[str, float] = {"leaky_relu": 0.01, "elu": 1.0, "prelu": 0.0}


@dataclass(frozen=True)
class Activation:
    """An activation function; ``alpha`` is used by leaky_relu, elu and (initial) prelu."""

    name: str = "linear"
    alpha: float | None = None


@dataclass(frozen=True)
class Regularizer:
    """Keras ``l1_l2``: adds ``l1 * sum(|w|) + l2 * sum(w**2)`` of the kernel to the loss."""

    l1: float = 0.0
    l2: float = 0.0


@dataclass(frozen=True)
class Dense:
    units: int
    activation: Activation = field(default_factory=Activation)
    use_bias: bool = True
    kernel_regularizer: Regularizer | None = None
    type: Literal["dense"] = "dense"


@dataclass(frozen=True)
class Dropout:
    rate: float
    type: Literal["dropout"] = "dropout"


@dataclass(frozen=True)
class Conv2D:
    filters: int
    kernel_size: tuple[int, int]
    strides: tuple[int, int] = (1, 1)
    padding: Literal["valid", "same"] = "valid"
    activation: Activation = field(default_factory=Activation)
    use_bias: bool = True
    kernel_regularizer: Regularizer | None = None
    type: Literal["conv2d"] = "conv2d"


@dataclass(frozen=True)
class MaxPooling2D:
    pool_size: tuple[int, int] = (2, 2)
    strides: tuple[int, int] | None = None
    type: Literal["max_pooling2d"] = "max_pooling2d"


@dataclass(frozen=True)
class Flatten:
    type: Literal["flatten"] = "flatten"


@dataclass(frozen=True)
class SimpleRNN:
    units: int
    activation: Activation = field(default_factory=lambda: Activation("tanh"))
    return_sequences: bool = False
    type: Literal["simple_rnn"] = "simple_rnn"


@dataclass(frozen=True)
class LSTM:
    units: int
    activation: Activation = field(default_factory=lambda: Activation("tanh"))
    return_sequences: bool = False
    type: Literal["lstm"] = "lstm"


Layer: TypeAlias = Dense | Dropout | Conv2D | MaxPooling2D | Flatten | SimpleRNN | LSTM


@dataclass(frozen=True)
class Optimizer:
    """An optimizer and its hyperparameters; ``None`` means the Keras default for ``name``.

    Keras defaults: sgd lr 0.01, momentum 0, nesterov False; adagrad lr 0.001,
    initial_accumulator_value 0.1, epsilon 1e-7; rmsprop lr 0.001, rho 0.9, momentum 0,
    epsilon 1e-7; adam lr 0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7; adadelta lr 0.001,
    rho 0.95, epsilon 1e-7.
    """

    name: str = "adam"
    learning_rate: float | None = None
    momentum: float | None = None
    nesterov: bool | None = None
    rho: float | None = None
    beta_1: float | None = None
    beta_2: float | None = None
    epsilon: float | None = None
    initial_accumulator_value: float | None = None


@dataclass(frozen=True)
class EarlyStopping:
    """Keras ``EarlyStopping``: stop after ``patience`` epochs without improvement."""

    monitor: str = "val_loss"
    patience: int = 0
    min_delta: float = 0.0
    mode: Literal["auto", "min", "max"] = "auto"
    restore_best_weights: bool = False


ClassWeight: TypeAlias = Literal["balanced"] | dict[int, float] | None


@dataclass(frozen=True)
class ModelSpec:
    """A whole, validated spec.

    ``input_shape`` excludes the batch axis (``(8,)`` for ``input_dim=8``).
    ``batch_size`` is ``None`` for full-batch gradient descent (``"full"`` in JSON).
    """

    input_shape: tuple[int, ...]
    layers: tuple[Layer, ...]
    optimizer: Optimizer = field(default_factory=Optimizer)
    loss: str = "mse"
    metrics: tuple[str, ...] = ()
    epochs: int = 1
    batch_size: int | None = 32
    validation_split: float = 0.0
    early_stopping: EarlyStopping | None = None
    class_weight: ClassWeight = None
    shuffle: bool = True


LAYER_TYPES: tuple[str, ...] = (
    "dense",
    "dropout",
    "conv2d",
    "max_pooling2d",
    "flatten",
    "simple_rnn",
    "lstm",
)

RECURRENT_TYPES: tuple[str, ...] = ("simple_rnn", "lstm")

CLASSIFICATION_LOSSES: tuple[str, ...] = (
    "binary_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
)

# Keras' default hyperparameters per optimizer; the keys are the settings each one takes.
OPTIMIZER_DEFAULTS: dict[str, dict[str, float | bool]] = {
    "sgd": {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False},
    "adagrad": {"learning_rate": 0.001, "initial_accumulator_value": 0.1, "epsilon": 1e-7},
    "rmsprop": {"learning_rate": 0.001, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7},
    "adam": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
    "adadelta": {"learning_rate": 0.001, "rho": 0.95, "epsilon": 1e-7},
}
