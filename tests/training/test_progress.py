"""The progress report of a submission being trained, from each seed's epochs done."""

from __future__ import annotations

import pytest

from training.judging import training_progress


def test_progress_counts_seeds_trained_together_and_one_after_another() -> None:
    together = training_progress({0: 10, 1: 10, 2: 10}, n_seeds=3, epochs=50, backend="numpy")
    assert together["together"] is True and together["epoch"] == 10
    assert together["fraction"] == pytest.approx(0.2)
    in_turn = training_progress({0: 50, 1: 20}, n_seeds=3, epochs=50, backend="tensorflow")
    assert in_turn["together"] is False
    assert in_turn["seed_index"] == 1 and in_turn["epoch"] == 20
    assert in_turn["fraction"] == 0.4667


def test_progress_of_seeds_trained_together_comes_from_the_backend_even_mid_epoch() -> None:
    # The NumPy backend reports its stacked seeds one by one within an epoch.
    mid_epoch = training_progress({0: 11, 1: 10, 2: 10}, n_seeds=3, epochs=50, backend="numpy")
    assert mid_epoch["together"] is True and mid_epoch["epoch"] == 10


def test_progress_before_the_first_epoch_is_empty() -> None:
    assert training_progress({}, n_seeds=3, epochs=50, backend="numpy") == {
        "seed_index": 0,
        "n_seeds": 3,
        "epoch": 0,
        "epochs": 50,
        "together": False,
        "fraction": 0.0,
    }


def test_the_backends_declare_whether_they_train_the_seeds_together() -> None:
    from training.backends import get_backend

    assert get_backend("numpy").trains_seeds_together is True
    assert get_backend("tensorflow").trains_seeds_together is False
