"""``python -m training``, run as a subprocess exactly as graders and scripts run it."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from training import cli
from training.datasets import DATASET_NAMES, load_dataset
from training.spec import DEFAULT_LIMITS, estimate_training_flops, parse_spec

REPO = Path(__file__).resolve().parents[2]

HANDOUT_SNIPPET = """\
from tensorflow.keras.models import Sequential from tensorflow.keras.layers import Dense

model = Sequential([
    Dense(16, input_dim=8, activation='relu'), Dense(8,
    activation='relu'),
    Dense(1, activation='sigmoid')
])
model.compile(optimizer='adam', loss='binary_crossentropy', metrics=['accuracy'])
model.fit(X_train, y_train, epochs=50, batch_size=10)
"""


def handout_spec(**overrides: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "layers": [
            {"type": "dense", "units": 16, "activation": "relu", "input_dim": 8},
            {"type": "dense", "units": 8, "activation": "relu"},
            {"type": "dense", "units": 1, "activation": "sigmoid"},
        ],
        "optimizer": "adam",
        "loss": "binary_crossentropy",
        "metrics": ["accuracy"],
        "epochs": 6,
        "batch_size": 10,
    }
    spec.update(overrides)
    return spec


def write_json(path: Path, data: Any) -> str:
    path.write_text(json.dumps(data))
    return str(path)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "training", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_bad_input(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0]


# --------------------------------------------------------------------------- validate


def test_validate_json_spec_prints_layers_params_and_cost(tmp_path: Path) -> None:
    result = run("validate", write_json(tmp_path / "spec.json", handout_spec()))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "valid spec, within the limits" in out
    assert "total parameters: 289" in out
    assert "(16,)" in out and "144" in out
    assert "estimated training cost:" in out and "FLOPs" in out


def test_validate_handout_keras_snippet(tmp_path: Path) -> None:
    snippet = tmp_path / "model.py"
    snippet.write_text(HANDOUT_SNIPPET)
    result = run("validate", str(snippet))
    assert result.returncode == 0, result.stderr
    assert "total parameters: 289" in result.stdout
    assert "epochs: 50; batch_size: 10" in result.stdout
    assert "optimizer: adam" in result.stdout


# --------------------------------------------------------------------------- fit


def test_fit_on_dataset_prints_one_json_object_for_one_seed(tmp_path: Path) -> None:
    spec = write_json(tmp_path / "spec.json", handout_spec())
    result = run("fit", spec, "--dataset", "pima-like", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert {"history", "checks", "seconds"} <= set(document)
    assert document["seed"] == 0
    history = document["history"]
    assert len(history["loss"]) == 6 and len(history["val_loss"]) == 6
    assert "accuracy" in history and "val_accuracy" in history
    assert history["loss"][-1] < history["loss"][0]
    assert [c["name"] for c in document["checks"]] == ["diverged", "converged", "overfitting"]
    assert all(isinstance(c["message"], str) and c["message"] for c in document["checks"])
    assert document["seconds"] > 0
    assert set(document["test"]) >= {"loss", "accuracy"}


def test_fit_with_several_seeds_reports_each_seed(tmp_path: Path) -> None:
    spec = write_json(tmp_path / "spec.json", handout_spec(epochs=3))
    result = run("fit", spec, "--dataset", "pima-like", "--seeds", "0,1", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert list(document) == ["seconds", "seeds"]
    assert document["seconds"] > 0
    seeds = document["seeds"]
    assert [s["seed"] for s in seeds] == [0, 1]
    assert seeds[0]["history"]["loss"] != seeds[1]["history"]["loss"]
    assert all({"history", "checks", "epochs_run"} <= set(s) for s in seeds)
    # The NumPy backend trains the seeds together: there is no per-seed time to report.
    assert not any("seconds" in s for s in seeds)


@pytest.mark.tensorflow
def test_fit_on_tensorflow_reports_each_seeds_own_time(tmp_path: Path) -> None:
    spec = write_json(tmp_path / "spec.json", handout_spec(epochs=2))
    result = run(
        "fit", spec, "--dataset", "pima-like", "--seeds", "0,1", "--backend", "tensorflow", "--json"
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    per_seed = [s["seconds"] for s in document["seeds"]]
    assert all(seconds > 0 for seconds in per_seed)
    assert document["seconds"] == pytest.approx(sum(per_seed))


def test_fit_without_json_prints_a_readable_report(tmp_path: Path) -> None:
    spec = write_json(tmp_path / "spec.json", handout_spec(epochs=2))
    result = run("fit", spec, "--dataset", "pima-like")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("seed 0: 2 epochs in ")
    assert "] diverged: " in result.stdout


def test_fit_on_npz_data_applies_validation_split_only_without_x_val(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 8))
    y = (x[:, :1] > 0).astype(float)
    spec = write_json(tmp_path / "spec.json", handout_spec(epochs=2, validation_split=0.25))

    train_only = tmp_path / "train.npz"
    np.savez(train_only, x_train=x, y_train=y)
    result = run("fit", spec, "--data", str(train_only), "--json")
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)["history"]["val_loss"]) == 2

    explicit = tmp_path / "explicit.npz"
    np.savez(explicit, x_train=x[:30], y_train=y[:30], x_val=x[30:], y_val=y[30:])
    result = run("fit", spec, "--data", str(explicit), "--json")
    assert result.returncode == 0, result.stderr
    assert "val_loss" in json.loads(result.stdout)["history"]


def test_fit_starts_from_weights_file_and_no_shuffle_fixes_batch_order(tmp_path: Path) -> None:
    # All-zero weights make the sigmoid output 0.5 for every row, so full-batch training's
    # first epoch loss is exactly ln 2; with fixed weights and no shuffling, seeds agree.
    spec = write_json(tmp_path / "spec.json", handout_spec(epochs=3, batch_size="full"))
    shapes = [(8, 16), (16,), (16, 8), (8,), (8, 1), (1,)]
    weights = tmp_path / "weights.npz"
    np.savez(weights, *[np.zeros(shape) for shape in shapes])
    result = run(
        "fit",
        spec,
        "--dataset",
        "pima-like",
        "--weights-from",
        str(weights),
        "--seeds",
        "0,1",
        "--no-shuffle",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    first, second = json.loads(result.stdout)["seeds"]
    assert first["history"]["loss"][0] == pytest.approx(math.log(2.0), rel=1e-9)
    assert first["history"] == second["history"]

    shuffled = tmp_path / "shuffled.json"
    write_json(shuffled, handout_spec(epochs=2, batch_size=10))
    result = run(
        "fit", str(shuffled), "--dataset", "pima-like", "--weights-from", str(weights), "--json"
    )
    assert result.returncode == 0, result.stderr


def test_diverging_run_is_reported_not_crashed(tmp_path: Path) -> None:
    spec = {
        "layers": [
            {"type": "dense", "units": 8, "activation": "relu", "input_dim": 3},
            {"type": "dense", "units": 1},
        ],
        "optimizer": {"name": "sgd", "learning_rate": 1e6},
        "loss": "mse",
        "epochs": 5,
    }
    result = run("fit", write_json(tmp_path / "spec.json", spec), "--dataset", "rainfall", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)  # strict JSON: NaN is written as null
    checks = {c["name"]: c for c in document["checks"]}
    assert checks["diverged"]["passed"] is False
    assert document["diverged"] is True


# --------------------------------------------------------------------------- bad input


def test_missing_spec_file(tmp_path: Path) -> None:
    assert_bad_input(run("validate", str(tmp_path / "nope.json")), "no such file")


def test_bad_json(tmp_path: Path) -> None:
    path = tmp_path / "spec.json"
    path.write_text('{"layers": [')
    assert_bad_input(run("validate", str(path)), "not valid JSON", "line 1")


def test_invalid_spec_names_the_path(tmp_path: Path) -> None:
    spec = handout_spec()
    spec["layers"][1]["units"] = 0
    result = run("validate", write_json(tmp_path / "spec.json", spec))
    assert_bad_input(result, "invalid spec", "layers[1].units")


def test_snippet_outside_the_allow_list_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "model.py"
    path.write_text("import os\n" + HANDOUT_SNIPPET)
    assert_bad_input(run("validate", str(path)), "line 1")


def test_spec_over_the_limits(tmp_path: Path) -> None:
    spec = handout_spec(epochs=100_000)
    assert_bad_input(run("validate", write_json(tmp_path / "spec.json", spec)), "epochs")


def test_the_training_cost_limit_counts_every_seed(tmp_path: Path) -> None:
    wide = handout_spec(epochs=50)
    wide["layers"][0]["units"] = wide["layers"][1]["units"] = 900
    data = load_dataset("pima-like").to_fit_data()
    assert data.x_val is not None
    one_seed = estimate_training_flops(
        parse_spec(wide), len(data.x_train), n_val_samples=len(data.x_val)
    )
    assert one_seed < DEFAULT_LIMITS.max_training_flops < 2 * one_seed
    spec = write_json(tmp_path / "spec.json", wide)
    result = run("fit", spec, "--dataset", "pima-like", "--seeds", "0,1")
    assert_bad_input(result, "2 seeds", f"the limit is {DEFAULT_LIMITS.max_training_flops:.2g}")


def test_npz_with_too_many_rows_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.npz"
    rows = cli.MAX_DATA_ROWS + 1
    np.savez(path, x_train=np.zeros((rows, 8), np.uint8), y_train=np.zeros(rows, np.uint8))
    spec = write_json(tmp_path / "spec.json", handout_spec())
    result = run("fit", spec, "--data", str(path))
    assert_bad_input(result, f"x_train has {rows:,} rows; the limit is {cli.MAX_DATA_ROWS:,}")


def _main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = cli.main(list(args))
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.splitlines()) == 1
    return code, captured.err


def test_npz_larger_on_disk_than_the_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "data.npz"
    np.savez(path, x_train=np.ones((40, 8)), y_train=np.ones(40))
    monkeypatch.setattr(cli, "MAX_NPZ_BYTES", 1000)
    spec = write_json(tmp_path / "spec.json", handout_spec())
    code, err = _main(capsys, "fit", spec, "--data", str(path))
    assert code == 2
    assert f"{path.stat().st_size:,} bytes; the limit for an .npz is 1,000 bytes" in err
    code, err = _main(capsys, "fit", spec, "--dataset", "pima-like", "--weights-from", str(path))
    assert code == 2 and "the limit for an .npz is 1,000 bytes" in err


def test_compressed_npz_is_judged_by_its_unpacked_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "data.npz"
    np.savez_compressed(path, x_train=np.zeros((20_000, 8)), y_train=np.zeros(20_000))
    assert path.stat().st_size < 100_000  # zeros compress well; unpacked they are 1.4 MB
    monkeypatch.setattr(cli, "MAX_NPZ_ARRAY_BYTES", 1_000_000)
    spec = write_json(tmp_path / "spec.json", handout_spec())
    code, err = _main(capsys, "fit", spec, "--data", str(path))
    assert code == 2
    assert "bytes unpacked; the limit is 1,000,000 bytes" in err


def test_unknown_dataset(tmp_path: Path) -> None:
    spec = write_json(tmp_path / "spec.json", handout_spec())
    assert_bad_input(run("fit", spec, "--dataset", "mnist"), "mnist", "pima-like")


def test_data_shape_mismatch(tmp_path: Path) -> None:
    spec = write_json(tmp_path / "spec.json", handout_spec())
    assert_bad_input(run("fit", spec, "--dataset", "rainfall"), "(3,)", "(8,)")


def test_unsupported_layer_on_numpy_backend(tmp_path: Path) -> None:
    spec = {
        "layers": [
            {"type": "conv2d", "filters": 4, "kernel_size": [3, 3], "input_shape": [12, 12, 1]},
            {"type": "flatten"},
            {"type": "dense", "units": 4, "activation": "softmax"},
        ],
        "loss": "sparse_categorical_crossentropy",
        "epochs": 1,
    }
    path = write_json(tmp_path / "spec.json", spec)
    result = run("fit", path, "--dataset", "small-images", "--backend", "numpy")
    assert_bad_input(result, "conv2d")


def test_bad_npz_files(tmp_path: Path) -> None:
    spec = write_json(tmp_path / "spec.json", handout_spec())
    not_npz = tmp_path / "data.npz"
    not_npz.write_text("hello")
    assert_bad_input(run("fit", spec, "--data", str(not_npz)), "data.npz")
    missing_y = tmp_path / "missing.npz"
    np.savez(missing_y, x_train=np.zeros((4, 8)))
    assert_bad_input(run("fit", spec, "--data", str(missing_y)), "'y_train'")
    short_y = tmp_path / "short.npz"
    np.savez(short_y, x_train=np.zeros((4, 8)), y_train=np.zeros((3, 1)))
    assert_bad_input(run("fit", spec, "--data", str(short_y)), "y_train has 3 rows")


def test_bad_weights_files(tmp_path: Path) -> None:
    spec = write_json(tmp_path / "spec.json", handout_spec())
    named = tmp_path / "named.npz"
    np.savez(named, kernel=np.zeros((8, 16)))
    assert_bad_input(
        run("fit", spec, "--dataset", "pima-like", "--weights-from", str(named)), "arr_0"
    )
    too_few = tmp_path / "few.npz"
    np.savez(too_few, np.zeros((8, 16)))
    result = run("fit", spec, "--dataset", "pima-like", "--weights-from", str(too_few))
    assert_bad_input(result)


def test_bad_seeds_and_missing_arguments(tmp_path: Path) -> None:
    spec = write_json(tmp_path / "spec.json", handout_spec())
    assert_bad_input(run("fit", spec, "--dataset", "pima-like", "--seeds", "0,x"), "--seeds")
    assert_bad_input(run("fit", spec), "--dataset")
    assert_bad_input(run(), "COMMAND")


# --------------------------------------------------------------------------- listings


def test_datasets_lists_every_set_with_its_description() -> None:
    result = run("datasets")
    assert result.returncode == 0, result.stderr
    for name in DATASET_NAMES:
        assert f"\n{name}: " in "\n" + result.stdout
    assert "input shape (n, 12, 12, 1)" in result.stdout


def test_capabilities_lists_each_backend_and_numpy_needs_no_tensorflow() -> None:
    result = run("capabilities")
    assert result.returncode == 0, result.stderr
    assert "numpy:\n  layers: dense, dropout" in result.stdout
    assert "tensorflow:" in result.stdout
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from training.backends import get_backend; "
            "get_backend('numpy').capabilities(); print('tensorflow' in sys.modules)",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.stdout.strip() == "False", check.stderr


@pytest.mark.tensorflow
def test_fit_a_cnn_on_the_tensorflow_backend(tmp_path: Path) -> None:
    spec = {
        "layers": [
            {
                "type": "conv2d",
                "filters": 4,
                "kernel_size": [3, 3],
                "activation": "relu",
                "input_shape": [12, 12, 1],
            },
            {"type": "max_pooling2d"},
            {"type": "flatten"},
            {"type": "dense", "units": 4, "activation": "softmax"},
        ],
        "optimizer": {"name": "adam", "learning_rate": 0.01},
        "loss": "sparse_categorical_crossentropy",
        "metrics": ["accuracy"],
        "epochs": 2,
        "batch_size": 32,
    }
    path = write_json(tmp_path / "spec.json", spec)
    result = run("fit", path, "--dataset", "small-images", "--backend", "tensorflow", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert len(document["history"]["val_accuracy"]) == 2
    assert document["history"]["loss"][1] < document["history"]["loss"][0]
    assert "accuracy" in document["test"]


def test_fit_early_stopping_on_val_loss_uses_the_datasets_validation_rows(tmp_path: Path) -> None:
    spec = handout_spec(
        epochs=40, early_stopping={"monitor": "val_loss", "patience": 2, "min_delta": 0.01}
    )
    result = run(
        "fit", write_json(tmp_path / "spec.json", spec), "--dataset", "pima-like", "--json"
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert len(report["history"]["val_loss"]) == report["epochs_run"]
    assert report["stopped_early"] is True
    assert report["epochs_run"] < 40
