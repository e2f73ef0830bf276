"""Training-core benchmarks: the handout model on NumPy, on the TensorFlow backend, and in Keras.

Run ``.venv/bin/python -m bench.training_bench`` from the repository root. It measures, in one
run, and writes ``bench/RESULTS.md``:

1. NumPy backend, 5 seeds of the handout model (target: at most 0.4 s of training);
2. NumPy backend, 1 seed, against tf.keras ``model.fit`` of the same model (target: 30x);
3. TensorFlow backend, 1 seed, against the same ``model.fit`` (target: 5x; TensorFlow's
   import time is measured and reported separately);
4. resident memory growth over 200 consecutive TensorFlow-backend fits in one process
   (target: below 50 MB), next to the peer figure: the growth over consecutive tf.keras
   ``model.fit`` calls of the same model in one process (fewer of them, ``--keras-memory-fits``,
   since each takes seconds; the figure is what was measured, not extrapolated).

Only its own section of ``bench/RESULTS.md`` (between ``<!-- training_bench -->`` markers) is
replaced; other benchmarks' sections are kept.

The handout model, trained as the handout trains it (``model.fit(X_train, y_train,
epochs=50, batch_size=10)``): Dense(16, relu, input_dim=8), Dense(8, relu), Dense(1, sigmoid);
adam, binary cross-entropy, accuracy; 50 epochs, batch 10, all 768 rows trained on, no
validation. The rows are the ``pima-like`` set of ``training.datasets`` (its train, validation
and test splits concatenated).

TensorFlow runs happen in child processes, each started fresh, so that Keras' ``model.fit``
runs with its own defaults (XLA on, as Keras chooses on a CPU without op determinism) and the
TensorFlow backend with its own configuration (op determinism, ``ANNQUIZ_TF_THREADS``
threads). ``model.fit`` without XLA is measured too, and speed-ups are taken over the faster
of the two. The contenders run in interleaved rounds; figures are medians over rounds.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

import numpy as np

from bench import common
from training.backends import get_backend
from training.fitting import FitData
from training.spec import Activation, Dense, ModelSpec, Optimizer

RESULTS = common.RESULTS
# This benchmark owns the part of RESULTS.md between these markers; the rest is kept.
START_MARK = "<!-- training_bench -->"
END_MARK = "<!-- /training_bench -->"

HANDOUT = ModelSpec(
    input_shape=(8,),
    layers=(
        Dense(16, Activation("relu")),
        Dense(8, Activation("relu")),
        Dense(1, Activation("sigmoid")),
    ),
    optimizer=Optimizer("adam"),
    loss="binary_crossentropy",
    metrics=("accuracy",),
    epochs=50,
    batch_size=10,
    validation_split=0.0,
)

TARGETS = {
    "numpy_5_seeds_s": 0.4,
    "numpy_speedup": 30.0,
    "tf_speedup": 5.0,
    "rss_growth_mb": 50.0,
}


def handout_data() -> tuple[np.ndarray, np.ndarray, str]:
    """768 rows of 8 features with 0/1 labels, and where they come from."""
    from training.datasets import load_dataset

    data = load_dataset("pima-like", seed=0)
    x = np.concatenate([data.x_train, data.x_val, data.x_test])
    y = np.concatenate([data.y_train, data.y_val, data.y_test]).reshape(-1, 1)
    if x.shape != (768, 8):
        raise RuntimeError(f"pima-like has shape {x.shape}, expected (768, 8)")
    return x, y, "training.datasets pima-like (seed 0), train+validation+test = 768 rows"


def _median_time(run: Any, repeats: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times), times


# --------------------------------------------------------------------------------------------
# Workers (child processes)
# --------------------------------------------------------------------------------------------


def keras_fit(x: np.ndarray, y: np.ndarray, *, seed: int, jit: str | bool) -> None:
    """tf.keras model.fit of the handout model, as a user writes it (the handout's
    ``model.fit(X_train, y_train, epochs=50, batch_size=10)``), then ``clear_session()``."""
    import keras

    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input(shape=(8,)),
            keras.layers.Dense(16, activation="relu"),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(
        optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"], jit_compile=jit
    )
    model.fit(x, y, epochs=50, batch_size=10, verbose=0)
    keras.backend.clear_session()


def worker_keras(repeats: int) -> dict[str, Any]:
    """tf.keras model.fit of the handout model, with Keras' defaults and without XLA."""
    started = time.perf_counter()
    import keras
    import tensorflow as tf

    import_s = time.perf_counter() - started
    x, y, _ = handout_data()

    def fit(jit: str | bool) -> None:
        keras_fit(x, y, seed=0, jit=jit)

    default_s, default_runs = _median_time(lambda: fit("auto"), repeats)
    no_xla_s, no_xla_runs = _median_time(lambda: fit(False), repeats)
    return {
        "import_s": import_s,
        "fit_default_s": default_s,
        "fit_default_runs": default_runs,
        "fit_no_xla_s": no_xla_s,
        "fit_no_xla_runs": no_xla_runs,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
    }


def worker_keras_memory(memory_fits: int) -> dict[str, Any]:
    """RSS growth over consecutive ``model.fit`` calls (Keras defaults) in one process.

    Measured like the TensorFlow backend's figure: after a first fit (tracing, thread pools),
    from one ``gc.collect()`` to the next.
    """
    import psutil

    x, y, _ = handout_data()
    keras_fit(x, y, seed=0, jit="auto")
    process = psutil.Process()
    gc.collect()
    rss_before = process.memory_info().rss
    fit_times = []
    for index in range(memory_fits):
        fit_start = time.perf_counter()
        keras_fit(x, y, seed=index + 1, jit="auto")
        fit_times.append(time.perf_counter() - fit_start)
    gc.collect()
    rss_after = process.memory_info().rss
    return {
        "memory_fits": memory_fits,
        "rss_before_mb": rss_before / 2**20,
        "rss_after_mb": rss_after / 2**20,
        "rss_growth_mb": (rss_after - rss_before) / 2**20,
        "memory_fit_median_s": statistics.median(fit_times) if fit_times else 0.0,
    }


def worker_tf_backend(repeats: int, memory_fits: int) -> dict[str, Any]:
    """The TensorFlow backend: first fit (tracing included), later fits, and RSS over fits."""
    import psutil

    started = time.perf_counter()
    from training.tf_backend._runtime import tensorflow as configured_tensorflow
    from training.tf_backend._runtime import thread_count

    configured_tensorflow()
    import_s = time.perf_counter() - started
    x, y, _ = handout_data()
    backend = get_backend("tensorflow")
    data = FitData(x, y)

    first_start = time.perf_counter()
    backend.fit(HANDOUT, data, seeds=[0])
    first_s = time.perf_counter() - first_start
    warm_s, warm_runs = _median_time(lambda: backend.fit(HANDOUT, data, seeds=[0]), repeats)

    process = psutil.Process()
    gc.collect()
    rss_before = process.memory_info().rss
    fit_times = [warm_s]
    for index in range(memory_fits):
        fit_start = time.perf_counter()
        backend.fit(HANDOUT, data, seeds=[index])
        fit_times.append(time.perf_counter() - fit_start)
    gc.collect()
    rss_after = process.memory_info().rss
    # A worker grading students trains a different architecture nearly every time.
    distinct = memory_fits // 5
    for index in range(distinct):
        spec = dataclasses.replace(
            HANDOUT,
            layers=(Dense(17 + index, Activation("relu")), *HANDOUT.layers[1:]),
            epochs=2,
        )
        backend.fit(spec, data, seeds=[0])
    gc.collect()
    rss_distinct = process.memory_info().rss
    return {
        "distinct_fits": distinct,
        "rss_distinct_growth_mb": (rss_distinct - rss_after) / 2**20,
        "import_s": import_s,
        "first_fit_s": first_s,
        "warm_fit_s": warm_s,
        "warm_fit_runs": warm_runs,
        "threads": thread_count(),
        "memory_fits": memory_fits,
        "rss_before_mb": rss_before / 2**20,
        "rss_after_mb": rss_after / 2**20,
        "rss_growth_mb": (rss_after - rss_before) / 2**20,
        "memory_fit_median_s": statistics.median(fit_times),
    }


def _medians(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Per key: the median of numbers over rounds, every round's value, or the common value."""
    merged: dict[str, Any] = {}
    for key, first in results[0].items():
        values = [result[key] for result in results]
        if isinstance(first, bool) or not isinstance(first, int | float):
            merged[key] = first if all(v == first for v in values) else values
        else:
            merged[key] = statistics.median(values)
            merged[f"{key}_rounds"] = values
    return merged


def _run_worker(args: list[str]) -> dict[str, Any]:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    completed = subprocess.run(
        [sys.executable, "-m", "bench.training_bench", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"worker {args} failed:\n{completed.stderr[-4000:]}")
    last_line = completed.stdout.strip().splitlines()[-1]
    result: dict[str, Any] = json.loads(last_line)
    return result


# --------------------------------------------------------------------------------------------
# The whole run
# --------------------------------------------------------------------------------------------


def measure_numpy(repeats: int) -> dict[str, Any]:
    x, y, _ = handout_data()
    backend = get_backend("numpy")
    data = FitData(x, y)
    backend.fit(HANDOUT, data, seeds=[0])  # warm caches (dataset, NumPy code paths)
    five_s, five_runs = _median_time(
        lambda: backend.fit(HANDOUT, data, seeds=[0, 1, 2, 3, 4]), repeats
    )
    one_s, one_runs = _median_time(lambda: backend.fit(HANDOUT, data, seeds=[0]), repeats)
    return {
        "five_seeds_s": five_s,
        "five_seeds_runs": five_runs,
        "one_seed_s": one_s,
        "one_seed_runs": one_runs,
        "tensorflow_imported": "tensorflow" in sys.modules,
    }


def machine() -> dict[str, str]:
    return {**common.machine(), "numpy": np.__version__}


def _verdict(ok: bool) -> str:
    return "meets" if ok else "MISSES"


def rows(
    numpy: dict[str, Any],
    keras: dict[str, Any],
    tf: dict[str, Any],
    keras_memory: dict[str, Any],
) -> list[list[str]]:
    """The results table. Speed-ups are over the faster of the two ``model.fit`` runs."""
    peer = min(keras["fit_default_s"], keras["fit_no_xla_s"])
    numpy_speedup = peer / numpy["one_seed_s"]
    tf_speedup_first = peer / tf["first_fit_s"]
    tf_speedup_warm = peer / tf["warm_fit_s"]
    growth = tf["rss_growth_mb"]
    return [
        ["Measurement", "Figure", "Target", "Verdict"],
        [
            "NumPy backend, 5 seeds, training time",
            f"{numpy['five_seeds_s']:.3f} s",
            "<= 0.4 s",
            _verdict(numpy["five_seeds_s"] <= TARGETS["numpy_5_seeds_s"]),
        ],
        ["NumPy backend, 1 seed", f"{numpy['one_seed_s']:.3f} s", "", ""],
        [
            "tf.keras model.fit, 1 seed, Keras defaults (XLA on)",
            f"{keras['fit_default_s']:.3f} s",
            "",
            "",
        ],
        [
            "tf.keras model.fit, 1 seed, jit_compile=False",
            f"{keras['fit_no_xla_s']:.3f} s",
            "",
            "",
        ],
        [
            "NumPy 1 seed speed-up over model.fit (the faster of the two)",
            f"{numpy_speedup:.1f}x",
            ">= 30x",
            _verdict(numpy_speedup >= TARGETS["numpy_speedup"]),
        ],
        [
            "TensorFlow backend, 1 seed, first fit in the process (tracing included)",
            f"{tf['first_fit_s']:.3f} s",
            "",
            "",
        ],
        [
            "TensorFlow backend, 1 seed, later fits (compiled functions reused)",
            f"{tf['warm_fit_s']:.3f} s",
            "",
            "",
        ],
        [
            "TensorFlow backend speed-up over model.fit, first fit",
            f"{tf_speedup_first:.1f}x",
            ">= 5x",
            _verdict(tf_speedup_first >= TARGETS["tf_speedup"]),
        ],
        [
            "TensorFlow backend speed-up over model.fit, later fits",
            f"{tf_speedup_warm:.1f}x",
            ">= 5x",
            _verdict(tf_speedup_warm >= TARGETS["tf_speedup"]),
        ],
        [
            "TensorFlow import + configuration (not in the fit times)",
            f"{tf['import_s']:.2f} s (plain `import keras, tensorflow`: {keras['import_s']:.2f} s)",
            "",
            "",
        ],
        [
            f"RSS growth over {tf['memory_fits']} consecutive TensorFlow-backend fits",
            f"{growth:+.1f} MB ({tf['rss_before_mb']:.0f} -> {tf['rss_after_mb']:.0f} MB)",
            "< 50 MB",
            _verdict(growth < TARGETS["rss_growth_mb"]),
        ],
        [
            f"then RSS growth over {tf['distinct_fits']} fits of as many different architectures"
            " (2 epochs each)",
            f"{tf['rss_distinct_growth_mb']:+.1f} MB",
            "",
            "",
        ],
        [
            f"Peer: RSS growth over {keras_memory['memory_fits']} consecutive tf.keras model.fit"
            " calls of the same model (Keras defaults, clear_session() after each)",
            f"{keras_memory['rss_growth_mb']:+.1f} MB ({keras_memory['rss_before_mb']:.0f} -> "
            f"{keras_memory['rss_after_mb']:.0f} MB), "
            f"{keras_memory['memory_fit_median_s']:.1f} s per fit",
            "",
            "",
        ],
    ]


def table(lines: list[list[str]]) -> str:
    header, *body = lines
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(cells) + " |" for cells in body]
    return "\n".join(out)


def write_results(
    lines: list[list[str]],
    numpy: dict[str, Any],
    keras: dict[str, Any],
    tf: dict[str, Any],
    keras_memory: dict[str, Any],
    rounds: int,
    source: str,
) -> None:
    info = machine()
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    raw = {
        "numpy": numpy,
        "keras_model_fit": keras,
        "tf_backend": tf,
        "keras_model_fit_memory": keras_memory,
    }
    section = f"""{START_MARK}
## Training core

Produced by `.venv/bin/python -m bench.training_bench` on {now}.

Machine: {info["nproc"]} CPUs ({info["cpu"]}), {info["ram"]} RAM, {info["os"]};
Python {info["python"]}, NumPy {info["numpy"]}, TensorFlow {keras["tensorflow"]},
Keras {keras["keras"]}. Load average when the run ended: {info["load"]} (the machine may be
shared, which slows every figure alike).

Model: the handout's Keras example without dropout, trained as the handout trains it
(`model.fit(X_train, y_train, epochs=50, batch_size=10)`): Dense(16, relu, input_dim=8),
Dense(8, relu), Dense(1, sigmoid); adam, binary cross-entropy, accuracy; 50 epochs, batch 10,
all 768 rows trained on, no validation. Data: {source}.

The peer is tf.keras `model.fit` of the same model, measured in the same run in a fresh child
process, once with Keras' defaults (which turn XLA on for this model) and once with
`jit_compile=False`; speed-ups are over the faster of the two. The contenders run in
{rounds} interleaved rounds (NumPy, `model.fit`, TensorFlow backend, then again), so load
changes hit them alike; each figure is the median over rounds (the per-round values are in
the raw figures below). The TensorFlow backend ran with {tf["threads"]} thread(s)
(`ANNQUIZ_TF_THREADS`) and op determinism on, `model.fit` with TensorFlow's default thread
pools.

Memory: each RSS figure is measured in its own child process after a first fit, from one
`gc.collect()` to the next. The peer memory figure covers {keras_memory["memory_fits"]}
consecutive `model.fit` calls, not 200, because each takes seconds; it is the growth measured
over those calls, not extrapolated to 200.

{table(lines)}

<details><summary>Raw figures</summary>

```json
{json.dumps(raw, indent=2, default=float)}
```

</details>
{END_MARK}
"""
    common.write_section(section, start_mark=START_MARK, end_mark=END_MARK)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.training_bench", description=__doc__)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median)")
    parser.add_argument("--repeats", type=int, default=3, help="warm runs per round")
    parser.add_argument(
        "--memory-fits", type=int, default=200, help="consecutive fits for the RSS figure"
    )
    parser.add_argument(
        "--keras-memory-fits",
        type=int,
        default=10,
        help="consecutive model.fit calls for the peer RSS figure",
    )
    parser.add_argument("--no-write", action="store_true", help="print only, keep RESULTS.md")
    parser.add_argument(
        "--worker", choices=["keras", "keras-memory", "tf-backend"], help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.repeats < 1 or args.memory_fits < 0 or args.keras_memory_fits < 1:
        parser.error(
            "--rounds, --repeats and --keras-memory-fits must be at least 1, "
            "--memory-fits at least 0"
        )

    if args.worker == "keras":
        print(json.dumps(worker_keras(args.repeats)))
        return 0
    if args.worker == "tf-backend":
        print(json.dumps(worker_tf_backend(args.repeats, args.memory_fits)))
        return 0
    if args.worker == "keras-memory":
        print(json.dumps(worker_keras_memory(args.keras_memory_fits)))
        return 0

    _, _, source = handout_data()
    # Rounds interleave the three contenders, so a change in the machine's load during the
    # run affects them alike; each figure is the median over rounds.
    rounds: list[dict[str, dict[str, Any]]] = []
    for number in range(1, args.rounds + 1):
        print(f"round {number}/{args.rounds}: NumPy backend ...", flush=True)
        numpy_round = measure_numpy(args.repeats)
        if numpy_round["tensorflow_imported"]:
            raise RuntimeError("the NumPy backend imported TensorFlow")
        print(f"round {number}/{args.rounds}: tf.keras model.fit (child process) ...", flush=True)
        keras_round = _run_worker(["--worker", "keras", "--repeats", "1"])
        print(f"round {number}/{args.rounds}: TensorFlow backend (child process) ...", flush=True)
        tf_round = _run_worker(
            ["--worker", "tf-backend", "--repeats", str(args.repeats), "--memory-fits", "0"]
        )
        rounds.append({"numpy": numpy_round, "keras": keras_round, "tf": tf_round})
    print(f"TensorFlow backend, {args.memory_fits} consecutive fits (child process) ...")
    memory = _run_worker(
        ["--worker", "tf-backend", "--repeats", "1", "--memory-fits", str(args.memory_fits)]
    )
    print(
        f"tf.keras model.fit, {args.keras_memory_fits} consecutive fits (child process) ...",
        flush=True,
    )
    keras_memory = _run_worker(
        ["--worker", "keras-memory", "--keras-memory-fits", str(args.keras_memory_fits)]
    )
    numpy = _medians([r["numpy"] for r in rounds])
    keras = _medians([r["keras"] for r in rounds])
    tf = _medians([r["tf"] for r in rounds])
    for key in (
        "memory_fits",
        "rss_before_mb",
        "rss_after_mb",
        "rss_growth_mb",
        "distinct_fits",
        "rss_distinct_growth_mb",
    ):
        tf[key] = memory[key]
    tf["memory_fit_median_s"] = memory["memory_fit_median_s"]
    lines = rows(numpy, keras, tf, keras_memory)
    print(table(lines))
    if not args.no_write:
        write_results(lines, numpy, keras, tf, keras_memory, args.rounds, source)
        print(f"written to {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
