"""The architecture spec: a network and its training setup in Keras vocabulary.

`parse_spec` turns untrusted JSON-like data into a `ModelSpec` (or raises a `SpecError`
naming the path); `spec_to_dict` turns it back into canonical JSON. `layer_output_shapes`
and `count_params` infer shapes and parameter counts exactly as Keras does; `check_limits`
bounds the cost of training before anything runs. The document is described in docs/spec.md.
One module per job: `types`, `validators` + `parsing`, `shapes`, `limits`, `serialisation`.
"""

from training.spec.limits import (
    DEFAULT_LIMITS,
    Limits,
    check_limits,
    check_size_limits,
    estimate_training_flops,
)
from training.spec.parsing import parse_spec
from training.spec.serialisation import spec_to_dict
from training.spec.shapes import (
    count_params,
    layer_input_shapes,
    layer_output_shapes,
    layer_param_counts,
)
from training.spec.types import (
    ACTIVATIONS,
    CLASSIFICATION_LOSSES,
    DEFAULT_ALPHA,
    LAYER_TYPES,
    LOSSES,
    LSTM,
    METRICS,
    OPTIMIZER_DEFAULTS,
    OPTIMIZERS,
    RECURRENT_TYPES,
    Activation,
    ClassWeight,
    Conv2D,
    Dense,
    Dropout,
    EarlyStopping,
    Flatten,
    Layer,
    MaxPooling2D,
    ModelSpec,
    Optimizer,
    Regularizer,
    SimpleRNN,
)

__all__ = [
    "ACTIVATIONS",
    "CLASSIFICATION_LOSSES",
    "DEFAULT_ALPHA",
    "DEFAULT_LIMITS",
    "LAYER_TYPES",
    "LOSSES",
    "LSTM",
    "METRICS",
    "OPTIMIZERS",
    "OPTIMIZER_DEFAULTS",
    "RECURRENT_TYPES",
    "Activation",
    "ClassWeight",
    "Conv2D",
    "Dense",
    "Dropout",
    "EarlyStopping",
    "Flatten",
    "Layer",
    "Limits",
    "MaxPooling2D",
    "ModelSpec",
    "Optimizer",
    "Regularizer",
    "SimpleRNN",
    "check_limits",
    "check_size_limits",
    "count_params",
    "estimate_training_flops",
    "layer_input_shapes",
    "layer_output_shapes",
    "layer_param_counts",
    "parse_spec",
    "spec_to_dict",
]
