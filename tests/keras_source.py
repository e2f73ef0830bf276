"""A spec written back as the Keras snippet a student would paste (for tests).

``keras_source(spec)`` covers what the catalog's solutions use: Dense, Dropout, Conv2D,
MaxPooling2D, Flatten, SimpleRNN and LSTM layers with named activations, L1/L2 regularizers,
every optimizer setting, metrics, class weights, shuffle, validation_split and
EarlyStopping. An activation with a slope (leaky_relu, elu, prelu) or full-batch training
raises ``ValueError``.
The tests check that ``parse_keras_snippet`` of the result gives ``spec`` back.
"""

from __future__ import annotations

import dataclasses

from training.spec import (
    LSTM,
    OPTIMIZER_DEFAULTS,
    Activation,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    Layer,
    MaxPooling2D,
    ModelSpec,
    Regularizer,
    SimpleRNN,
)

_OPTIMIZER_CLASSES = {
    "sgd": "SGD",
    "adam": "Adam",
    "rmsprop": "RMSprop",
    "adagrad": "Adagrad",
    "adadelta": "Adadelta",
}


def _activation(activation: Activation) -> str:
    if activation.name in ("leaky_relu", "elu", "prelu"):
        raise ValueError(f"keras_source does not write {activation.name} activations")
    return repr(activation.name)


def _regularizer(regularizer: Regularizer | None) -> str:
    if regularizer is None:
        return ""
    return f", kernel_regularizer=regularizers.l1_l2(l1={regularizer.l1!r}, l2={regularizer.l2!r})"


def _input(spec: ModelSpec, index: int) -> str:
    if index != 0:
        return ""
    if len(spec.input_shape) == 1:
        return f", input_dim={spec.input_shape[0]}"
    return f", input_shape={tuple(spec.input_shape)!r}"


def _layer(spec: ModelSpec, index: int, layer: Layer) -> str:
    where = _input(spec, index)
    if isinstance(layer, Dense):
        return (
            f"Dense({layer.units}, activation={_activation(layer.activation)}, "
            f"use_bias={layer.use_bias}{_regularizer(layer.kernel_regularizer)}{where})"
        )
    if isinstance(layer, Dropout):
        return f"Dropout({layer.rate!r}{where})"
    if isinstance(layer, Conv2D):
        return (
            f"Conv2D({layer.filters}, {tuple(layer.kernel_size)!r}, "
            f"strides={tuple(layer.strides)!r}, padding={layer.padding!r}, "
            f"activation={_activation(layer.activation)}, use_bias={layer.use_bias}"
            f"{_regularizer(layer.kernel_regularizer)}{where})"
        )
    if isinstance(layer, MaxPooling2D):
        strides = "None" if layer.strides is None else repr(tuple(layer.strides))
        return f"MaxPooling2D({tuple(layer.pool_size)!r}, strides={strides}{where})"
    if isinstance(layer, Flatten):
        return f"Flatten({where.removeprefix(', ')})"
    assert isinstance(layer, SimpleRNN | LSTM)
    name = "SimpleRNN" if isinstance(layer, SimpleRNN) else "LSTM"
    return (
        f"{name}({layer.units}, activation={_activation(layer.activation)}, "
        f"return_sequences={layer.return_sequences}{where})"
    )


def _optimizer(spec: ModelSpec) -> str:
    settings = dataclasses.asdict(spec.optimizer)
    name = settings.pop("name")
    known = OPTIMIZER_DEFAULTS[name]
    arguments = ", ".join(
        f"{key}={value!r}" for key, value in settings.items() if key in known and value is not None
    )
    return f"{_OPTIMIZER_CLASSES[name]}({arguments})"


def keras_source(spec: ModelSpec) -> str:
    """The snippet that ``parse_keras_snippet`` reads back as ``spec``."""
    if spec.batch_size is None:
        raise ValueError("keras_source does not write full-batch training")
    layers = ",\n    ".join(_layer(spec, i, layer) for i, layer in enumerate(spec.layers))
    fit = [
        f"epochs={spec.epochs}",
        f"batch_size={spec.batch_size}",
        f"validation_split={spec.validation_split!r}",
        f"shuffle={spec.shuffle}",
    ]
    if spec.class_weight is not None:
        fit.append(f"class_weight={spec.class_weight!r}")
    if spec.early_stopping is not None:
        stop = spec.early_stopping
        fit.append(
            f"callbacks=[EarlyStopping(monitor={stop.monitor!r}, patience={stop.patience}, "
            f"min_delta={stop.min_delta!r}, mode={stop.mode!r}, "
            f"restore_best_weights={stop.restore_best_weights})]"
        )
    return (
        "from tensorflow.keras.models import Sequential\n"
        "from tensorflow.keras.layers import Dense, Dropout, Conv2D, MaxPooling2D, Flatten, "
        "SimpleRNN, LSTM\n"
        "from tensorflow.keras import regularizers\n"
        "from tensorflow.keras.optimizers import SGD, Adam, RMSprop, Adagrad, Adadelta\n"
        "from tensorflow.keras.callbacks import EarlyStopping\n\n"
        f"model = Sequential([\n    {layers}\n])\n"
        f"model.compile(optimizer={_optimizer(spec)}, loss={spec.loss!r}, "
        f"metrics={list(spec.metrics)!r})\n"
        f"model.fit(X_train, y_train, {', '.join(fit)})\n"
    )
