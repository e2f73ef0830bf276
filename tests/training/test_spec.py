"""The architecture spec: parsing, validation, canonical JSON, shapes, parameters, limits."""

from __future__ import annotations

import copy
import json
import math
import random
from typing import Any

import pytest

from training.errors import LimitExceeded, SpecError
from training.spec import (
    LSTM,
    Activation,
    Conv2D,
    Dense,
    Dropout,
    EarlyStopping,
    Flatten,
    Limits,
    MaxPooling2D,
    ModelSpec,
    Optimizer,
    Regularizer,
    SimpleRNN,
    check_limits,
    count_params,
    estimate_training_flops,
    layer_output_shapes,
    layer_param_counts,
    parse_spec,
    spec_to_dict,
)

# The example: the handout's Keras model with dropout, L2, early stopping, class weights.
HANDOUT_SPEC: dict[str, Any] = {
    "layers": [
        {"type": "dense", "units": 16, "activation": "relu", "input_dim": 8},
        {"type": "dropout", "rate": 0.2},
        {"type": "dense", "units": 8, "activation": "relu", "kernel_regularizer": {"l2": 0.001}},
        {"type": "dense", "units": 1, "activation": "sigmoid"},
    ],
    "optimizer": {"name": "adam", "learning_rate": 0.001},
    "loss": "binary_crossentropy",
    "metrics": ["accuracy"],
    "epochs": 50,
    "batch_size": 10,
    "validation_split": 0.2,
    "early_stopping": {"monitor": "val_loss", "patience": 5, "restore_best_weights": True},
    "class_weight": "balanced",
}

CNN_SPEC: dict[str, Any] = {
    "layers": [
        {
            "type": "conv2d",
            "filters": 8,
            "kernel_size": 3,
            "activation": "relu",
            "input_shape": [28, 28, 1],
        },
        {"type": "max_pooling2d"},
        {"type": "conv2d", "filters": 16, "kernel_size": [3, 3], "strides": 2, "padding": "same"},
        {"type": "flatten"},
        {"type": "dense", "units": 10, "activation": "softmax"},
    ],
    "loss": "sparse_categorical_crossentropy",
    "metrics": ["accuracy"],
    "epochs": 3,
}

RNN_SPEC: dict[str, Any] = {
    "layers": [
        {"type": "lstm", "units": 12, "return_sequences": True, "input_shape": [20, 3]},
        {"type": "simple_rnn", "units": 6},
        {"type": "dense", "units": 1},
    ],
    "optimizer": "rmsprop",
    "loss": "mse",
    "metrics": ["mae"],
    "epochs": 5,
    "batch_size": "full",
}


def with_changes(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    spec = copy.deepcopy(base)
    spec.update(changes)
    return spec


def with_layer(base: dict[str, Any], index: int, **changes: Any) -> dict[str, Any]:
    spec = copy.deepcopy(base)
    spec["layers"][index].update(changes)
    return spec


def rejection(data: object, *, external_validation: bool = False) -> SpecError:
    with pytest.raises(SpecError) as caught:
        parse_spec(data, external_validation=external_validation)
    return caught.value


# --------------------------------------------------------------------------------------------
# Parsing valid specs
# --------------------------------------------------------------------------------------------


def test_handout_example_parses_to_the_typed_spec() -> None:
    spec = parse_spec(HANDOUT_SPEC)

    assert spec == ModelSpec(
        input_shape=(8,),
        layers=(
            Dense(16, Activation("relu")),
            Dropout(0.2),
            Dense(8, Activation("relu"), kernel_regularizer=Regularizer(l1=0.0, l2=0.001)),
            Dense(1, Activation("sigmoid")),
        ),
        optimizer=Optimizer("adam", learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7),
        loss="binary_crossentropy",
        metrics=("accuracy",),
        epochs=50,
        batch_size=10,
        validation_split=0.2,
        early_stopping=EarlyStopping("val_loss", patience=5, restore_best_weights=True),
        class_weight="balanced",
    )


@pytest.mark.parametrize(
    ("name", "defaults"),
    [
        ("sgd", {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False}),
        ("adagrad", {"learning_rate": 0.001, "initial_accumulator_value": 0.1, "epsilon": 1e-7}),
        ("rmsprop", {"learning_rate": 0.001, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7}),
        ("adam", {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}),
        ("adadelta", {"learning_rate": 0.001, "rho": 0.95, "epsilon": 1e-7}),
    ],
)
def test_optimizer_name_alone_gets_keras_defaults(name: str, defaults: dict[str, Any]) -> None:
    as_string = parse_spec(with_changes(HANDOUT_SPEC, optimizer=name)).optimizer
    as_object = parse_spec(with_changes(HANDOUT_SPEC, optimizer={"name": name})).optimizer

    assert as_string == as_object == Optimizer(name=name, **defaults)


def test_optimizer_settings_override_only_what_is_given() -> None:
    optimizer = parse_spec(
        with_changes(
            HANDOUT_SPEC,
            optimizer={"name": "SGD", "learning_rate": 0.1, "momentum": 0.9, "nesterov": True},
        )
    ).optimizer

    assert optimizer == Optimizer("sgd", learning_rate=0.1, momentum=0.9, nesterov=True)


def test_keras_aliases_are_accepted() -> None:
    spec = parse_spec(
        {
            "layers": [{"type": "Dense", "units": 1, "input_dim": 3}],
            "loss": "mean_squared_error",
            "metrics": ["mean_absolute_error"],
        }
    )
    assert spec.loss == "mse"
    assert spec.metrics == ("mae",)
    assert spec.layers[0].type == "dense"

    classifier = parse_spec(with_changes(HANDOUT_SPEC, metrics=["acc"]))
    assert classifier.metrics == ("accuracy",)
    assert parse_spec(with_changes(HANDOUT_SPEC, loss="binary_crossentropy")).loss == (
        "binary_crossentropy"
    )


def test_keras_defaults_fill_what_is_absent() -> None:
    spec = parse_spec({"layers": [{"type": "dense", "units": 2, "input_dim": 4}], "loss": "mse"})

    assert spec.layers == (Dense(2, Activation("linear"), use_bias=True),)
    assert spec.optimizer.name == "adam"
    assert (spec.epochs, spec.batch_size, spec.validation_split) == (1, 32, 0.0)
    assert spec.metrics == ()
    assert spec.early_stopping is None
    assert spec.class_weight is None
    assert spec.shuffle is True


def test_recurrent_layers_default_to_tanh_and_explicit_null_is_linear() -> None:
    lstm = parse_spec(RNN_SPEC).layers[0]
    assert isinstance(lstm, LSTM)
    assert lstm.activation == Activation("tanh")
    rnn = parse_spec(with_layer(RNN_SPEC, 1, activation=None)).layers[1]
    assert isinstance(rnn, SimpleRNN)
    assert rnn.activation == Activation("linear")


def test_activation_alphas_default_to_the_handout_and_keras() -> None:
    def first_activation(activation: object) -> Activation:
        spec = parse_spec(with_layer(HANDOUT_SPEC, 0, activation=activation))
        layer = spec.layers[0]
        assert isinstance(layer, Dense)
        return layer.activation

    # The handout's leaky ReLU is max(0.01x, x); Keras' string default would be 0.2.
    assert first_activation("leaky_relu") == Activation("leaky_relu", 0.01)
    assert first_activation({"name": "leaky_relu", "alpha": 0.1}) == Activation("leaky_relu", 0.1)
    assert first_activation("elu") == Activation("elu", 1.0)
    assert first_activation({"name": "elu", "alpha": 0.5}) == Activation("elu", 0.5)
    assert first_activation("prelu") == Activation("prelu", 0.0)
    assert first_activation({"name": "relu"}) == Activation("relu")


def test_full_batch_is_none_and_class_weight_keys_become_ints() -> None:
    spec = parse_spec(
        with_changes(HANDOUT_SPEC, batch_size="full", class_weight={"1": 3, "0": 1.0})
    )
    assert spec.batch_size is None
    assert spec.class_weight == {0: 1.0, 1: 3.0}


def test_val_monitor_is_allowed_when_validation_data_comes_separately() -> None:
    data = with_changes(HANDOUT_SPEC, validation_split=0.0)
    assert rejection(data).path == "early_stopping.monitor"
    spec = parse_spec(data, external_validation=True)
    assert spec.early_stopping is not None
    assert spec.early_stopping.monitor == "val_loss"


@pytest.mark.parametrize("source", [HANDOUT_SPEC, CNN_SPEC, RNN_SPEC])
def test_spec_to_dict_round_trips_through_json(source: dict[str, Any]) -> None:
    spec = parse_spec(source)
    canonical = spec_to_dict(spec)

    assert parse_spec(json.loads(json.dumps(canonical))) == spec
    assert spec_to_dict(parse_spec(canonical)) == canonical


def test_spec_to_dict_is_canonical_json() -> None:
    canonical = spec_to_dict(
        parse_spec(
            with_changes(
                HANDOUT_SPEC,
                batch_size="full",
                class_weight={"0": 1, "1": 2.5},
                layers=[
                    {"type": "dense", "units": 4, "input_dim": 8, "activation": "leaky_relu"},
                    {"type": "dense", "units": 1, "activation": "sigmoid"},
                ],
            )
        )
    )
    assert canonical["batch_size"] == "full"
    assert canonical["class_weight"] == {"0": 1.0, "1": 2.5}
    assert canonical["layers"][0] == {
        "type": "dense",
        "input_dim": 8,
        "units": 4,
        "activation": {"name": "leaky_relu", "alpha": 0.01},
        "use_bias": True,
        "kernel_regularizer": None,
    }
    assert canonical["optimizer"] == {
        "name": "adam",
        "learning_rate": 0.001,
        "beta_1": 0.9,
        "beta_2": 0.999,
        "epsilon": 1e-7,
    }
    assert spec_to_dict(parse_spec(CNN_SPEC))["layers"][0]["input_shape"] == [28, 28, 1]


# --------------------------------------------------------------------------------------------
# Rejections: each names the path and the reason
# --------------------------------------------------------------------------------------------

REJECTIONS: list[tuple[str, dict[str, Any], str, str]] = [
    # (case id, spec, expected path, a phrase the reason must contain)
    (
        "unknown layer type",
        with_layer(HANDOUT_SPEC, 1, type="dropuot"),
        "layers[1].type",
        "did you mean 'dropout'",
    ),
    (
        "unknown layer type lists known",
        with_layer(HANDOUT_SPEC, 1, type="batchnorm"),
        "layers[1].type",
        "known: dense, dropout, conv2d, max_pooling2d, flatten, simple_rnn, lstm",
    ),
    ("layer type missing", {**HANDOUT_SPEC, "layers": [{"units": 3}]}, "layers[0].type", "missing"),
    ("field typo", with_layer(HANDOUT_SPEC, 0, unit=4), "layers[0].unit", "did you mean 'units'"),
    (
        "field of another layer type",
        with_layer(HANDOUT_SPEC, 1, activation="relu"),
        "layers[1].activation",
        "unknown field 'activation' for a dropout layer",
    ),
    ("top-level typo", with_changes(HANDOUT_SPEC, epoch=3), "epoch", "did you mean 'epochs'"),
    ("units zero", with_layer(HANDOUT_SPEC, 2, units=0), "layers[2].units", "positive"),
    ("units negative", with_layer(HANDOUT_SPEC, 2, units=-4), "layers[2].units", "positive"),
    ("units float", with_layer(HANDOUT_SPEC, 2, units=8.5), "layers[2].units", "whole number"),
    ("units bool", with_layer(HANDOUT_SPEC, 2, units=True), "layers[2].units", "whole number"),
    ("units string", with_layer(HANDOUT_SPEC, 2, units="8"), "layers[2].units", "whole number"),
    ("units huge", with_layer(HANDOUT_SPEC, 2, units=10**12), "layers[2].units", "too large"),
    ("dropout rate one", with_layer(HANDOUT_SPEC, 1, rate=1.0), "layers[1].rate", "[0, 1)"),
    ("dropout rate negative", with_layer(HANDOUT_SPEC, 1, rate=-0.1), "layers[1].rate", "[0, 1)"),
    (
        "dropout rate missing",
        {
            **HANDOUT_SPEC,
            "layers": [
                {"type": "dense", "units": 3, "input_dim": 2},
                {"type": "dropout"},
                {"type": "dense", "units": 1, "activation": "sigmoid"},
            ],
        },
        "layers[1].rate",
        "missing",
    ),
    (
        "nan learning rate",
        with_changes(HANDOUT_SPEC, optimizer={"name": "adam", "learning_rate": math.nan}),
        "optimizer.learning_rate",
        "finite",
    ),
    (
        "inf learning rate",
        with_changes(HANDOUT_SPEC, optimizer={"name": "adam", "learning_rate": math.inf}),
        "optimizer.learning_rate",
        "finite",
    ),
    (
        "negative learning rate",
        with_changes(HANDOUT_SPEC, optimizer={"name": "adam", "learning_rate": -0.01}),
        "optimizer.learning_rate",
        "greater than 0",
    ),
    (
        "huge integer learning rate",
        with_changes(HANDOUT_SPEC, optimizer={"name": "sgd", "learning_rate": 10**400}),
        "optimizer.learning_rate",
        "too large",
    ),
    (
        "old lr name",
        with_changes(HANDOUT_SPEC, optimizer={"name": "adam", "lr": 0.01}),
        "optimizer.lr",
        "did you mean 'learning_rate'",
    ),
    (
        "setting of another optimizer",
        with_changes(HANDOUT_SPEC, optimizer={"name": "adam", "momentum": 0.9}),
        "optimizer.momentum",
        "not a setting of adam",
    ),
    (
        "momentum one",
        with_changes(HANDOUT_SPEC, optimizer={"name": "sgd", "momentum": 1.0}),
        "optimizer.momentum",
        "[0, 1)",
    ),
    (
        "nesterov not bool",
        with_changes(HANDOUT_SPEC, optimizer={"name": "sgd", "nesterov": 1}),
        "optimizer.nesterov",
        "true or false",
    ),
    ("unknown optimizer", with_changes(HANDOUT_SPEC, optimizer="adamw"), "optimizer", "known:"),
    (
        "optimizer without name",
        with_changes(HANDOUT_SPEC, optimizer={}),
        "optimizer.name",
        "missing",
    ),
    (
        "unknown activation",
        with_layer(HANDOUT_SPEC, 0, activation="relu6"),
        "layers[0].activation",
        "did you mean 'relu'",
    ),
    (
        "alpha on relu",
        with_layer(HANDOUT_SPEC, 0, activation={"name": "relu", "alpha": 0.1}),
        "layers[0].activation.alpha",
        "relu takes no alpha",
    ),
    (
        "elu alpha zero",
        with_layer(HANDOUT_SPEC, 0, activation={"name": "elu", "alpha": 0}),
        "layers[0].activation.alpha",
        "greater than 0",
    ),
    (
        "prelu on lstm",
        with_layer(RNN_SPEC, 0, activation="prelu"),
        "layers[0].activation",
        "dense layers only",
    ),
    ("unknown loss", with_changes(HANDOUT_SPEC, loss="hinge"), "loss", "known:"),
    ("missing loss", {k: v for k, v in HANDOUT_SPEC.items() if k != "loss"}, "loss", "missing"),
    ("unknown metric", with_changes(HANDOUT_SPEC, metrics=["auc"]), "metrics[0]", "known:"),
    (
        "metric twice",
        with_changes(HANDOUT_SPEC, metrics=["accuracy", "acc"]),
        "metrics[1]",
        "twice",
    ),
    ("metrics not a list", with_changes(HANDOUT_SPEC, metrics="accuracy"), "metrics", "list"),
    (
        "accuracy on a regression output",
        with_changes(RNN_SPEC, metrics=["accuracy"]),
        "metrics[0]",
        "classification output",
    ),
    (
        "missing input_dim",
        {**HANDOUT_SPEC, "layers": [{"type": "dense", "units": 1, "activation": "sigmoid"}]},
        "layers[0].input_dim",
        "first layer",
    ),
    (
        "input_dim on a later layer",
        with_layer(HANDOUT_SPEC, 2, input_dim=16),
        "layers[2].input_dim",
        "only the first layer",
    ),
    (
        "input_dim and input_shape",
        with_layer(HANDOUT_SPEC, 0, input_shape=[8]),
        "layers[0].input_shape",
        "not both",
    ),
    (
        "four-axis input",
        with_layer(CNN_SPEC, 0, input_shape=[1, 28, 28, 1]),
        "layers[0].input_shape",
        "1 to 3 axes",
    ),
    (
        "binary crossentropy on two units",
        with_layer(HANDOUT_SPEC, 3, units=2, activation="softmax"),
        "loss",
        "1 unit with sigmoid",
    ),
    (
        "binary crossentropy on a linear unit",
        with_layer(HANDOUT_SPEC, 3, activation="linear"),
        "loss",
        "1 unit with sigmoid",
    ),
    (
        "categorical crossentropy on sigmoid",
        with_changes(HANDOUT_SPEC, loss="categorical_crossentropy"),
        "loss",
        "softmax output layer",
    ),
    (
        "sparse categorical crossentropy on sigmoid units",
        with_layer(CNN_SPEC, 4, activation="sigmoid"),
        "loss",
        "softmax",
    ),
    (
        "softmax on one unit",
        with_layer(RNN_SPEC, 2, activation="softmax"),
        "layers[2].activation",
        "single unit",
    ),
    (
        "dense after conv without flatten",
        {**CNN_SPEC, "layers": [CNN_SPEC["layers"][0], CNN_SPEC["layers"][4]]},
        "layers[1]",
        'add {"type": "flatten"}',
    ),
    (
        "conv on flat input",
        with_layer(CNN_SPEC, 0, input_shape=[784]),
        "layers[0]",
        "(height, width, channels)",
    ),
    (
        "conv kernel larger than input",
        with_layer(CNN_SPEC, 0, input_shape=[2, 2, 1]),
        "layers[0].kernel_size",
        "larger than its input",
    ),
    ("lstm on flat input", with_layer(RNN_SPEC, 0, input_shape=[20]), "layers[0]", "timesteps"),
    (
        "stacked rnn without return_sequences",
        with_layer(RNN_SPEC, 0, return_sequences=False),
        "layers[0].return_sequences",
        "must be true",
    ),
    (
        "dense after a sequence",
        with_layer(RNN_SPEC, 1, return_sequences=True),
        "layers[2]",
        "return_sequences to false",
    ),
    (
        "last layer not an output layer",
        {**HANDOUT_SPEC, "layers": [*HANDOUT_SPEC["layers"], {"type": "dropout", "rate": 0.1}]},
        "layers[4]",
        "last layer must produce the output",
    ),
    ("batch size zero", with_changes(HANDOUT_SPEC, batch_size=0), "batch_size", "positive"),
    ("batch size word", with_changes(HANDOUT_SPEC, batch_size="all"), "batch_size", '"full"'),
    ("batch size null", with_changes(HANDOUT_SPEC, batch_size=None), "batch_size", '"full"'),
    ("epochs zero", with_changes(HANDOUT_SPEC, epochs=0), "epochs", "positive"),
    ("epochs float", with_changes(HANDOUT_SPEC, epochs=2.0), "epochs", "whole number"),
    (
        "validation split one",
        with_changes(HANDOUT_SPEC, validation_split=1),
        "validation_split",
        "[0, 1)",
    ),
    (
        "val monitor without validation",
        with_changes(HANDOUT_SPEC, validation_split=0),
        "early_stopping.monitor",
        "no validation data",
    ),
    (
        "monitor of an unlogged metric",
        with_changes(HANDOUT_SPEC, early_stopping={"monitor": "val_mae"}),
        "early_stopping.monitor",
        "add 'mae' to metrics",
    ),
    (
        "monitor typo",
        with_changes(HANDOUT_SPEC, early_stopping={"monitor": "val_los"}),
        "early_stopping.monitor",
        "did you mean 'val_loss'",
    ),
    (
        "mode contradicts monitor",
        with_changes(HANDOUT_SPEC, early_stopping={"monitor": "val_loss", "mode": "max"}),
        "early_stopping.mode",
        "rising val_loss",
    ),
    (
        "negative patience",
        with_changes(HANDOUT_SPEC, early_stopping={"patience": -1}),
        "early_stopping.patience",
        "at least 0",
    ),
    (
        "class weight word",
        with_changes(HANDOUT_SPEC, class_weight="auto"),
        "class_weight",
        '"balanced"',
    ),
    (
        "class weight zero",
        with_changes(HANDOUT_SPEC, class_weight={"0": 1.0, "1": 0}),
        "class_weight.1",
        "greater than 0",
    ),
    (
        "class weight for a missing class",
        with_changes(HANDOUT_SPEC, class_weight={"0": 1.0, "2": 2.0}),
        "class_weight.2",
        "does not exist",
    ),
    (
        "class weight key not a class",
        with_changes(HANDOUT_SPEC, class_weight={"yes": 1.0}),
        "class_weight.yes",
        "whole numbers",
    ),
    (
        "class weight on regression",
        with_changes(RNN_SPEC, class_weight="balanced"),
        "class_weight",
        "classification loss",
    ),
    ("shuffle not bool", with_changes(HANDOUT_SPEC, shuffle="yes"), "shuffle", "true or false"),
    ("layers empty", with_changes(HANDOUT_SPEC, layers=[]), "layers", "empty"),
    ("layers not a list", with_changes(HANDOUT_SPEC, layers={"type": "dense"}), "layers", "list"),
    ("layer not an object", with_changes(HANDOUT_SPEC, layers=[16]), "layers[0]", "JSON object"),
]


@pytest.mark.parametrize(
    ("data", "path", "phrase"),
    [case[1:] for case in REJECTIONS],
    ids=[case[0] for case in REJECTIONS],
)
def test_bad_field_is_rejected_with_its_path_and_reason(
    data: dict[str, Any], path: str, phrase: str
) -> None:
    error = rejection(data)

    assert error.path == path
    assert phrase in error.reason
    assert str(error) == f"{path}: {error.reason}"


def test_missing_input_dim_says_to_put_it_on_the_first_layer() -> None:
    error = rejection({"layers": [{"type": "dense", "units": 16}], "loss": "mse"})

    assert error.path == "layers[0].input_dim"
    assert "put input_dim" in error.reason
    assert "on the first layer" in error.reason


@pytest.mark.parametrize("data", [None, [], "spec", 3, {1: "layers"}, {"layers": None}])
def test_a_spec_that_is_not_an_object_of_fields_is_rejected(data: object) -> None:
    assert isinstance(rejection(data), SpecError)


# --------------------------------------------------------------------------------------------
# Fuzzing: malformed input raises SpecError and nothing else
# --------------------------------------------------------------------------------------------

JUNK: list[object] = [
    None,
    True,
    False,
    0,
    -1,
    1,
    3,
    0.5,
    -0.5,
    2.5,
    math.nan,
    math.inf,
    -math.inf,
    10**400,
    "",
    "x",
    "full",
    "relu",
    "val_loss",
    [],
    [1],
    [0, 0],
    [2, 2, 2, 2],
    ["a"],
    [None],
    {},
    {"name": 1},
    {"l2": "big"},
    {"0": -1},
    {1: 2},
    object(),
    (1, 2),
    1e308,
]


def _all_paths(node: object, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    paths = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            paths.extend(_all_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            paths.extend(_all_paths(value, (*prefix, index)))
    return paths


def _mutate(base: dict[str, Any], rng: random.Random) -> object:
    data: Any = copy.deepcopy(base)
    for _ in range(rng.randint(1, 3)):
        paths = _all_paths(data)
        path = rng.choice(paths)
        if not path:
            data = rng.choice(JUNK)
            if not isinstance(data, dict):
                return data
            continue
        parent = data
        for key in path[:-1]:
            parent = parent[key]
        last = path[-1]
        action = rng.random()
        if action < 0.6:
            parent[last] = rng.choice(JUNK)
        elif action < 0.8:
            del parent[last]
        elif isinstance(parent, dict):
            extra_key = rng.choice(["typo", "unitz", "input_dim", "alpha", "name", 0])
            parent[extra_key] = rng.choice(JUNK)
        else:
            parent.insert(last, rng.choice(JUNK))
    return data


def test_fuzzed_specs_raise_spec_error_and_never_anything_else() -> None:
    rng = random.Random(20240917)
    rejected = 0
    accepted = 0
    for _ in range(3000):
        base = rng.choice([HANDOUT_SPEC, CNN_SPEC, RNN_SPEC])
        data = _mutate(base, rng)
        try:
            spec = parse_spec(data)
        except SpecError as error:
            assert isinstance(error.path, str)
            assert error.reason
            rejected += 1
        else:
            # Whatever is accepted is a sound spec: it round-trips and its shapes infer.
            accepted += 1
            assert parse_spec(json.loads(json.dumps(spec_to_dict(spec)))) == spec
            layer_output_shapes(spec)
            count_params(spec)
    assert rejected > 2000
    assert accepted > 0


# --------------------------------------------------------------------------------------------
# Shapes and parameters
# --------------------------------------------------------------------------------------------


def test_handout_network_shapes_and_parameters_match_keras_summary() -> None:
    spec = parse_spec(HANDOUT_SPEC)

    assert layer_output_shapes(spec) == [(16,), (16,), (8,), (1,)]
    # Dense in*units+units: 8*16+16, dropout 0, 16*8+8, 8*1+1.
    assert layer_param_counts(spec) == [144, 0, 136, 9]
    assert count_params(spec) == 289


def test_cnn_shapes_and_parameters() -> None:
    spec = parse_spec(CNN_SPEC)

    # valid 3x3: 28->26; pool 2: 13; same, stride 2: ceil(13/2)=7.
    assert layer_output_shapes(spec) == [(26, 26, 8), (13, 13, 8), (7, 7, 16), (784,), (10,)]
    assert layer_param_counts(spec) == [3 * 3 * 1 * 8 + 8, 0, 3 * 3 * 8 * 16 + 16, 0, 7850]


def test_recurrent_shapes_and_parameters() -> None:
    spec = parse_spec(RNN_SPEC)

    assert layer_output_shapes(spec) == [(20, 12), (6,), (1,)]
    assert layer_param_counts(spec) == [4 * 12 * (3 + 12 + 1), 6 * (12 + 6 + 1), 7]


def test_prelu_adds_one_alpha_per_unit_and_use_bias_false_drops_biases() -> None:
    spec = parse_spec(
        {
            "layers": [
                {"type": "dense", "units": 5, "activation": "prelu", "input_dim": 3},
                {"type": "dense", "units": 1, "use_bias": False},
            ],
            "loss": "mse",
        }
    )
    assert layer_param_counts(spec) == [3 * 5 + 5 + 5, 5]


def test_max_pooling_with_explicit_strides() -> None:
    spec = ModelSpec(
        input_shape=(9, 9, 2),
        layers=(MaxPooling2D((3, 3), strides=(2, 2)), Flatten(), Dense(1)),
    )
    assert layer_output_shapes(spec) == [(4, 4, 2), (32,), (1,)]


def test_shapes_of_a_hand_built_spec_are_checked_too() -> None:
    spec = ModelSpec(input_shape=(8,), layers=(Conv2D(4, (3, 3)), Flatten(), Dense(1)))
    with pytest.raises(SpecError, match="height, width, channels"):
        layer_output_shapes(spec)


@pytest.mark.tensorflow
@pytest.mark.slow
def test_shapes_and_parameter_counts_agree_with_keras() -> None:
    import keras  # a hard dependency: a missing Keras fails this test instead of skipping it

    layers = keras.layers
    cases = [
        (
            parse_spec(HANDOUT_SPEC),
            [
                keras.Input((8,)),
                layers.Dense(16, activation="relu"),
                layers.Dropout(0.2),
                layers.Dense(8, activation="relu"),
                layers.Dense(1, activation="sigmoid"),
            ],
        ),
        (
            parse_spec(CNN_SPEC),
            [
                keras.Input((28, 28, 1)),
                layers.Conv2D(8, 3, activation="relu"),
                layers.MaxPooling2D(),
                layers.Conv2D(16, (3, 3), strides=2, padding="same"),
                layers.Flatten(),
                layers.Dense(10, activation="softmax"),
            ],
        ),
        (
            parse_spec(RNN_SPEC),
            [
                keras.Input((20, 3)),
                layers.LSTM(12, return_sequences=True),
                layers.SimpleRNN(6),
                layers.Dense(1),
            ],
        ),
        (
            ModelSpec(input_shape=(3,), layers=(Dense(5, Activation("prelu", 0.0)), Dense(1))),
            [keras.Input((3,)), layers.Dense(5), layers.PReLU(), layers.Dense(1)],
        ),
    ]
    for spec, keras_layers in cases:
        model = keras.Sequential(keras_layers)
        assert count_params(spec) == model.count_params()
        assert tuple(model.output_shape[1:]) == layer_output_shapes(spec)[-1]


# --------------------------------------------------------------------------------------------
# Cost limits
# --------------------------------------------------------------------------------------------


def test_training_flops_of_the_handout_network() -> None:
    spec = parse_spec(HANDOUT_SPEC)
    forward = 2 * (8 * 16 + 16 * 8 + 8 * 1)
    # 768 rows, 20% held out as Keras does: int(768 * 0.8) = 614 trained on, 154 validated.
    expected = 50 * (3 * forward * 614 + forward * 154)

    assert estimate_training_flops(spec, 768) == pytest.approx(expected)
    assert estimate_training_flops(spec, 600, n_val_samples=100) == pytest.approx(
        50 * (3 * forward * 600 + forward * 100)
    )


def test_training_flops_count_conv_and_recurrent_work() -> None:
    cnn = parse_spec(CNN_SPEC)
    cnn_macs = (
        26 * 26 * 8 * 3 * 3 * 1  # conv
        + 13 * 13 * 8 * 2 * 2  # pooling comparisons
        + 7 * 7 * 16 * 3 * 3 * 8  # strided conv
        + 784 * 10
    )
    assert estimate_training_flops(cnn, 10) == pytest.approx(3 * 3 * 2 * cnn_macs * 10)

    rnn = parse_spec(RNN_SPEC)
    rnn_macs = 20 * 4 * 12 * (3 + 12) + 20 * 6 * (12 + 6) + 6
    assert estimate_training_flops(rnn, 10) == pytest.approx(5 * 3 * 2 * rnn_macs * 10)


def test_specs_within_limits_pass() -> None:
    for data in (HANDOUT_SPEC, CNN_SPEC, RNN_SPEC):
        check_limits(parse_spec(data), n_train_samples=1000)


def test_limits_have_the_documented_defaults() -> None:
    assert Limits() == Limits(
        max_layers=20,
        max_units_per_layer=1024,
        max_params=1_000_000,
        max_epochs=500,
        max_training_flops=2e11,
    )


def _dense_stack(n_layers: int, units: int) -> dict[str, Any]:
    layers = [{"type": "dense", "units": units, "activation": "relu", "input_dim": 4}]
    layers += [{"type": "dense", "units": units, "activation": "relu"}] * (n_layers - 2)
    layers.append({"type": "dense", "units": 1})
    return {"layers": layers, "loss": "mse"}


@pytest.mark.parametrize(
    ("data", "limits", "path", "phrases"),
    [
        (_dense_stack(25, 4), Limits(), "layers", ["25 layers", "limit is 20"]),
        (
            with_layer(HANDOUT_SPEC, 0, units=2048),
            Limits(),
            "layers[0].units",
            ["2048 units", "limit is 1024"],
        ),
        (
            with_layer(CNN_SPEC, 0, filters=2000),
            Limits(),
            "layers[0].filters",
            ["2000 filters", "limit is 1024"],
        ),
        (
            _dense_stack(3, 1024),
            Limits(),
            "layers",
            ["1,055,745 parameters", "limit is 1,000,000"],
        ),
        (
            with_changes(HANDOUT_SPEC, epochs=501),
            Limits(),
            "epochs",
            ["501 epochs", "limit is 500"],
        ),
        (
            HANDOUT_SPEC,
            Limits(max_training_flops=1e6),
            "",
            ["5.3e+07 floating-point operations", "limit is 1e+06"],
        ),
    ],
    ids=["layers", "units", "filters", "parameters", "epochs", "flops"],
)
def test_over_a_limit_is_an_error_that_states_limit_and_value(
    data: dict[str, Any], limits: Limits, path: str, phrases: list[str]
) -> None:
    spec = parse_spec(data)
    with pytest.raises(LimitExceeded) as caught:
        check_limits(spec, n_train_samples=768, limits=limits)

    assert caught.value.path == path
    for phrase in phrases:
        assert phrase in caught.value.reason


def test_training_flops_limit_grows_with_the_data() -> None:
    spec = parse_spec(with_changes(HANDOUT_SPEC, epochs=500))
    check_limits(spec, n_train_samples=10_000)
    with pytest.raises(LimitExceeded):
        check_limits(spec, n_train_samples=50_000_000)


def test_training_flops_count_every_seed() -> None:
    spec = parse_spec(HANDOUT_SPEC)
    one = estimate_training_flops(spec, 768)
    assert estimate_training_flops(spec, 768, n_seeds=5) == pytest.approx(5 * one)
    assert estimate_training_flops(spec, 600, n_val_samples=100, n_seeds=3) == pytest.approx(
        3 * estimate_training_flops(spec, 600, n_val_samples=100)
    )


def test_a_run_within_the_limit_for_one_seed_is_over_it_for_several() -> None:
    spec = parse_spec(HANDOUT_SPEC)
    one = estimate_training_flops(spec, 768)
    limits = Limits(max_training_flops=2.5 * one)
    check_limits(spec, n_train_samples=768, n_seeds=2, limits=limits)
    with pytest.raises(LimitExceeded) as caught:
        check_limits(spec, n_train_samples=768, n_seeds=3, limits=limits)
    assert caught.value.path == ""
    assert f"{3 * one:.2g} floating-point operations" in caught.value.reason
    assert "768 rows, 3 seeds" in caught.value.reason
    assert f"the limit is {2.5 * one:.2g}" in caught.value.reason
    assert "fewer seeds" in caught.value.reason


@pytest.mark.parametrize("n_seeds", [0, -1, 1.5, True])
def test_bad_seed_counts_are_rejected(n_seeds: Any) -> None:
    spec = parse_spec(HANDOUT_SPEC)
    with pytest.raises(ValueError, match="n_seeds"):
        estimate_training_flops(spec, 10, n_seeds=n_seeds)
    with pytest.raises(ValueError, match="n_seeds"):
        check_limits(spec, n_train_samples=10, n_seeds=n_seeds)


def test_bad_sample_counts_are_rejected() -> None:
    spec = parse_spec(HANDOUT_SPEC)
    with pytest.raises(ValueError, match="n_train_samples"):
        estimate_training_flops(spec, -1)
    with pytest.raises(ValueError, match="n_val_samples"):
        check_limits(spec, n_train_samples=10, n_val_samples=-3)


def test_layer_kinds_without_parameters() -> None:
    spec = ModelSpec(
        input_shape=(4, 4, 1),
        layers=(Flatten(), Dropout(0.5), Dense(2, Activation("softmax"))),
        loss="categorical_crossentropy",
    )
    assert layer_param_counts(spec) == [0, 0, 34]
    assert isinstance(spec.layers[0], Flatten)
    assert SimpleRNN(3).activation == LSTM(3).activation == Activation("tanh")
