"""The reference: a spec written by hand as plain tf.keras and trained with ``model.fit``.

Deliberately independent of ``training.tf_backend``: layers are written the way the handout
writes them (``Dense(units, activation=...)``; conv2d, max_pooling2d, flatten, simple_rnn and
lstm as the Keras guides write them), with the handout's leaky ReLU slope as an explicit
``LeakyReLU(negative_slope=0.01)`` layer and PReLU as ``keras.layers.PReLU()``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from training.spec import (
    LSTM,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    MaxPooling2D,
    ModelSpec,
    Optimizer,
    SimpleRNN,
)


def keras_module() -> Any:
    from training.tf_backend._runtime import keras

    return keras()


_PLAIN = ("sigmoid", "tanh", "relu", "softmax", "linear")


def reference_model(spec: ModelSpec, *, dtype: str = "float32") -> Any:
    """``keras.Sequential`` as a student would write it.

    Every layer type is covered; conv2d and recurrent layers take the activations Keras
    accepts by name (sigmoid, tanh, relu, softmax, linear).
    """
    keras = keras_module()
    layers: list[Any] = [keras.Input(shape=spec.input_shape, dtype=dtype)]
    for layer in spec.layers:
        if isinstance(layer, Dropout):
            layers.append(keras.layers.Dropout(layer.rate, dtype=dtype))
            continue
        if isinstance(layer, Conv2D):
            assert layer.activation.name in _PLAIN, layer.activation
            reg = layer.kernel_regularizer
            layers.append(
                keras.layers.Conv2D(
                    layer.filters,
                    layer.kernel_size,
                    strides=layer.strides,
                    padding=layer.padding,
                    activation=layer.activation.name,
                    use_bias=layer.use_bias,
                    kernel_regularizer=(
                        keras.regularizers.L1L2(l1=reg.l1, l2=reg.l2) if reg is not None else None
                    ),
                    dtype=dtype,
                )
            )
            continue
        if isinstance(layer, MaxPooling2D):
            layers.append(
                keras.layers.MaxPooling2D(layer.pool_size, strides=layer.strides, dtype=dtype)
            )
            continue
        if isinstance(layer, Flatten):
            layers.append(keras.layers.Flatten(dtype=dtype))
            continue
        if isinstance(layer, SimpleRNN | LSTM):
            assert layer.activation.name in _PLAIN, layer.activation
            cell = keras.layers.SimpleRNN if isinstance(layer, SimpleRNN) else keras.layers.LSTM
            layers.append(
                cell(
                    layer.units,
                    activation=layer.activation.name,
                    return_sequences=layer.return_sequences,
                    dtype=dtype,
                )
            )
            continue
        assert isinstance(layer, Dense), f"no reference for layer type {layer.type}"
        reg = layer.kernel_regularizer
        regularizer = keras.regularizers.L1L2(l1=reg.l1, l2=reg.l2) if reg is not None else None
        name = layer.activation.name
        alpha = layer.activation.alpha
        inline = name if name in ("sigmoid", "tanh", "relu", "softmax", "linear") else "linear"
        if name == "elu" and alpha in (None, 1.0):
            inline = "elu"
        layers.append(
            keras.layers.Dense(
                layer.units,
                activation=inline,
                use_bias=layer.use_bias,
                kernel_regularizer=regularizer,
                dtype=dtype,
            )
        )
        if name == "leaky_relu":
            slope = 0.01 if alpha is None else alpha
            layers.append(keras.layers.LeakyReLU(negative_slope=slope, dtype=dtype))
        elif name == "prelu":
            layers.append(keras.layers.PReLU(dtype=dtype))
        elif name == "elu" and alpha not in (None, 1.0):
            layers.append(keras.layers.ELU(alpha=alpha, dtype=dtype))
    return keras.Sequential(layers)


def reference_optimizer(opt: Optimizer) -> Any:
    keras = keras_module()
    values = {
        key: value
        for key, value in {
            "learning_rate": opt.learning_rate,
            "momentum": opt.momentum,
            "nesterov": opt.nesterov,
            "rho": opt.rho,
            "beta_1": opt.beta_1,
            "beta_2": opt.beta_2,
            "epsilon": opt.epsilon,
            "initial_accumulator_value": opt.initial_accumulator_value,
        }.items()
        if value is not None
    }
    classes = {
        "sgd": keras.optimizers.SGD,
        "adagrad": keras.optimizers.Adagrad,
        "rmsprop": keras.optimizers.RMSprop,
        "adam": keras.optimizers.Adam,
        "adadelta": keras.optimizers.Adadelta,
    }
    return classes[opt.name](**values)


def reference_fit(
    spec: ModelSpec,
    x: np.ndarray,
    y: np.ndarray,
    *,
    initial_weights: list[np.ndarray],
    dtype: str = "float32",
    x_val: np.ndarray | None = None,
    y_val: np.ndarray | None = None,
    class_weight: dict[int, float] | None = None,
) -> dict[str, list[float]]:
    """``model.fit(..., shuffle=False)`` from ``initial_weights``; returns the history."""
    model = reference_model(spec, dtype=dtype)
    model.set_weights(initial_weights)
    model.compile(
        optimizer=reference_optimizer(spec.optimizer),
        loss=spec.loss,
        metrics=[m for m in spec.metrics if m != "balanced_accuracy"],
    )
    kwargs: dict[str, Any] = {}
    if x_val is not None:
        kwargs["validation_data"] = (x_val, y_val)
    elif spec.validation_split:
        kwargs["validation_split"] = spec.validation_split
    history = model.fit(
        x,
        y,
        epochs=spec.epochs,
        batch_size=spec.batch_size if spec.batch_size is not None else len(x),
        shuffle=False,
        verbose=0,
        class_weight=class_weight,
        **kwargs,
    ).history
    return {key: [float(v) for v in values] for key, values in history.items()}


def seeded_weights(spec: ModelSpec, seed: int, *, dtype: str = "float32") -> list[np.ndarray]:
    """Keras' own initial weights for ``spec`` under ``keras.utils.set_random_seed(seed)``."""
    keras = keras_module()
    keras.utils.set_random_seed(seed)
    weights = reference_model(spec, dtype=dtype).get_weights()
    return [np.array(w) for w in weights]
