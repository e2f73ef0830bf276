"""`spec_to_dict`: a `ModelSpec` back to its canonical JSON form."""

from __future__ import annotations

import dataclasses
from typing import Any

from training.spec.types import (
    Activation,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    Layer,
    MaxPooling2D,
    ModelSpec,
    Regularizer,
)


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
