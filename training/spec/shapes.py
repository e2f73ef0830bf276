"""Shape inference and parameter counts, exactly as Keras infers and counts them."""

from __future__ import annotations

import math
from collections.abc import Sequence

from training.spec.types import (
    LSTM,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    Layer,
    MaxPooling2D,
    ModelSpec,
    SimpleRNN,
)
from training.spec.validators import fail
from training.validation import join_path


def _shape_text(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(n) for n in shape) + (",)" if len(shape) == 1 else ")")


def _conv_length(size: int, kernel: int, stride: int, padding: str) -> int:
    if padding == "same":
        return -(-size // stride)
    return (size - kernel) // stride + 1 if size >= kernel else 0


def infer_shapes(input_shape: tuple[int, ...], layers: Sequence[Layer]) -> list[tuple[int, ...]]:
    """Each layer's output shape (no batch axis); SpecError names the first misfit."""
    shapes: list[tuple[int, ...]] = []
    shape = input_shape
    source = "the input"  # what produced ``shape``, for messages
    producer: int | None = None  # index of the last layer that changed the shape
    for index, layer in enumerate(layers):
        path = f"layers[{index}]"
        if isinstance(layer, Dense):
            if len(shape) != 1:
                fail(path, _flat_input_reason(layers, producer, shape, source))
            shape = (layer.units,)
        elif isinstance(layer, (Conv2D, MaxPooling2D)):
            kind = layer.type
            if len(shape) != 3:
                fail(
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
                fail(
                    join_path(path, what),
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
                    fail(
                        f"layers[{producer}].return_sequences",
                        f"must be true: layers[{index}] ({layer.type}) needs a sequence, but "
                        f"layers[{producer}] returns only its last output",
                    )
                fail(
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


def layer_output_shapes(spec: ModelSpec) -> list[tuple[int, ...]]:
    """Each layer's output shape without the batch axis, as Keras' ``model.summary()``."""
    return infer_shapes(spec.input_shape, spec.layers)


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
