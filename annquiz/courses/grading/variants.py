"""Parametrized questions: numbers drawn per student, answers computed by the training core.

A parametrized config names a ``template`` and, optionally, the ``ranges`` its numbers are
drawn from. Each range is one of

* ``[low, high]``: a number on the grid of ``decimals`` decimal places (1 or 2, default 1)
  between the bounds, drawn uniformly (whole numbers for counts such as ``n_inputs``);
* ``{one_of: [v1, v2, ...]}``: one of the listed values, used exactly as written;
* for ``activation``, a list of activation names.

Parameters left out of ``ranges`` use the template's defaults (see ``TEMPLATES``). The answer
is never re-derived here: it comes from ``training.numpy_backend.activations``,
``training.numpy_backend.optimizers`` and ``training.spec``, so a question and the training
core can never disagree.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from annquiz.courses.grading.base import Variant, memoized_by_json
from annquiz.courses.grading.errors import ConfigError

__all__ = ["TEMPLATES", "draw_variant", "validate_parametrized", "variant_seed"]

_PLACEHOLDER_RE = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_MAX_REDRAWS = 200


@dataclass(frozen=True)
class Param:
    """One drawn parameter: its kind, the bounds any range must respect, its default range.

    ``kind`` is ``"float"``, ``"int"`` or ``"name"`` (one of ``names``); ``nonzero`` and
    ``positive`` exclude values that would make the question trivial or undefined (a zero
    gradient, a zero learning rate).
    ``size`` names the int parameter giving the vector length (``x`` has ``n_inputs`` items).
    """

    kind: str
    low: float
    high: float
    default: Any
    nonzero: bool = False
    positive: bool = False
    high_open: bool = False
    size: str | None = None
    names: tuple[str, ...] = ()

    def allows(self, value: float) -> bool:
        if value < self.low or value > self.high or (self.high_open and value >= self.high):
            return False
        if self.positive and value <= 0:
            return False
        return not (self.nonzero and value == 0)


@dataclass(frozen=True)
class Template:
    params: dict[str, Param]
    prompt: str
    hint: str
    vector: bool = False
    # Choices the config makes with a top-level key (softmax's ``output``), the first being
    # the default, and the default prompt for a non-default choice.
    options: dict[str, tuple[str, ...]] = field(default_factory=dict)
    option_prompts: dict[str, str] = field(default_factory=dict)


_ACTIVATIONS_FOR_NEURON = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "linear")
_W = Param("float", -10.0, 10.0, [-1.0, 1.0])
_G = Param("float", -10.0, 10.0, [-1.0, 1.0], nonzero=True)
_LR = Param("float", 0.0, 10.0, {"one_of": [0.01, 0.05, 0.1, 0.5]}, positive=True)

TEMPLATES: dict[str, Template] = {
    "neuron_output": Template(
        params={
            "n_inputs": Param("int", 1, 6, [2, 4]),
            "x": Param("float", -10.0, 10.0, [-2.0, 2.0], size="n_inputs"),
            "w": Param("float", -10.0, 10.0, [-1.0, 1.0], size="n_inputs"),
            "b": Param("float", -10.0, 10.0, [-1.0, 1.0]),
            "activation": Param(
                "name", 0, 0, ["sigmoid", "tanh", "relu"], names=_ACTIVATIONS_FOR_NEURON
            ),
        },
        prompt=(
            "A neuron receives the inputs $x = {{x}}$ with the weights $w = {{w}}$ and the "
            "bias $b = {{b}}$; its activation function is **{{activation}}**. "
            "What is its output $y = f(w \\cdot x + b)$? Give at least 3 decimals."
        ),
        hint="Compute z = w·x + b first (multiply each input by its weight, add them and the "
        "bias), then apply the activation function to z.",
    ),
    "softmax": Template(
        params={
            "n_logits": Param("int", 2, 6, [3, 4]),
            "logits": Param("float", -10.0, 10.0, [-2.0, 3.0], size="n_logits"),
        },
        prompt=(
            "The output layer of a classifier produces the logits $z = {{logits}}$. "
            "Apply softmax and give the probability of every class, in order, to at least "
            "3 decimals."
        ),
        hint="Softmax exponentiates every logit and divides each by the sum of the "
        "exponentials, so the probabilities are positive and sum to 1.",
        options={"output": ("vector", "class")},
        option_prompts={
            "class": (
                "The output layer of a classifier produces the logits $z = {{logits}}$. "
                "What probability does softmax give class {{k}} (counting from 1)? "
                "Give at least 3 decimals."
            )
        },
    ),
    "sgd_step": Template(
        params={"w": _W, "g": _G, "lr": _LR},
        prompt=(
            "A weight $w = {{w}}$ has the gradient $\\partial L / \\partial w = {{g}}$. "
            "What is the weight after one plain SGD step with the learning rate "
            "$\\eta = {{lr}}$?"
        ),
        hint="Gradient descent moves the weight against the gradient: w <- w - lr * g.",
    ),
    "momentum_step": Template(
        params={
            "w": _W,
            "g": _G,
            "m": Param("float", -10.0, 10.0, [-0.5, 0.5]),
            "lr": _LR,
            "momentum": Param("float", 0.0, 1.0, {"one_of": [0.5, 0.9]}, high_open=True),
        },
        prompt=(
            "SGD with momentum updates a weight as Keras does: $m \\leftarrow \\mu m - \\eta g$, "
            "then $w \\leftarrow w + m$. The weight is $w = {{w}}$, its gradient $g = {{g}}$, "
            "the velocity from the previous step $m = {{m}}$, the momentum $\\mu = {{momentum}}$ "
            "and the learning rate $\\eta = {{lr}}$. What is the weight after this step?"
        ),
        hint="Update the velocity first (m <- momentum * m - lr * g), then add it to the "
        "weight (w <- w + m).",
    ),
    "adam_step": Template(
        params={
            "w": _W,
            "g": _G,
            "m": Param("float", -10.0, 10.0, {"one_of": [0.0]}),
            "v": Param("float", 0.0, 10.0, {"one_of": [0.0]}),
            "t": Param("int", 1, 1000, [1, 1]),
            "lr": Param("float", 0.0, 10.0, {"one_of": [0.01, 0.1]}, positive=True),
            "beta_1": Param("float", 0.0, 1.0, {"one_of": [0.9]}, high_open=True),
            "beta_2": Param("float", 0.0, 1.0, {"one_of": [0.999]}, high_open=True),
            "epsilon": Param("float", 0.0, 1.0, {"one_of": [1e-7]}, positive=True),
        },
        prompt=(
            "Adam updates a weight as Keras does: $m \\leftarrow \\beta_1 m + (1 - \\beta_1) g$, "
            "$v \\leftarrow \\beta_2 v + (1 - \\beta_2) g^2$, "
            "$\\hat\\eta = \\eta \\sqrt{1 - \\beta_2^t} / (1 - \\beta_1^t)$ and "
            "$w \\leftarrow w - \\hat\\eta \\, m / (\\sqrt{v} + \\epsilon)$. "
            "The weight is $w = {{w}}$ with gradient $g = {{g}}$ at step $t = {{t}}$; the moments "
            "before the step are $m = {{m}}$ and $v = {{v}}$; $\\eta = {{lr}}$, "
            "$\\beta_1 = {{beta_1}}$, $\\beta_2 = {{beta_2}}$, $\\epsilon = {{epsilon}}$. "
            "What is the weight after this step? Give at least 4 decimals."
        ),
        hint="Update m and v first, then scale the learning rate by "
        "sqrt(1 - beta_2^t) / (1 - beta_1^t) and step by m / (sqrt(v) + epsilon); on the first "
        "step from m = v = 0 the step is about lr against the sign of the gradient.",
    ),
    "param_count": Template(
        params={
            "input_dim": Param("int", 1, 1000, [2, 10]),
            "n_layers": Param("int", 1, 5, [1, 3]),
            "units": Param("int", 1, 512, [1, 16], size="n_layers"),
        },
        prompt=(
            "A dense network takes {{input_dim}} input features and has the layers "
            "{{layers}}, each with a bias. How many trainable parameters does it have?"
        ),
        hint="A dense layer with n inputs and u units has n·u weights plus u biases; each "
        "layer's inputs are the previous layer's units.",
    ),
}


def variant_seed(student_id: int, question_key: str) -> int:
    """A seed from the student and the question that is the same in every process.

    The first 8 bytes of ``sha256("<student_id>:<question_key>")`` as a non-negative int below
    2**63 (it fits a signed 64-bit database column).
    """
    if isinstance(student_id, bool) or not isinstance(student_id, int):
        raise TypeError(f"student_id must be an int, got {type(student_id).__name__}")
    if not isinstance(question_key, str) or not question_key:
        raise ValueError("question_key must be a non-empty string")
    digest = hashlib.sha256(f"{student_id}:{question_key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


# --- validation -----------------------------------------------------------------------------


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _grid(low: float, high: float, decimals: int) -> tuple[int, int]:
    scale = 10**decimals
    return math.ceil(round(low * scale, 6)), math.floor(round(high * scale, 6))


def _check_range(
    name: str, param: Param, spec: object, path: str, decimals: int
) -> tuple[str, Any]:
    """Check one range against its parameter and return it in a normal form:
    ``("grid", (lo, hi, scale))``, ``("one_of", [values])`` or ``("names", [names])``."""
    if param.kind == "name":
        if (
            not isinstance(spec, list)
            or not spec
            or not all(isinstance(item, str) for item in spec)
        ):
            raise ConfigError(path, "must be a non-empty list of activation names")
        for index, item in enumerate(spec):
            if item not in param.names:
                raise ConfigError(
                    f"{path}[{index}]",
                    f"unknown activation {item!r}; choose from {', '.join(param.names)}",
                )
        return "names", list(spec)
    if isinstance(spec, Mapping):
        if set(spec) != {"one_of"}:
            raise ConfigError(path, "a range object must have exactly one key, 'one_of'")
        values = spec["one_of"]
        if not isinstance(values, list) or not values:
            raise ConfigError(f"{path}.one_of", "must be a non-empty list of numbers")
        for index, value in enumerate(values):
            item_path = f"{path}.one_of[{index}]"
            if not _is_number(value):
                raise ConfigError(item_path, f"must be a finite number, got {value!r}")
            if param.kind == "int" and int(value) != value:
                raise ConfigError(item_path, f"{name} must be a whole number, got {value!r}")
            if not param.allows(float(value)):
                raise ConfigError(
                    item_path, f"{value!r} is out of bounds for {name}: {_bounds(param)}"
                )
        return "one_of", [int(v) if param.kind == "int" else float(v) for v in values]
    if not isinstance(spec, list) or len(spec) != 2:
        raise ConfigError(path, "must be [low, high] or {one_of: [...]}")
    for index, value in enumerate(spec):
        if not _is_number(value):
            raise ConfigError(f"{path}[{index}]", f"must be a finite number, got {value!r}")
        if param.kind == "int" and int(value) != value:
            raise ConfigError(f"{path}[{index}]", f"{name} must be a whole number, got {value!r}")
    low, high = float(spec[0]), float(spec[1])
    if low > high:
        raise ConfigError(path, f"low {spec[0]!r} is above high {spec[1]!r}")
    if low < param.low or high > param.high:
        raise ConfigError(path, f"{name} must stay within {_bounds(param)}")
    scale_decimals = 0 if param.kind == "int" else decimals
    lo, hi = _grid(low, high, scale_decimals)
    scale = 10**scale_decimals
    if not any(param.allows(k / scale) for k in _sample_grid(lo, hi)):
        raise ConfigError(
            path,
            f"holds no usable value of {name} at {scale_decimals} decimals ({_requirement(param)})",
        )
    return "grid", (lo, hi, scale)


def _sample_grid(lo: int, hi: int) -> list[int]:
    """The grid's ends and a few points between: enough to find a usable value."""
    if hi < lo:
        return []
    if hi - lo <= 64:
        return list(range(lo, hi + 1))
    return sorted({lo, hi, *range(lo, hi + 1, max(1, (hi - lo) // 64))})


def _bounds(param: Param) -> str:
    upper = ")" if param.high_open else "]"
    return f"[{param.low:g}, {param.high:g}{upper}"


def _requirement(param: Param) -> str:
    if param.positive:
        return "it must be above 0"
    if param.nonzero:
        return "it must not be 0"
    return f"it must lie within {_bounds(param)}"


@dataclass(frozen=True)
class _Plan:
    """A validated parametrized config, ready to draw from."""

    template_name: str
    template: Template
    ranges: dict[str, tuple[str, Any]]
    decimals: int
    tolerance: float
    prompt: str
    options: dict[str, str]


_PARAMETRIZED_KEYS = frozenset(
    {"template", "ranges", "tolerance", "relative", "unit", "decimals", "prompt", "output"}
)


def validate_parametrized(config: Mapping[str, Any]) -> None:
    """Raise ConfigError(path, message) unless ``config`` is a usable parametrized config."""
    _plan(config)


@memoized_by_json
def _plan(config: Mapping[str, Any]) -> _Plan:
    if not isinstance(config, Mapping):
        raise ConfigError("", f"the config must be a mapping, got {type(config).__name__}")
    unknown = sorted(set(config) - _PARAMETRIZED_KEYS)
    if unknown:
        raise ConfigError(
            unknown[0],
            "unknown key for a parametrized question; expected one of "
            + ", ".join(sorted(_PARAMETRIZED_KEYS)),
        )
    name = config.get("template")
    if name is None:
        raise ConfigError("template", f"is required: one of {', '.join(TEMPLATES)}")
    if not isinstance(name, str) or name not in TEMPLATES:
        raise ConfigError("template", f"unknown template {name!r}; one of {', '.join(TEMPLATES)}")
    template = TEMPLATES[name]

    tolerance = config.get("tolerance")
    if tolerance is None:
        raise ConfigError("tolerance", "is required: the accepted error of an answer")
    if not _is_number(tolerance) or tolerance <= 0:
        raise ConfigError("tolerance", f"must be a number above 0, got {tolerance!r}")
    relative = config.get("relative", False)
    if not isinstance(relative, bool):
        raise ConfigError("relative", f"must be true or false, got {relative!r}")
    if relative and tolerance >= 1:
        raise ConfigError("tolerance", "a relative tolerance must be below 1 (0.01 is 1 %)")
    unit = config.get("unit", "")
    if not isinstance(unit, str):
        raise ConfigError("unit", f"must be text, got {unit!r}")
    decimals = config.get("decimals", 1)
    if decimals not in (1, 2) or isinstance(decimals, bool):
        raise ConfigError("decimals", f"must be 1 or 2, got {decimals!r}")

    options: dict[str, str] = {}
    for option, choices in template.options.items():
        value = config.get(option, choices[0])
        if value not in choices:
            raise ConfigError(option, f"must be one of {', '.join(choices)}, got {value!r}")
        options[option] = value
    for option in ("output",):
        if option in config and option not in template.options:
            raise ConfigError(option, f"is not used by the {name} template")

    raw_ranges = config.get("ranges", {})
    if raw_ranges is None:
        raw_ranges = {}
    if not isinstance(raw_ranges, Mapping):
        raise ConfigError("ranges", "must be a mapping of parameter name to range")
    drawable = template.params
    ranges: dict[str, tuple[str, Any]] = {}
    for key in raw_ranges:
        if key not in drawable:
            raise ConfigError(
                f"ranges.{key}",
                f"unknown parameter for the {name} template; expected {', '.join(drawable)}",
            )
    for key, param in drawable.items():
        spec = raw_ranges.get(key, param.default)
        ranges[key] = _check_range(key, param, spec, f"ranges.{key}", decimals)

    default_prompt = template.prompt
    for choice in options.values():
        default_prompt = template.option_prompts.get(choice, default_prompt)
    prompt = config.get("prompt", default_prompt)
    if not isinstance(prompt, str) or not prompt.strip():
        raise ConfigError("prompt", "must be non-empty Markdown text")
    if len(prompt) > 5000:
        raise ConfigError("prompt", "is longer than 5,000 characters")
    known = set(_placeholders(name, options))
    for found in _PLACEHOLDER_RE.findall(prompt):
        if found not in known:
            raise ConfigError(
                "prompt",
                f"unknown placeholder {{{{{found}}}}}; available: {', '.join(sorted(known))}",
            )
    return _Plan(name, template, ranges, decimals, float(tolerance), prompt, options)


def _placeholders(template_name: str, options: Mapping[str, str]) -> list[str]:
    """The names a prompt may use as ``{{name}}``: the drawn parameters and derived text."""
    names = list(TEMPLATES[template_name].params)
    if template_name == "param_count":
        names.append("layers")
    if options.get("output") == "class":
        names.append("k")
    return names


# --- drawing ---------------------------------------------------------------------------------


def _draw_one(rng: random.Random, param: Param, kind: str, spec: Any) -> Any:
    if kind == "names":
        return rng.choice(spec)
    if kind == "one_of":
        return rng.choice(spec)
    lo, hi, scale = spec
    for _ in range(_MAX_REDRAWS):
        value = rng.randint(lo, hi)
        number = value if param.kind == "int" else value / scale
        if param.allows(number):
            return number + 0.0 if param.kind == "float" else number
    # The grid holds a usable value (checked when validating); fall back to scanning it.
    for value in range(lo, hi + 1):
        number = value if param.kind == "int" else value / scale
        if param.allows(number):
            return number + 0.0 if param.kind == "float" else number
    raise ConfigError("ranges", "no usable value could be drawn")  # pragma: no cover


def _draw_params(plan: _Plan, rng: random.Random) -> dict[str, Any]:
    params: dict[str, Any] = {}
    # Sizes first, so vectors know their length.
    ordered = sorted(plan.ranges, key=lambda key: plan.template.params[key].size is not None)
    for key in ordered:
        param = plan.template.params[key]
        kind, spec = plan.ranges[key]
        if param.size is None:
            params[key] = _draw_one(rng, param, kind, spec)
        else:
            params[key] = [_draw_one(rng, param, kind, spec) for _ in range(params[param.size])]
    ordered_params = {key: params[key] for key in plan.template.params}
    if plan.options.get("output") == "class":
        ordered_params["k"] = rng.randint(1, params["n_logits"])
    return ordered_params


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return format(value + 0.0, "g")
    return str(value)


def _render(plan: _Plan, params: Mapping[str, Any]) -> str:
    values: dict[str, str] = {}
    for key, value in params.items():
        if isinstance(value, list) and plan.template_name != "param_count":
            values[key] = "(" + ", ".join(_fmt(v) for v in value) + ")"
        elif isinstance(value, list):
            values[key] = ", ".join(_fmt(v) for v in value)
        else:
            values[key] = _fmt(value)
    if plan.template_name == "param_count":
        values["layers"] = ", ".join(f"Dense({units})" for units in params["units"])
    return _PLACEHOLDER_RE.sub(lambda m: values[m.group(1)], plan.prompt)


def _scalar(value: Any) -> float:
    return float(value[0]) if hasattr(value, "__len__") else float(value)


def _neuron_output(params: Mapping[str, Any]) -> float:
    import numpy as np

    from training.numpy_backend.activations import apply_activation

    z = float(np.dot(np.asarray(params["w"], float), np.asarray(params["x"], float)))
    z += float(params["b"])
    return float(apply_activation(params["activation"], np.array([z]))[0])


def _softmax(params: Mapping[str, Any]) -> float | list[float]:
    import numpy as np

    from training.numpy_backend.activations import apply_activation

    probabilities = apply_activation("softmax", np.asarray(params["logits"], dtype=float))
    if "k" in params:
        return float(probabilities[int(params["k"]) - 1])
    return [float(p) for p in probabilities]


def _sgd_step(params: Mapping[str, Any]) -> float:
    from training.numpy_backend.optimizers import sgd_step

    return _scalar(sgd_step(float(params["w"]), float(params["g"]), float(params["lr"])))


def _momentum_step(params: Mapping[str, Any]) -> float:
    from training.numpy_backend.optimizers import momentum_step

    w, _ = momentum_step(
        float(params["w"]),
        float(params["g"]),
        float(params["m"]),
        float(params["lr"]),
        float(params["momentum"]),
    )
    return _scalar(w)


def _adam_step(params: Mapping[str, Any]) -> float:
    from training.numpy_backend.optimizers import adam_step

    w, _, _ = adam_step(
        float(params["w"]),
        float(params["g"]),
        float(params["m"]),
        float(params["v"]),
        int(params["t"]),
        float(params["lr"]),
        float(params["beta_1"]),
        float(params["beta_2"]),
        float(params["epsilon"]),
    )
    return _scalar(w)


def _param_count(params: Mapping[str, Any]) -> float:
    from training.spec import count_params, parse_spec

    layers: list[dict[str, Any]] = []
    for index, units in enumerate(params["units"]):
        layer: dict[str, Any] = {"type": "dense", "units": int(units), "activation": "relu"}
        if index == 0:
            layer["input_dim"] = int(params["input_dim"])
        layers.append(layer)
    layers[-1]["activation"] = "linear"
    return float(count_params(parse_spec({"layers": layers, "loss": "mse"})))


_COMPUTE: dict[str, Callable[[Mapping[str, Any]], float | list[float]]] = {
    "neuron_output": _neuron_output,
    "softmax": _softmax,
    "sgd_step": _sgd_step,
    "momentum_step": _momentum_step,
    "adam_step": _adam_step,
    "param_count": _param_count,
}


def compute_answer(template_name: str, params: Mapping[str, Any]) -> float | list[float]:
    """The answer for ``params`` under ``template_name``, from the training core."""
    return _COMPUTE[template_name](params)


def draw_variant(config: Mapping[str, Any], *, seed: int) -> Variant:
    """Draw one student's numbers, fill in the prompt and compute the answer.

    The same ``config`` and ``seed`` always give the same variant, in any process.
    Raises ConfigError when ``config`` is not a usable parametrized config.
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    plan = _plan(config)
    # Bandit B311 (not a cryptographic generator): a variant must be reproducible from its
    # seed, not unpredictable.
    rng = random.Random(seed)  # nosec B311
    params = _draw_params(plan, rng)
    answer = compute_answer(plan.template_name, params)
    values = answer if isinstance(answer, list) else [answer]
    if not all(math.isfinite(v) for v in values):
        raise ConfigError("ranges", f"the drawn numbers {params} give a non-finite answer")
    return Variant(
        params=params,
        prompt_text=_render(plan, params),
        answer=answer,
        tolerance=plan.tolerance,
    )


def template_hint(config: Mapping[str, Any]) -> str:
    """One sentence from the handout's rules on how to compute this template's answer."""
    name = config.get("template")
    return TEMPLATES[name].hint if isinstance(name, str) and name in TEMPLATES else ""


def expects_vector(config: Mapping[str, Any]) -> bool:
    """Does this parametrized config ask for a list of values (softmax's whole vector)?"""
    return config.get("template") == "softmax" and config.get("output", "vector") == "vector"


def variant_fits(config: Mapping[str, Any], answer: Any) -> bool:
    """Can a variant whose stored answer is ``answer`` still be graded under ``config``?

    A variant keeps its numbers and answer when the template is edited, except when the edit
    changes the answer's shape (one number where the question now asks for a vector, or the
    reverse): such a variant cannot be answered any more and must be drawn again.
    """
    return expects_vector(config) == isinstance(answer, list)
