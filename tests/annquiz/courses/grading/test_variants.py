"""Parametrized variants: stable seeds, numbers within their ranges, answers from the core.

The expected answers here are computed by hand with ``math`` from the drawn numbers, never
with the training core, so a slip on either side shows up.
"""

from __future__ import annotations

import hashlib
import json
import math
import subprocess
import sys
from typing import Any

import pytest

from annquiz.courses.grading import Variant, draw_variant, grade, validate_config, variant_seed
from annquiz.courses.grading.variants import TEMPLATES

SEEDS = [0, 1, 7, 2024, variant_seed(12, "neuron-1"), 2**63 - 1]


def neuron(activation: str, z: float) -> float:
    if activation == "sigmoid":
        return 1 / (1 + math.exp(-z))
    if activation == "tanh":
        return math.tanh(z)
    if activation == "relu":
        return max(0.0, z)
    if activation == "leaky_relu":
        return z if z > 0 else 0.01 * z
    if activation == "elu":
        return z if z > 0 else math.exp(z) - 1
    assert activation == "linear"
    return z


def by_hand(template: str, p: dict[str, Any]) -> Any:
    if template == "neuron_output":
        z = sum(w * x for w, x in zip(p["w"], p["x"], strict=True)) + p["b"]
        return neuron(p["activation"], z)
    if template == "softmax":
        exps = [math.exp(z) for z in p["logits"]]
        probabilities = [e / sum(exps) for e in exps]
        return probabilities[p["k"] - 1] if "k" in p else probabilities
    if template == "sgd_step":
        return p["w"] - p["lr"] * p["g"]
    if template == "momentum_step":
        velocity = p["momentum"] * p["m"] - p["lr"] * p["g"]
        return p["w"] + velocity
    if template == "adam_step":
        m = p["beta_1"] * p["m"] + (1 - p["beta_1"]) * p["g"]
        v = p["beta_2"] * p["v"] + (1 - p["beta_2"]) * p["g"] ** 2
        lr_t = p["lr"] * math.sqrt(1 - p["beta_2"] ** p["t"]) / (1 - p["beta_1"] ** p["t"])
        return p["w"] - lr_t * m / (math.sqrt(v) + p["epsilon"])
    if template == "param_count":
        inputs, total = p["input_dim"], 0
        for units in p["units"]:
            total += inputs * units + units
            inputs = units
        return float(total)
    raise AssertionError(template)


def test_variant_seed_is_sha256_of_student_and_key() -> None:
    digest = hashlib.sha256(b"7:momentum-1").digest()
    assert variant_seed(7, "momentum-1") == int.from_bytes(digest[:8], "big") >> 1
    assert variant_seed(7, "momentum-1") == 7619705221593330810


def test_variant_seed_is_stable_across_processes() -> None:
    code = "from annquiz.courses.grading import variant_seed; print(variant_seed(3, 'softmax-q'))"
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
        ).stdout.strip()
        for seed in ("1", "2")
    }
    assert outputs == {str(variant_seed(3, "softmax-q"))}


def test_variant_seed_differs_per_student_and_question_and_fits_a_bigint() -> None:
    seeds = {variant_seed(s, q) for s in range(20) for q in ("a", "b", "c")}
    assert len(seeds) == 60
    assert all(0 <= seed < 2**63 for seed in seeds)


@pytest.mark.parametrize("bad", [True, "1", 1.0, None])
def test_variant_seed_refuses_a_student_id_that_is_not_an_int(bad: Any) -> None:
    with pytest.raises(TypeError):
        variant_seed(bad, "q")


def test_variant_seed_refuses_an_empty_key() -> None:
    with pytest.raises(ValueError):
        variant_seed(1, "")


@pytest.mark.parametrize("template", sorted(TEMPLATES))
@pytest.mark.parametrize("seed", SEEDS)
def test_the_answer_equals_a_hand_computation(template: str, seed: int) -> None:
    variant = draw_variant({"template": template, "tolerance": 0.001}, seed=seed)
    expected = by_hand(template, variant.params)
    if isinstance(expected, list):
        assert variant.answer == pytest.approx(expected, rel=1e-9, abs=1e-12)
    else:
        assert variant.answer == pytest.approx(expected, rel=1e-9, abs=1e-12)
    json.dumps(variant.params)  # JSON-serialisable, as stored with the student
    assert variant.tolerance == 0.001


def test_a_fixed_seed_gives_these_numbers_and_this_answer() -> None:
    variant = draw_variant({"template": "sgd_step", "tolerance": 0.001}, seed=2024)
    assert variant.params == {"w": 0.5, "g": -0.5, "lr": 0.1}
    assert variant.answer == pytest.approx(0.55)  # 0.5 - 0.1 * (-0.5)
    assert "$w = 0.5$" in variant.prompt_text
    assert "$\\eta = 0.1$" in variant.prompt_text


@pytest.mark.parametrize("template", sorted(TEMPLATES))
def test_the_same_seed_always_gives_the_same_variant(template: str) -> None:
    config = {"template": template, "tolerance": 0.01}
    first = draw_variant(config, seed=99)
    assert draw_variant(config, seed=99) == first
    others = {json.dumps(draw_variant(config, seed=s).params) for s in range(30)}
    assert len(others) > 5  # the numbers really vary between students


def test_drawn_numbers_stay_in_their_ranges_and_on_the_decimal_grid() -> None:
    config = {
        "template": "neuron_output",
        "tolerance": 0.001,
        "decimals": 2,
        "ranges": {
            "n_inputs": [3, 3],
            "x": [0.5, 1.5],
            "w": [-0.25, 0.25],
            "b": {"one_of": [0.1, -0.1]},
            "activation": ["tanh", "elu"],
        },
    }
    validate_config("parametrized", config)
    for seed in range(50):
        p = draw_variant(config, seed=seed).params
        assert p["n_inputs"] == 3 and len(p["x"]) == 3 and len(p["w"]) == 3
        assert all(0.5 <= x <= 1.5 and round(x, 2) == x for x in p["x"])
        assert all(-0.25 <= w <= 0.25 and round(w, 2) == w for w in p["w"])
        assert p["b"] in (0.1, -0.1)
        assert p["activation"] in ("tanh", "elu")


def test_gradients_are_never_zero_and_learning_rates_always_positive() -> None:
    config = {
        "template": "momentum_step",
        "tolerance": 0.001,
        "ranges": {"g": [-0.1, 0.1], "lr": [0.0, 0.2]},
    }
    for seed in range(100):
        p = draw_variant(config, seed=seed).params
        assert p["g"] != 0
        assert p["lr"] > 0


def test_softmax_can_ask_for_one_class() -> None:
    config = {"template": "softmax", "tolerance": 0.001, "output": "class"}
    variant = draw_variant(config, seed=5)
    k = variant.params["k"]
    assert 1 <= k <= variant.params["n_logits"]
    assert isinstance(variant.answer, float)
    assert f"class {k}" in variant.prompt_text


def test_softmax_vector_answers_sum_to_one() -> None:
    variant = draw_variant({"template": "softmax", "tolerance": 0.001}, seed=5)
    assert isinstance(variant.answer, list)
    assert len(variant.answer) == variant.params["n_logits"]
    assert math.fsum(variant.answer) == pytest.approx(1.0)


def test_adam_can_start_from_later_steps() -> None:
    config = {
        "template": "adam_step",
        "tolerance": 0.0001,
        "ranges": {"t": [2, 5], "m": [-0.2, 0.2], "v": [0.1, 0.5]},
    }
    for seed in range(10):
        variant = draw_variant(config, seed=seed)
        assert 2 <= variant.params["t"] <= 5
        assert variant.answer == pytest.approx(by_hand("adam_step", variant.params), rel=1e-9)


def test_param_count_prompt_lists_the_layers() -> None:
    variant = draw_variant({"template": "param_count", "tolerance": 0.5}, seed=2024)
    assert variant.params == {"input_dim": 9, "n_layers": 1, "units": [10]}
    assert variant.answer == 100.0  # 9 * 10 weights + 10 biases
    assert "9 input features" in variant.prompt_text
    assert "Dense(10)" in variant.prompt_text


def test_a_custom_prompt_gets_the_numbers_filled_in() -> None:
    config = {
        "template": "sgd_step",
        "tolerance": 0.001,
        "prompt": "Let $w={{w}}$, $g={{ g }}$, $\\eta={{lr}}$ and $\\frac{1}{2}$. New $w$?",
    }
    variant = draw_variant(config, seed=2024)
    assert variant.prompt_text == "Let $w=0.5$, $g=-0.5$, $\\eta=0.1$ and $\\frac{1}{2}$. New $w$?"


def test_a_drawn_variant_grades_its_own_answer_as_correct() -> None:
    for template in TEMPLATES:
        config = {"template": template, "tolerance": 0.001}
        variant = draw_variant(config, seed=31)
        if isinstance(variant.answer, list):
            response: dict[str, Any] = {"values": [round(a, 4) for a in variant.answer]}
        else:
            response = {"value": round(variant.answer, 4)}
        assert grade("parametrized", config, response, variant=variant).verdict == "correct"


def test_a_stored_variant_is_graded_as_stored() -> None:
    # Grading uses the variant kept with the student, not a fresh draw of the current config.
    config = {"template": "sgd_step", "tolerance": 0.001}
    stored = Variant(params={"w": 1.0, "g": 1.0, "lr": 0.5}, prompt_text="", answer=0.5,
                     tolerance=0.001)  # fmt: skip
    assert grade("parametrized", config, {"value": 0.5}, variant=stored).verdict == "correct"


def test_draw_variant_refuses_a_bad_seed_or_config() -> None:
    from annquiz.courses.grading import ConfigError

    with pytest.raises(TypeError):
        draw_variant({"template": "sgd_step", "tolerance": 0.1}, seed="1")  # type: ignore[arg-type]
    with pytest.raises(ConfigError):
        draw_variant({"template": "nope", "tolerance": 0.1}, seed=1)


def test_every_neuron_activation_matches_the_hand_formula_on_both_sides_of_zero() -> None:
    names = ["sigmoid", "tanh", "relu", "leaky_relu", "elu", "linear"]
    for bias in ([-3.0, -2.0], [2.0, 3.0]):
        config = {
            "template": "neuron_output",
            "tolerance": 0.001,
            "ranges": {"activation": names, "b": bias, "x": [-0.5, 0.5], "w": [-0.5, 0.5]},
        }
        seen = set()
        for seed in range(60):
            variant = draw_variant(config, seed=seed)
            seen.add(variant.params["activation"])
            assert variant.answer == pytest.approx(
                by_hand("neuron_output", variant.params), rel=1e-9, abs=1e-12
            )
        assert seen == set(names)
