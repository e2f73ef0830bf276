"""The reference: a spec written by hand as plain tf.keras and trained with ``model.fit``.

Deliberately independent of ``training.tf_backend``: layers are written the way the handout
writes them (``Dense(units, activation=...)``), with the handout's leaky ReLU slope as an
explicit ``LeakyReLU(negative_slope=0.01)`` layer and PReLU as ``keras.layers.PReLU()``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from training.spec import Dense, Dropout, ModelSpec, Optimizer


def keras_module() -> Any:
    from training.tf_backend._runtime import keras

    return keras()


def reference_model(spec: ModelSpec, *, dtype: str = "float32") -> Any:
    """Dense/dropout networks only: ``keras.Sequential`` as a student would write it."""
    keras = keras_module()
    layers: list[Any] = [keras.Input(shape=spec.input_shape, dtype=dtype)]
    for layer in spec.layers:
        if isinstance(layer, Dropout):
            layers.append(keras.layers.Dropout(layer.rate, dtype=dtype))
            continue
        assert isinstance(layer, Dense), f"reference covers dense networks, not {layer.type}"
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
