"""`parse_spec`: untrusted JSON-like data to a `ModelSpec`, or a `SpecError` naming the path.

Defaults follow Keras, except where the handout says otherwise: the handout defines Leaky
ReLU as `max(0.01x, x)`, so `leaky_relu` defaults to `alpha=0.01` (Keras' string default
is 0.2).
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal, NoReturn, cast

from training.spec.shapes import infer_shapes
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
from training.spec.validators import (
    as_object,
    boolean,
    check_keys,
    describe,
    fail,
    int_pair,
    known_name,
    number_in_range,
    one_of,
    suggest,
    whole_number,
)
from training.validation import KEY_CHARS, join_path, shorten

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

_ACCURACY_METRICS: tuple[str, ...] = ("accuracy", "balanced_accuracy")

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
_MAX_INPUT_AXES = 3


def parse_spec(data: object, *, external_validation: bool = False) -> ModelSpec:
    """Validate untrusted JSON-like ``data`` and return the typed ``ModelSpec``.

    Every problem raises ``SpecError(path, reason)`` with a JSON path such as
    ``layers[2].units``. ``external_validation=True`` says validation data will be supplied
    separately (``FitData.x_val``), so ``val_*`` values exist even with
    ``validation_split`` 0.
    """
    root = as_object(data, "", "the spec")
    check_keys(root, "", _TOP_LEVEL_FIELDS, "the spec")

    if "layers" not in root:
        fail("layers", "is missing: list the network's layers, the first (input) layer first")
    input_shape, layers = _parse_layers(root["layers"])

    if "loss" not in root:
        fail(
            "loss",
            f"is missing: name the loss to minimise, one of {one_of(LOSSES)}",
        )
    loss = known_name(root["loss"], "loss", LOSSES, "loss", LOSS_ALIASES)
    metrics = _parse_metrics(root.get("metrics", []))
    optimizer = _parse_optimizer(root.get("optimizer", "adam"), "optimizer")
    epochs = whole_number(root.get("epochs", 1), "epochs")
    batch_size = _parse_batch_size(root.get("batch_size", 32))
    validation_split = number_in_range(
        root.get("validation_split", 0.0), "validation_split", low=0.0, high=1.0, high_open=True
    )
    shuffle = boolean(root.get("shuffle", True), "shuffle")

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
    infer_shapes(spec.input_shape, spec.layers)
    check_output_layer(spec)

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
        fail("layers", f"must be a list of layer objects, got {describe(value)}")
    if not value:
        fail("layers", "is empty: a network needs at least one layer")
    input_shape: tuple[int, ...] | None = None
    layers: list[Layer] = []
    for index, raw in enumerate(value):
        path = f"layers[{index}]"
        obj = as_object(raw, path, "a layer")
        if "type" not in obj:
            fail(join_path(path, "type"), f"is missing: one of {one_of(LAYER_TYPES)}")
        layer_type = _name_layer_type(obj["type"], join_path(path, "type"))
        present_inputs = [key for key in _INPUT_KEYS if key in obj]
        if index == 0:
            input_shape = _parse_input(obj, path, present_inputs)
        elif present_inputs:
            fail(
                join_path(path, present_inputs[0]),
                f"only the first layer takes {present_inputs[0]}; remove it here "
                "(the first layer already sets the input size)",
            )
        fields = _LAYER_FIELDS[layer_type]
        check_keys(
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
    return known_name(value, path, LAYER_TYPES, "layer type")


def _parse_input(obj: dict[str, object], path: str, present: list[str]) -> tuple[int, ...]:
    if not present:
        fail(
            join_path(path, "input_dim"),
            "is missing: put input_dim (the number of input features, i.e. columns) or "
            "input_shape on the first layer, e.g. "
            '{"type": "dense", "units": 16, "input_dim": 8}',
        )
    if len(present) == 2:
        fail(join_path(path, "input_shape"), "give input_dim or input_shape, not both")
    if present[0] == "input_dim":
        return (whole_number(obj["input_dim"], join_path(path, "input_dim")),)
    raw = obj["input_shape"]
    shape_path = join_path(path, "input_shape")
    if isinstance(raw, int):
        return (whole_number(raw, shape_path),)
    if not isinstance(raw, (list, tuple)):
        fail(shape_path, f"must be a list of whole numbers such as [8], got {describe(raw)}")
    if not 1 <= len(raw) <= _MAX_INPUT_AXES:
        fail(
            shape_path,
            f"must have 1 to {_MAX_INPUT_AXES} axes (features; timesteps, features; or "
            f"height, width, channels), got {len(raw)}",
        )
    return tuple(whole_number(n, f"{shape_path}[{i}]") for i, n in enumerate(raw))


def _parse_layer(layer_type: str, obj: dict[str, object], path: str) -> Layer:
    # An absent activation is the layer's Keras default; an explicit null is Keras'
    # activation=None, i.e. linear.
    activation_raw = obj.get("activation", "tanh" if layer_type in RECURRENT_TYPES else "linear")
    if layer_type == "dense":
        if "units" not in obj:
            _missing(path, "units", "the number of neurons, e.g. 16")
        return Dense(
            units=whole_number(obj["units"], join_path(path, "units")),
            activation=_parse_activation(activation_raw, path, layer_type),
            use_bias=boolean(obj.get("use_bias", True), join_path(path, "use_bias")),
            kernel_regularizer=_parse_regularizer(obj.get("kernel_regularizer"), path),
        )
    if layer_type == "dropout":
        if "rate" not in obj:
            _missing(path, "rate", "the fraction of inputs to drop, e.g. 0.2")
        return Dropout(
            rate=number_in_range(
                obj["rate"], join_path(path, "rate"), low=0.0, high=1.0, high_open=True
            )
        )
    if layer_type == "conv2d":
        if "filters" not in obj:
            _missing(path, "filters", "the number of filters, e.g. 32")
        if "kernel_size" not in obj:
            _missing(path, "kernel_size", "e.g. 3 or [3, 3]")
        padding = known_name(
            obj.get("padding", "valid"), join_path(path, "padding"), _PADDINGS, "padding"
        )
        return Conv2D(
            filters=whole_number(obj["filters"], join_path(path, "filters")),
            kernel_size=int_pair(obj["kernel_size"], join_path(path, "kernel_size")),
            strides=int_pair(obj.get("strides", 1), join_path(path, "strides")),
            padding=cast(Literal["valid", "same"], padding),
            activation=_parse_activation(activation_raw, path, layer_type),
            use_bias=boolean(obj.get("use_bias", True), join_path(path, "use_bias")),
            kernel_regularizer=_parse_regularizer(obj.get("kernel_regularizer"), path),
        )
    if layer_type == "max_pooling2d":
        strides_raw = obj.get("strides")
        return MaxPooling2D(
            pool_size=int_pair(obj.get("pool_size", 2), join_path(path, "pool_size")),
            strides=None
            if strides_raw is None
            else int_pair(strides_raw, join_path(path, "strides")),
        )
    if layer_type == "flatten":
        return Flatten()
    # simple_rnn and lstm
    if "units" not in obj:
        _missing(path, "units", "the size of the recurrent state, e.g. 32")
    units = whole_number(obj["units"], join_path(path, "units"))
    activation = _parse_activation(activation_raw, path, layer_type)
    return_sequences = boolean(
        obj.get("return_sequences", False), join_path(path, "return_sequences")
    )
    if layer_type == "simple_rnn":
        return SimpleRNN(units=units, activation=activation, return_sequences=return_sequences)
    return LSTM(units=units, activation=activation, return_sequences=return_sequences)


_PADDINGS: tuple[str, ...] = ("valid", "same")


def _missing(path: str, key: str, example: str) -> NoReturn:
    fail(join_path(path, key), f"is missing: {example}")


def _parse_activation(value: object, layer_path: str, layer_type: str) -> Activation:
    path = join_path(layer_path, "activation")
    if value is None:
        return Activation("linear")
    alpha: float | None = None
    if isinstance(value, dict):
        obj = as_object(value, path, "an activation")
        check_keys(obj, path, ("name", "alpha"), "an activation")
        if "name" not in obj:
            fail(join_path(path, "name"), f"is missing: one of {one_of(ACTIVATIONS)}")
        name = known_name(obj["name"], join_path(path, "name"), ACTIVATIONS, "activation")
        if "alpha" in obj:
            alpha = _parse_alpha(name, obj["alpha"], join_path(path, "alpha"))
    else:
        name = known_name(value, path, ACTIVATIONS, "activation")
    if name == "prelu" and layer_type != "dense":
        fail(path, "prelu (one learned slope per unit) is supported on dense layers only")
    if alpha is None:
        alpha = DEFAULT_ALPHA.get(name)
    return Activation(name, alpha)


def _parse_alpha(name: str, value: object, path: str) -> float:
    if name not in _ALPHA_ACTIVATIONS:
        fail(path, f"{name} takes no alpha; only {one_of(_ALPHA_ACTIVATIONS)} do")
    if name == "leaky_relu":
        return number_in_range(value, path, low=0.0)
    if name == "elu":
        return number_in_range(value, path, low=0.0, low_open=True)
    return number_in_range(value, path)


def _parse_regularizer(value: object, layer_path: str) -> Regularizer | None:
    if value is None:
        return None
    path = join_path(layer_path, "kernel_regularizer")
    obj = as_object(value, path, 'a kernel_regularizer (such as {"l2": 0.001})')
    check_keys(obj, path, ("l1", "l2"), "a kernel_regularizer")
    return Regularizer(
        l1=number_in_range(obj.get("l1", 0.0), join_path(path, "l1"), low=0.0),
        l2=number_in_range(obj.get("l2", 0.0), join_path(path, "l2"), low=0.0),
    )


def _parse_metrics(value: object) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)):
        fail("metrics", f'must be a list such as ["accuracy"], got {describe(value)}')
    metrics: list[str] = []
    for index, raw in enumerate(value):
        path = f"metrics[{index}]"
        metric = known_name(raw, path, METRICS, "metric", METRIC_ALIASES)
        if metric in metrics:
            fail(path, f"'{metric}' is listed twice")
        metrics.append(metric)
    return tuple(metrics)


def _parse_optimizer(value: object, path: str) -> Optimizer:
    if isinstance(value, str):
        name = known_name(value, path, OPTIMIZERS, "optimizer")
        return _optimizer_with_defaults(name, {})
    obj = as_object(value, path, 'the optimizer (a name such as "adam", or an object)')
    if "name" not in obj:
        fail(join_path(path, "name"), f"is missing: one of {one_of(OPTIMIZERS)}")
    name = known_name(obj["name"], join_path(path, "name"), OPTIMIZERS, "optimizer")
    settings = tuple(OPTIMIZER_DEFAULTS[name])
    for key in obj:
        if key != "name" and key not in settings:
            fail(
                join_path(path, key),
                f"'{shorten(key, KEY_CHARS)}' is not a setting of {name}"
                f"{suggest(key, settings)}; "
                f"its settings: {one_of(settings)}",
            )
    given: dict[str, float | bool] = {}
    for key, raw in obj.items():
        if key == "name":
            continue
        key_path = join_path(path, key)
        if key == "nesterov":
            given[key] = boolean(raw, key_path)
        elif key == "learning_rate":
            given[key] = number_in_range(raw, key_path, low=0.0, low_open=True)
        elif key in ("momentum", "rho", "beta_1", "beta_2"):
            given[key] = number_in_range(raw, key_path, low=0.0, high=1.0, high_open=True)
        elif key == "epsilon":
            given[key] = number_in_range(raw, key_path, low=0.0, low_open=True)
        else:  # initial_accumulator_value
            given[key] = number_in_range(raw, key_path, low=0.0)
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
        fail(
            "batch_size",
            f'must be a positive whole number or "full" (full-batch gradient descent), '
            f"got {describe(value)}",
        )
    return whole_number(value, "batch_size")


def _parse_early_stopping(
    value: object, *, metrics: tuple[str, ...], has_validation: bool
) -> EarlyStopping:
    path = "early_stopping"
    obj = as_object(value, path, "early_stopping")
    check_keys(obj, path, _EARLY_STOPPING_FIELDS, "early_stopping")
    monitor = _parse_monitor(obj.get("monitor", "val_loss"), metrics, has_validation)
    mode = known_name(
        obj.get("mode", "auto"), join_path(path, "mode"), ("auto", "min", "max"), "mode"
    )
    higher_is_better = monitor.removeprefix("val_") in _ACCURACY_METRICS
    if mode == "max" and not higher_is_better:
        fail(
            join_path(path, "mode"),
            f"'max' would treat a rising {monitor} as progress; use 'min' or 'auto'",
        )
    if mode == "min" and higher_is_better:
        fail(
            join_path(path, "mode"),
            f"'min' would treat a falling {monitor} as progress; use 'max' or 'auto'",
        )
    return EarlyStopping(
        monitor=monitor,
        patience=whole_number(obj.get("patience", 0), join_path(path, "patience"), minimum=0),
        min_delta=number_in_range(obj.get("min_delta", 0.0), join_path(path, "min_delta"), low=0.0),
        mode=cast(Literal["auto", "min", "max"], mode),
        restore_best_weights=boolean(
            obj.get("restore_best_weights", False), join_path(path, "restore_best_weights")
        ),
    )


def _parse_monitor(value: object, metrics: tuple[str, ...], has_validation: bool) -> str:
    path = "early_stopping.monitor"
    if not isinstance(value, str):
        fail(path, f"must be the name of a logged value such as 'val_loss', got {describe(value)}")
    monitor = value.strip().lower()
    prefix = "val_" if monitor.startswith("val_") else ""
    base = METRIC_ALIASES.get(monitor.removeprefix(prefix), monitor.removeprefix(prefix))
    monitor = prefix + base
    logged = ("loss", *metrics)
    available = [*logged, *(f"val_{name}" for name in logged)] if has_validation else logged
    if base in logged and prefix and not has_validation:
        fail(
            path,
            f"'{monitor}' will not exist: this spec has no validation data; set "
            f"validation_split (e.g. 0.2) or monitor '{base}'",
        )
    if monitor not in available:
        reason = f"{describe(value)} will not be in the training history"
        if base in METRICS and base not in metrics:
            reason += f" (add '{base}' to metrics to log it)"
        else:
            reason += suggest(monitor, list(available))
        fail(path, f"{reason}; available: {one_of(list(available))}")
    return monitor


def _parse_class_weight(value: object, spec: ModelSpec) -> ClassWeight:
    path = "class_weight"
    if spec.loss not in CLASSIFICATION_LOSSES:
        fail(path, f"class weights need a classification loss; {spec.loss} is a regression loss")
    if isinstance(value, str):
        if value != "balanced":
            fail(path, f'must be "balanced" or an object of class → weight, got {describe(value)}')
        return "balanced"
    if not isinstance(value, dict):
        fail(path, f'must be "balanced" or an object of class → weight, got {describe(value)}')
    if not value:
        fail(path, 'is empty: give a weight per class, e.g. {"0": 1.0, "1": 3.0}')
    n_classes = _n_classes(spec)
    weights: dict[int, float] = {}
    for key, raw in value.items():
        key_path = join_path(path, str(key))
        if isinstance(key, str) and key.isascii() and key.isdigit() and len(key) <= 9:
            cls = int(key)
        elif isinstance(key, int) and not isinstance(key, bool) and key >= 0:
            cls = key
        else:
            fail(key_path, f"class labels must be whole numbers from 0, got {describe(key)}")
        if cls >= n_classes:
            fail(
                key_path,
                f"class {cls} does not exist: the output has {n_classes} classes "
                f"(0 to {n_classes - 1})",
            )
        if cls in weights:
            fail(key_path, f"class {cls} is given twice")
        weights[cls] = number_in_range(raw, key_path, low=0.0, low_open=True)
    return dict(sorted(weights.items()))


def _n_classes(spec: ModelSpec) -> int:
    if spec.loss == "binary_crossentropy":
        return 2
    return _output_units(spec.layers[-1])


def _output_units(layer: Layer) -> int:
    assert isinstance(layer, (Dense, SimpleRNN, LSTM))
    return layer.units


def check_output_layer(spec: ModelSpec) -> None:
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
                fail(
                    f"layers[{index}].activation",
                    "softmax over a single unit always outputs 1.0, so nothing can be learned; "
                    "use sigmoid for one output unit, or softmax with one unit per class (≥ 2)",
                )
    if not isinstance(last, (Dense, SimpleRNN, LSTM)):
        fail(
            last_path,
            f"the last layer must produce the output, but it is a {last.type} layer; "
            "end with a dense layer (e.g. 1 unit with sigmoid for binary classification)",
        )
    if isinstance(last, (SimpleRNN, LSTM)) and last.return_sequences:
        fail(
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
        fail(
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
        fail(
            "loss",
            f"{spec.loss} needs a softmax output layer with one unit per class (≥ 2), "
            f"but {described}{advice}",
        )
    for index, metric in enumerate(spec.metrics):
        if metric in _ACCURACY_METRICS and activation not in ("sigmoid", "softmax"):
            fail(
                f"metrics[{index}]",
                f"{metric} needs a classification output (sigmoid or softmax), but {described}; "
                "for regression use mse or mae",
            )
