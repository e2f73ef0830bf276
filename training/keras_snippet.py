"""Turn a Keras-style Python snippet into the architecture spec, without running it.

Students write networks the way the handout does::

    from tensorflow.keras.models import Sequential from tensorflow.keras.layers import Dense
    model = Sequential([
        Dense(16, input_dim=8, activation='relu'), Dense(8,
        activation='relu'),
        Dense(1, activation='sigmoid')
    ])
    model.compile(optimizer='adam', loss='binary_crossentropy', metrics=['accuracy'])
    model.fit(X_train, y_train, epochs=50, batch_size=10)

``snippet_to_spec_dict`` reads such a snippet with ``ast`` only: nothing is executed, Keras is
never imported and no Keras deserializer ever sees the input. Only an allow-list of
constructs is understood: tensorflow/keras imports; ``Sequential([...])`` or ``model.add``;
the layers, optimizers, regularizers and ``EarlyStopping`` the spec knows; ``model.compile``
and ``model.fit``; and literal values (numbers, strings, booleans, ``None``, lists, tuples and
dicts of them, a leading minus). Anything else raises ``SpecError("line N", ...)``.

Activation layers (``LeakyReLU``, ``PReLU``, ``ELU``, ``ReLU``, ``Activation``) that follow a
layer without activation are folded into that layer's activation. As everywhere in the spec,
``LeakyReLU()`` without a slope means the handout's ``max(0.01x, x)``.

Why one module of some 1,000 lines: it is one reader, a walk over the snippet's syntax tree
whose every step checks the allow-list and names the line; the layer, optimizer and callback
translations share its literal evaluation and its error wording, and are read in the order
a snippet is written.
"""

from __future__ import annotations

import ast
import builtins
import difflib
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

from training.errors import SpecError
from training.spec import ModelSpec, parse_spec
from training.validation import shorten

MAX_SOURCE_CHARS = 20_000
MAX_AST_NODES = 5_000

# --------------------------------------------------------------------------------------------
# What the snippet may name
# --------------------------------------------------------------------------------------------

_MODULES: frozenset[str] = frozenset(
    {
        "tensorflow",
        "keras",
        "keras.layers",
        "keras.models",
        "keras.optimizers",
        "keras.callbacks",
        "keras.regularizers",
    }
)
_LAYER_CLASSES: tuple[str, ...] = (
    "Dense",
    "Dropout",
    "Conv2D",
    "MaxPooling2D",
    "MaxPool2D",
    "Flatten",
    "SimpleRNN",
    "LSTM",
    "Input",
    "LeakyReLU",
    "PReLU",
    "ELU",
    "ReLU",
    "Activation",
)
_OPTIMIZER_CLASSES: dict[str, str] = {
    "SGD": "sgd",
    "Adam": "adam",
    "RMSprop": "rmsprop",
    "Adagrad": "adagrad",
    "Adadelta": "adadelta",
}
_REGULARIZERS: tuple[str, ...] = ("l1", "l2", "l1_l2", "L1", "L2", "L1L2")
_ACTIVATION_LAYERS: tuple[str, ...] = ("LeakyReLU", "PReLU", "ELU", "ReLU", "Activation")

# Qualified name (with ``tensorflow.keras`` written as ``keras``) → the kind of thing it is.
_OBJECTS: dict[str, str] = {
    **{f"keras.layers.{name}": name for name in _LAYER_CLASSES},
    "keras.Input": "Input",
    "keras.Sequential": "Sequential",
    "keras.models.Sequential": "Sequential",
    **{f"keras.optimizers.{name}": name for name in _OPTIMIZER_CLASSES},
    "keras.callbacks.EarlyStopping": "EarlyStopping",
    **{f"keras.regularizers.{name}": name for name in _REGULARIZERS},
}
_KIND_ALIASES: dict[str, str] = {
    "MaxPool2D": "MaxPooling2D",
    "L1": "l1",
    "L2": "l2",
    "L1L2": "l1_l2",
}

# Accepted arguments per call: (positional parameters in Keras' order, keyword-only extras).
# ``name`` and ``verbose`` are accepted where Keras has them and ignored.
_INPUT_KEYWORDS: tuple[str, ...] = ("input_shape", "input_dim")
_SIGNATURES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Dense": (("units", "activation", "use_bias"), ("kernel_regularizer", *_INPUT_KEYWORDS)),
    "Dropout": (("rate",), _INPUT_KEYWORDS),
    "Conv2D": (
        ("filters", "kernel_size", "strides", "padding"),
        ("activation", "use_bias", "kernel_regularizer", *_INPUT_KEYWORDS),
    ),
    "MaxPooling2D": (("pool_size", "strides", "padding"), _INPUT_KEYWORDS),
    "Flatten": ((), _INPUT_KEYWORDS),
    "SimpleRNN": (("units", "activation"), ("return_sequences", *_INPUT_KEYWORDS)),
    "LSTM": (("units", "activation"), ("return_sequences", *_INPUT_KEYWORDS)),
    "Input": (("shape",), ()),
    "LeakyReLU": (("negative_slope",), ("alpha",)),
    "PReLU": ((), ()),
    "ELU": (("alpha",), ()),
    "ReLU": ((), ()),
    "Activation": (("activation",), ()),
    "Sequential": (("layers",), ()),
    "SGD": (("learning_rate", "momentum", "nesterov"), ()),
    "Adam": (("learning_rate", "beta_1", "beta_2", "epsilon"), ()),
    "RMSprop": (("learning_rate", "rho", "momentum", "epsilon"), ()),
    "Adagrad": (("learning_rate", "initial_accumulator_value", "epsilon"), ()),
    "Adadelta": (("learning_rate", "rho", "epsilon"), ()),
    "EarlyStopping": (
        ("monitor", "min_delta", "patience", "verbose", "mode"),
        ("restore_best_weights",),
    ),
    "l1": (("l1",), ()),
    "l2": (("l2",), ()),
    "l1_l2": ((), ("l1", "l2")),
    "compile": (("optimizer", "loss"), ("metrics",)),
    "fit": (
        ("x", "y", "batch_size", "epochs", "verbose", "callbacks", "validation_split"),
        ("shuffle", "class_weight"),
    ),
}
_NAMED = (*_LAYER_CLASSES, "Sequential", *_OPTIMIZER_CLASSES)
_IGNORED_ARGUMENTS: dict[str, tuple[str, ...]] = {
    **{kind: ("name",) for kind in _NAMED},
    "EarlyStopping": ("verbose",),
    "fit": ("verbose",),
}
_KEYWORD_HINTS: dict[str, str] = {"lr": "learning_rate"}

_FORBIDDEN_CALLS: frozenset[str] = frozenset(
    {"exec", "eval", "open", "compile", "__import__", "getattr", "setattr", "globals", "input"}
)

_MODEL_METHODS: tuple[str, ...] = ("add", "compile", "fit", "summary", "evaluate", "predict")


def _fail(line: int, reason: str) -> NoReturn:
    raise SpecError(f"line {line}", reason)


def _name(text: str) -> str:
    """A name or expression of the snippet as a message quotes it: at most about 60
    characters (``training.validation.shorten``)."""
    return shorten(text, 60)


# --------------------------------------------------------------------------------------------
# Values the snippet's expressions stand for
# --------------------------------------------------------------------------------------------


@dataclass
class _Ref:
    """A Keras module or class named but not (yet) called."""

    qualname: str


@dataclass
class _Built:
    """The result of calling a Keras constructor: its kind, spec fields, and their lines."""

    kind: str
    fields: dict[str, Any]
    lines: dict[str, int]
    line: int


@dataclass
class _Model:
    line: int
    layers: list[_Built] = field(default_factory=list)


@dataclass
class _Opaque:
    """What ``model.fit``/``evaluate``/``predict`` return: may be stored, never used."""

    line: int


# --------------------------------------------------------------------------------------------
# Public entry points
# --------------------------------------------------------------------------------------------


def snippet_to_spec_dict(source: str) -> dict[str, Any]:
    """The spec (JSON form, not yet validated) that a Keras snippet describes.

    Raises ``SpecError("line N", ...)`` for syntax errors and for any construct outside the
    allow-list; the values themselves are validated by ``parse_spec``.
    """
    return _translate(source).spec


def parse_keras_snippet(source: str, *, external_validation: bool = False) -> ModelSpec:
    """``parse_spec(snippet_to_spec_dict(source))``, with errors pointing at snippet lines.

    ``external_validation`` is passed on to ``parse_spec``: validation rows come with the data.

    A problem with a value is reported as ``SpecError("line N", "<json path>: <reason>")``
    with N the line of the argument at fault.
    """
    translation = _translate(source)
    try:
        return parse_spec(translation.spec, external_validation=external_validation)
    except SpecError as error:
        line = translation.line_for(error.path)
        reason = f"{error.path}: {error.reason}" if error.path else error.reason
        raise type(error)(f"line {line}", reason) from None


@dataclass
class _Translation:
    spec: dict[str, Any]
    lines: dict[str, int]
    default_line: int

    def line_for(self, path: str) -> int:
        """The snippet line of a JSON path, or of its closest enclosing path."""
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return self.default_line


# --------------------------------------------------------------------------------------------
# Source preparation
# --------------------------------------------------------------------------------------------

_IMPORT_KEYWORD = re.compile(r"(?<![\w.])(from|import)(?!\w)")
_FENCE = re.compile(r"^\s*```[\w+-]*\s*$")


def _split_imports(line: str) -> str:
    """Put ``;`` before a second import statement run onto the same line.

    ``from a import B from c import D`` (as the handout prints it) becomes
    ``from a import B; from c import D``; the line count does not change.
    """
    stripped = line.lstrip()
    if not stripped.startswith(("from ", "import ")):
        return line
    indent = line[: len(line) - len(stripped)]
    pieces: list[str] = []
    start = 0
    expecting_import = stripped.startswith("from ")
    for match in list(_IMPORT_KEYWORD.finditer(stripped))[1:]:
        if match.group(1) == "import" and expecting_import:
            expecting_import = False
            continue
        pieces.append(stripped[start : match.start()].rstrip())
        start = match.start()
        expecting_import = match.group(1) == "from"
    pieces.append(stripped[start:])
    return indent + "; ".join(pieces)


def _prepare(source: object) -> ast.Module:
    if not isinstance(source, str):
        raise SpecError("snippet", f"must be text, got {type(source).__name__}")
    if len(source) > MAX_SOURCE_CHARS:
        raise SpecError(
            "snippet",
            f"is {len(source):,} characters long; the limit is {MAX_SOURCE_CHARS:,}",
        )
    if "\x00" in source:
        _fail(source.count("\n", 0, source.index("\x00")) + 1, "a NUL character is not allowed")
    lines = source.splitlines()
    prepared = "\n".join("" if _FENCE.match(line) else _split_imports(line) for line in lines)
    # Text pasted with a common indent (e.g. from a Markdown list) still parses.
    prepared = _dedent(prepared)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. invalid escape sequences in strings
            tree = ast.parse(prepared, mode="exec")
    except SyntaxError as error:
        _fail(error.lineno or 1, f"not valid Python: {error.msg}")
    except (RecursionError, MemoryError, ValueError):
        raise SpecError("snippet", "cannot be read: it is nested too deeply or too large") from None
    for count, _ in enumerate(ast.walk(tree), start=1):
        if count > MAX_AST_NODES:
            raise SpecError("snippet", f"is too complex: more than {MAX_AST_NODES:,} syntax nodes")
    _reject_forbidden_nodes(tree)
    return tree


def _dedent(text: str) -> str:
    lines = text.split("\n")
    indents = [len(line) - len(line.lstrip(" \t")) for line in lines if line.strip()]
    if not indents or min(indents) == 0:
        return text
    cut = min(indents)
    return "\n".join(line[cut:] if line.strip() else "" for line in lines)


def _is_dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def _reject_forbidden_nodes(tree: ast.AST) -> None:
    """Reject dunder names and lambdas wherever they are, before anything else is read."""
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 1)
        if isinstance(node, ast.Name) and _is_dunder(node.id):
            _fail(
                line,
                f"the name {_name(node.id)} is not allowed "
                "(double-underscore names are off-limits)",
            )
        if isinstance(node, ast.Attribute) and _is_dunder(node.attr):
            _fail(
                line,
                f"the attribute .{_name(node.attr)} is not allowed "
                "(double-underscore names are off-limits)",
            )
        if isinstance(node, ast.alias) and any(_is_dunder(part) for part in node.name.split(".")):
            _fail(line, f"importing {_name(node.name)} is not allowed")
        if isinstance(node, ast.Lambda):
            _fail(line, "lambda is not allowed: only Keras layers and literal values are")


# --------------------------------------------------------------------------------------------
# The translator
# --------------------------------------------------------------------------------------------


def _canonical(qualname: str) -> str:
    if qualname == "tensorflow.keras" or qualname.startswith("tensorflow.keras."):
        return "keras" + qualname.removeprefix("tensorflow.keras")
    return qualname


def _not_allowed_name(qualname: str) -> str:
    qualname = _name(qualname)
    last = qualname.rsplit(".", 1)[-1]
    if last == "Lambda":
        return "Lambda layers are not allowed (they run arbitrary code)"
    if qualname.startswith("keras.layers."):
        supported = ", ".join(name for name in _LAYER_CLASSES if name != "MaxPool2D")
        return f"{qualname} is not supported; supported layers: {supported}"
    if qualname.startswith("keras.optimizers."):
        return f"{qualname} is not supported; optimizers: {', '.join(_OPTIMIZER_CLASSES)}"
    if qualname.startswith("keras.regularizers."):
        return f"{qualname} is not supported; regularizers: l1, l2, l1_l2"
    if qualname.startswith("keras.callbacks."):
        return f"{qualname} is not supported; the only callback is EarlyStopping"
    return (
        f"{qualname} is not allowed: only the Keras layers, optimizers, regularizers and "
        "EarlyStopping that the spec knows are"
    )


def _expression_kind(node: ast.AST) -> str:
    kinds: dict[type[ast.AST], str] = {
        ast.JoinedStr: "f-strings are",
        ast.FormattedValue: "f-strings are",
        ast.Subscript: "subscripts (x[...]) are",
        ast.ListComp: "comprehensions are",
        ast.SetComp: "comprehensions are",
        ast.DictComp: "comprehensions are",
        ast.GeneratorExp: "generator expressions are",
        ast.BinOp: "arithmetic is",
        ast.BoolOp: "and/or expressions are",
        ast.Compare: "comparisons are",
        ast.IfExp: "conditional expressions are",
        ast.Set: "sets are",
        ast.Starred: "* unpacking is",
        ast.NamedExpr: "the := operator is",
        ast.Await: "await is",
        ast.Yield: "yield is",
        ast.YieldFrom: "yield is",
        ast.Slice: "slices are",
    }
    return kinds.get(type(node), f"a {type(node).__name__} expression is")


def _statement_kind(node: ast.stmt) -> str:
    kinds: dict[type[ast.AST], str] = {
        ast.FunctionDef: "function definitions",
        ast.AsyncFunctionDef: "function definitions",
        ast.ClassDef: "class definitions",
        ast.For: "for loops",
        ast.AsyncFor: "for loops",
        ast.While: "while loops",
        ast.If: "if statements",
        ast.With: "with statements",
        ast.AsyncWith: "with statements",
        ast.Try: "try statements",
        ast.Raise: "raise statements",
        ast.Delete: "del statements",
        ast.Global: "global statements",
        ast.Nonlocal: "nonlocal statements",
        ast.Assert: "assert statements",
        ast.AugAssign: "augmented assignments (+= ...)",
        ast.AnnAssign: "annotated assignments",
        ast.Return: "return statements",
        ast.Break: "break statements",
        ast.Continue: "continue statements",
        ast.Match: "match statements",
    }
    return kinds.get(type(node), f"{type(node).__name__} statements")


class _Translator:
    def __init__(self) -> None:
        self.symbols: dict[str, object] = {}
        self.model: _Model | None = None
        self.model_name: str | None = None
        self.compile_call: _Built | None = None
        self.fit_call: _Built | None = None

    # -- statements -----------------------------------------------------------------------

    def statement(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                qualname = _canonical(alias.name)
                self._check_import(qualname, alias.name, node.lineno)
                if alias.asname is not None:
                    self.symbols[alias.asname] = _Ref(qualname)
                else:
                    first = alias.name.split(".")[0]
                    self.symbols[first] = _Ref(_canonical(first))
            return
        if isinstance(node, ast.ImportFrom):
            if node.level or node.module is None:
                _fail(node.lineno, "relative imports are not allowed")
            module = _canonical(node.module)
            self._check_import(module, node.module, node.lineno)
            for alias in node.names:
                if alias.name == "*":
                    _fail(
                        node.lineno,
                        f"from {_name(node.module)} import * is not allowed: name what you use",
                    )
                qualname = _canonical(f"{module}.{alias.name}")
                self._check_import(qualname, f"{node.module}.{alias.name}", node.lineno)
                self.symbols[alias.asname or alias.name] = _Ref(qualname)
            return
        if isinstance(node, ast.Expr):
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                return  # a docstring or a stray string: harmless
            if isinstance(node.value, ast.Call) and self._is_model_method(node.value):
                self._model_method(node.value)
                return
            self.value(node.value)  # fails with the precise reason if it is off the list
            _fail(
                node.lineno,
                f"{self._written(node.value)} on its own does nothing: pass it to the model",
            )
        if isinstance(node, ast.Assign):
            self._assign(node)
            return
        if isinstance(node, ast.Pass):
            return
        _fail(node.lineno, f"{_statement_kind(node)} are not allowed")

    def _check_import(self, qualname: str, written: str, line: int) -> None:
        if qualname in _MODULES or qualname in _OBJECTS:
            return
        if qualname.startswith(("keras.", "tensorflow.")):
            _fail(line, _not_allowed_name(qualname))
        _fail(
            line,
            f"import {_name(written)} is not allowed: only tensorflow/keras imports are allowed",
        )

    def _assign(self, node: ast.Assign) -> None:
        if len(node.targets) != 1:
            _fail(node.lineno, "chained assignments (a = b = ...) are not allowed")
        target = node.targets[0]
        names: list[ast.Name] = []
        if isinstance(target, ast.Name):
            names = [target]
        elif isinstance(target, ast.Tuple) and all(isinstance(t, ast.Name) for t in target.elts):
            names = [t for t in target.elts if isinstance(t, ast.Name)]
        else:
            _fail(node.lineno, "only assignments to plain names (x = ...) are allowed")
        value: object
        if isinstance(node.value, ast.Call) and self._is_model_method(node.value):
            value = self._model_method(node.value)
        else:
            value = self.value(node.value)
        if isinstance(target, ast.Tuple) and not isinstance(value, _Opaque):
            _fail(
                node.lineno,
                "unpacking assignments are only allowed for model.evaluate/predict results",
            )
        if isinstance(value, _Model):
            if self.model is not None and value is not self.model:
                _fail(node.lineno, "only one model may be built in a snippet")
            self.model = value
            self.model_name = names[0].id
        for name in names:
            if self.model_name == name.id and value is not self.model:
                _fail(node.lineno, f"{_name(name.id)} already names the model; use another name")
            self.symbols[name.id] = value

    def _is_model_method(self, call: ast.Call) -> bool:
        func = call.func
        return (
            isinstance(func, ast.Attribute)
            and isinstance(func.value, ast.Name)
            and isinstance(self.symbols.get(func.value.id), _Model)
        )

    def _model_method(self, call: ast.Call) -> object:
        assert isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name)
        method = call.func.attr
        model = self.symbols[call.func.value.id]
        assert isinstance(model, _Model)
        line = call.lineno
        if method not in _MODEL_METHODS:
            _fail(
                line,
                f"model.{method}(...) is not allowed; allowed: "
                + ", ".join(f"model.{name}" for name in _MODEL_METHODS),
            )
        if method == "add":
            if call.keywords or len(call.args) != 1:
                _fail(line, "model.add takes exactly one layer")
            model.layers.append(self._layer_value(call.args[0]))
            return None
        if method == "compile":
            if self.compile_call is not None:
                _fail(line, f"the model is compiled twice (first on line {self.compile_call.line})")
            self.compile_call = self._built("compile", call)
            return None
        if method == "fit":
            if self.fit_call is not None:
                _fail(line, f"the model is fitted twice (first on line {self.fit_call.line})")
            self.fit_call = self._fit(call)
            return _Opaque(line)
        # summary/evaluate/predict: harmless, ignored; their arguments must still be plain.
        for argument in [*call.args, *(k.value for k in call.keywords)]:
            self._placeholder_or_value(argument)
        if any(k.arg is None for k in call.keywords):
            _fail(line, "** unpacking is not allowed")
        return _Opaque(line)

    # -- expressions ----------------------------------------------------------------------

    def value(self, node: ast.expr) -> object:
        """What an argument expression stands for; anything off the allow-list fails."""
        line = node.lineno
        if isinstance(node, ast.Constant):
            if node.value is None or isinstance(node.value, (bool, int, float, str)):
                return node.value
            _fail(line, f"a {type(node.value).__name__} literal is not allowed")
        if isinstance(node, ast.UnaryOp):
            operand = node.operand
            if (
                isinstance(node.op, (ast.USub, ast.UAdd))
                and isinstance(operand, ast.Constant)
                and isinstance(operand.value, (int, float))
                and not isinstance(operand.value, bool)
            ):
                return -operand.value if isinstance(node.op, ast.USub) else operand.value
            _fail(line, "only a sign before a number (-1, +0.5) is allowed as an operator")
        if isinstance(node, ast.List):
            return [self.value(item) for item in node.elts]
        if isinstance(node, ast.Tuple):
            return tuple(self.value(item) for item in node.elts)
        if isinstance(node, ast.Dict):
            result: dict[object, object] = {}
            for key, item in zip(node.keys, node.values, strict=True):
                if key is None:
                    _fail(line, "** unpacking is not allowed")
                key_value = self.value(key)
                if not isinstance(key_value, (str, int, float, bool)) and key_value is not None:
                    _fail(key.lineno, "dict keys must be literal numbers or strings")
                result[key_value] = self.value(item)
            return result
        if isinstance(node, (ast.Name, ast.Attribute)):
            resolved = self._resolve(node)
            if isinstance(resolved, _Ref):
                _fail(
                    line, f"{self._written(node)} must be called, e.g. {self._written(node)}(...)"
                )
            if isinstance(resolved, _Opaque):
                _fail(line, f"the result of line {resolved.line} cannot be used here")
            return resolved
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.Lambda):
            _fail(line, "lambda is not allowed")
        _fail(line, f"{_expression_kind(node)} not allowed: write literal values")

    def _written(self, node: ast.expr) -> str:
        try:
            return _name(ast.unparse(node))
        except Exception:  # pragma: no cover - unparse of a parsed node does not fail
            return type(node).__name__

    def _resolve(self, node: ast.expr) -> object:
        """A name or dotted name: a variable's value or a known Keras module/class."""
        if isinstance(node, ast.Name):
            if node.id in self.symbols:
                return self.symbols[node.id]
            if node.id in _FORBIDDEN_CALLS or hasattr(builtins, node.id):
                _fail(node.lineno, f"the built-in {_name(node.id)} is not allowed")
            _fail(
                node.lineno,
                f"the name {_name(node.id)} is not allowed here: it is neither imported from "
                "tensorflow/keras nor assigned above",
            )
        if isinstance(node, ast.Attribute):
            base = self._resolve(node.value)
            if isinstance(base, _Model):
                _fail(node.lineno, f"model.{_name(node.attr)} is not allowed here")
            if not isinstance(base, _Ref) or base.qualname not in _MODULES:
                _fail(
                    node.lineno,
                    f"the attribute .{_name(node.attr)} of {self._written(node.value)} "
                    "is not allowed",
                )
            qualname = _canonical(f"{base.qualname}.{node.attr}")
            if qualname not in _MODULES and qualname not in _OBJECTS:
                _fail(node.lineno, _not_allowed_name(qualname))
            return _Ref(qualname)
        _fail(node.lineno, f"{_expression_kind(node)} not allowed")

    def _call(self, node: ast.Call) -> object:
        func = node.func
        if not isinstance(func, (ast.Name, ast.Attribute)):
            _fail(
                node.lineno,
                f"calling the result of {self._written(func)} is not allowed",
            )
        if isinstance(func, ast.Name) and func.id in _FORBIDDEN_CALLS:
            _fail(node.lineno, f"calling {_name(func.id)} is not allowed")
        target = self._resolve(func)
        if not isinstance(target, _Ref) or target.qualname not in _OBJECTS:
            _fail(node.lineno, f"calling {self._written(func)} is not allowed")
        kind = _OBJECTS[target.qualname]
        kind = _KIND_ALIASES.get(kind, kind)
        if kind == "Sequential":
            return self._sequential(node)
        return self._built(kind, node)

    def _layer_value(self, node: ast.expr) -> _Built:
        value = self.value(node)
        if not isinstance(value, _Built) or value.kind not in (*_LAYER_CLASSES, "MaxPooling2D"):
            _fail(node.lineno, f"{self._written(node)} is not a layer")
        return value

    def _sequential(self, node: ast.Call) -> _Model:
        if self.model is not None:
            _fail(
                node.lineno,
                "only one model may be built in a snippet "
                f"(one was built on line {self.model.line})",
            )
        arguments = self._bind("Sequential", node)
        model = _Model(node.lineno)
        if "layers" in arguments:
            items = arguments["layers"]
            if not isinstance(items, (ast.List, ast.Tuple)):
                self.value(items)  # fails with the precise reason if it is off the list
                _fail(
                    items.lineno, "Sequential takes a list of layers: Sequential([Dense(...), ...])"
                )
            model.layers = [self._layer_value(item) for item in items.elts]
        return model

    def _bind(self, kind: str, call: ast.Call) -> dict[str, ast.expr]:
        """Match a call's arguments to Keras parameter names; ignored ones are dropped."""
        positional, keywords = _SIGNATURES[kind]
        ignored = _IGNORED_ARGUMENTS.get(kind, ())
        allowed = (*positional, *keywords)
        shown = kind if kind not in ("compile", "fit") else f"model.{kind}"
        bound: dict[str, ast.expr] = {}
        if len(call.args) > len(positional):
            _fail(call.lineno, f"{shown}() takes at most {len(positional)} positional arguments")
        for name, argument in zip(positional, call.args, strict=False):
            if isinstance(argument, ast.Starred):
                _fail(argument.lineno, "* unpacking is not allowed")
            bound[name] = argument
        for keyword in call.keywords:
            line = keyword.value.lineno
            if keyword.arg is None:
                _fail(line, "** unpacking is not allowed")
            if keyword.arg in ignored:
                self.value(keyword.value)
                continue
            if keyword.arg not in allowed:
                _fail(
                    line,
                    f"{shown}({_name(keyword.arg)}=...) is not supported"
                    f"{_suggest(keyword.arg, allowed)}; supported: "
                    f"{', '.join(allowed) or 'no arguments'}",
                )
            if keyword.arg in bound:
                _fail(line, f"{shown}() got {_name(keyword.arg)} twice")
            bound[keyword.arg] = keyword.value
        for name in ignored:
            if name in bound:
                self.value(bound.pop(name))
        return bound

    def _placeholder_or_value(self, node: ast.expr) -> object:
        """A bare unknown name (X_test) is a data placeholder; anything else must be a value."""
        if isinstance(node, ast.Name) and node.id not in self.symbols:
            if node.id in _FORBIDDEN_CALLS:
                _fail(node.lineno, f"{_name(node.id)} is not allowed")
            return _Opaque(node.lineno)
        return self.value(node)

    def _built(self, kind: str, call: ast.Call) -> _Built:
        arguments = self._bind(kind, call)
        built = _Built(kind, {}, {}, call.lineno)
        for name, node in arguments.items():
            built.fields[name] = self._field_value(kind, name, node)
            built.lines[name] = node.lineno
        if kind == "MaxPooling2D" and built.fields.pop("padding", "valid") != "valid":
            _fail(built.lines["padding"], "MaxPooling2D supports only padding='valid'")
        return built

    def _field_value(self, kind: str, name: str, node: ast.expr) -> object:
        if name == "kernel_regularizer":
            return self._regularizer(node)
        if name == "optimizer":
            return self._optimizer(node)
        if name == "callbacks":
            return self._callbacks(node)
        if kind == "fit" and name in ("x", "y"):
            if not isinstance(node, ast.Name):
                _fail(
                    node.lineno,
                    f"model.fit's {name} must be a plain name such as X_train "
                    "(the data is supplied by the task)",
                )
            return self._placeholder_or_value(node)
        value = self.value(node)
        if isinstance(value, (_Built, _Model, _Opaque)):
            _fail(node.lineno, f"{self._written(node)} cannot be used as {name}")
        return _json(value)

    def _regularizer(self, node: ast.expr) -> dict[str, Any] | None:
        value = self.value(node)
        if value is None:
            return None
        if value in ("l1", "l2"):
            return {str(value): 0.01}  # Keras' default strength for the string form
        if not isinstance(value, _Built) or value.kind not in ("l1", "l2", "l1_l2"):
            _fail(
                node.lineno,
                "kernel_regularizer must be regularizers.l1(...), l2(...) or l1_l2(...)",
            )
        if value.kind == "l1_l2":
            return {"l1": value.fields.get("l1", 0.0), "l2": value.fields.get("l2", 0.0)}
        return {value.kind: value.fields.get(value.kind, 0.01)}

    def _optimizer(self, node: ast.expr) -> object:
        value = self.value(node)
        if isinstance(value, _Built):
            if value.kind not in _OPTIMIZER_CLASSES:
                _fail(node.lineno, f"{self._written(node)} is not an optimizer")
            return value
        return _json(value)

    def _callbacks(self, node: ast.expr) -> _Built | None:
        value = self.value(node)
        if not isinstance(value, (list, tuple)):
            _fail(node.lineno, "callbacks must be a list, e.g. callbacks=[EarlyStopping(...)]")
        found: _Built | None = None
        for item in value:
            if not isinstance(item, _Built) or item.kind != "EarlyStopping":
                _fail(node.lineno, "the only callback allowed is EarlyStopping(...)")
            if found is not None:
                _fail(item.line, "only one EarlyStopping callback is allowed")
            found = item
        return found

    def _fit(self, call: ast.Call) -> _Built:
        # batch_size=len(X_train) is full-batch gradient descent.
        for keyword in call.keywords:
            if keyword.arg == "validation_data":
                _fail(
                    keyword.value.lineno,
                    "validation_data is not supported: use validation_split "
                    "(the task supplies the data)",
                )
        if len(call.args) >= 3:
            call_args = list(call.args)
            call_args[2] = self._full_batch(call_args[2], call)
            call = ast.Call(
                func=call.func, args=call_args, keywords=call.keywords, lineno=call.lineno
            )
        keywords = [
            ast.keyword(arg=k.arg, value=self._full_batch(k.value, call))
            if k.arg == "batch_size"
            else k
            for k in call.keywords
        ]
        call = ast.Call(func=call.func, args=call.args, keywords=keywords, lineno=call.lineno)
        return self._built("fit", call)

    def _full_batch(self, node: ast.expr, call: ast.Call) -> ast.expr:
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "len"
            and "len" not in self.symbols
            and len(node.args) == 1
            and not node.keywords
            and isinstance(node.args[0], ast.Name)
            and node.args[0].id not in self.symbols
        ):
            return ast.Constant(value="full", lineno=node.lineno, col_offset=node.col_offset)
        return node


def _suggest(word: str, options: Sequence[str]) -> str:
    if len(word) > 60:
        return ""
    hinted = _KEYWORD_HINTS.get(word)
    if hinted is not None and hinted in options:
        return f" (did you mean {hinted}?)"
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def _json(value: object) -> Any:
    """Tuples become lists so that the spec dict is plain JSON."""
    if isinstance(value, (list, tuple)):
        return [_json(item) for item in value]
    if isinstance(value, dict):
        return {key: _json(item) for key, item in value.items()}
    return value


# --------------------------------------------------------------------------------------------
# Assembling the spec dict
# --------------------------------------------------------------------------------------------

_SPEC_LAYER_TYPES: dict[str, str] = {
    "Dense": "dense",
    "Dropout": "dropout",
    "Conv2D": "conv2d",
    "MaxPooling2D": "max_pooling2d",
    "Flatten": "flatten",
    "SimpleRNN": "simple_rnn",
    "LSTM": "lstm",
}


def _translate(source: str) -> _Translation:
    tree = _prepare(source)
    translator = _Translator()
    for statement in tree.body:
        translator.statement(statement)
    model = translator.model
    if model is None:
        _fail(1, "no model is built: create one with model = Sequential([...])")
    lines: dict[str, int] = {"layers": model.line}
    spec: dict[str, Any] = {"layers": _layers(model, lines)}
    if translator.compile_call is None:
        _fail(
            model.line,
            "the model is never compiled: add model.compile(optimizer=..., loss=..., "
            "metrics=[...])",
        )
    _compile_fields(translator.compile_call, spec, lines)
    if translator.fit_call is not None:
        _fit_fields(translator.fit_call, spec, lines)
    return _Translation(spec, lines, model.line)


def _layers(model: _Model, lines: dict[str, int]) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = []
    pending_input: _Built | None = None
    for built in model.layers:
        index = len(result)
        if built.kind == "Input":
            if result or pending_input is not None:
                _fail(built.line, "Input(...) must come first, before every layer")
            pending_input = built
            continue
        if built.kind in _ACTIVATION_LAYERS:
            if not result:
                _fail(
                    built.line,
                    f"{built.kind} must follow a Dense or Conv2D layer without activation",
                )
            _fold_activation(result[-1], built, index - 1, lines)
            continue
        path = f"layers[{index}]"
        layer: dict[str, Any] = {"type": _SPEC_LAYER_TYPES[built.kind]}
        lines[path] = built.line
        for name, value in built.fields.items():
            layer[name] = value
            lines[f"{path}.{name}"] = built.lines[name]
        if pending_input is not None:
            if any(key in layer for key in _INPUT_KEYWORDS):
                _fail(
                    built.line,
                    "the input size is given twice: by Input(...) on line "
                    f"{pending_input.line} and here",
                )
            if "shape" not in pending_input.fields:
                _fail(
                    pending_input.line,
                    "Input needs shape=(number of features,), e.g. Input(shape=(8,))",
                )
            layer["input_shape"] = pending_input.fields["shape"]
            lines[f"{path}.input_shape"] = pending_input.lines["shape"]
            pending_input = None
        result.append(layer)
    if pending_input is not None:
        _fail(pending_input.line, "Input(...) must be followed by layers")
    if not result:
        _fail(model.line, "the model has no layers")
    return result


def _fold_activation(
    layer: dict[str, Any], built: _Built, index: int, lines: dict[str, int]
) -> None:
    if layer["type"] not in ("dense", "conv2d"):
        _fail(
            built.line,
            f"{built.kind} must follow a Dense or Conv2D layer "
            "(it becomes that layer's activation)",
        )
    if layer.get("activation") not in (None, "linear"):
        _fail(
            built.line,
            f"{built.kind} must follow a layer without activation, but layers[{index}] already "
            f"applies {layer['activation']!r}",
        )
    activation: object
    if built.kind == "LeakyReLU":
        if "negative_slope" in built.fields and "alpha" in built.fields:
            _fail(built.line, "give LeakyReLU negative_slope or alpha, not both")
        slope = built.fields.get("negative_slope", built.fields.get("alpha"))
        activation = "leaky_relu" if slope is None else {"name": "leaky_relu", "alpha": slope}
    elif built.kind == "ELU":
        alpha = built.fields.get("alpha")
        activation = "elu" if alpha is None else {"name": "elu", "alpha": alpha}
    elif built.kind == "PReLU":
        activation = "prelu"
    elif built.kind == "ReLU":
        activation = "relu"
    else:
        if "activation" not in built.fields:
            _fail(built.line, "Activation needs the name of an activation, e.g. Activation('relu')")
        activation = built.fields["activation"]
    layer["activation"] = activation
    lines[f"layers[{index}].activation"] = built.line


def _compile_fields(call: _Built, spec: dict[str, Any], lines: dict[str, int]) -> None:
    lines["loss"] = lines["optimizer"] = lines["metrics"] = call.line
    # Keras' model.compile() defaults to rmsprop.
    optimizer = call.fields.get("optimizer", "rmsprop")
    if isinstance(optimizer, _Built):
        lines["optimizer"] = optimizer.line
        settings = {"name": _OPTIMIZER_CLASSES[optimizer.kind], **optimizer.fields}
        for name, line in optimizer.lines.items():
            lines[f"optimizer.{name}"] = line
        spec["optimizer"] = settings
    else:
        lines["optimizer"] = call.lines.get("optimizer", call.line)
        spec["optimizer"] = optimizer
    if "loss" not in call.fields:
        _fail(call.line, "model.compile needs a loss, e.g. loss='binary_crossentropy'")
    spec["loss"] = call.fields["loss"]
    lines["loss"] = call.lines["loss"]
    if "metrics" in call.fields:
        spec["metrics"] = call.fields["metrics"]
        lines["metrics"] = call.lines["metrics"]


def _fit_fields(call: _Built, spec: dict[str, Any], lines: dict[str, int]) -> None:
    for name in ("epochs", "batch_size", "validation_split", "shuffle", "class_weight"):
        if name not in call.fields:
            continue
        value = call.fields[name]
        if name == "batch_size" and value is None:
            continue  # Keras: None means the default of 32
        spec[name] = value
        lines[name] = call.lines[name]
    early_stopping = call.fields.get("callbacks")
    if isinstance(early_stopping, _Built):
        spec["early_stopping"] = dict(early_stopping.fields)
        lines["early_stopping"] = early_stopping.line
        for name, line in early_stopping.lines.items():
            lines[f"early_stopping.{name}"] = line
