"""Calibrate the time model of judging (``training.cost``) against measured judgings.

Run from the repository root::

    .venv/bin/python -m bench.cost_calibration            # about 10 minutes on 2 busy cores
    .venv/bin/python -m bench.cost_calibration --runs 12 --no-write   # a quick look

One command:

1. builds a grid of specs for the catalog's tasks (``fixtures/tasks/``), both backends: for
   the NumPy tasks dense networks of 1 to 6 hidden layers (with and without dropout, 4 to 512
   units), for the TensorFlow tasks recurrent stacks (SimpleRNN, LSTM, up to 7 layers) on
   ``stock-prices`` and convolutional and dense networks on ``small-images``, each at batch
   sizes from 1 to the whole training set, with epochs drawn so that a run takes about
   ``--target`` seconds (the grid is drawn from a fixed seed, ``--seed``);
2. judges each spec with ``training.judging.judge`` against its task (the task's seeds,
   checks and diagnostics; its constraints and FLOPs limit lifted, since the model must
   cover what they would refuse too), after one warm-up judging per backend and with
   TensorFlow's compiled programs dropped before every run, so each run pays the tracing a
   new architecture costs in a worker; it records the run's CPU time (``time.process_time``,
   every thread of the process) and wall time;
3. fits the coefficients of each backend's features (``training.cost.features``) by
   non-negative least squares on the relative error (each run weighs ``1 / measured``), and
   the margin: the largest ratio of measured to estimated time over the runs, plus 10 %;
4. writes them to ``training/cost/coefficients.json`` (read by admission) and the figures,
   with the machine, date and load, the estimate-vs-measured error (in-sample and
   leave-one-out) and every run, into ``bench/RESULTS.md`` between
   ``<!-- cost_calibration -->`` markers.

The model is fitted on CPU time, not wall time: on this shared 2-core machine the wall time
of the same run varies with the other processes' load, while its CPU time is what the
judging itself costs (and its wall time on an idle core). Both are reported.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import gc
import json
import math
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from annquiz.coding.catalog import load_catalog
from bench import common
from training.backends import get_backend
from training.cost import FEATURES
from training.datasets import load_dataset
from training.judging import TaskDefinition, judge
from training.judging.budget import judging_features
from training.spec import DEFAULT_LIMITS, ModelSpec, parse_spec

ROOT = Path(__file__).resolve().parent.parent
COEFFICIENTS = ROOT / "training" / "cost" / "coefficients.json"
RUNS_FILE = ROOT / "bench" / "cost_runs.json"
START_MARK = "<!-- cost_calibration -->"
END_MARK = "<!-- /cost_calibration -->"
MARGIN_SLACK = 1.1
_BATCHES: tuple[int | str, ...] = (1, 4, 16, 32, 128, "full")

# Rough per-backend priors (CPU seconds), only to draw epochs that give runs of about the
# target length; the fitted coefficients replace them.
_PRIOR = {
    "numpy": {"judging": 0.3, "steps": 2e-5, "steps_layer": 1.5e-5, "gflops": 0.3},
    "tensorflow": {
        "judging": 0.8,
        "layers": 0.15,
        "recurrent_layers": 0.4,
        "steps": 5e-4,
        "steps_layer": 2e-4,
        "gflops": 0.3,
    },
}


@dataclasses.dataclass(frozen=True)
class Run:
    task: str
    backend: str
    spec: dict[str, Any]
    cpu_s: float
    wall_s: float
    features: dict[str, float]


# --- the grid --------------------------------------------------------------------------------


def _dense(units: int, activation: str = "relu") -> dict[str, Any]:
    return {"type": "dense", "units": units, "activation": activation}


def _output(task: TaskDefinition) -> tuple[dict[str, Any], str]:
    dataset = load_dataset(task.dataset, task.dataset_seed)
    if dataset.task == "binary":
        return _dense(1, "sigmoid"), "binary_crossentropy"
    if dataset.task == "multiclass":
        return _dense(int(dataset.n_classes or 2), "softmax"), "sparse_categorical_crossentropy"
    return _dense(1, "linear"), "mse"


def _numpy_hidden(rng: np.random.Generator) -> list[dict[str, Any]]:
    depth = int(rng.integers(1, 7))
    units = int(rng.choice([4, 8, 16, 32, 64, 128, 256, 512]))
    if units >= 256:
        depth = min(depth, 2)
    dropout = bool(rng.random() < 0.3)
    layers: list[dict[str, Any]] = []
    for _ in range(depth):
        layers.append(_dense(units, str(rng.choice(["relu", "tanh", "sigmoid"]))))
        if dropout:
            layers.append({"type": "dropout", "rate": 0.2})
    return layers


def _sequence_hidden(rng: np.random.Generator) -> list[dict[str, Any]]:
    kind = str(rng.choice(["lstm", "simple_rnn", "dense"], p=[0.5, 0.35, 0.15]))
    if kind == "dense":
        return [{"type": "flatten"}, _dense(int(rng.choice([8, 32, 128])))]
    depth = int(rng.choice([1, 1, 2, 3, 5, 7]))
    units = int(rng.choice([4, 8, 16, 32, 64]))
    if depth >= 5:
        units = min(units, 8)
    layers: list[dict[str, Any]] = [
        {"type": kind, "units": units, "return_sequences": i < depth - 1} for i in range(depth)
    ]
    if rng.random() < 0.3:
        layers.append(_dense(16))
    return layers


def _image_hidden(rng: np.random.Generator) -> list[dict[str, Any]]:
    kind = str(rng.choice(["one_conv", "two_conv", "dense"], p=[0.45, 0.35, 0.2]))
    if kind == "dense":
        return [{"type": "flatten"}, _dense(int(rng.choice([16, 64, 256])))]
    filters = int(rng.choice([4, 8, 16, 32]))
    layers: list[dict[str, Any]] = [
        {"type": "conv2d", "filters": filters, "kernel_size": 3, "activation": "relu"}
    ]
    if kind == "two_conv":
        layers.append(
            {"type": "conv2d", "filters": filters, "kernel_size": 3, "activation": "relu"}
        )
    layers.append({"type": "max_pooling2d", "pool_size": 2})
    if rng.random() < 0.3:
        layers.append({"type": "dropout", "rate": 0.25})
    layers.append({"type": "flatten"})
    if rng.random() < 0.5:
        layers.append(_dense(int(rng.choice([16, 64]))))
    return layers


def _hidden(task: TaskDefinition, rng: np.random.Generator) -> list[dict[str, Any]]:
    dataset = load_dataset(task.dataset, task.dataset_seed)
    if task.backend == "numpy":
        return _numpy_hidden(rng)
    if dataset.task == "sequence-regression":
        return _sequence_hidden(rng)
    return _image_hidden(rng)


def _prior_seconds(task: TaskDefinition, spec: ModelSpec) -> float:
    """A rough guess from the prior coefficients (only used to pick the epochs)."""
    features = judging_features(task, spec)
    prior = _PRIOR[task.backend]
    layer_steps = sum(features[name] for name in FEATURES if name.startswith("steps_"))
    return (
        prior["judging"]
        + prior.get("layers", 0.0) * features["layers"]
        + prior.get("recurrent_layers", 0.0) * features["recurrent_layers"]
        + prior["steps"] * features["steps"]
        + prior["steps_layer"] * layer_steps
        + prior["gflops"] * features["gflops"]
    )


def build_grid(
    tasks: dict[str, TaskDefinition], runs: int, seed: int, target: float
) -> list[tuple[str, dict[str, Any]]]:
    """``runs`` (task slug, spec) pairs, half on each backend, drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    by_backend = {
        backend: sorted(slug for slug, task in tasks.items() if task.backend == backend)
        for backend in ("numpy", "tensorflow")
    }
    # One task per dataset is enough: the checks of tasks on one dataset cost alike.
    for backend, slugs in by_backend.items():
        seen: dict[str, str] = {}
        for slug in slugs:
            seen.setdefault(tasks[slug].dataset, slug)
        by_backend[backend] = sorted(seen.values())
    grid: list[tuple[str, dict[str, Any]]] = []
    for index in range(runs):
        backend = "numpy" if index % 2 == 0 else "tensorflow"
        slug = str(rng.choice(by_backend[backend]))
        task = tasks[slug]
        dataset = load_dataset(task.dataset, task.dataset_seed)
        hidden = _hidden(task, rng)
        output, loss = _output(task)
        shape = [int(n) for n in dataset.x_train.shape[1:]]
        first = {**hidden[0], "input_shape": shape}
        # TensorFlow's fixed costs (tracing) take seconds: give its runs room for epochs.
        scale = 2.0 if backend == "tensorflow" else 1.0
        run_target = scale * target * float(math.exp(rng.uniform(-1.2, 0.6)))
        # A batch size from the draw on, larger while one epoch alone would be far too long.
        start = int(rng.integers(0, len(_BATCHES)))
        for batch in _BATCHES[start:]:
            data = {
                "layers": [first, *hidden[1:], output],
                "loss": loss,
                "optimizer": "adam",
                "epochs": 1,
                "batch_size": batch,
            }
            one_epoch = _prior_seconds(task, parse_spec(data))
            if one_epoch <= 2 * run_target:
                break
        two_epochs = _prior_seconds(task, parse_spec({**data, "epochs": 2}))
        per_epoch = max(two_epochs - one_epoch, 1e-6)
        epochs = int(min(200, max(1, (run_target - one_epoch + per_epoch) // per_epoch)))
        grid.append((slug, {**data, "epochs": epochs}))
    return grid


# --- measuring -------------------------------------------------------------------------------


def _drop_tensorflow_programs() -> None:
    if "training.tf_backend.loop" in sys.modules:
        sys.modules["training.tf_backend.loop"].clear_cache()


def _relaxed(task: TaskDefinition) -> TaskDefinition:
    return dataclasses.replace(task, constraints={}, limits=DEFAULT_LIMITS)


def measure(task: TaskDefinition, spec: ModelSpec) -> tuple[float, float]:
    """CPU and wall seconds of one judging of ``spec``, with no compiled program cached."""
    _drop_tensorflow_programs()
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    judge(_relaxed(task), spec)
    return time.process_time() - cpu, time.perf_counter() - wall


def run_grid(tasks: dict[str, TaskDefinition], grid: list[tuple[str, dict[str, Any]]]) -> list[Run]:
    for backend in ("numpy", "tensorflow"):  # warm-up: imports, first-use initialisation
        slug, data = next((s, d) for s, d in grid if tasks[s].backend == backend)
        measure(tasks[slug], parse_spec({**data, "epochs": 1}))
    runs: list[Run] = []
    for number, (slug, data) in enumerate(grid, start=1):
        task = tasks[slug]
        spec = parse_spec(data)
        cpu, wall = measure(task, spec)
        features = judging_features(task, spec)
        runs.append(Run(slug, task.backend, data, cpu, wall, features))
        print(
            f"[{number}/{len(grid)}] {slug:16} {cpu:7.2f} s CPU {wall:7.2f} s wall  "
            f"{_describe(data)}",
            flush=True,
        )
    return runs


# --- fitting ---------------------------------------------------------------------------------


def nnls(a: np.ndarray, b: np.ndarray, *, max_iter: int = 500) -> np.ndarray:
    """``argmin ‖a·x - b‖`` subject to ``x ≥ 0`` (Lawson and Hanson's active-set method)."""
    n = a.shape[1]
    passive = np.zeros(n, dtype=bool)
    x = np.zeros(n)
    tol = 1e-10 * max(1.0, float(np.abs(a).max()))
    for _ in range(max_iter):
        gradient = a.T @ (b - a @ x)
        if passive.all() or gradient[~passive].max() <= tol:
            break
        passive[int(np.argmax(np.where(passive, -np.inf, gradient)))] = True
        while True:
            z = np.zeros(n)
            z[passive] = np.linalg.lstsq(a[:, passive], b, rcond=None)[0]
            if (z[passive] > tol).all():
                break
            shrink = passive & (z <= tol)
            alpha = float(np.min(x[shrink] / (x[shrink] - z[shrink])))
            x = x + alpha * (z - x)
            passive &= x > tol
            x[~passive] = 0.0
        x = z
    return x


def fit(runs: list[Run], features: list[str]) -> dict[str, float]:
    """Coefficients minimising the squared relative error ``Σ ((estimate - t) / t)²``."""
    x = np.array([[run.features[name] for name in features] for run in runs])
    t = np.array([run.cpu_s for run in runs])
    a = x / t[:, None]
    scale = np.linalg.norm(a, axis=0)
    scale[scale == 0] = 1.0
    solution = nnls(a / scale, np.ones(len(runs))) / scale
    return dict(zip(features, (float(v) for v in solution), strict=True))


def _estimate(coefficients: dict[str, float], run: Run) -> float:
    return sum(value * run.features[name] for name, value in coefficients.items())


def _used_features(runs: list[Run]) -> list[str]:
    return [name for name in FEATURES if any(run.features[name] > 0 for run in runs)]


def leave_one_out(runs: list[Run], features: list[str]) -> list[float]:
    """Measured over estimated time of each run, the model fitted without that run."""
    ratios = []
    for index, run in enumerate(runs):
        others = runs[:index] + runs[index + 1 :]
        ratios.append(run.cpu_s / _estimate(fit(others, features), run))
    return ratios


def _error_summary(ratios: list[float]) -> dict[str, float]:
    logs = [abs(math.log(r)) for r in ratios]
    return {
        "median_ratio": statistics.median(ratios),
        "min_ratio": min(ratios),
        "max_ratio": max(ratios),
        "mean_abs_error_pct": 100 * statistics.mean(abs(r - 1) for r in ratios),
        "geo_mean_factor": math.exp(statistics.mean(logs)),
        "within_1_5x_pct": 100 * sum(1 for r in ratios if 1 / 1.5 <= r <= 1.5) / len(ratios),
    }


def calibrate(runs: list[Run]) -> dict[str, Any]:
    backends: dict[str, Any] = {}
    for backend in ("numpy", "tensorflow"):
        mine = [run for run in runs if run.backend == backend]
        features = _used_features(mine)
        coefficients = fit(mine, features)
        ratios = [run.cpu_s / _estimate(coefficients, run) for run in mine]
        loo = leave_one_out(mine, features)
        backends[backend] = {
            "coefficients": {k: v for k, v in coefficients.items() if v > 0},
            "margin": round(max(1.0, max(ratios)) * MARGIN_SLACK, 3),
            "runs": len(mine),
            "error_in_sample": _error_summary(ratios),
            "error_leave_one_out": _error_summary(loo),
        }
    return backends


# --- writing ---------------------------------------------------------------------------------


def _describe(data: dict[str, Any]) -> str:
    parts = []
    for layer in data["layers"]:
        size = layer.get("units", layer.get("filters"))
        parts.append(f"{layer['type']}({size})" if size is not None else layer["type"])
    return f"{' '.join(parts)}; epochs {data['epochs']}, batch {data['batch_size']}"


def write_coefficients(backends: dict[str, Any], measured: dict[str, str]) -> None:
    document = {
        "about": (
            "Coefficients of the time model of judging (training/cost/estimate.py), in CPU "
            "seconds per unit of each feature (training/cost/features.py). Written by "
            "bench/cost_calibration.py; do not edit by hand."
        ),
        "measured": measured,
        "backends": {
            name: {
                "coefficients": {k: float(f"{v:.4g}") for k, v in info["coefficients"].items()},
                "margin": info["margin"],
                "runs": info["runs"],
            }
            for name, info in backends.items()
        },
    }
    COEFFICIENTS.write_text(json.dumps(document, indent=2) + "\n")


def _fmt(value: float) -> str:
    return f"{value:.3g}"


def results_section(
    runs: list[Run], backends: dict[str, Any], machine: dict[str, str], how: str
) -> str:
    lines = [
        START_MARK,
        "## Judging cost: the time model's calibration",
        "",
        f"Runs {how} (the runs are kept in `bench/cost_runs.json`).",
        "",
        f"Machine: {machine['nproc']} CPUs ({machine['cpu']}), {machine['ram']} RAM, "
        f"{machine['os']}; Python {machine['python']}. Load average when the measurement "
        f"ended: {machine['load']} (the machine is shared; the model is fitted on CPU time, "
        "which the load changes far less than the wall time).",
        "",
        "Each run is one `training.judging.judge` of a spec against a catalog task (its 3 "
        "seeds, checks and diagnostics), TensorFlow's compiled programs dropped before it. "
        "Coefficients in CPU seconds per unit of each feature (`training/cost/features.py`); "
        "the margin is what admission multiplies the estimate by before comparing it with the "
        "budget (the largest measured/estimated ratio of the runs, plus 10 %).",
        "",
        "| Feature | NumPy | TensorFlow |",
        "|---|---|---|",
    ]
    for name in FEATURES:
        cells = [
            _fmt(backends[b]["coefficients"][name]) if name in backends[b]["coefficients"] else "0"
            for b in ("numpy", "tensorflow")
        ]
        lines.append(f"| `{name}` | {cells[0]} | {cells[1]} |")
    lines.append(f"| margin | {backends['numpy']['margin']} | {backends['tensorflow']['margin']} |")
    lines += [
        "",
        "Estimate against measured CPU time (ratio = measured / estimated):",
        "",
        "| Backend | Runs | Fit | median ratio | min | max | mean abs. error | within 1.5x |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for backend in ("numpy", "tensorflow"):
        info = backends[backend]
        for label, key in (
            ("in-sample", "error_in_sample"),
            ("leave-one-out", "error_leave_one_out"),
        ):
            e = info[key]
            lines.append(
                f"| {backend} | {info['runs']} | {label} | {e['median_ratio']:.2f} | "
                f"{e['min_ratio']:.2f} | {e['max_ratio']:.2f} | {e['mean_abs_error_pct']:.0f} % | "
                f"{e['within_1_5x_pct']:.0f} % |"
            )
    lines += [
        "",
        "<details><summary>Every run</summary>",
        "",
        "| Task | Spec | CPU s | wall s | estimate s |",
        "|---|---|---|---|---|",
    ]
    for run in runs:
        coefficients = backends[run.backend]["coefficients"]
        lines.append(
            f"| {run.task} | {_describe(run.spec)} | {run.cpu_s:.2f} | {run.wall_s:.2f} | "
            f"{_estimate(coefficients, run):.2f} |"
        )
    lines += ["", "</details>", "", END_MARK, ""]
    return "\n".join(lines)


def save_runs(path: Path, runs: list[Run], measured: dict[str, str], command: str) -> None:
    document = {
        "about": (
            "Judgings measured by bench/cost_calibration.py (CPU and wall seconds); "
            "`--from-runs` refits the time model from them without measuring again."
        ),
        "command": command,
        "measured": measured,
        "runs": [
            {"task": r.task, "spec": r.spec, "cpu_s": r.cpu_s, "wall_s": r.wall_s} for r in runs
        ],
    }
    path.write_text(json.dumps(document, indent=1) + "\n")


def load_runs(path: Path, tasks: dict[str, TaskDefinition]) -> tuple[list[Run], dict[str, Any]]:
    """Saved runs with their features computed afresh (the features may have changed)."""
    document = json.loads(path.read_text())
    runs = [
        Run(
            task=raw["task"],
            backend=tasks[raw["task"]].backend,
            spec=raw["spec"],
            cpu_s=float(raw["cpu_s"]),
            wall_s=float(raw["wall_s"]),
            features=judging_features(tasks[raw["task"]], parse_spec(raw["spec"])),
        )
        for raw in document["runs"]
    ]
    return runs, document


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cost_calibration", description=__doc__)
    parser.add_argument("--runs", type=int, default=48, help="specs judged, half per backend")
    parser.add_argument("--seed", type=int, default=0, help="the seed the grid is drawn from")
    parser.add_argument("--target", type=float, default=3.0, help="typical CPU seconds per run")
    parser.add_argument(
        "--from-runs",
        type=Path,
        help="refit from runs saved earlier (bench/cost_runs.json), measuring nothing",
    )
    parser.add_argument("--no-write", action="store_true", help="print only, write nothing")
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    tasks = {entry.slug: entry.definition for entry in load_catalog()}
    if args.from_runs is not None:
        runs, saved = load_runs(args.from_runs, tasks)
        command, measured = saved["command"], saved["measured"]
        refit = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        how = f"measured by `{command}` on {measured['date']}, refitted on {refit}"
    else:
        get_backend("numpy")
        runs = run_grid(tasks, build_grid(tasks, args.runs, args.seed, args.target))
        command = (
            f".venv/bin/python -m bench.cost_calibration --runs {args.runs} "
            f"--seed {args.seed} --target {args.target}"
        )
        measured = {
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            **common.machine(),
        }
        how = f"measured and fitted by `{command}` on {measured['date']}"
    backends = calibrate(runs)
    print(json.dumps(backends, indent=2))
    if not args.no_write:
        if args.from_runs is None:
            save_runs(RUNS_FILE, runs, measured, command)
        write_coefficients(backends, measured)
        common.write_section(
            results_section(runs, backends, measured, how),
            start_mark=START_MARK,
            end_mark=END_MARK,
        )
        print(f"wrote {COEFFICIENTS.relative_to(ROOT)} and bench/RESULTS.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
