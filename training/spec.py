"""The architecture spec: a network and its training setup in Keras vocabulary.

The dataclasses below are the validated, typed form of the JSON document described in
``docs/spec.md``. ``parse_spec`` turns untrusted JSON-like data into a ``ModelSpec`` (or raises
a ``SpecError`` naming the path); ``spec_to_dict`` turns it back into canonical JSON.
``layer_output_shapes`` and ``count_params`` infer shapes and parameter counts exactly as
Keras does; ``check_limits`` bounds the cost of training before anything runs.

Defaults follow Keras, except where the handout says otherwise: the handout defines Leaky
ReLU as ``max(0.01x, x)``, so ``leaky_relu`` defaults to ``alpha=0.01`` (Keras' string
default is 0.2).
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, NoReturn, TypeAlias, cast

from training.errors import LimitExceeded, SpecError

ActivationName = Literal[
    "sigmoid", "tanh", "relu", "leaky_relu", "prelu", "elu", "softmax", "linear"
]
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


# --------------------------------------------------------------------------------------------
# Vocabulary
# --------------------------------------------------------------------------------------------

LAYER_TYPES: tuple[str, ...] = (
    "dense",
    "dropout",
    "conv2d",
    "max_pooling2d",
    "flatten",
    "simple_rnn",
    "lstm",
)

# Keras class names written in lower case map onto the spec's layer types.
_LAYER_TYPE_ALIASES: dict[str, str] = {
    "simplernn": "simple_rnn",
    "maxpooling2d": "max_pooling2d",
    "maxpool2d": "max_pooling2d",
    "max_pool2d": "max_pooling2d",
}

# Keras' long names of the losses and metrics; the spec stores the short canonical name.
LOSS_ALIASES: dict[str, str] = {"mean_squared_error": "mse", "mean_absolute_error": "mae"}
METRIC_ALIASES: dict[str, str] = {
    "acc": "accuracy",
    "mean_squared_error": "mse",
    "mean_absolute_error": "mae",
}

CLASSIFICATION_LOSSES: tuple[str, ...] = (
    "binary_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
)
_ACCURACY_METRICS: tuple[str, ...] = ("accuracy", "balanced_accuracy")

# Keras' default hyperparameters per optimizer; the keys are the settings each one takes.
OPTIMIZER_DEFAULTS: dict[str, dict[str, float | bool]] = {
    "sgd": {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False},
    "adagrad": {"learning_rate": 0.001, "initial_accumulator_value": 0.1, "epsilon": 1e-7},
    "rmsprop": {"learning_rate": 0.001, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7},
    "adam": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
    "adadelta": {"learning_rate": 0.001, "rho": 0.95, "epsilon": 1e-7},
}

# Activations that take an ``alpha`` (the others must not be given one).
_ALPHA_ACTIVATIONS: tuple[str, ...] = ("leaky_relu", "elu", "prelu")

_INPUT_KEYS: tuple[str, ...] = ("input_dim", "input_shape")
_LAYER_FIELDS: dict[str, tuple[str, ...]] = {
    "dense": ("type", "units", "activation", "use_bias", "kernel_regularizer"),
    "dropout": ("type", "rate"),
    "conv2d": (
        "type",
        "filters",
        "kernel_size",
        "strides",
        "padding",
        "activation",
        "use_bias",
        "kernel_regularizer",
    ),
    "max_pooling2d": ("type", "pool_size", "strides"),
    "flatten": ("type",),
    "simple_rnn": ("type", "units", "activation", "return_sequences"),
    "lstm": ("type", "units", "activation", "return_sequences"),
}
_TOP_LEVEL_FIELDS: tuple[str, ...] = (
    "layers",
    "optimizer",
    "loss",
    "metrics",
    "epochs",
    "batch_size",
    "validation_split",
    "early_stopping",
    "class_weight",
    "shuffle",
)
_EARLY_STOPPING_FIELDS: tuple[str, ...] = (
    "monitor",
    "patience",
    "min_delta",
    "mode",
    "restore_best_weights",
)
# Well-known misspellings or old Keras names whose right name difflib would not guess.
_FIELD_HINTS: dict[str, str] = {
    "lr": "learning_rate",
    "neurons": "units",
    "nodes": "units",
    "kernel": "kernel_size",
    "dropout": "rate",
    "regularizer": "kernel_regularizer",
    "bias": "use_bias",
    "callbacks": "early_stopping",
}

# Whole numbers above this are rejected outright (the cost limits are far smaller); it keeps
# every later computation on ordinary floats.
_MAX_WHOLE_NUMBER = 1_000_000_000
_MAX_INPUT_AXES = 3

RECURRENT_TYPES: tuple[str, ...] = ("simple_rnn", "lstm")


# --------------------------------------------------------------------------------------------
# Small validators: each raises SpecError(path, reason) on bad input
# --------------------------------------------------------------------------------------------


def _fail(path: str, reason: str) -> NoReturn:
    raise SpecError(path, reason)


def _at(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _describe(value: object) -> str:
    """A short, safe rendering of a bad value for an error message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        text = repr(value)
        return text if len(text) <= 40 else text[:37] + "..."
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "a list"
    return f"a value of type {type(value).__name__}"


def _one_of(options: Sequence[str]) -> str:
    return ", ".join(options)


def _suggest(word: str, options: Sequence[str]) -> str:
    """``' (did you mean 'x'?)'`` for a near miss, else ``''``."""
    lowered = word.lower()
    hinted = _FIELD_HINTS.get(lowered)
    if hinted is not None and hinted in options:
        return f" (did you mean '{hinted}'?)"
    close = difflib.get_close_matches(lowered, list(options), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _object(value: object, path: str, what: str) -> dict[str, object]:
    if not isinstance(value, dict):
        _fail(path, f"{what} must be a JSON object, got {_describe(value)}")
    for key in value:
        if not isinstance(key, str):
            _fail(path, f"{what} has a key {_describe(key)}; keys must be strings")
    return cast(dict[str, object], value)


def _check_keys(obj: dict[str, object], path: str, allowed: Sequence[str], what: str) -> None:
    for key in obj:
        if key not in allowed:
            _fail(
                _at(path, key),
                f"unknown field '{key}' for {what}{_suggest(key, allowed)}; "
                f"allowed: {_one_of(allowed)}",
            )


def _whole(value: object, path: str, *, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(path, f"must be a whole number, got {_describe(value)}")
    if value < minimum:
        wanted = "a positive whole number" if minimum == 1 else f"at least {minimum}"
        _fail(path, f"must be {wanted}, got {value}")
    if value > _MAX_WHOLE_NUMBER:
        _fail(path, f"is far too large ({value}); it must be at most {_MAX_WHOLE_NUMBER}")
    return value


def _number(
    value: object,
    path: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> float:
    """A finite float in the given range (``*_open`` excludes that end)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _fail(path, f"must be a number, got {_describe(value)}")
    try:
        number = float(value)
    except OverflowError:
        _fail(path, "is far too large to be a number")
    if not math.isfinite(number):
        _fail(path, f"must be a finite number, got {number}")
    too_low = low is not None and (number <= low if low_open else number < low)
    too_high = high is not None and (number >= high if high_open else number > high)
    if too_low or too_high:
        _fail(path, f"must be {_range_text(low, high, low_open, high_open)}, got {number:g}")
    return number


def _range_text(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    if low is not None and high is not None:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        return f"in {left}{low:g}, {high:g}{right}"
    if low is not None:
        return f"{'greater than' if low_open else 'at least'} {low:g}"
    assert high is not None
    return f"{'less than' if high_open else 'at most'} {high:g}"


def _boolean(value: object, path: str) -> bool:
    if not isinstance(value, bool):
        _fail(path, f"must be true or false, got {_describe(value)}")
    return value


def _name(
    value: object,
    path: str,
    known: Sequence[str],
    what: str,
    aliases: dict[str, str] | None = None,
) -> str:
    """A name from ``known`` (case-insensitive, Keras aliases accepted)."""
    if not isinstance(value, str):
        _fail(path, f"must be the name of {what} (a string), got {_describe(value)}")
    name = value.strip().lower()
    if aliases:
        name = aliases.get(name, name)
    if name not in known:
        _fail(
            path,
            f"unknown {what} '{value}'{_suggest(name, known)}; known: {_one_of(known)}",
        )
    return name


def _pair(value: object, path: str) -> tuple[int, int]:
    """An int ``n`` (meaning ``(n, n)``) or a list of two positive ints."""
    if isinstance(value, (list, tuple)):
        if len(value) != 2:
            _fail(path, f"must be one whole number or a list of two, got {len(value)} items")
        return (_whole(value[0], f"{path}[0]"), _whole(value[1], f"{path}[1]"))
    n = _whole(value, path)
    return (n, n)


# --------------------------------------------------------------------------------------------
# parse_spec
# --------------------------------------------------------------------------------------------


def parse_spec(data: object, *, external_validation: bool = False) -> ModelSpec:
    """Validate untrusted JSON-like ``data`` and return the typed ``ModelSpec``.

    Every problem raises ``SpecError(path, reason)`` with a JSON path such as
    ``layers[2].units``. ``external_validation=True`` says validation data will be supplied
    separately (``FitData.x_val``), so ``val_*`` values exist even with
    ``validation_split`` 0.
    """
    root = _object(data, "", "the spec")
    _check_keys(root, "", _TOP_LEVEL_FIELDS, "the spec")

    if "layers" not in root:
        _fail("layers", "is missing: list the network's layers, the first (input) layer first")
    input_shape, layers = _parse_layers(root["layers"])

    if "loss" not in root:
        _fail(
            "loss",
            f"is missing: name the loss to minimise, one of {_one_of(LOSSES)}",
        )
    loss = _name(root["loss"], "loss", LOSSES, "loss", LOSS_ALIASES)
    metrics = _parse_metrics(root.get("metrics", []))
    optimizer = _parse_optimizer(root.get("optimizer", "adam"), "optimizer")
    epochs = _whole(root.get("epochs", 1), "epochs")
    batch_size = _parse_batch_size(root.get("batch_size", 32))
    validation_split = _number(
        root.get("validation_split", 0.0), "validation_split", low=0.0, high=1.0, high_open=True
    )
    shuffle = _boolean(root.get("shuffle", True), "shuffle")

    spec = ModelSpec(
        input_shape=input_shape,
        layers=layers,
        optimizer=optimizer,
        loss=loss,
        metrics=metrics,
        epochs=epochs,
        batch_size=batch_size,
        validation_split=validation_split,
        shuffle=shuffle,
    )
    # The network must be sound before its output layer is judged against the loss.
    _infer_shapes(spec.input_shape, spec.layers)
    _check_output_layer(spec)

    has_validation = external_validation or validation_split > 0
    early_stopping = None
    if root.get("early_stopping") is not None:
        early_stopping = _parse_early_stopping(
            root["early_stopping"], metrics=metrics, has_validation=has_validation
        )
    class_weight = None
    if root.get("class_weight") is not None:
        class_weight = _parse_class_weight(root["class_weight"], spec)
    return dataclasses.replace(spec, early_stopping=early_stopping, class_weight=class_weight)


def _parse_layers(value: object) -> tuple[tuple[int, ...], tuple[Layer, ...]]:
    if not isinstance(value, (list, tuple)):
        _fail("layers", f"must be a list of layer objects, got {_describe(value)}")
    if not value:
        _fail("layers", "is empty: a network needs at least one layer")
    input_shape: tuple[int, ...] | None = None
    layers: list[Layer] = []
    for index, raw in enumerate(value):
        path = f"layers[{index}]"
        obj = _object(raw, path, "a layer")
        if "type" not in obj:
            _fail(_at(path, "type"), f"is missing: one of {_one_of(LAYER_TYPES)}")
        layer_type = _name_layer_type(obj["type"], _at(path, "type"))
        present_inputs = [key for key in _INPUT_KEYS if key in obj]
        if index == 0:
            input_shape = _parse_input(obj, path, present_inputs)
        elif present_inputs:
            _fail(
                _at(path, present_inputs[0]),
                f"only the first layer takes {present_inputs[0]}; remove it here "
                "(the first layer already sets the input size)",
            )
        fields = _LAYER_FIELDS[layer_type]
        _check_keys(
            {k: v for k, v in obj.items() if k not in _INPUT_KEYS},
            path,
            fields,
            f"a {layer_type} layer",
        )
        layers.append(_parse_layer(layer_type, obj, path))
    assert input_shape is not None
    return input_shape, tuple(layers)


def _name_layer_type(value: object, path: str) -> str:
    if isinstance(value, str):
        lowered = value.strip().lower()
        value = _LAYER_TYPE_ALIASES.get(lowered, lowered)
    return _name(value, path, LAYER_TYPES, "layer type")


def _parse_input(obj: dict[str, object], path: str, present: list[str]) -> tuple[int, ...]:
    if not present:
        _fail(
            _at(path, "input_dim"),
            "is missing: put input_dim (the number of input features, i.e. columns) or "
            "input_shape on the first layer, e.g. "
            '{"type": "dense", "units": 16, "input_dim": 8}',
        )
    if len(present) == 2:
        _fail(_at(path, "input_shape"), "give input_dim or input_shape, not both")
    if present[0] == "input_dim":
        return (_whole(obj["input_dim"], _at(path, "input_dim")),)
    raw = obj["input_shape"]
    shape_path = _at(path, "input_shape")
    if isinstance(raw, int):
        return (_whole(raw, shape_path),)
    if not isinstance(raw, (list, tuple)):
        _fail(shape_path, f"must be a list of whole numbers such as [8], got {_describe(raw)}")
    if not 1 <= len(raw) <= _MAX_INPUT_AXES:
        _fail(
            shape_path,
            f"must have 1 to {_MAX_INPUT_AXES} axes (features; timesteps, features; or "
            f"height, width, channels), got {len(raw)}",
        )
    return tuple(_whole(n, f"{shape_path}[{i}]") for i, n in enumerate(raw))


def _parse_layer(layer_type: str, obj: dict[str, object], path: str) -> Layer:
    # An absent activation is the layer's Keras default; an explicit null is Keras'
    # activation=None, i.e. linear.
    activation_raw = obj.get("activation", "tanh" if layer_type in RECURRENT_TYPES else "linear")
    if layer_type == "dense":
        if "units" not in obj:
            _missing(path, "units", "the number of neurons, e.g. 16")
        return Dense(
            units=_whole(obj["units"], _at(path, "units")),
            activation=_parse_activation(activation_raw, path, layer_type),
            use_bias=_boolean(obj.get("use_bias", True), _at(path, "use_bias")),
            kernel_regularizer=_parse_regularizer(obj.get("kernel_regularizer"), path),
        )
    if layer_type == "dropout":
        if "rate" not in obj:
            _missing(path, "rate", "the fraction of inputs to drop, e.g. 0.2")
        return Dropout(
            rate=_number(obj["rate"], _at(path, "rate"), low=0.0, high=1.0, high_open=True)
        )
    if layer_type == "conv2d":
        if "filters" not in obj:
            _missing(path, "filters", "the number of filters, e.g. 32")
        if "kernel_size" not in obj:
            _missing(path, "kernel_size", "e.g. 3 or [3, 3]")
        padding = _name(obj.get("padding", "valid"), _at(path, "padding"), _PADDINGS, "padding")
        return Conv2D(
            filters=_whole(obj["filters"], _at(path, "filters")),
            kernel_size=_pair(obj["kernel_size"], _at(path, "kernel_size")),
            strides=_pair(obj.get("strides", 1), _at(path, "strides")),
            padding=cast(Literal["valid", "same"], padding),
            activation=_parse_activation(activation_raw, path, layer_type),
            use_bias=_boolean(obj.get("use_bias", True), _at(path, "use_bias")),
            kernel_regularizer=_parse_regularizer(obj.get("kernel_regularizer"), path),
        )
    if layer_type == "max_pooling2d":
        strides_raw = obj.get("strides")
        return MaxPooling2D(
            pool_size=_pair(obj.get("pool_size", 2), _at(path, "pool_size")),
            strides=None if strides_raw is None else _pair(strides_raw, _at(path, "strides")),
        )
    if layer_type == "flatten":
        return Flatten()
    # simple_rnn and lstm
    if "units" not in obj:
        _missing(path, "units", "the size of the recurrent state, e.g. 32")
    units = _whole(obj["units"], _at(path, "units"))
    activation = _parse_activation(activation_raw, path, layer_type)
    return_sequences = _boolean(obj.get("return_sequences", False), _at(path, "return_sequences"))
    if layer_type == "simple_rnn":
        return SimpleRNN(units=units, activation=activation, return_sequences=return_sequences)
    return LSTM(units=units, activation=activation, return_sequences=return_sequences)


_PADDINGS: tuple[str, ...] = ("valid", "same")


def _missing(path: str, key: str, example: str) -> NoReturn:
    _fail(_at(path, key), f"is missing: {example}")


def _parse_activation(value: object, layer_path: str, layer_type: str) -> Activation:
    path = _at(layer_path, "activation")
    if value is None:
        return Activation("linear")
    alpha: float | None = None
    if isinstance(value, dict):
        obj = _object(value, path, "an activation")
        _check_keys(obj, path, ("name", "alpha"), "an activation")
        if "name" not in obj:
            _fail(_at(path, "name"), f"is missing: one of {_one_of(ACTIVATIONS)}")
        name = _name(obj["name"], _at(path, "name"), ACTIVATIONS, "activation")
        if "alpha" in obj:
            alpha = _parse_alpha(name, obj["alpha"], _at(path, "alpha"))
    else:
        name = _name(value, path, ACTIVATIONS, "activation")
    if name == "prelu" and layer_type != "dense":
        _fail(path, "prelu (one learned slope per unit) is supported on dense layers only")
    if alpha is None:
        alpha = DEFAULT_ALPHA.get(name)
    return Activation(name, alpha)


def _parse_alpha(name: str, value: object, path: str) -> float:
    if name not in _ALPHA_ACTIVATIONS:
        _fail(path, f"{name} takes no alpha; only {_one_of(_ALPHA_ACTIVATIONS)} do")
    if name == "leaky_relu":
        return _number(value, path, low=0.0)
    if name == "elu":
        return _number(value, path, low=0.0, low_open=True)
    return _number(value, path)


def _parse_regularizer(value: object, layer_path: str) -> Regularizer | None:
    if value is None:
        return None
    path = _at(layer_path, "kernel_regularizer")
    obj = _object(value, path, 'a kernel_regularizer (such as {"l2": 0.001})')
    _check_keys(obj, path, ("l1", "l2"), "a kernel_regularizer")
    return Regularizer(
        l1=_number(obj.get("l1", 0.0), _at(path, "l1"), low=0.0),
        l2=_number(obj.get("l2", 0.0), _at(path, "l2"), low=0.0),
    )


def _parse_metrics(value: object) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)):
        _fail("metrics", f'must be a list such as ["accuracy"], got {_describe(value)}')
    metrics: list[str] = []
    for index, raw in enumerate(value):
        path = f"metrics[{index}]"
        metric = _name(raw, path, METRICS, "metric", METRIC_ALIASES)
        if metric in metrics:
            _fail(path, f"'{metric}' is listed twice")
        metrics.append(metric)
    return tuple(metrics)


def _parse_optimizer(value: object, path: str) -> Optimizer:
    if isinstance(value, str):
        name = _name(value, path, OPTIMIZERS, "optimizer")
        return _optimizer_with_defaults(name, {})
    obj = _object(value, path, 'the optimizer (a name such as "adam", or an object)')
    if "name" not in obj:
        _fail(_at(path, "name"), f"is missing: one of {_one_of(OPTIMIZERS)}")
    name = _name(obj["name"], _at(path, "name"), OPTIMIZERS, "optimizer")
    settings = tuple(OPTIMIZER_DEFAULTS[name])
    for key in obj:
        if key != "name" and key not in settings:
            _fail(
                _at(path, key),
                f"'{key}' is not a setting of {name}{_suggest(key, settings)}; "
                f"its settings: {_one_of(settings)}",
            )
    given: dict[str, float | bool] = {}
    for key, raw in obj.items():
        if key == "name":
            continue
        key_path = _at(path, key)
        if key == "nesterov":
            given[key] = _boolean(raw, key_path)
        elif key == "learning_rate":
            given[key] = _number(raw, key_path, low=0.0, low_open=True)
        elif key in ("momentum", "rho", "beta_1", "beta_2"):
            given[key] = _number(raw, key_path, low=0.0, high=1.0, high_open=True)
        elif key == "epsilon":
            given[key] = _number(raw, key_path, low=0.0, low_open=True)
        else:  # initial_accumulator_value
            given[key] = _number(raw, key_path, low=0.0)
    return _optimizer_with_defaults(name, given)


def _optimizer_with_defaults(name: str, given: dict[str, float | bool]) -> Optimizer:
    settings: dict[str, Any] = {**OPTIMIZER_DEFAULTS[name], **given}
    for key, setting in settings.items():
        if key != "nesterov":
            settings[key] = float(setting)
    return Optimizer(name=name, **settings)


def _parse_batch_size(value: object) -> int | None:
    if value == "full" and isinstance(value, str):
        return None
    if isinstance(value, str) or value is None:
        _fail(
            "batch_size",
            f'must be a positive whole number or "full" (full-batch gradient descent), '
            f"got {_describe(value)}",
        )
    return _whole(value, "batch_size")


def _parse_early_stopping(
    value: object, *, metrics: tuple[str, ...], has_validation: bool
) -> EarlyStopping:
    path = "early_stopping"
    obj = _object(value, path, "early_stopping")
    _check_keys(obj, path, _EARLY_STOPPING_FIELDS, "early_stopping")
    monitor = _parse_monitor(obj.get("monitor", "val_loss"), metrics, has_validation)
    mode = _name(obj.get("mode", "auto"), _at(path, "mode"), ("auto", "min", "max"), "mode")
    higher_is_better = monitor.removeprefix("val_") in _ACCURACY_METRICS
    if mode == "max" and not higher_is_better:
        _fail(
            _at(path, "mode"),
            f"'max' would treat a rising {monitor} as progress; use 'min' or 'auto'",
        )
    if mode == "min" and higher_is_better:
        _fail(
            _at(path, "mode"),
            f"'min' would treat a falling {monitor} as progress; use 'max' or 'auto'",
        )
    return EarlyStopping(
        monitor=monitor,
        patience=_whole(obj.get("patience", 0), _at(path, "patience"), minimum=0),
        min_delta=_number(obj.get("min_delta", 0.0), _at(path, "min_delta"), low=0.0),
        mode=cast(Literal["auto", "min", "max"], mode),
        restore_best_weights=_boolean(
            obj.get("restore_best_weights", False), _at(path, "restore_best_weights")
        ),
    )


def _parse_monitor(value: object, metrics: tuple[str, ...], has_validation: bool) -> str:
    path = "early_stopping.monitor"
    if not isinstance(value, str):
        _fail(
            path, f"must be the name of a logged value such as 'val_loss', got {_describe(value)}"
        )
    monitor = value.strip().lower()
    prefix = "val_" if monitor.startswith("val_") else ""
    base = METRIC_ALIASES.get(monitor.removeprefix(prefix), monitor.removeprefix(prefix))
    monitor = prefix + base
    logged = ("loss", *metrics)
    available = [*logged, *(f"val_{name}" for name in logged)] if has_validation else logged
    if base in logged and prefix and not has_validation:
        _fail(
            path,
            f"'{monitor}' will not exist: this spec has no validation data; set "
            f"validation_split (e.g. 0.2) or monitor '{base}'",
        )
    if monitor not in available:
        reason = f"'{value}' will not be in the training history"
        if base in METRICS and base not in metrics:
            reason += f" (add '{base}' to metrics to log it)"
        else:
            reason += _suggest(monitor, list(available))
        _fail(path, f"{reason}; available: {_one_of(list(available))}")
    return monitor


def _parse_class_weight(value: object, spec: ModelSpec) -> ClassWeight:
    path = "class_weight"
    if spec.loss not in CLASSIFICATION_LOSSES:
        _fail(path, f"class weights need a classification loss; {spec.loss} is a regression loss")
    if isinstance(value, str):
        if value != "balanced":
            _fail(
                path, f'must be "balanced" or an object of class → weight, got {_describe(value)}'
            )
        return "balanced"
    if not isinstance(value, dict):
        _fail(path, f'must be "balanced" or an object of class → weight, got {_describe(value)}')
    if not value:
        _fail(path, 'is empty: give a weight per class, e.g. {"0": 1.0, "1": 3.0}')
    n_classes = _n_classes(spec)
    weights: dict[int, float] = {}
    for key, raw in value.items():
        key_path = _at(path, str(key))
        if isinstance(key, str) and key.isascii() and key.isdigit() and len(key) <= 9:
            cls = int(key)
        elif isinstance(key, int) and not isinstance(key, bool) and key >= 0:
            cls = key
        else:
            _fail(key_path, f"class labels must be whole numbers from 0, got {_describe(key)}")
        if cls >= n_classes:
            _fail(
                key_path,
                f"class {cls} does not exist: the output has {n_classes} classes "
                f"(0 to {n_classes - 1})",
            )
        if cls in weights:
            _fail(key_path, f"class {cls} is given twice")
        weights[cls] = _number(raw, key_path, low=0.0, low_open=True)
    return dict(sorted(weights.items()))


def _n_classes(spec: ModelSpec) -> int:
    if spec.loss == "binary_crossentropy":
        return 2
    return _output_units(spec.layers[-1])


def _output_units(layer: Layer) -> int:
    assert isinstance(layer, (Dense, SimpleRNN, LSTM))
    return layer.units


# --------------------------------------------------------------------------------------------
# Shapes, output layer, parameters
# --------------------------------------------------------------------------------------------


def _shape_text(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(n) for n in shape) + (",)" if len(shape) == 1 else ")")


def _conv_length(size: int, kernel: int, stride: int, padding: str) -> int:
    if padding == "same":
        return -(-size // stride)
    return (size - kernel) // stride + 1 if size >= kernel else 0


def _infer_shapes(input_shape: tuple[int, ...], layers: Sequence[Layer]) -> list[tuple[int, ...]]:
    """Each layer's output shape (no batch axis); SpecError names the first misfit."""
    shapes: list[tuple[int, ...]] = []
    shape = input_shape
    source = "the input"  # what produced ``shape``, for messages
    producer: int | None = None  # index of the last layer that changed the shape
    for index, layer in enumerate(layers):
        path = f"layers[{index}]"
        if isinstance(layer, Dense):
            if len(shape) != 1:
                _fail(path, _flat_input_reason(layers, producer, shape, source))
            shape = (layer.units,)
        elif isinstance(layer, (Conv2D, MaxPooling2D)):
            kind = layer.type
            if len(shape) != 3:
                _fail(
                    path,
                    f"{kind} needs input of shape (height, width, channels) but gets "
                    f"{_shape_text(shape)} from {source}"
                    + (
                        "; give input_shape as [height, width, channels], e.g. [28, 28, 1]"
                        if producer is None
                        else ""
                    ),
                )
            if isinstance(layer, Conv2D):
                window, strides, padding = layer.kernel_size, layer.strides, layer.padding
                channels = layer.filters
                what = "kernel_size"
            else:
                window = layer.pool_size
                strides = layer.strides if layer.strides is not None else layer.pool_size
                padding, channels, what = "valid", shape[2], "pool_size"
            height = _conv_length(shape[0], window[0], strides[0], padding)
            width = _conv_length(shape[1], window[1], strides[1], padding)
            if height < 1 or width < 1:
                _fail(
                    _at(path, what),
                    f"the window {window[0]}x{window[1]} is larger than its input "
                    f"{shape[0]}x{shape[1]} from {source}; use a smaller {what}"
                    + (" or padding 'same'" if isinstance(layer, Conv2D) else ""),
                )
            shape = (height, width, channels)
        elif isinstance(layer, Flatten):
            shape = (math.prod(shape),)
        elif isinstance(layer, (SimpleRNN, LSTM)):
            if len(shape) != 2:
                if producer is not None and isinstance(layers[producer], (SimpleRNN, LSTM)):
                    _fail(
                        f"layers[{producer}].return_sequences",
                        f"must be true: layers[{index}] ({layer.type}) needs a sequence, but "
                        f"layers[{producer}] returns only its last output",
                    )
                _fail(
                    path,
                    f"{layer.type} needs input of shape (timesteps, features) but gets "
                    f"{_shape_text(shape)} from {source}"
                    + (
                        "; give input_shape as [timesteps, features] on the first layer"
                        if producer is None
                        else ""
                    ),
                )
            shape = (shape[0], layer.units) if layer.return_sequences else (layer.units,)
        # Dropout keeps the shape.
        if not isinstance(layer, Dropout):
            producer = index
            source = f"layers[{index}] ({layer.type})"
        shapes.append(shape)
    return shapes


def _flat_input_reason(
    layers: Sequence[Layer], producer: int | None, shape: tuple[int, ...], source: str
) -> str:
    prefix = f"a dense layer needs a flat input but gets shape {_shape_text(shape)} from {source}"
    if producer is not None and isinstance(layers[producer], (SimpleRNN, LSTM)):
        return (
            f"{prefix}: set return_sequences to false on layers[{producer}], "
            'or add {"type": "flatten"} before this layer'
        )
    return f'{prefix}: add {{"type": "flatten"}} before this layer'


def _check_output_layer(spec: ModelSpec) -> None:
    last_index = len(spec.layers) - 1
    last = spec.layers[-1]
    last_path = f"layers[{last_index}]"
    for index, layer in enumerate(spec.layers):
        if (
            isinstance(layer, (Dense, SimpleRNN, LSTM, Conv2D))
            and layer.activation.name == "softmax"
        ):
            size = layer.filters if isinstance(layer, Conv2D) else layer.units
            if size == 1:
                _fail(
                    f"layers[{index}].activation",
                    "softmax over a single unit always outputs 1.0, so nothing can be learned; "
                    "use sigmoid for one output unit, or softmax with one unit per class (≥ 2)",
                )
    if not isinstance(last, (Dense, SimpleRNN, LSTM)):
        _fail(
            last_path,
            f"the last layer must produce the output, but it is a {last.type} layer; "
            "end with a dense layer (e.g. 1 unit with sigmoid for binary classification)",
        )
    if isinstance(last, (SimpleRNN, LSTM)) and last.return_sequences:
        _fail(
            f"{last_path}.return_sequences",
            "must be false on the output layer: a whole sequence cannot be compared with "
            "the targets",
        )
    activation, units = last.activation.name, last.units
    described = f"{last_path} has {units} unit{'s' if units != 1 else ''} with {activation}"
    if spec.loss == "binary_crossentropy" and (units != 1 or activation != "sigmoid"):
        advice = (
            "; for several classes use softmax with categorical_crossentropy" if units > 1 else ""
        )
        _fail(
            "loss",
            "binary_crossentropy needs an output layer of 1 unit with sigmoid activation, "
            f"but {described}{advice}",
        )
    if spec.loss in ("categorical_crossentropy", "sparse_categorical_crossentropy") and (
        units < 2 or activation != "softmax"
    ):
        advice = (
            "; for two classes with one output unit use sigmoid with binary_crossentropy"
            if units == 1
            else ""
        )
        _fail(
            "loss",
            f"{spec.loss} needs a softmax output layer with one unit per class (≥ 2), "
            f"but {described}{advice}",
        )
    for index, metric in enumerate(spec.metrics):
        if metric in _ACCURACY_METRICS and activation not in ("sigmoid", "softmax"):
            _fail(
                f"metrics[{index}]",
                f"{metric} needs a classification output (sigmoid or softmax), but {described}; "
                "for regression use mse or mae",
            )


def layer_output_shapes(spec: ModelSpec) -> list[tuple[int, ...]]:
    """Each layer's output shape without the batch axis, as Keras' ``model.summary()``."""
    return _infer_shapes(spec.input_shape, spec.layers)


def layer_input_shapes(spec: ModelSpec) -> list[tuple[int, ...]]:
    """Each layer's input shape without the batch axis."""
    outputs = layer_output_shapes(spec)
    return [spec.input_shape, *outputs[:-1]]


def _layer_params(layer: Layer, in_shape: tuple[int, ...]) -> int:
    if isinstance(layer, Dense):
        params = in_shape[0] * layer.units + (layer.units if layer.use_bias else 0)
        # Keras PReLU after a Dense (shared_axes=None): one learned alpha per unit.
        return params + (layer.units if layer.activation.name == "prelu" else 0)
    if isinstance(layer, Conv2D):
        kh, kw = layer.kernel_size
        return kh * kw * in_shape[2] * layer.filters + (layer.filters if layer.use_bias else 0)
    if isinstance(layer, SimpleRNN):
        return layer.units * (in_shape[-1] + layer.units + 1)
    if isinstance(layer, LSTM):
        return 4 * layer.units * (in_shape[-1] + layer.units + 1)
    return 0


def layer_param_counts(spec: ModelSpec) -> list[int]:
    """Trainable parameters per layer, counted as Keras counts them."""
    return [
        _layer_params(layer, shape)
        for layer, shape in zip(spec.layers, layer_input_shapes(spec), strict=True)
    ]


def count_params(spec: ModelSpec) -> int:
    """Total trainable parameters, as Keras' ``model.count_params()``.

    Dense ``in·units + units``; Conv2D ``kh·kw·c_in·filters + filters``; SimpleRNN
    ``units·(in + units + 1)``; LSTM ``4·units·(in + units + 1)``; a prelu activation adds
    one alpha per unit.
    """
    return sum(layer_param_counts(spec))


# --------------------------------------------------------------------------------------------
# Cost limits
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """Hard bounds on what one training run may cost, checked before anything trains.

    The defaults admit every course scenario with a wide margin (the handout's 8-16-8-1
    network has 289 parameters and needs about 5e7 FLOPs for 50 epochs on 768 rows; a small
    CNN on 1,000 28x28 images for 20 epochs about 3e10) while bounding one run (all its
    seeds together) to seconds on one CPU core: ``max_training_flops`` 2e11 is roughly 20 s
    at 10 GFLOP/s.
    """

    max_layers: int = 20
    max_units_per_layer: int = 1024  # units of dense/recurrent layers, filters of conv2d
    max_params: int = 1_000_000
    max_epochs: int = 500
    max_training_flops: float = 2e11


DEFAULT_LIMITS = Limits()


def _forward_macs(spec: ModelSpec) -> int:
    """Multiply-adds of one sample's forward pass (pooling counts its comparisons)."""
    total = 0
    for layer, in_shape, out_shape in zip(
        spec.layers, layer_input_shapes(spec), layer_output_shapes(spec), strict=True
    ):
        if isinstance(layer, Dense):
            total += in_shape[0] * layer.units
        elif isinstance(layer, Conv2D):
            kh, kw = layer.kernel_size
            total += out_shape[0] * out_shape[1] * layer.filters * kh * kw * in_shape[2]
        elif isinstance(layer, MaxPooling2D):
            ph, pw = layer.pool_size
            total += math.prod(out_shape) * ph * pw
        elif isinstance(layer, SimpleRNN):
            timesteps, features = in_shape
            total += timesteps * layer.units * (features + layer.units)
        elif isinstance(layer, LSTM):
            timesteps, features = in_shape
            total += timesteps * 4 * layer.units * (features + layer.units)
    return total


def _split_rows(
    spec: ModelSpec, n_train_samples: int, n_val_samples: int | None
) -> tuple[int, int]:
    """Rows trained on and rows validated on per epoch, as Keras' ``validation_split``."""
    for name, value in (("n_train_samples", n_train_samples), ("n_val_samples", n_val_samples)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int) or value < 0
        ):
            raise ValueError(f"{name} must be a whole number ≥ 0, got {value!r}")
    if n_val_samples is not None:
        return n_train_samples, n_val_samples
    fit_rows = int(n_train_samples * (1.0 - spec.validation_split))
    return fit_rows, n_train_samples - fit_rows


def _check_seed_count(n_seeds: int) -> None:
    if isinstance(n_seeds, bool) or not isinstance(n_seeds, int) or n_seeds < 1:
        raise ValueError(f"n_seeds must be a whole number ≥ 1, got {n_seeds!r}")


def estimate_training_flops(
    spec: ModelSpec, n_train_samples: int, *, n_val_samples: int | None = None, n_seeds: int = 1
) -> float:
    """Floating-point operations of training ``n_seeds`` models for ``spec.epochs`` epochs.

    ``flops = seeds · epochs · (3 · F · n_fit + F · n_val)`` with ``F = 2 ·`` (multiply-adds of
    one sample's forward pass): the backward pass costs about twice the forward one, and the
    validation rows are only evaluated; every seed trains its own model on all the rows.
    ``n_train_samples`` is the number of rows handed to training; without ``n_val_samples``
    the last ``validation_split`` fraction of them is held out, as Keras does; with it,
    ``validation_split`` is not applied.
    """
    _check_seed_count(n_seeds)
    fit_rows, val_rows = _split_rows(spec, n_train_samples, n_val_samples)
    forward = 2.0 * float(_forward_macs(spec))
    return float(n_seeds) * float(spec.epochs) * (3.0 * forward * fit_rows + forward * val_rows)


def check_limits(
    spec: ModelSpec,
    *,
    n_train_samples: int,
    n_val_samples: int | None = None,
    n_seeds: int = 1,
    limits: Limits = DEFAULT_LIMITS,
) -> None:
    """Raise ``LimitExceeded(path, reason)`` if training ``spec`` would cost too much.

    The reason states the limit and the measured value. ``n_train_samples``,
    ``n_val_samples`` and ``n_seeds`` mean what they mean in ``estimate_training_flops``:
    the FLOPs limit bounds one whole run, all its seeds together.
    """
    _check_seed_count(n_seeds)
    if len(spec.layers) > limits.max_layers:
        raise LimitExceeded(
            "layers",
            f"the network has {len(spec.layers)} layers; the limit is {limits.max_layers}",
        )
    for index, layer in enumerate(spec.layers):
        if isinstance(layer, (Dense, SimpleRNN, LSTM)):
            size, key = layer.units, "units"
        elif isinstance(layer, Conv2D):
            size, key = layer.filters, "filters"
        else:
            continue
        if size > limits.max_units_per_layer:
            raise LimitExceeded(
                f"layers[{index}].{key}",
                f"{size} {key} in one layer; the limit is {limits.max_units_per_layer}",
            )
    params = count_params(spec)
    if params > limits.max_params:
        raise LimitExceeded(
            "layers",
            f"the network has {params:,} parameters; the limit is {limits.max_params:,}",
        )
    if spec.epochs > limits.max_epochs:
        raise LimitExceeded("epochs", f"{spec.epochs} epochs; the limit is {limits.max_epochs}")
    flops = estimate_training_flops(
        spec, n_train_samples, n_val_samples=n_val_samples, n_seeds=n_seeds
    )
    if flops > limits.max_training_flops:
        seeds = f", {n_seeds} seeds" if n_seeds > 1 else ""
        raise LimitExceeded(
            "",
            f"training would take about {flops:.2g} floating-point operations "
            f"({spec.epochs} epochs on {n_train_samples} rows{seeds}); the limit is "
            f"{limits.max_training_flops:.2g}: use fewer "
            f"{'seeds, ' if n_seeds > 1 else ''}epochs or smaller layers",
        )


# --------------------------------------------------------------------------------------------
# spec_to_dict
# --------------------------------------------------------------------------------------------


def _activation_to_json(activation: Activation) -> str | dict[str, Any]:
    if activation.alpha is None:
        return activation.name
    return {"name": activation.name, "alpha": activation.alpha}


def _regularizer_to_json(regularizer: Regularizer | None) -> dict[str, float] | None:
    if regularizer is None:
        return None
    return {"l1": regularizer.l1, "l2": regularizer.l2}


def _layer_to_json(layer: Layer) -> dict[str, Any]:
    if isinstance(layer, Dense):
        return {
            "type": "dense",
            "units": layer.units,
            "activation": _activation_to_json(layer.activation),
            "use_bias": layer.use_bias,
            "kernel_regularizer": _regularizer_to_json(layer.kernel_regularizer),
        }
    if isinstance(layer, Dropout):
        return {"type": "dropout", "rate": layer.rate}
    if isinstance(layer, Conv2D):
        return {
            "type": "conv2d",
            "filters": layer.filters,
            "kernel_size": list(layer.kernel_size),
            "strides": list(layer.strides),
            "padding": layer.padding,
            "activation": _activation_to_json(layer.activation),
            "use_bias": layer.use_bias,
            "kernel_regularizer": _regularizer_to_json(layer.kernel_regularizer),
        }
    if isinstance(layer, MaxPooling2D):
        return {
            "type": "max_pooling2d",
            "pool_size": list(layer.pool_size),
            "strides": None if layer.strides is None else list(layer.strides),
        }
    if isinstance(layer, Flatten):
        return {"type": "flatten"}
    return {
        "type": layer.type,
        "units": layer.units,
        "activation": _activation_to_json(layer.activation),
        "return_sequences": layer.return_sequences,
    }


def spec_to_dict(spec: ModelSpec) -> dict[str, Any]:
    """The canonical JSON form of ``spec``; ``parse_spec`` of it gives ``spec`` back.

    Every field is written out, Keras defaults included; the input size sits on the first
    layer (``input_dim`` for flat input, ``input_shape`` otherwise).
    """
    layers = [_layer_to_json(layer) for layer in spec.layers]
    first = layers[0]
    if len(spec.input_shape) == 1:
        input_entry: dict[str, Any] = {"input_dim": spec.input_shape[0]}
    else:
        input_entry = {"input_shape": list(spec.input_shape)}
    layers[0] = {"type": first.pop("type"), **input_entry, **first}
    optimizer = {
        key: value for key, value in dataclasses.asdict(spec.optimizer).items() if value is not None
    }
    class_weight: str | dict[str, float] | None
    if isinstance(spec.class_weight, dict):
        class_weight = {str(cls): weight for cls, weight in sorted(spec.class_weight.items())}
    else:
        class_weight = spec.class_weight
    return {
        "layers": layers,
        "optimizer": optimizer,
        "loss": spec.loss,
        "metrics": list(spec.metrics),
        "epochs": spec.epochs,
        "batch_size": "full" if spec.batch_size is None else spec.batch_size,
        "validation_split": spec.validation_split,
        "early_stopping": None
        if spec.early_stopping is None
        else dataclasses.asdict(spec.early_stopping),
        "class_weight": class_weight,
        "shuffle": spec.shuffle,
    }
