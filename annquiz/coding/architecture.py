"""The diagram of a submitted network: one row per layer with its units, shape and parameters."""

from __future__ import annotations

from typing import Any

from training.spec import (
    LSTM,
    Conv2D,
    Dense,
    Dropout,
    Layer,
    MaxPooling2D,
    ModelSpec,
    SimpleRNN,
    count_params,
    layer_output_shapes,
    layer_param_counts,
)

LAYER_TITLES = {
    "dense": "Dense",
    "dropout": "Dropout",
    "conv2d": "Conv2D",
    "max_pooling2d": "MaxPooling2D",
    "flatten": "Flatten",
    "simple_rnn": "SimpleRNN",
    "lstm": "LSTM",
}


def _size(layer: Layer) -> str:
    """What sets the layer's width: units, filters, a rate, a pool size (or nothing)."""
    if isinstance(layer, Dense | SimpleRNN | LSTM):
        return f"{layer.units} unit" + ("" if layer.units == 1 else "s")
    if isinstance(layer, Conv2D):
        kernel = "x".join(str(k) for k in layer.kernel_size)
        return f"{layer.filters} filter{'' if layer.filters == 1 else 's'} {kernel}"
    if isinstance(layer, Dropout):
        return f"rate {layer.rate:g}"
    if isinstance(layer, MaxPooling2D):
        return "pool " + "x".join(str(p) for p in layer.pool_size)
    return ""


def _activation(layer: Layer) -> str | None:
    activation = getattr(layer, "activation", None)
    return None if activation is None else str(activation.name)


def _regularizer(layer: Layer) -> str | None:
    regularizer = getattr(layer, "kernel_regularizer", None)
    if regularizer is None:
        return None
    terms = (("L1", regularizer.l1), ("L2", regularizer.l2))
    return ", ".join(f"{name} {value:g}" for name, value in terms if value)


def architecture_diagram(spec: ModelSpec) -> dict[str, Any]:
    """JSON-ready rows for the architecture diagram, input first, plus the training setup."""
    layers = [
        {
            "index": index,
            "type": layer.type,
            "title": LAYER_TITLES.get(layer.type, layer.type),
            "size": _size(layer),
            "activation": _activation(layer),
            "regularizer": _regularizer(layer),
            "output_shape": list(shape),
            "params": params,
        }
        for index, (layer, shape, params) in enumerate(
            zip(spec.layers, layer_output_shapes(spec), layer_param_counts(spec), strict=True)
        )
    ]
    optimizer = spec.optimizer
    return {
        "input_shape": list(spec.input_shape),
        "layers": layers,
        "total_params": count_params(spec),
        "optimizer": optimizer.name,
        "learning_rate": optimizer.learning_rate,
        "loss": spec.loss,
        "metrics": list(spec.metrics),
        "epochs": spec.epochs,
        "batch_size": spec.batch_size,
        "early_stopping": spec.early_stopping is not None,
        "class_weight": spec.class_weight is not None,
    }
