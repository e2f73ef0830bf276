"""run.py's decisions, without installing anything: which pip install each command runs, when it
runs (the stamps), what constraints.txt holds, and when axe-core is installed again."""

from __future__ import annotations

from pathlib import Path

import pytest

import run

REPO = Path(__file__).resolve().parents[1]
NOW, OLD = "hash-now", "hash-before"


@pytest.mark.parametrize(
    ("command", "runtime", "dev", "expected"),
    [
        ("serve", "", "", "."),  # a new virtualenv: runtime dependencies only
        ("test", "", "", ".[dev]"),
        ("serve", NOW, "", None),  # serve again: nothing
        ("test", NOW, "", ".[dev]"),  # test after serve: adds the dev extras
        ("serve", NOW, NOW, None),  # serve after test: nothing
        ("test", NOW, NOW, None),
        ("serve", "", NOW, None),  # a dev install holds the runtime one
        ("serve", OLD, OLD, "."),  # pyproject.toml or constraints.txt changed
        ("test", NOW, OLD, ".[dev]"),
        ("serve", OLD, NOW, None),
    ],
)
def test_each_command_installs_only_what_it_lacks(
    command: str, runtime: str, dev: str, expected: str | None
) -> None:
    assert run.requirement_to_install(command, wanted=NOW, runtime=runtime, dev=dev) == expected


def test_both_installs_are_editable_and_constrained_by_the_lock() -> None:
    python = Path("/venv/bin/python")
    assert run.pip_install_command(python, ".")[-4:] == ["-e", ".", "-c", "constraints.txt"]
    assert run.pip_install_command(python, ".[dev]")[-4:] == [
        "-e",
        ".[dev]",
        "-c",
        "constraints.txt",
    ]


def test_a_dev_install_stamps_both_and_a_runtime_install_only_its_own() -> None:
    assert run.stamps_written(".[dev]") == (run.RUNTIME_STAMP, run.DEV_STAMP)
    assert run.stamps_written(".") == (run.RUNTIME_STAMP,)


def test_the_install_hash_follows_pyproject_and_the_constraints(tmp_path: Path) -> None:
    pyproject, constraints = tmp_path / "pyproject.toml", tmp_path / "constraints.txt"
    pyproject.write_text("[project]\n")
    constraints.write_text("numpy==2.4.6\n")
    first = run.files_hash(pyproject, constraints)
    assert run.files_hash(pyproject, constraints) == first
    constraints.write_text("numpy==2.4.7\n")
    second = run.files_hash(pyproject, constraints)
    assert second != first
    pyproject.write_text("[project]\nname = 'x'\n")
    assert run.files_hash(pyproject, constraints) not in {first, second}


def test_a_serve_after_a_test_install_reads_the_stamps_as_up_to_date(tmp_path: Path) -> None:
    runtime, dev = tmp_path / "runtime", tmp_path / "dev"
    assert run.read_stamp(runtime) == ""
    runtime.write_text(NOW + "\n")
    dev.write_text(NOW + "\n")
    assert (
        run.requirement_to_install(
            "serve", wanted=NOW, runtime=run.read_stamp(runtime), dev=run.read_stamp(dev)
        )
        is None
    )


def test_the_lock_pins_every_package_exactly_and_leaves_annquiz_out() -> None:
    freeze = (
        "absl-py==2.5.1\n"
        "# Editable Git install with no remote (annquiz==0.1.0)\n"
        "-e /work/annquiz\n"
        "annquiz @ file:///tmp/annquiz\n"
        "Keras==3.15.1\n"
        "tensorflow_cpu==2.21.0\n"
    )
    text = run.constraints_text(freeze)
    pins = [line for line in text.splitlines() if not line.startswith("#")]
    assert pins == ["absl-py==2.5.1", "Keras==3.15.1", "tensorflow_cpu==2.21.0"]
    assert "python3 run.py lock" in text
    with pytest.raises(ValueError, match="not an exact pin"):
        run.constraints_text("numpy>=2\n")


def test_the_committed_lock_pins_every_dependency_exactly() -> None:
    lines = (REPO / "constraints.txt").read_text().splitlines()
    pins = {
        line.split("==")[0].lower().replace("_", "-"): line.split("==")[1]
        for line in lines
        if line and not line.startswith("#")
    }
    assert all(version and "*" not in version for version in pins.values())
    for package in ("django", "numpy", "tensorflow-cpu", "keras", "celery", "pytest", "mypy"):
        assert package in pins, package


@pytest.mark.parametrize(
    ("stamp", "installed", "expected"),
    [
        (NOW, True, False),
        (NOW, False, True),  # node_modules removed
        (OLD, True, True),  # package-lock.json changed
        ("", True, True),
    ],
)
def test_axe_core_is_installed_again_only_when_missing_or_the_lock_changed(
    stamp: str, installed: bool, expected: bool
) -> None:
    assert run.npm_install_needed(lock_hash=NOW, stamp=stamp, installed=installed) is expected


def test_axe_core_is_pinned_exactly() -> None:
    import json

    package = json.loads((REPO / "tests" / "browser" / "package.json").read_text())
    lock = json.loads((REPO / "tests" / "browser" / "package-lock.json").read_text())
    version = package["devDependencies"]["axe-core"]
    assert version[0].isdigit(), "pin axe-core exactly, without ^ or ~"
    assert lock["packages"]["node_modules/axe-core"]["version"] == version
