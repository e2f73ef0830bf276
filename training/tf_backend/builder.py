"""Build a ``keras.Sequential`` from a typed ``ModelSpec``.

Layers are constructed from the spec's dataclasses only; no student input ever reaches a Keras
deserializer (``model_from_json``, ``from_config``, ``load_model``).

Activations that Keras only offers with a different default or as a layer are built as a linear
layer followed by an activation layer, which adds no weights (except PReLU's alpha) and keeps
``get_weights()`` in the order a hand-written Keras model has:

- ``leaky_relu``: ``LeakyReLU(negative_slope=alpha)``, alpha default 0.01 (the handout's
  ``max(0.01x, x)``; Keras' string ``"leaky_relu"`` would use 0.2);
- ``prelu``: ``PReLU`` with its alpha initialised to the spec's alpha (default 0), one alpha per
  unit, so ``get_weights()`` is ``[kernel, bias, alpha]`` for that layer;
- ``elu``: ``ELU(alpha)``, alpha default 1.

Recurrent layers take leaky_relu/elu as a plain function of the cell; PReLU has no recurrent
equivalent and is rejected by ``check_supported``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from training.errors import UnsupportedByBackend
from training.spec import (
    ACTIVATIONS,
    DEFAULT_ALPHA,
    LAYER_TYPES,
    LOSSES,
    LSTM,
    METRICS,
    OPTIMIZERS,
    Activation,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    MaxPooling2D,
    ModelSpec,
    Optimizer,
    Regularizer,
    SimpleRNN,
)
from training.tf_backend._runtime import keras as _keras

REGULARIZERS: tuple[str, ...] = ("l1", "l2")
DTYPES: tuple[str, ...] = ("float32", "float64")

# Activations Keras accepts by name with the same meaning as the spec.
_NAMED = frozenset({"sigmoid", "tanh", "relu", "softmax", "linear"})


@dataclass
class BuiltModel:
    """A Keras model and where each weighted spec layer lives in it.

    ``outputs[i]`` is the Keras layer whose output is the i-th weighted spec layer's activated
    output (the activation layer when the activation is a separate layer); ``kernels[i]`` is
    that spec layer's kernel variable.
    """

    model: Any
    outputs: list[Any]
    kernels: list[Any]


def alpha_of(activation: Activation) -> float:
    """The activation's alpha, or its default (leaky_relu 0.01, elu 1.0, prelu 0.0)."""
    if activation.alpha is not None:
        return float(activation.alpha)
    return DEFAULT_ALPHA.get(activation.name, 0.0)


def check_supported(spec: ModelSpec) -> None:
    """Raise ``UnsupportedByBackend`` naming the first layer or setting this backend lacks."""
    for index, layer in enumerate(spec.layers):
        where = f"layers[{index}]"
        if layer.type not in LAYER_TYPES:
            raise UnsupportedByBackend(f"{where}: layer type {layer.type!r} is not supported")
        activation = getattr(layer, "activation", None)
        if isinstance(activation, Activation):
            if activation.name not in ACTIVATIONS:
                raise UnsupportedByBackend(
                    f"{where}.activation: {activation.name!r} is not supported"
                )
            if isinstance(layer, SimpleRNN | LSTM) and activation.name == "prelu":
                raise UnsupportedByBackend(
                    f"{where}.activation: prelu has learned weights and cannot be the "
                    f"activation inside a {layer.type} cell; use tanh, relu, leaky_relu or elu"
                )
    if spec.optimizer.name not in OPTIMIZERS:
        raise UnsupportedByBackend(f"optimizer.name: {spec.optimizer.name!r} is not supported")
    if spec.loss not in LOSSES:
        raise UnsupportedByBackend(f"loss: {spec.loss!r} is not supported")
    for index, metric in enumerate(spec.metrics):
        if metric not in METRICS:
            raise UnsupportedByBackend(f"metrics[{index}]: {metric!r} is not supported")


def _regularizer(reg: Regularizer | None) -> Any:
    if reg is None or (reg.l1 == 0.0 and reg.l2 == 0.0):
        return None
    return _keras().regularizers.L1L2(l1=float(reg.l1), l2=float(reg.l2))


def _activation_layer(activation: Activation, dtype: str) -> Any | None:
    """The separate activation layer for leaky_relu/prelu/elu, else None."""
    layers = _keras().layers
    alpha = alpha_of(activation)
    if activation.name == "leaky_relu":
        return layers.LeakyReLU(negative_slope=alpha, dtype=dtype)
    if activation.name == "prelu":
        return layers.PReLU(alpha_initializer=_keras().initializers.Constant(alpha), dtype=dtype)
    if activation.name == "elu":
        return layers.ELU(alpha=alpha, dtype=dtype)
    return None


def _inline_activation(activation: Activation) -> str:
    return activation.name if activation.name in _NAMED else "linear"


def _cell_activation(activation: Activation) -> Any:
    """An activation for a recurrent cell: a Keras name or a function with the spec's alpha."""
    act = _keras().activations
    if activation.name in _NAMED:
        return activation.name
    if activation.name == "leaky_relu":
        return functools.partial(act.leaky_relu, negative_slope=alpha_of(activation))
    if activation.name == "elu":
        return functools.partial(act.elu, alpha=alpha_of(activation))
    raise UnsupportedByBackend(f"activation {activation.name!r} cannot be used in a cell")


def build_model(spec: ModelSpec, *, dtype: str = "float32") -> BuiltModel:
    """A fresh, built ``keras.Sequential`` for ``spec``, initialised by Keras' own initialisers.

    Call ``keras.utils.set_random_seed(seed)`` first for reproducible initial weights (they
    then equal those of the same model written by hand in Keras).
    """
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {DTYPES}, got {dtype!r}")
    check_supported(spec)
    keras = _keras()
    layers = keras.layers
    stack: list[Any] = [keras.Input(shape=spec.input_shape, dtype=dtype)]
    weighted: list[tuple[Any, Any]] = []  # (layer with the kernel, layer with the output)
    for layer in spec.layers:
        if isinstance(layer, Dense | Conv2D):
            if isinstance(layer, Dense):
                core = layers.Dense(
                    layer.units,
                    activation=_inline_activation(layer.activation),
                    use_bias=layer.use_bias,
                    kernel_regularizer=_regularizer(layer.kernel_regularizer),
                    dtype=dtype,
                )
            else:
                core = layers.Conv2D(
                    layer.filters,
                    layer.kernel_size,
                    strides=layer.strides,
                    padding=layer.padding,
                    activation=_inline_activation(layer.activation),
                    use_bias=layer.use_bias,
                    kernel_regularizer=_regularizer(layer.kernel_regularizer),
                    dtype=dtype,
                )
            stack.append(core)
            extra = _activation_layer(layer.activation, dtype)
            if extra is not None:
                stack.append(extra)
            weighted.append((core, extra if extra is not None else core))
        elif isinstance(layer, SimpleRNN | LSTM):
            cls = layers.SimpleRNN if isinstance(layer, SimpleRNN) else layers.LSTM
            core = cls(
                layer.units,
                activation=_cell_activation(layer.activation),
                return_sequences=layer.return_sequences,
                dtype=dtype,
            )
            stack.append(core)
            weighted.append((core, core))
        elif isinstance(layer, Dropout):
            stack.append(layers.Dropout(layer.rate, dtype=dtype))
        elif isinstance(layer, MaxPooling2D):
            stack.append(
                layers.MaxPooling2D(pool_size=layer.pool_size, strides=layer.strides, dtype=dtype)
            )
        elif isinstance(layer, Flatten):
            stack.append(layers.Flatten(dtype=dtype))
        else:  # pragma: no cover - check_supported rejects every other type
            raise UnsupportedByBackend(f"layer type {layer.type!r} is not supported")
    model = keras.Sequential(stack)
    return BuiltModel(
        model=model,
        outputs=[out for _, out in weighted],
        kernels=[
            core.kernel if not hasattr(core, "cell") else core.cell.kernel for core, _ in weighted
        ],
    )


def make_optimizer(opt: Optimizer) -> Any:
    """The Keras optimizer with the spec's values; ``None`` fields keep Keras' defaults."""
    optimizers = _keras().optimizers
    given: dict[str, Any] = {
        "learning_rate": opt.learning_rate,
        "momentum": opt.momentum,
        "nesterov": opt.nesterov,
        "rho": opt.rho,
        "beta_1": opt.beta_1,
        "beta_2": opt.beta_2,
        "epsilon": opt.epsilon,
        "initial_accumulator_value": opt.initial_accumulator_value,
    }
    accepted: dict[str, tuple[Any, tuple[str, ...]]] = {
        "sgd": (optimizers.SGD, ("learning_rate", "momentum", "nesterov")),
        "adagrad": (
            optimizers.Adagrad,
            ("learning_rate", "initial_accumulator_value", "epsilon"),
        ),
        "rmsprop": (optimizers.RMSprop, ("learning_rate", "rho", "momentum", "epsilon")),
        "adam": (optimizers.Adam, ("learning_rate", "beta_1", "beta_2", "epsilon")),
        "adadelta": (optimizers.Adadelta, ("learning_rate", "rho", "epsilon")),
    }
    if opt.name not in accepted:
        raise UnsupportedByBackend(f"optimizer.name: {opt.name!r} is not supported")
    cls, names = accepted[opt.name]
    for name, value in given.items():
        if value is not None and name not in names:
            raise UnsupportedByBackend(f"optimizer.{name}: {opt.name} has no {name}")
    return cls(**{name: given[name] for name in names if given[name] is not None})


def make_loss(name: str, *, dtype: str = "float32") -> Any:
    """The Keras loss object (mean over the batch, as ``model.compile(loss=name)`` uses)."""
    losses = _keras().losses
    table: dict[str, Any] = {
        "binary_crossentropy": losses.BinaryCrossentropy,
        "categorical_crossentropy": losses.CategoricalCrossentropy,
        "sparse_categorical_crossentropy": losses.SparseCategoricalCrossentropy,
        "mse": losses.MeanSquaredError,
        "mae": losses.MeanAbsoluteError,
    }
    if name not in table:
        raise UnsupportedByBackend(f"loss: {name!r} is not supported")
    return table[name](dtype=dtype)


def capabilities() -> dict[str, list[str]]:
    """What this backend can build and train, by kind."""
    return {
        "layers": list(LAYER_TYPES),
        "activations": list(ACTIVATIONS),
        "optimizers": list(OPTIMIZERS),
        "losses": list(LOSSES),
        "metrics": list(METRICS),
        "regularizers": list(REGULARIZERS),
    }
