"""The Keras-snippet parser: the handout's example, common variants, and the allow-list."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from training.errors import SpecError
from training.keras_snippet import (
    MAX_AST_NODES,
    MAX_SOURCE_CHARS,
    parse_keras_snippet,
    snippet_to_spec_dict,
)
from training.spec import (
    LSTM,
    Activation,
    Conv2D,
    Dense,
    Dropout,
    EarlyStopping,
    Flatten,
    MaxPooling2D,
    Optimizer,
    Regularizer,
    SimpleRNN,
    parse_spec,
)

# Section 5 of the handout, character for character: both imports on one line, the code
# fence, and the second Dense broken across two lines.
HANDOUT_SNIPPET = """\
from tensorflow.keras.models import Sequential from tensorflow.keras.layers import Dense

```
model = Sequential([
    Dense(16, input_dim=8, activation='relu'), Dense(8,
    activation='relu'),
    Dense(1, activation='sigmoid')
])
model.compile(optimizer='adam', loss='binary_crossentropy', metrics=['accuracy'])
model.fit(X_train, y_train, epochs=50, batch_size=10)
```
"""


def rejection(source: str) -> SpecError:
    with pytest.raises(SpecError) as caught:
        parse_keras_snippet(source)
    return caught.value


# --------------------------------------------------------------------------------------------
# The handout's example
# --------------------------------------------------------------------------------------------


def test_handout_snippet_becomes_the_expected_spec_dict() -> None:
    assert snippet_to_spec_dict(HANDOUT_SNIPPET) == {
        "layers": [
            {"type": "dense", "units": 16, "input_dim": 8, "activation": "relu"},
            {"type": "dense", "units": 8, "activation": "relu"},
            {"type": "dense", "units": 1, "activation": "sigmoid"},
        ],
        "optimizer": "adam",
        "loss": "binary_crossentropy",
        "metrics": ["accuracy"],
        "epochs": 50,
        "batch_size": 10,
    }


def test_handout_snippet_parses_to_the_same_spec_as_its_json() -> None:
    json_spec = parse_spec(
        {
            "layers": [
                {"type": "dense", "units": 16, "activation": "relu", "input_dim": 8},
                {"type": "dense", "units": 8, "activation": "relu"},
                {"type": "dense", "units": 1, "activation": "sigmoid"},
            ],
            "optimizer": {"name": "adam", "learning_rate": 0.001},
            "loss": "binary_crossentropy",
            "metrics": ["accuracy"],
            "epochs": 50,
            "batch_size": 10,
        }
    )
    spec = parse_keras_snippet(HANDOUT_SNIPPET)

    assert spec == json_spec
    assert spec.input_shape == (8,)
    assert spec.layers == (
        Dense(16, Activation("relu")),
        Dense(8, Activation("relu")),
        Dense(1, Activation("sigmoid")),
    )


def test_handout_snippet_pasted_with_indentation_and_without_the_fence() -> None:
    pasted = textwrap.indent(HANDOUT_SNIPPET.replace("```\n", ""), "    ")
    assert parse_keras_snippet(pasted) == parse_keras_snippet(HANDOUT_SNIPPET)


def test_error_in_the_handout_snippet_names_the_original_line() -> None:
    # Line 6 of the handout's layout holds "activation='relu'),", the second Dense's argument.
    broken = HANDOUT_SNIPPET.replace("    activation='relu'),", "    activation='relu6'),")
    error = rejection(broken)

    assert error.path == "line 6"
    assert "layers[1].activation" in error.reason
    assert "did you mean 'relu'" in error.reason


def test_a_bad_import_joined_onto_the_first_line_is_reported_on_line_1() -> None:
    error = rejection(HANDOUT_SNIPPET.replace("import Dense\n", "import Dense import os\n", 1))

    assert error.path == "line 1"
    assert "import os is not allowed" in error.reason


# --------------------------------------------------------------------------------------------
# Common variants
# --------------------------------------------------------------------------------------------


def test_keras_module_styles_and_model_add() -> None:
    source = """
import tensorflow as tf
from tensorflow import keras
from keras import layers

model = keras.Sequential()
model.add(keras.Input(shape=(8,)))
model.add(layers.Dense(16, activation="relu"))
model.add(tf.keras.layers.Dropout(0.2))
model.add(keras.layers.Dense(1, activation="sigmoid"))
model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["acc"])
history = model.fit(X_train, y_train, epochs=5, batch_size=len(X_train), verbose=0)
model.summary()
loss, accuracy = model.evaluate(X_test, y_test)
"""
    spec = parse_keras_snippet(source)

    assert spec.input_shape == (8,)
    assert spec.layers == (
        Dense(16, Activation("relu")),
        Dropout(0.2),
        Dense(1, Activation("sigmoid")),
    )
    assert spec.optimizer == Optimizer("sgd", learning_rate=0.01, momentum=0.0, nesterov=False)
    assert spec.metrics == ("accuracy",)
    assert spec.epochs == 5
    assert spec.batch_size is None  # len(X_train): full-batch gradient descent


def test_optimizer_objects_regularizers_callbacks_and_class_weights() -> None:
    source = """
from tensorflow.keras.models import Sequential
from tensorflow.keras.layers import Dense, Dropout
from tensorflow.keras import regularizers
from tensorflow.keras.optimizers import SGD
from tensorflow.keras.callbacks import EarlyStopping

early_stop = EarlyStopping(monitor='val_loss', patience=5, restore_best_weights=True, verbose=1)
model = Sequential([
    Dense(16, input_dim=8, activation='relu', kernel_regularizer=regularizers.l2(0.001)),
    Dropout(0.2),
    Dense(8, activation='tanh', kernel_regularizer=regularizers.l1_l2(l1=0.01, l2=0.02)),
    Dense(4, activation='elu', kernel_regularizer=regularizers.l1(1e-4), use_bias=False),
    Dense(1, activation='sigmoid'),
])
model.compile(optimizer=SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
              loss='binary_crossentropy', metrics=['accuracy'])
model.fit(X_train, y_train, epochs=30, batch_size=1, validation_split=0.2,
          callbacks=[early_stop], class_weight={0: 1.0, 1: 3.0}, shuffle=False)
"""
    spec = parse_keras_snippet(source)

    assert spec.layers == (
        Dense(16, Activation("relu"), kernel_regularizer=Regularizer(l2=0.001)),
        Dropout(0.2),
        Dense(8, Activation("tanh"), kernel_regularizer=Regularizer(l1=0.01, l2=0.02)),
        Dense(4, Activation("elu", 1.0), use_bias=False, kernel_regularizer=Regularizer(l1=1e-4)),
        Dense(1, Activation("sigmoid")),
    )
    assert spec.optimizer == Optimizer("sgd", learning_rate=0.05, momentum=0.9, nesterov=True)
    assert (spec.epochs, spec.batch_size, spec.validation_split) == (30, 1, 0.2)
    assert spec.early_stopping == EarlyStopping("val_loss", patience=5, restore_best_weights=True)
    assert spec.class_weight == {0: 1.0, 1: 3.0}
    assert spec.shuffle is False


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (
            "Adam(learning_rate=0.01)",
            Optimizer("adam", 0.01, beta_1=0.9, beta_2=0.999, epsilon=1e-7),
        ),
        (
            "optimizers.Adam(0.002, 0.8)",
            Optimizer("adam", 0.002, beta_1=0.8, beta_2=0.999, epsilon=1e-7),
        ),
        (
            "optimizers.RMSprop(rho=0.8)",
            Optimizer("rmsprop", 0.001, rho=0.8, momentum=0.0, epsilon=1e-7),
        ),
        (
            "optimizers.Adagrad(learning_rate=0.1)",
            Optimizer("adagrad", 0.1, initial_accumulator_value=0.1, epsilon=1e-7),
        ),
        ("optimizers.Adadelta()", Optimizer("adadelta", 0.001, rho=0.95, epsilon=1e-7)),
        ("'RMSprop'", Optimizer("rmsprop", 0.001, rho=0.9, momentum=0.0, epsilon=1e-7)),
    ],
)
def test_optimizers_as_objects_and_strings(call: str, expected: Optimizer) -> None:
    source = f"""
from keras import Sequential, layers, optimizers
from keras.optimizers import Adam
model = Sequential([layers.Dense(1, input_dim=2)])
model.compile(optimizer={call}, loss='mse')
"""
    assert parse_keras_snippet(source).optimizer == expected


def test_compile_without_optimizer_uses_keras_default_rmsprop() -> None:
    source = """
from keras import Sequential, layers
model = Sequential([layers.Dense(1, input_dim=2)])
model.compile(loss='mean_squared_error')
"""
    spec = parse_keras_snippet(source)
    assert spec.optimizer.name == "rmsprop"
    assert spec.loss == "mse"
    assert (spec.epochs, spec.batch_size) == (1, 32)  # no fit: Keras' defaults


def test_activation_layers_fold_into_the_layer_before() -> None:
    source = """
from tensorflow.keras.models import Sequential
from tensorflow.keras.layers import Dense, LeakyReLU, PReLU, ELU, ReLU, Activation, Input
model = Sequential([
    Input(shape=(6,)),
    Dense(32), LeakyReLU(),
    Dense(16), LeakyReLU(negative_slope=0.2),
    Dense(16, activation=None), LeakyReLU(alpha=0.3),
    Dense(8), PReLU(),
    Dense(8), ELU(alpha=0.5),
    Dense(8, activation='linear'), ReLU(),
    Dense(3), Activation('softmax'),
])
model.compile(optimizer='adam', loss='categorical_crossentropy')
"""
    spec = parse_keras_snippet(source)

    assert spec.input_shape == (6,)
    assert [layer.activation for layer in spec.layers if isinstance(layer, Dense)] == [
        Activation("leaky_relu", 0.01),  # the handout's slope, not Keras' 0.3
        Activation("leaky_relu", 0.2),
        Activation("leaky_relu", 0.3),
        Activation("prelu", 0.0),
        Activation("elu", 0.5),
        Activation("relu"),
        Activation("softmax"),
    ]


def test_convolutional_network() -> None:
    source = """
from tensorflow.keras import layers, models
model = models.Sequential([
    layers.Conv2D(8, (3, 3), activation='relu', input_shape=(28, 28, 1)),
    layers.MaxPooling2D((2, 2)),
    layers.Conv2D(16, 3, strides=2, padding='same'), layers.LeakyReLU(0.1),
    layers.MaxPool2D(pool_size=2, strides=1),
    layers.Flatten(),
    layers.Dense(10, activation='softmax'),
])
model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
model.fit(X_train, y_train, epochs=3)
"""
    spec = parse_keras_snippet(source)

    assert spec.input_shape == (28, 28, 1)
    assert spec.layers == (
        Conv2D(8, (3, 3), activation=Activation("relu")),
        MaxPooling2D((2, 2)),
        Conv2D(
            16, (3, 3), strides=(2, 2), padding="same", activation=Activation("leaky_relu", 0.1)
        ),
        MaxPooling2D((2, 2), strides=(1, 1)),
        Flatten(),
        Dense(10, Activation("softmax")),
    )


def test_recurrent_network() -> None:
    source = """
from keras.models import Sequential
from keras.layers import LSTM, SimpleRNN, Dense
model = Sequential()
model.add(LSTM(32, return_sequences=True, input_shape=(30, 1)))
model.add(SimpleRNN(16, activation='relu'))
model.add(Dense(1))
model.compile(optimizer='rmsprop', loss='mae', metrics=['mse'])
model.fit(X_train, y_train, epochs=10, batch_size=16, validation_split=0.1)
"""
    spec = parse_keras_snippet(source)

    assert spec.input_shape == (30, 1)
    assert spec.layers == (
        LSTM(32, return_sequences=True),
        SimpleRNN(16, Activation("relu")),
        Dense(1),
    )
    assert spec.loss == "mae"


def test_positional_fit_arguments_follow_keras_order() -> None:
    source = """
from keras import Sequential, layers
model = Sequential([layers.Dense(1, input_dim=2)])
model.compile('adam', 'mse')
model.fit(X, y, 8, 4)
"""
    spec = parse_keras_snippet(source)
    assert (spec.batch_size, spec.epochs) == (8, 4)


# --------------------------------------------------------------------------------------------
# The allow-list: everything else is an error naming its line
# --------------------------------------------------------------------------------------------

PREAMBLE = "from tensorflow.keras import Sequential, layers\n"  # line 1

REJECTIONS: list[tuple[str, str, int, str]] = [
    # (case id, source after the preamble, expected line, phrase the reason must contain)
    ("other import", "import os\n", 2, "import os is not allowed"),
    ("other from-import", "from subprocess import run\n", 2, "import subprocess is not allowed"),
    ("tensorflow internals", "from tensorflow.python import keras\n", 2, "not allowed"),
    ("star import", "from keras.layers import *\n", 2, "import * is not allowed"),
    ("relative import", "from . import layers\n", 2, "relative imports are not allowed"),
    ("exec", "model = Sequential()\nexec('import os')\n", 3, "calling exec is not allowed"),
    ("eval", "model = Sequential([layers.Dense(eval('8'))])\n", 2, "calling eval is not allowed"),
    ("open", "x = open('/etc/passwd')\n", 2, "calling open is not allowed"),
    ("print", "model = Sequential()\nprint(model)\n", 3, "is not allowed"),
    (
        "Lambda layer",
        "model = Sequential([\n  layers.Dense(4, input_dim=2),\n  layers.Lambda(f)])\n",
        4,
        "Lambda layers are not allowed",
    ),
    ("lambda", "model = Sequential()\nf = lambda x: x\n", 3, "lambda is not allowed"),
    (
        "dunder attribute",
        "model = Sequential()\nx = layers.__dict__\n",
        3,
        "__dict__ is not allowed",
    ),
    ("dunder name", "\n__builtins__\n", 3, "__builtins__ is not allowed"),
    ("dunder import", "from keras import __version__\n", 2, "not allowed"),
    (
        "custom object",
        "model = Sequential([MyLayer(4)])\n",
        2,
        "the name MyLayer is not allowed",
    ),
    (
        "unsupported Keras layer",
        "model = Sequential([layers.BatchNormalization()])\n",
        2,
        "BatchNormalization is not supported",
    ),
    ("attribute of a module", "x = layers.Dense.from_config\n", 2, "not allowed"),
    (
        "tensorflow function",
        "import tensorflow as tf\nx = tf.io.read_file('f')\n",
        3,
        "tensorflow.io is not allowed",
    ),
    (
        "model method off the list",
        "model = Sequential()\nmodel.save('m.keras')\n",
        3,
        "model.save(...) is not allowed",
    ),
    (
        "model attribute",
        "model = Sequential()\nx = model.layers\n",
        3,
        "model.layers is not allowed",
    ),
    ("subscript", "model = Sequential([layers.Dense(sizes[0])])\n", 2, "subscripts"),
    ("f-string", "model = Sequential([layers.Dense(4, name=f'd{1}')])\n", 2, "f-strings"),
    (
        "comprehension",
        "model = Sequential([layers.Dense(n) for n in (4, 2)])\n",
        2,
        "comprehensions",
    ),
    ("arithmetic", "model = Sequential([layers.Dense(4 * 2, input_dim=2)])\n", 2, "arithmetic"),
    ("for loop", "model = Sequential()\nfor n in (4, 2):\n    pass\n", 3, "for loops"),
    ("function definition", "def build():\n    pass\n", 2, "function definitions"),
    ("class definition", "class MyLayer(layers.Layer):\n    pass\n", 2, "class definitions"),
    ("with statement", "with open('x') as f:\n    pass\n", 2, "with statements"),
    ("bytes literal", "model = Sequential([layers.Dense(b'4')])\n", 2, "bytes literal"),
    (
        "unknown keyword",
        "model = Sequential([layers.Dense(4, kernel_initializer='ones')])\n",
        2,
        "Dense(kernel_initializer=...) is not supported",
    ),
    (
        "keyword typo",
        "model = Sequential([layers.Dense(4, activaton='relu')])\n",
        2,
        "did you mean activation",
    ),
    (
        "old lr keyword",
        "from keras.optimizers import Adam\nopt = Adam(lr=0.1)\n",
        3,
        "did you mean learning_rate",
    ),
    ("** unpacking", "model = Sequential([layers.Dense(4, **options)])\n", 2, "** unpacking"),
    ("syntax error", "model = Sequential([\n  layers.Dense(4,,)\n])\n", 3, "not valid Python"),
    ("no model", "x = 1\n", 1, "no model is built"),
    (
        "model never compiled",
        "\nmodel = Sequential([layers.Dense(1, input_dim=2)])\n",
        3,
        "never compiled",
    ),
    (
        "two models",
        "a = Sequential()\nb = Sequential()\n",
        3,
        "only one model",
    ),
    (
        "validation_data",
        "model = Sequential([layers.Dense(1, input_dim=2)])\nmodel.compile(loss='mse')\n"
        "model.fit(X, y, validation_data=(Xv, yv))\n",
        4,
        "validation_data is not supported",
    ),
    (
        "fit data that is not a name",
        "model = Sequential([layers.Dense(1, input_dim=2)])\nmodel.compile(loss='mse')\n"
        "model.fit('data.csv', y)\n",
        4,
        "plain name",
    ),
    (
        "leaky relu after an activation",
        "model = Sequential([\n  layers.Dense(4, input_dim=2, activation='relu'),\n"
        "  layers.LeakyReLU()])\n",
        4,
        "already applies 'relu'",
    ),
    (
        "activation layer first",
        "model = Sequential([layers.ReLU(), layers.Dense(1, input_dim=2)])\n",
        2,
        "must follow a Dense or Conv2D layer",
    ),
    (
        "input twice",
        "model = Sequential([layers.Input(shape=(3,)), layers.Dense(1, input_dim=3)])\n",
        2,
        "input size is given twice",
    ),
    (
        "max pooling same padding",
        "model = Sequential([layers.MaxPooling2D(padding='same')])\n",
        2,
        "padding='valid'",
    ),
    (
        "unknown loss value is mapped to its line",
        "model = Sequential([layers.Dense(1, input_dim=2)])\nmodel.compile(\n  loss='hinge')\n",
        4,
        "loss: unknown loss 'hinge'",
    ),
    (
        "units zero is mapped to its line",
        "model = Sequential([\n  layers.Dense(4, input_dim=2),\n  layers.Dense(0)])\n"
        "model.compile(loss='mse')\n",
        4,
        "layers[1].units: must be a positive whole number",
    ),
    (
        "missing input_dim names the first layer's line",
        "model = Sequential([\n  layers.Dense(4),\n  layers.Dense(1)])\n"
        "model.compile(loss='mse')\n",
        3,
        "on the first layer",
    ),
    (
        "early stopping monitor without validation",
        "from keras.callbacks import EarlyStopping\n"
        "model = Sequential([layers.Dense(1, input_dim=2)])\nmodel.compile(loss='mse')\n"
        "model.fit(X, y, callbacks=[EarlyStopping(\n  monitor='val_loss')])\n",
        6,
        "no validation data",
    ),
]


@pytest.mark.parametrize(
    ("body", "line", "phrase"),
    [case[1:] for case in REJECTIONS],
    ids=[case[0] for case in REJECTIONS],
)
def test_constructs_off_the_allow_list_are_rejected_naming_the_line(
    body: str, line: int, phrase: str
) -> None:
    error = rejection(PREAMBLE + body)

    assert error.path == f"line {line}"
    assert phrase in error.reason


def test_snippet_to_spec_dict_leaves_value_checks_to_parse_spec() -> None:
    source = (
        PREAMBLE + "model = Sequential([layers.Dense(0, input_dim=2)])\nmodel.compile(loss='x')\n"
    )
    assert snippet_to_spec_dict(source)["layers"][0]["units"] == 0
    with pytest.raises(SpecError):
        parse_keras_snippet(source)


def test_source_size_and_complexity_are_limited() -> None:
    too_long = HANDOUT_SNIPPET + "#" * MAX_SOURCE_CHARS
    error = rejection(too_long)
    assert error.path == "snippet"
    assert f"the limit is {MAX_SOURCE_CHARS:,}" in error.reason

    # Short but dense: thousands of syntax nodes in a few kilobytes.
    many_nodes = PREAMBLE + "x = [" + ",".join(["[1,2,3]"] * (MAX_AST_NODES // 4)) + "]\n"
    assert len(many_nodes) < MAX_SOURCE_CHARS
    error = rejection(many_nodes)
    assert error.path == "snippet"
    assert "too complex" in error.reason


def test_nul_bytes_and_deep_nesting_are_spec_errors() -> None:
    assert rejection(PREAMBLE + "x = 1\x00\n").path == "line 2"
    assert rejection(PREAMBLE + "x = " + "(" * 300 + "1" + ")" * 300 + "\n").path.startswith(
        ("line", "snippet")
    )


def test_fuzzed_snippets_raise_spec_error_and_never_anything_else() -> None:
    rng = random.Random(7)
    pieces = [
        "(", ")", "[", "]", ",", "=", ".", "'", "lambda", "__class__", "import os", "\n",
        "Dense", "model", "0", "-1", "1e999", "None", "**", "*", ":", "x[0]", "{", "}",
        "from keras import", "len(", "Input(shape=(", "'full'", "#", "\\", "\x00",
    ]  # fmt: skip
    lines = HANDOUT_SNIPPET.splitlines(keepends=True)
    outcomes = {"rejected": 0, "accepted": 0}
    for _ in range(600):
        mutated = list(HANDOUT_SNIPPET)
        for _ in range(rng.randint(1, 4)):
            position = rng.randrange(len(mutated) + 1)
            if rng.random() < 0.5 and mutated:
                del mutated[min(position, len(mutated) - 1)]
            else:
                mutated.insert(position, rng.choice(pieces))
        candidates = ["".join(mutated), "".join(rng.sample(lines, len(lines)))]
        for source in candidates:
            try:
                parse_keras_snippet(source)
            except SpecError as error:
                assert error.path == "snippet" or error.path.startswith("line ")
                outcomes["rejected"] += 1
            else:
                outcomes["accepted"] += 1
    assert outcomes["rejected"] > 600
    assert outcomes["accepted"] > 0


def test_parsing_imports_neither_keras_tensorflow_nor_django() -> None:
    code = (
        "import sys\n"
        "from training.keras_snippet import parse_keras_snippet\n"
        f"parse_keras_snippet({HANDOUT_SNIPPET!r})\n"
        "loaded = {name.split('.')[0] for name in sys.modules}\n"
        "print(sorted(loaded & {'keras', 'tensorflow', 'django'}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "[]"


def test_the_documented_json_and_snippet_describe_the_same_spec() -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "spec.md").read_text("utf-8")
    blocks = re.findall(r"```(json|python|text)\n(.*?)```", docs, flags=re.DOTALL)
    json_block = next(body for kind, body in blocks if kind == "json")
    python_block = next(body for kind, body in blocks if kind == "python")
    handout_block = next(body for kind, body in blocks if kind == "text")

    assert parse_keras_snippet(python_block) == parse_spec(json.loads(json_block))
    assert parse_keras_snippet(handout_block) == parse_keras_snippet(HANDOUT_SNIPPET)
