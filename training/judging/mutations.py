"""Mutation tests of a task's grading: variants of its reference, each with an expected verdict.

`mutation_family(spec, dataset_task)` derives, from a task's reference spec, one `Mutant` per
entry of `MUTATIONS`: the learning rate times 100 and divided by 100, a quarter of the
epochs, no hidden layer, linear activations, dropout and L2 each added (or removed when the
reference has them), the wrong loss and the wrong output activation. Where a change does not
apply to the reference (no hidden layer to remove, no dropout to remove) its counterpart is
made instead, and the mutant's title says which.

A task's expectations (`parse_expectations`, from the task's ``mutations.yaml``) say what a
teacher expects of each variant on the task's grading seeds: ``passed``, ``failed`` and which
checks fail, ``diverged``, or ``not admitted`` (refused by `admit` before training).
`variant_outcome` judges a variant and `disagreement` compares the two.
`seed_outcomes` and `outcome_on_seeds` read one judgement over many seeds seed by seed, for
the calibration report. See docs/judging.md, "Mutation tests".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

from training.errors import SpecError, TrainingError
from training.judging.admission import effective_learning_rate
from training.judging.driver import judge
from training.judging.task import TaskDefinition
from training.judging.verdict import Judgement, _check_names
from training.spec import (
    LSTM,
    Activation,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    Layer,
    ModelSpec,
    Optimizer,
    Regularizer,
    SimpleRNN,
    parse_spec,
    spec_to_dict,
)

__all__ = [
    "EXPECTED_VERDICTS",
    "MUTATIONS",
    "Expectation",
    "ExpectationError",
    "Mutant",
    "Outcome",
    "check_names",
    "disagreement",
    "mutation_family",
    "outcome_on_seeds",
    "parse_expectations",
    "seed_outcomes",
    "variant_outcome",
]

ExpectedVerdict = Literal["passed", "failed", "diverged", "not admitted"]
EXPECTED_VERDICTS: tuple[str, ...] = ("passed", "failed", "diverged", "not admitted")

# The dropout rates and L2 factor a mutant adds: the usual 0.5 on a hidden layer's output
# and 0.2 on the inputs (Srivastava et al., 2014), Keras' l2 default of 0.01.
ADDED_DROPOUT = 0.5
ADDED_INPUT_DROPOUT = 0.2
ADDED_L2 = 0.01
# The hidden layer added to a reference that has none.
ADDED_HIDDEN_UNITS = 16

_Trainable = Dense | Conv2D | SimpleRNN | LSTM
# A mutator's result: the variant's name, title, what changed, and the changed spec.
_Mutation = tuple[str, str, str, ModelSpec]


@dataclass(frozen=True)
class Mutant:
    """One variant of a reference: its key in ``mutations.yaml``, a title, what was changed,
    and the spec as the JSON document a student would submit (`variant_outcome` parses it:
    a spec that `parse_spec` refuses is not admitted either)."""

    name: str
    title: str
    change: str
    document: dict[str, Any]


def _trainable_indexes(spec: ModelSpec) -> list[int]:
    return [i for i, layer in enumerate(spec.layers) if isinstance(layer, _Trainable)]


def _replace_layers(spec: ModelSpec, layers: Sequence[Layer]) -> ModelSpec:
    return dataclasses.replace(spec, layers=tuple(layers))


def _scaled_learning_rate(factor: float, label: str) -> Callable[[ModelSpec, str], _Mutation]:
    def mutate(spec: ModelSpec, dataset_task: str) -> _Mutation:
        old = effective_learning_rate(spec)
        new = old * factor
        optimizer: Optimizer = dataclasses.replace(spec.optimizer, learning_rate=new)
        name = "lr_x100" if factor > 1 else "lr_div100"
        return (
            name,
            f"learning rate {label}",
            f"{spec.optimizer.name} learning rate {old:g} → {new:g}",
            dataclasses.replace(spec, optimizer=optimizer),
        )

    return mutate


def _quarter_epochs(spec: ModelSpec, dataset_task: str) -> _Mutation:
    epochs = max(1, spec.epochs // 4)
    return (
        "quarter_epochs",
        "a quarter of the epochs",
        f"epochs {spec.epochs} → {epochs}",
        dataclasses.replace(spec, epochs=epochs),
    )


def _no_hidden_layer(spec: ModelSpec, dataset_task: str) -> _Mutation:
    trainable = _trainable_indexes(spec)
    output = spec.layers[trainable[-1]]
    if len(trainable) == 1:
        # Nothing to remove: the counterpart is one ReLU hidden layer added.
        hidden = Dense(ADDED_HIDDEN_UNITS, activation=Activation("relu"))
        layers = [*spec.layers[: trainable[-1]], hidden, *spec.layers[trainable[-1] :]]
        return (
            "no_hidden_layer",
            f"a hidden layer added (the reference has none): Dense({ADDED_HIDDEN_UNITS}, relu)",
            f"Dense({ADDED_HIDDEN_UNITS}, relu) inserted before the output layer",
            _replace_layers(spec, layers),
        )
    flatten: list[Layer] = [Flatten()] if len(spec.input_shape) > 1 else []
    return (
        "no_hidden_layer",
        "no hidden layer",
        f"only the output layer kept ({len(trainable) - 1} hidden layer(s) with weights removed)",
        _replace_layers(spec, [*flatten, output]),
    )


def _with_activation(layer: Layer, name: str) -> Layer:
    if isinstance(layer, _Trainable):
        return dataclasses.replace(layer, activation=Activation(name))
    return layer


def _linear_activations(spec: ModelSpec, dataset_task: str) -> _Mutation:
    trainable = _trainable_indexes(spec)
    hidden = trainable[:-1]
    if not hidden:
        # No hidden layer: the only activation is the output's, made linear too.
        layers = [_with_activation(layer, "linear") for layer in spec.layers]
        return (
            "linear_activations",
            "linear activations (the reference has no hidden layer: its output made linear)",
            "every activation → linear",
            _replace_layers(spec, layers),
        )
    layers = [
        _with_activation(layer, "linear") if i in hidden else layer
        for i, layer in enumerate(spec.layers)
    ]
    return (
        "linear_activations",
        "linear activations in the hidden layers",
        f"{len(hidden)} hidden layer(s) → activation linear",
        _replace_layers(spec, layers),
    )


def _dropout(spec: ModelSpec, dataset_task: str) -> _Mutation:
    if any(isinstance(layer, Dropout) for layer in spec.layers):
        kept: list[Layer] = [layer for layer in spec.layers if not isinstance(layer, Dropout)]
        return (
            "dropout",
            "dropout removed",
            "every Dropout layer removed",
            _replace_layers(spec, kept),
        )
    last = _trainable_indexes(spec)[-1]
    on_inputs = len(_trainable_indexes(spec)) == 1
    rate = ADDED_INPUT_DROPOUT if on_inputs else ADDED_DROPOUT
    where = "on the inputs" if on_inputs else "before the output layer"
    layers = [*spec.layers[:last], Dropout(rate), *spec.layers[last:]]
    return (
        "dropout",
        f"dropout added: Dropout({rate}) {where}",
        f"Dropout({rate}) inserted {where}",
        _replace_layers(spec, layers),
    )


def _l2(spec: ModelSpec, dataset_task: str) -> _Mutation:
    def regularized(layer: Layer) -> bool:
        return isinstance(layer, Dense | Conv2D) and layer.kernel_regularizer is not None

    if any(regularized(layer) for layer in spec.layers):
        layers = [
            dataclasses.replace(layer, kernel_regularizer=None)
            if isinstance(layer, Dense | Conv2D)
            else layer
            for layer in spec.layers
        ]
        return (
            "l2",
            "L2 removed",
            "every kernel_regularizer removed",
            _replace_layers(spec, layers),
        )
    layers = [
        dataclasses.replace(layer, kernel_regularizer=Regularizer(l2=ADDED_L2))
        if isinstance(layer, Dense | Conv2D)
        else layer
        for layer in spec.layers
    ]
    return (
        "l2",
        f"L2 added: l2({ADDED_L2}) on every kernel",
        f"kernel_regularizer=l2({ADDED_L2}) on every Dense and Conv2D layer",
        _replace_layers(spec, layers),
    )


# The wrong loss and output activation per dataset task: the mistakes students make.
_WRONG_LOSS = {
    "binary": "mse",
    "multiclass": "categorical_crossentropy",
    "regression": "binary_crossentropy",
    "sequence-regression": "binary_crossentropy",
}
_WRONG_OUTPUT = {
    "binary": "softmax",
    "multiclass": "sigmoid",
    "regression": "relu",
    "sequence-regression": "relu",
}


def _wrong_loss(spec: ModelSpec, dataset_task: str) -> _Mutation:
    loss = _WRONG_LOSS[dataset_task]
    return (
        "wrong_loss",
        f"the wrong loss: {loss}",
        f"loss {spec.loss} → {loss}",
        dataclasses.replace(spec, loss=loss),
    )


def _wrong_output_activation(spec: ModelSpec, dataset_task: str) -> _Mutation:
    last = _trainable_indexes(spec)[-1]
    output = spec.layers[last]
    assert isinstance(output, _Trainable)
    name = _WRONG_OUTPUT[dataset_task]
    layers = [
        _with_activation(layer, name) if i == last else layer for i, layer in enumerate(spec.layers)
    ]
    return (
        "wrong_output_activation",
        f"the wrong output activation: {name}",
        f"output activation {output.activation.name} → {name}",
        _replace_layers(spec, layers),
    )


_MUTATORS: dict[str, Callable[[ModelSpec, str], _Mutation]] = {
    "lr_x100": _scaled_learning_rate(100.0, "\u00d7 100"),
    "lr_div100": _scaled_learning_rate(0.01, "÷ 100"),
    "quarter_epochs": _quarter_epochs,
    "no_hidden_layer": _no_hidden_layer,
    "linear_activations": _linear_activations,
    "dropout": _dropout,
    "l2": _l2,
    "wrong_loss": _wrong_loss,
    "wrong_output_activation": _wrong_output_activation,
}
MUTATIONS: tuple[str, ...] = tuple(_MUTATORS)


def mutation_family(spec: ModelSpec, dataset_task: str) -> list[Mutant]:
    """Every mutant of ``spec`` in `MUTATIONS` order.

    ``dataset_task`` is the task's dataset kind (``Dataset.task``: binary, multiclass,
    regression, sequence-regression), which decides the wrong loss and output activation.
    Each mutant is the reference changed in one respect and written out by `spec_to_dict`.
    """
    if dataset_task not in _WRONG_LOSS:
        raise ValueError(f"unknown dataset task {dataset_task!r}")
    family = []
    for mutate in _MUTATORS.values():
        name, title, change, mutated = mutate(spec, dataset_task)
        family.append(Mutant(name, title, change, spec_to_dict(mutated)))
    return family


class ExpectationError(ValueError):
    """A ``mutations.yaml`` entry is malformed; ``str()`` starts with the entry's path."""


@dataclass(frozen=True)
class Expectation:
    """What a teacher expects of one variant on the task's grading seeds.

    ``fails`` names the checks (by their judgement name: the kind, ``metric_at_least``)
    that fail when the verdict is ``failed``; ``field`` is the spec path `admit` names when
    it is ``not admitted`` (optional). ``why`` is the reasoning; ``revised`` says why an
    expectation was changed after a run disagreed with it.
    """

    verdict: ExpectedVerdict
    fails: frozenset[str] = frozenset()
    field: str | None = None
    why: str = ""
    revised: str | None = None

    def describe(self) -> str:
        if self.verdict == "failed":
            return f"failed ({', '.join(sorted(self.fails))})"
        if self.verdict == "not admitted" and self.field:
            return f"not admitted ({self.field})"
        return self.verdict


def _text(entry: Mapping[str, Any], key: str, path: str, *, required: bool) -> str | None:
    value = entry.get(key)
    if value is None:
        if required:
            raise ExpectationError(f"{path}.{key}: is missing")
        return None
    if not isinstance(value, str) or not value.strip():
        raise ExpectationError(f"{path}.{key}: must be a non-empty text, got {value!r}")
    return " ".join(value.split())


def _expectation(entry: object, path: str, check_names: Sequence[str]) -> Expectation:
    if not isinstance(entry, Mapping):
        raise ExpectationError(f"{path}: must be a mapping with verdict and why")
    unknown = set(entry) - {"verdict", "fails", "field", "why", "revised"}
    if unknown:
        raise ExpectationError(f"{path}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    verdict = entry.get("verdict")
    if verdict not in EXPECTED_VERDICTS:
        raise ExpectationError(
            f"{path}.verdict: must be one of {', '.join(EXPECTED_VERDICTS)}, got {verdict!r}"
        )
    fails = entry.get("fails", [])
    if not isinstance(fails, list) or not all(isinstance(name, str) for name in fails):
        raise ExpectationError(f"{path}.fails: must be a list of check names")
    if (verdict == "failed") != bool(fails):
        raise ExpectationError(f"{path}.fails: list the failing checks exactly when failed")
    for name in fails:
        if name not in check_names:
            raise ExpectationError(
                f"{path}.fails: {name!r} is not a check of this task ({', '.join(check_names)})"
            )
    field = _text(entry, "field", path, required=False)
    if field is not None and verdict != "not admitted":
        raise ExpectationError(f"{path}.field: only a 'not admitted' verdict names a field")
    return Expectation(
        verdict=cast(ExpectedVerdict, verdict),
        fails=frozenset(fails),
        field=field,
        why=_text(entry, "why", path, required=True) or "",
        revised=_text(entry, "revised", path, required=False),
    )


def parse_expectations(
    data: object, check_names: Sequence[str]
) -> tuple[Expectation, dict[str, Expectation]]:
    """The broken solution's expectation and one per variant in `MUTATIONS`, from a mapping
    ``{"broken": {...}, "variants": {name: {...}}}``. ``check_names`` are the task's checks
    as a judgement names them. Raises `ExpectationError` naming the entry at fault."""
    if not isinstance(data, Mapping):
        raise ExpectationError("the expectations must be a mapping with broken and variants")
    unknown = set(data) - {"broken", "variants"}
    if unknown:
        raise ExpectationError(f"unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    broken = _expectation(data.get("broken"), "broken", check_names)
    variants = data.get("variants")
    if not isinstance(variants, Mapping):
        raise ExpectationError("variants: must map each variant's name to its expectation")
    missing = [name for name in MUTATIONS if name not in variants]
    extra = [str(name) for name in variants if name not in MUTATIONS]
    if missing or extra:
        raise ExpectationError(
            f"variants: expected exactly {', '.join(MUTATIONS)}"
            + (f"; missing {', '.join(missing)}" if missing else "")
            + (f"; unknown {', '.join(extra)}" if extra else "")
        )
    return broken, {
        name: _expectation(variants[name], f"variants.{name}", check_names) for name in MUTATIONS
    }


@dataclass(frozen=True)
class Outcome:
    """What judging a variant gave: the verdict, the failing checks, or the refusal."""

    verdict: ExpectedVerdict
    fails: frozenset[str] = frozenset()
    field: str | None = None
    reason: str | None = None
    judgement: Judgement | None = None

    def describe(self) -> str:
        if self.verdict == "failed":
            return f"failed ({', '.join(sorted(self.fails))})"
        if self.verdict == "not admitted":
            return f"not admitted ({self.field or 'backend'})"
        return self.verdict


def variant_outcome(task: TaskDefinition, document: Mapping[str, Any]) -> Outcome:
    """`parse_spec` the variant's JSON ``document`` and `judge` it on ``task``; a refusal by
    either (what the web layer refuses on submit) is the verdict ``not admitted``."""
    try:
        judgement = judge(task, parse_spec(document, external_validation=True))
    except SpecError as error:
        return Outcome("not admitted", field=error.path or None, reason=error.reason)
    except TrainingError as error:
        # UnsupportedByBackend: the backend cannot train it; there is no spec path.
        return Outcome("not admitted", reason=str(error))
    fails = frozenset(c["name"] for c in judgement.checks if not c["passed"])
    verdict = judgement.verdict
    return Outcome(
        verdict, fails=fails if verdict == "failed" else frozenset(), judgement=judgement
    )


def disagreement(expected: Expectation, got: Outcome) -> str | None:
    """None when ``got`` is what was expected, else a sentence saying how they differ."""
    if expected.verdict != got.verdict:
        return f"expected {expected.describe()}, got {got.describe()}"
    if expected.verdict == "failed" and expected.fails != got.fails:
        return f"expected {expected.describe()}, got {got.describe()}"
    if expected.verdict == "not admitted" and expected.field and expected.field != got.field:
        return f"expected {expected.describe()}, got {got.describe()}: {got.reason}"
    return None


def seed_outcomes(judgement: Judgement) -> list[Outcome]:
    """Each seed of ``judgement`` on its own: diverged, passed, or failed and which checks."""
    outcomes = []
    for i, seed in enumerate(judgement.seeds):
        if seed["diverged"]:
            outcomes.append(Outcome("diverged"))
            continue
        fails = frozenset(c["name"] for c in judgement.checks if not c["per_seed"][i]["passed"])
        outcomes.append(Outcome("failed", fails=fails) if fails else Outcome("passed"))
    return outcomes


def outcome_on_seeds(judgement: Judgement, seeds: Sequence[int], required_passes: int) -> Outcome:
    """The verdict ``judge`` gives on ``seeds`` alone, read from a judgement over more seeds.

    The multi-seed rule of `training.judging.verdict`: diverged when more than
    ``len(seeds) - required_passes`` seeds diverged, else a check passes on at least
    ``required_passes`` of the seeds. Every seed in ``seeds`` must have been judged.
    """
    index = {entry["seed"]: i for i, entry in enumerate(judgement.seeds)}
    chosen = [index[seed] for seed in seeds]
    diverged = sum(1 for i in chosen if judgement.seeds[i]["diverged"])
    if diverged > len(seeds) - required_passes:
        return Outcome("diverged")
    fails = frozenset(
        c["name"]
        for c in judgement.checks
        if sum(1 for i in chosen if c["per_seed"][i]["passed"]) < required_passes
    )
    return Outcome("failed", fails=fails) if fails else Outcome("passed")


def check_names(task: TaskDefinition) -> list[str]:
    """The task's checks as a judgement names them (the kind; ``kind_2`` for a repeat)."""
    return _check_names(task.checks)
