"""The training core's command line (``python -m training ...``), a stable interface.

::

    python -m training validate SPEC            # SPEC: a .json spec or a .py Keras snippet
    python -m training fit SPEC (--dataset NAME | --data FILE.npz) [--backend numpy|tensorflow]
                               [--seeds 0,1,2] [--weights-from FILE.npz] [--no-shuffle] [--json]
    python -m training datasets
    python -m training capabilities

Exit codes: 0 success (also when a behaviour check fails: checks are reported, not enforced);
2 bad input (missing or unreadable file, bad JSON, invalid spec, spec over the limits, an
``.npz`` over the size limits, unknown dataset, data that does not fit the spec, a layer the
backend cannot train), with a one-line
``error: ...`` on stderr and no traceback; 1 an unexpected internal failure (also one line).

``fit --json`` prints exactly one JSON object on stdout. With one seed::

    {"seed": 0, "history": {"loss": [...], "val_loss": [...], ...}, "checks": [...],
     "seconds": 0.12, "epochs_run": 50, "stopped_early": false, "best_epoch": null,
     "diverged": false, "test": {"loss": ..., "accuracy": ...}}

(``best_epoch`` counts from 0 as in ``FitResult``; epoch numbers inside ``checks`` count
from 1, as Keras prints them.)

With several seeds (``--seeds 0,1,2``)::

    {"seconds": 0.3, "seeds": [{"seed": 0, "history": ..., "checks": ..., ...}, ...]}

``checks`` holds ``CheckResult.to_dict()`` of the default checks (diverged, converged, and
overfitting when there is validation data). ``seconds`` is training time (data checks and
test evaluation excluded): with one seed, that seed's; with several, the top-level
``seconds`` is the time of training all of them. The NumPy backend trains the seeds together
in one pass, so its per-seed entries carry no ``seconds``; the TensorFlow backend trains them
one after another, so each of its entries also has that seed's own ``seconds`` (the top-level
figure is their sum).
``test`` (the model's evaluation on the test rows) is present when the data has test rows.
NaN or infinite figures are written as ``null``, so the output is strict JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from training.backends import get_backend
from training.checks import default_checks, json_safe
from training.datasets import DATASET_NAMES, describe_datasets, load_dataset
from training.errors import DataError, SpecError, TrainingError
from training.fitting import FitData, FitResult, check_fit_limits
from training.spec import ModelSpec

BACKENDS: tuple[str, ...] = ("numpy", "tensorflow")
# ``validate`` has no data; it states the training cost for this many rows.
VALIDATE_ROWS = 1000
MAX_SPEC_BYTES = 1_000_000
MAX_SEEDS = 32
# Bounds on an .npz given with --data or --weights-from: its size on disk, the size of its
# arrays once unpacked (a compressed archive may be far smaller than its contents), and the
# rows of each array. The built-in data sets are a few MB; the largest weights the spec limits
# allow (1,000,000 parameters in float64) are 8 MB.
MAX_NPZ_BYTES = 64_000_000
MAX_NPZ_ARRAY_BYTES = 256_000_000
MAX_DATA_ROWS = 200_000
NPZ_DATA_KEYS = ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test")


class UsageError(Exception):
    """Bad command-line usage (exit code 2)."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error raises instead of printing the usage block and exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


# --------------------------------------------------------------------------- loading


def load_spec(path: str | Path, *, external_validation: bool = False) -> ModelSpec:
    """Read a ``.json`` spec or a ``.py`` Keras snippet (parsed, never executed).

    ``external_validation``: the data brings its own validation rows, so ``val_*`` values
    exist even when the spec's ``validation_split`` is 0.
    """
    file = Path(path)
    suffix = file.suffix.lower()
    if suffix not in (".json", ".py"):
        raise DataError(f"{file}: SPEC must be a .json spec or a .py Keras snippet")
    text = _read_text(file)
    if suffix == ".py":
        from training.keras_snippet import parse_keras_snippet

        return parse_keras_snippet(text, external_validation=external_validation)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(
            f"{file}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    from training.spec import parse_spec

    return parse_spec(data, external_validation=external_validation)


def _read_text(file: Path) -> str:
    try:
        size = file.stat().st_size
        if size > MAX_SPEC_BYTES:
            raise DataError(f"{file}: {size:,} bytes is too large for a spec")
        return file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataError(f"{file}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{file}: is a directory, not a file") from None
    except UnicodeDecodeError:
        raise DataError(f"{file}: not a UTF-8 text file") from None
    except OSError as exc:
        raise DataError(f"{file}: cannot be read: {exc.strerror or exc}") from None


def _check_npz_size(file: Path) -> None:
    """Refuse an archive over ``MAX_NPZ_BYTES`` on disk or ``MAX_NPZ_ARRAY_BYTES`` unpacked,
    before any array is read (the sizes an archive declares are what ``zipfile`` reads)."""
    size = file.stat().st_size
    if size > MAX_NPZ_BYTES:
        raise DataError(f"{file}: {size:,} bytes; the limit for an .npz is {MAX_NPZ_BYTES:,} bytes")
    with zipfile.ZipFile(file) as archive:
        unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > MAX_NPZ_ARRAY_BYTES:
        raise DataError(
            f"{file}: its arrays take {unpacked:,} bytes unpacked; the limit is "
            f"{MAX_NPZ_ARRAY_BYTES:,} bytes"
        )


def _load_npz(file: Path, what: str) -> dict[str, np.ndarray]:
    if file.is_file() and not zipfile.is_zipfile(file):
        raise DataError(f"{file}: not an .npz archive of {what} (np.savez writes one)")
    try:
        if file.is_file():
            _check_npz_size(file)
        with np.load(file, allow_pickle=False) as archive:
            return {key: np.asarray(archive[key]) for key in archive.files}
    except FileNotFoundError:
        raise DataError(f"{file}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{file}: is a directory, not a file") from None
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"{file}: not a readable .npz of {what}: {reason}") from None


def load_npz_data(path: str | Path) -> FitData:
    """Training data from an ``.npz`` with ``x_train``, ``y_train`` and optionally
    ``x_val``/``y_val`` (then ``validation_split`` is not applied) and ``x_test``/``y_test``."""
    file = Path(path)
    arrays = _load_npz(file, "training data")
    unknown = sorted(set(arrays) - set(NPZ_DATA_KEYS))
    if unknown:
        raise DataError(
            f"{file}: unexpected arrays {', '.join(unknown)}; allowed: {', '.join(NPZ_DATA_KEYS)}"
        )
    for required in ("x_train", "y_train"):
        if required not in arrays:
            raise DataError(f"{file}: missing the array {required!r}")
    for x_key, y_key in (("x_val", "y_val"), ("x_test", "y_test")):
        if (x_key in arrays) != (y_key in arrays):
            raise DataError(f"{file}: give both {x_key} and {y_key}, or neither")
    for key, array in arrays.items():
        if array.dtype.kind not in "biuf":
            raise DataError(f"{file}: {key} must hold numbers, not {array.dtype}")
        if array.ndim and array.shape[0] > MAX_DATA_ROWS:
            raise DataError(
                f"{file}: {key} has {array.shape[0]:,} rows; the limit is {MAX_DATA_ROWS:,}"
            )
    return FitData(
        x_train=arrays["x_train"],
        y_train=arrays["y_train"],
        x_val=arrays.get("x_val"),
        y_val=arrays.get("y_val"),
        x_test=arrays.get("x_test"),
        y_test=arrays.get("y_test"),
    )


def load_weights(path: str | Path) -> list[np.ndarray]:
    """Arrays ``arr_0``, ``arr_1``, ... of an ``.npz`` (Keras ``get_weights()`` order)."""
    file = Path(path)
    arrays = _load_npz(file, "weights")
    if not arrays:
        raise DataError(f"{file}: holds no arrays; expected arr_0, arr_1, ...")
    expected = [f"arr_{i}" for i in range(len(arrays))]
    if sorted(arrays) != sorted(expected):
        raise DataError(
            f"{file}: arrays must be named arr_0 ... arr_{len(arrays) - 1} in Keras "
            f"get_weights() order (as np.savez(path, *model.get_weights()) writes them), "
            f"got {', '.join(sorted(arrays))}"
        )
    weights = [arrays[key] for key in expected]
    for key, array in zip(expected, weights, strict=True):
        if array.dtype.kind not in "biuf":
            raise DataError(f"{file}: {key} must hold numbers, not {array.dtype}")
    return weights


def check_inputs_fit_spec(spec: ModelSpec, data: FitData) -> None:
    """Raise ``DataError`` if an input array's sample shape differs from the spec's input."""
    expected = tuple(spec.input_shape)
    for x_name, y_name in (("x_train", "y_train"), ("x_val", "y_val"), ("x_test", "y_test")):
        x = getattr(data, x_name)
        y = getattr(data, y_name)
        if x is None:
            continue
        if x.ndim == 0 or x.shape[0] == 0:
            raise DataError(f"{x_name} has no rows")
        if tuple(x.shape[1:]) != expected:
            raise DataError(
                f"{x_name} samples have shape {tuple(x.shape[1:])} but the spec's first layer "
                f"expects input_shape {expected}"
            )
        if y is None or y.ndim == 0 or y.shape[0] != x.shape[0]:
            rows = "no" if y is None or y.ndim == 0 else y.shape[0]
            raise DataError(f"{y_name} has {rows} rows but {x_name} has {x.shape[0]}")


def parse_seeds(text: str) -> list[int]:
    """``"0,1,2"`` → ``[0, 1, 2]``: distinct whole numbers ≥ 0, at most ``MAX_SEEDS``."""
    parts = [part.strip() for part in text.split(",")]
    seeds: list[int] = []
    for part in parts:
        if not part.isdigit():
            raise UsageError(
                f"--seeds must be whole numbers >= 0 separated by commas, got {text!r}"
            )
        seeds.append(int(part))
    if len(set(seeds)) != len(seeds):
        raise UsageError(f"--seeds lists a seed twice: {text!r}")
    if len(seeds) > MAX_SEEDS:
        raise UsageError(f"--seeds lists {len(seeds)} seeds; at most {MAX_SEEDS} are allowed")
    return seeds


# --------------------------------------------------------------------------- commands


def _format_shape(shape: Sequence[int | str]) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _layer_detail(layer: Any) -> str:
    parts: list[str] = []
    for attr in ("units", "filters", "rate"):
        if hasattr(layer, attr):
            parts.append(f"{attr}={getattr(layer, attr)}")
    if hasattr(layer, "kernel_size"):
        parts.append(f"kernel_size={tuple(layer.kernel_size)}")
    if hasattr(layer, "pool_size"):
        parts.append(f"pool_size={tuple(layer.pool_size)}")
    activation = getattr(layer, "activation", None)
    if activation is not None:
        alpha = f"(alpha={activation.alpha:g})" if activation.alpha is not None else ""
        parts.append(f"activation={activation.name}{alpha}")
    regularizer = getattr(layer, "kernel_regularizer", None)
    if regularizer is not None:
        parts.append(f"l1={regularizer.l1:g} l2={regularizer.l2:g}")
    if getattr(layer, "return_sequences", False):
        parts.append("return_sequences")
    return " ".join(parts)


def spec_summary(spec: ModelSpec, *, n_train_samples: int = VALIDATE_ROWS) -> list[str]:
    """Lines describing ``spec``: layers, output shapes, parameters and training cost."""
    from training.spec import (
        DEFAULT_LIMITS,
        count_params,
        estimate_training_flops,
        layer_output_shapes,
        layer_param_counts,
    )

    lines = [f"input shape: {_format_shape(spec.input_shape)}"]
    rows = [("#", "layer", "output shape", "params", "settings")]
    for index, (layer, shape, params) in enumerate(
        zip(spec.layers, layer_output_shapes(spec), layer_param_counts(spec), strict=True)
    ):
        rows.append(
            (str(index), layer.type, _format_shape(shape), str(params), _layer_detail(layer))
        )
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        cells = [row[i].ljust(widths[i]) for i in range(4)]
        lines.append(("  " + "  ".join(cells) + "  " + row[4]).rstrip())
    lines.append(f"total parameters: {count_params(spec):,}")
    opt = spec.optimizer
    settings = ", ".join(
        f"{name}={value}"
        for name, value in (
            ("learning_rate", opt.learning_rate),
            ("momentum", opt.momentum),
            ("nesterov", opt.nesterov),
            ("rho", opt.rho),
            ("beta_1", opt.beta_1),
            ("beta_2", opt.beta_2),
            ("epsilon", opt.epsilon),
            ("initial_accumulator_value", opt.initial_accumulator_value),
        )
        if value is not None
    )
    lines.append(f"optimizer: {opt.name}" + (f" ({settings})" if settings else ""))
    lines.append(
        f"loss: {spec.loss}; metrics: {', '.join(spec.metrics) or 'none'}; epochs: "
        f"{spec.epochs}; batch_size: {spec.batch_size if spec.batch_size is not None else 'full'}"
        f"; validation_split: {spec.validation_split:g}; shuffle: {spec.shuffle}"
    )
    if spec.early_stopping is not None:
        es = spec.early_stopping
        lines.append(
            f"early stopping: monitor {es.monitor}, patience {es.patience}, min_delta "
            f"{es.min_delta:g}, restore_best_weights {es.restore_best_weights}"
        )
    if spec.class_weight is not None:
        lines.append(f"class_weight: {spec.class_weight}")
    flops = estimate_training_flops(spec, n_train_samples)
    lines.append(
        f"estimated training cost: {flops:.3g} FLOPs for {n_train_samples:,} training rows "
        f"(limit {DEFAULT_LIMITS.max_training_flops:.3g})"
    )
    return lines


def cmd_validate(args: argparse.Namespace) -> int:
    from training.spec import check_limits

    spec = load_spec(args.spec)
    check_limits(spec, n_train_samples=VALIDATE_ROWS)
    print(f"{args.spec}: valid spec, within the limits")
    for line in spec_summary(spec):
        print(line)
    return 0


def _result_json(result: FitResult, test: dict[str, float] | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "seed": result.seed,
        "history": result.history,
        "checks": [check.to_dict() for check in default_checks(result.history)],
    }
    if not result.seconds_shared:
        out["seconds"] = result.seconds
    out.update(
        epochs_run=result.epochs_run,
        stopped_early=result.stopped_early,
        best_epoch=result.best_epoch,
        diverged=result.diverged,
    )
    if test is not None:
        out["test"] = test
    safe: dict[str, Any] = json_safe(out)
    return safe


def total_seconds(results: Sequence[FitResult]) -> float:
    """Training time of all the results of one ``fit`` call: their common wall time when
    the seeds trained together (``seconds_shared``), else the sum of their own times."""
    if any(result.seconds_shared for result in results):
        return max(result.seconds for result in results)
    return sum(result.seconds for result in results)


def fit_json(results: Sequence[FitResult], tests: Sequence[dict[str, float] | None]) -> Any:
    """The ``fit --json`` document (see the module docstring)."""
    per_seed = [_result_json(r, t) for r, t in zip(results, tests, strict=True)]
    if len(per_seed) == 1:
        return per_seed[0]
    return {"seconds": total_seconds(results), "seeds": per_seed}


def _evaluate_test(result: FitResult, data: FitData) -> dict[str, float] | None:
    if data.x_test is None or data.y_test is None or result.diverged:
        return None
    return {
        key: float(value) for key, value in result.model.evaluate(data.x_test, data.y_test).items()
    }


def _print_result(result: FitResult, test: dict[str, float] | None) -> None:
    history = result.history
    last = ", ".join(f"{key} {values[-1]:.4g}" for key, values in history.items() if values)
    flags = []
    if result.stopped_early:
        flags.append(f"stopped early, best epoch {(result.best_epoch or 0) + 1}")
    if result.diverged:
        flags.append("diverged")
    suffix = f" ({'; '.join(flags)})" if flags else ""
    timing = "" if result.seconds_shared else f" in {result.seconds:.2f} s"
    print(f"seed {result.seed}: {result.epochs_run} epochs{timing}{suffix}")
    print(f"  final: {last}")
    if test is not None:
        print("  test: " + ", ".join(f"{key} {value:.4g}" for key, value in test.items()))
    for check in default_checks(history):
        print(f"  [{'PASS' if check.passed else 'FAIL'}] {check.name}: {check.message}")


def cmd_fit(args: argparse.Namespace) -> int:
    seeds = parse_seeds(args.seeds)
    if args.dataset is not None:
        data = load_dataset(args.dataset).to_fit_data()
    else:
        data = load_npz_data(args.data)
    spec = load_spec(args.spec, external_validation=data.x_val is not None)
    check_inputs_fit_spec(spec, data)
    # Every backend's fit() checks the limits too; checking here refuses a costly spec before
    # the weights are read or TensorFlow is imported.
    check_fit_limits(spec, data, n_seeds=len(seeds))
    initial_weights = load_weights(args.weights_from) if args.weights_from else None
    backend = get_backend(args.backend)
    backend.supports(spec)
    results = backend.fit(
        spec,
        data,
        seeds=seeds,
        initial_weights=initial_weights,
        shuffle=False if args.no_shuffle else None,
    )
    tests = [_evaluate_test(result, data) for result in results]
    if args.json:
        print(json.dumps(fit_json(results, tests), allow_nan=False))
    else:
        if any(result.seconds_shared for result in results):
            print(f"{len(results)} seeds trained together in {total_seconds(results):.2f} s")
        for result, test in zip(results, tests, strict=True):
            _print_result(result, test)
    return 0


def cmd_datasets(args: argparse.Namespace) -> int:
    for info in describe_datasets():
        rows = info["rows"]
        target = info["target_shape"]
        classes = f", {info['n_classes']} classes" if info["n_classes"] else ""
        target_shape = _format_shape(["n", *target]) if target else "(n,)"
        print(f"{info['name']}: {info['title']}")
        print(
            f"  task: {info['task']}{classes}; input shape "
            f"{_format_shape(['n', *info['input_shape']])}; target shape {target_shape}"
        )
        print(
            f"  rows: {rows['train']} train, {rows['validation']} validation, {rows['test']} test"
        )
        for line in textwrap.wrap(info["description"], width=92):
            print(f"  {line}")
    return 0


def cmd_capabilities(args: argparse.Namespace) -> int:
    for name in BACKENDS:
        try:
            capabilities = get_backend(name).capabilities()
        except ImportError as exc:
            print(f"{name}: not available ({exc})")
            continue
        print(f"{name}:")
        for key, values in capabilities.items():
            print(f"  {key}: {', '.join(values)}")
    return 0


# --------------------------------------------------------------------------- entry point


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m training",
        description="Validate and train network specs on the annquiz training core.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    commands.required = True

    validate = commands.add_parser(
        "validate",
        help="check a spec and print its layers, parameter count and training cost",
    )
    validate.add_argument("spec", metavar="SPEC", help="a .json spec or a .py Keras snippet")
    validate.set_defaults(handler=cmd_validate)

    fit = commands.add_parser("fit", help="train a spec and report its history and checks")
    fit.add_argument("spec", metavar="SPEC", help="a .json spec or a .py Keras snippet")
    source = fit.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--dataset", metavar="NAME", choices=DATASET_NAMES, help="a built-in dataset"
    )
    source.add_argument(
        "--data",
        metavar="FILE.npz",
        help="an .npz with x_train, y_train and optionally x_val, y_val (then validation_split "
        "is not applied), x_test, y_test",
    )
    fit.add_argument("--backend", choices=BACKENDS, default="numpy")
    fit.add_argument("--seeds", default="0", help="comma-separated seeds, e.g. 0,1,2 (default 0)")
    fit.add_argument(
        "--weights-from",
        metavar="FILE.npz",
        help="initial weights arr_0, arr_1, ... in Keras get_weights() order",
    )
    fit.add_argument("--no-shuffle", action="store_true", help="keep the batch order fixed")
    fit.add_argument("--json", action="store_true", help="print one JSON object")
    fit.set_defaults(handler=cmd_fit)

    datasets = commands.add_parser("datasets", help="list the built-in datasets")
    datasets.set_defaults(handler=cmd_datasets)

    capabilities = commands.add_parser(
        "capabilities", help="what each backend supports (layers, activations, ...)"
    )
    capabilities.set_defaults(handler=cmd_capabilities)
    return parser


def _one_line(message: str) -> str:
    return " ".join(message.split())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (see the module docstring)."""
    try:
        args = build_parser().parse_args(argv)
        code: int = args.handler(args)
        return code
    except (UsageError, TrainingError) as exc:
        prefix = "invalid spec: " if isinstance(exc, SpecError) else ""
        print(f"error: {prefix}{_one_line(str(exc))}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (e.g. ``| head``): stop quietly, as Unix tools do.
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - replaces the closed stream for good
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the interface promises one line, never a traceback
        print(
            f"error: internal error: {type(exc).__name__}: {_one_line(str(exc))}", file=sys.stderr
        )
        return 1
