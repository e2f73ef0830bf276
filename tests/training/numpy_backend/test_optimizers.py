from __future__ import annotations

import math

import numpy as np
import pytest

from training.numpy_backend.optimizers import (
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    BaseOptimizer,
    RMSprop,
    adam_step,
    get_optimizer,
    momentum_step,
    sgd_step,
)
from training.spec import Optimizer

W0 = [0.5, -1.0]
GRADS = [[0.2, -0.4], [0.1, 0.3], [-0.5, 0.05]]  # three steps


def _run(opt: BaseOptimizer) -> list[float]:
    w = np.array(W0)
    opt.build([w])
    for g in GRADS:
        opt.apply([np.array(g)], [w])
    return list(w)


def _by_hand(step) -> list[float]:
    """Apply ``step(w, g, state, t) -> w`` to each coordinate independently, in plain floats."""
    result = []
    for i, w in enumerate(W0):
        state: dict[str, float] = {}
        for t, g in enumerate(GRADS, start=1):
            w = step(w, g[i], state, t)
        result.append(w)
    return result


def test_sgd_plain() -> None:
    lr = 0.1
    expected = _by_hand(lambda w, g, s, t: w - lr * g)
    np.testing.assert_allclose(_run(SGD(lr)), expected, rtol=1e-14)


def test_sgd_momentum_keras_form() -> None:
    lr, mu = 0.1, 0.9

    def step(w: float, g: float, s: dict[str, float], t: int) -> float:
        s["m"] = mu * s.get("m", 0.0) - lr * g
        return w + s["m"]

    np.testing.assert_allclose(_run(SGD(lr, momentum=mu)), _by_hand(step), rtol=1e-14)


def test_sgd_nesterov() -> None:
    lr, mu = 0.1, 0.9

    def step(w: float, g: float, s: dict[str, float], t: int) -> float:
        s["m"] = mu * s.get("m", 0.0) - lr * g
        return w + mu * s["m"] - lr * g

    result = _run(SGD(lr, momentum=mu, nesterov=True))
    np.testing.assert_allclose(result, _by_hand(step), rtol=1e-14)


def test_adagrad_starts_at_0_1_with_epsilon_inside_the_root() -> None:
    lr, eps = 0.1, 1e-7

    def step(w: float, g: float, s: dict[str, float], t: int) -> float:
        s["acc"] = s.get("acc", 0.1) + g * g
        return w - lr * g / math.sqrt(s["acc"] + eps)

    np.testing.assert_allclose(_run(Adagrad(lr)), _by_hand(step), rtol=1e-14)


def test_rmsprop_epsilon_inside_the_root() -> None:
    lr, rho, eps = 0.01, 0.9, 1e-7

    def step(w: float, g: float, s: dict[str, float], t: int) -> float:
        s["v"] = rho * s.get("v", 0.0) + (1 - rho) * g * g
        return w - lr * g / math.sqrt(s["v"] + eps)

    np.testing.assert_allclose(_run(RMSprop(lr)), _by_hand(step), rtol=1e-14)


def test_rmsprop_with_momentum() -> None:
    lr, rho, mu, eps = 0.01, 0.9, 0.5, 1e-7

    def step(w: float, g: float, s: dict[str, float], t: int) -> float:
        s["v"] = rho * s.get("v", 0.0) + (1 - rho) * g * g
        s["m"] = mu * s.get("m", 0.0) + lr * g / math.sqrt(s["v"] + eps)
        return w - s["m"]

    np.testing.assert_allclose(_run(RMSprop(lr, momentum=mu)), _by_hand(step), rtol=1e-14)


def test_adam_epsilon_outside_the_root_and_bias_correction_in_the_step() -> None:
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-7

    def step(w: float, g: float, s: dict[str, float], t: int) -> float:
        s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
        s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g * g
        alpha = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
        return w - alpha * s["m"] / (math.sqrt(s["v"]) + eps)

    np.testing.assert_allclose(_run(Adam(lr)), _by_hand(step), rtol=1e-13)


def test_adadelta_default_rate_and_rule() -> None:
    lr, rho, eps = 0.001, 0.95, 1e-7
    assert Adadelta().learning_rate == lr

    def step(w: float, g: float, s: dict[str, float], t: int) -> float:
        s["a"] = rho * s.get("a", 0.0) + (1 - rho) * g * g
        delta = -math.sqrt(s.get("d", 0.0) + eps) / math.sqrt(s["a"] + eps) * g
        s["d"] = rho * s.get("d", 0.0) + (1 - rho) * delta * delta
        return w + lr * delta

    np.testing.assert_allclose(_run(Adadelta()), _by_hand(step), rtol=1e-13)


def test_stacked_rows_are_updated_independently() -> None:
    w = np.array([[1.0, 2.0], [3.0, 4.0]])
    single = np.array([[3.0, 4.0]])
    a, b = Adam(0.1), Adam(0.1)
    a.build([w])
    b.build([single])
    for g in GRADS:
        a.apply([np.array([g, g[::-1]])], [w])
        b.apply([np.array([g[::-1]])], [single])
    np.testing.assert_allclose(w[1], single[0], rtol=1e-15)


def test_spec_defaults_are_keras_defaults() -> None:
    assert get_optimizer(Optimizer("sgd")).get_config() == {
        "name": "sgd",
        "learning_rate": 0.01,
        "momentum": 0.0,
        "nesterov": False,
    }
    assert get_optimizer(Optimizer("adagrad")).get_config()["initial_accumulator_value"] == 0.1
    adam = get_optimizer(Optimizer("adam", learning_rate=0.01)).get_config()
    assert adam == {
        "name": "adam",
        "learning_rate": 0.01,
        "beta_1": 0.9,
        "beta_2": 0.999,
        "epsilon": 1e-7,
    }
    assert get_optimizer(Optimizer("rmsprop")).get_config()["rho"] == 0.9
    assert get_optimizer(Optimizer("adadelta")).get_config()["rho"] == 0.95


def test_bad_hyperparameters_are_named() -> None:
    with pytest.raises(ValueError, match="learning_rate"):
        SGD(float("nan"))
    with pytest.raises(ValueError, match="momentum"):
        SGD(0.1, momentum=-0.5)
    with pytest.raises(ValueError, match="lamb"):
        get_optimizer(Optimizer("lamb"))


def test_quiz_helpers() -> None:
    assert sgd_step(1.0, 0.5, 0.1) == pytest.approx(0.95)
    w, m = momentum_step(1.0, 0.5, 0.2, 0.1, 0.9)
    assert m == pytest.approx(0.9 * 0.2 - 0.05)
    assert w == pytest.approx(1.0 + 0.13)
    w, m, v = adam_step(1.0, 0.5, 0.0, 0.0, 1, lr=0.1)
    assert m == pytest.approx(0.05)
    assert v == pytest.approx(0.00025)
    # First Adam step moves by about lr whatever the gradient's size.
    assert w == pytest.approx(1.0 - 0.1 * 0.5 / (0.5 + 1e-7 / math.sqrt(1 - 0.999)))
    arr, _, _ = adam_step(np.array([1.0, 2.0]), np.array([0.5, -0.5]), 0.0, 0.0, 1, lr=0.1)
    assert isinstance(arr, np.ndarray)
    np.testing.assert_allclose(arr, [0.9, 2.1], rtol=1e-6)
    with pytest.raises(ValueError, match="1-based"):
        adam_step(1.0, 0.5, 0.0, 0.0, 0)
