"""Cost limits enforced by every backend's fit(), and what a result's ``seconds`` means."""

from __future__ import annotations

import numpy as np
import pytest

from training.errors import DataError, LimitExceeded
from training.fitting import FitData, check_fit_limits
from training.numpy_backend.backend import NumpyBackend
from training.spec import (
    Activation,
    Dense,
    Limits,
    ModelSpec,
    Optimizer,
    estimate_training_flops,
)

SPEC = ModelSpec(
    input_shape=(4,),
    layers=(Dense(5, Activation("tanh")), Dense(1, Activation("sigmoid"))),
    optimizer=Optimizer("sgd", learning_rate=0.1),
    loss="binary_crossentropy",
    epochs=3,
    batch_size=8,
    validation_split=0.25,
)
RNG = np.random.default_rng(7)
X = RNG.normal(size=(40, 4))
Y = (X[:, 0] > 0).astype(np.float64)
ONE_SEED = estimate_training_flops(SPEC, 40)
# Two seeds of SPEC on 40 rows fit under this limit, three do not.
LIMITS = Limits(max_training_flops=2.5 * ONE_SEED)


def test_check_fit_limits_counts_seeds_and_the_rows_of_the_data() -> None:
    check_fit_limits(SPEC, FitData(X, Y), n_seeds=2, limits=LIMITS)
    with pytest.raises(LimitExceeded, match=r"3 seeds.*the limit is"):
        check_fit_limits(SPEC, FitData(X, Y), n_seeds=3, limits=LIMITS)
    # Explicit validation rows replace validation_split: 40 rows trained plus 40 validated
    # cost more than 30 + 10, so two seeds no longer fit.
    with pytest.raises(LimitExceeded, match="2 seeds"):
        check_fit_limits(SPEC, FitData(X, Y, X, Y), n_seeds=2, limits=LIMITS)


def test_check_fit_limits_names_data_without_rows() -> None:
    with pytest.raises(DataError, match="x_train has no rows"):
        check_fit_limits(SPEC, FitData(np.array(1.0), Y), n_seeds=1)


def test_numpy_backend_refuses_a_run_over_the_limits_before_training() -> None:
    backend = NumpyBackend(limits=LIMITS)
    epochs: list[tuple[int, int]] = []
    results = backend.fit(
        SPEC, FitData(X, Y), seeds=[0, 1], on_epoch_end=lambda s, e, _: epochs.append((s, e))
    )
    assert len(results) == 2 and epochs
    epochs.clear()
    with pytest.raises(LimitExceeded, match=r"3 seeds\); the limit is"):
        backend.fit(
            SPEC,
            FitData(X, Y),
            seeds=[0, 1, 2],
            on_epoch_end=lambda s, e, _: epochs.append((s, e)),
        )
    assert epochs == []


def test_numpy_backend_applies_the_default_limits() -> None:
    over = ModelSpec(input_shape=(4,), layers=(Dense(1),), loss="mse", epochs=501)
    with pytest.raises(LimitExceeded, match="501 epochs; the limit is 500"):
        NumpyBackend().fit(over, FitData(X, Y))


def test_numpy_seeds_trained_together_share_their_wall_time() -> None:
    several = NumpyBackend().fit(SPEC, FitData(X, Y), seeds=[0, 1, 2])
    assert all(result.seconds_shared for result in several)
    assert len({result.seconds for result in several}) == 1
    (single,) = NumpyBackend().fit(SPEC, FitData(X, Y), seeds=[0])
    assert not single.seconds_shared and single.seconds > 0


@pytest.mark.tensorflow
def test_tensorflow_backend_refuses_a_run_over_the_limits_before_building_it() -> None:
    from training.tf_backend import loop
    from training.tf_backend.backend import TensorflowBackend

    # An architecture of its own, so whether a program was built for it is visible.
    spec = ModelSpec(
        input_shape=(4,),
        layers=(Dense(3, Activation("elu")), Dense(1, Activation("sigmoid"))),
        optimizer=Optimizer("sgd", learning_rate=0.1),
        loss="binary_crossentropy",
        epochs=3,
        batch_size=8,
        validation_split=0.25,
    )
    limits = Limits(max_training_flops=2.5 * estimate_training_flops(spec, 40))
    backend = TensorflowBackend(limits=limits)
    key = loop._key(spec, backend.dtype)
    loop.clear_cache()
    epochs: list[tuple[int, int]] = []
    with pytest.raises(LimitExceeded, match=r"3 seeds\); the limit is"):
        backend.fit(
            spec,
            FitData(X, Y),
            seeds=[0, 1, 2],
            on_epoch_end=lambda s, e, _: epochs.append((s, e)),
        )
    assert epochs == [] and key not in loop._cache
    results = backend.fit(spec, FitData(X, Y), seeds=[0, 1])
    assert key in loop._cache
    # Seeds train one after another: each result's seconds is its own.
    assert [r.epochs_run for r in results] == [3, 3]
    assert not any(r.seconds_shared for r in results)
    assert all(r.seconds > 0 for r in results)
